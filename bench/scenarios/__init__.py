"""Every scenario module is imported here, which registers it with the harness. ORDER is the
order `make bench` runs and prints them in (the issue's list, then the baselines)."""

from bench.scenarios import archive, enforcement, gateway, hostile, library, sync  # noqa: F401

ORDER = [
    "gateway_paging_10k",
    "gateway_library_remove_1k",
    "library_refresh_cold",
    "library_refresh_unchanged",
    "sync_cold",
    "sync_unchanged",
    "sync_100_changes",
    "enforce_10k",
    "rollback_10k",
    "poll_nothing_new",
    "history_import_500k",
    "stats_1m",
    "sync_memory_10k_20_children",
    "hostile_uploads",
    "baseline_sync_wipe_and_replace",
    "baseline_library_remove_per_item_1k",
]

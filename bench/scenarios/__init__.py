"""Every scenario module is imported here, which registers it with the harness. ORDER is the
order `make bench` runs and prints them in (the issue's list, then the baselines)."""

from bench.scenarios import (  # noqa: F401
    archive,
    enforcement,
    gateway,
    hostile,
    household,
    library,
    pages,
    sync,
)

ORDER = [
    # First: its shares divide the household's budget among the people connected to Spotify,
    # and the scenarios after it leave their own users connected.
    "household_day",
    "gateway_paging_10k",
    "gateway_library_remove_1k",
    "library_refresh_cold",
    "library_refresh_unchanged",
    "sync_cold",
    "sync_unchanged",
    "sync_100_changes",
    "sync_liked_10k_cold",
    "sync_liked_unchanged",
    "sync_under_quota",
    "enforce_10k",
    "rollback_10k",
    "poll_nothing_new",
    "history_import_500k",
    "stats_1m",
    "artist_page_1m",
    "history_rules_preview_1m",
    "sync_memory_10k_20_children",
    "ops_page",
    "hostile_uploads",
    "baseline_sync_wipe_and_replace",
    "baseline_library_remove_per_item_1k",
]

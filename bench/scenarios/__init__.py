"""Every scenario module is imported here, which registers it with the harness."""

from bench.scenarios import gateway  # noqa: F401

"""Every scenario module is imported here, which registers it with the harness."""

from bench.scenarios import archive, enforcement, gateway, library, sync  # noqa: F401

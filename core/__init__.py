"""Shared helpers every app may use and that import no app (checked by import-linter)."""

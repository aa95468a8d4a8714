"""How the download engine asks for work later: `later(task, args, seconds)`.

In production that is a Celery message with a countdown, sent after the current transaction
commits (a task must find the rows it is about). Waits here are bounded — a search poll, a
transfer poll, the throttle's next slot (at most the 220 s window), a 30-minute flood-ban pause
is re-checked by the beat sweep — so no message sits in the broker for long.

Tests swap the backend (`use(...)`) for a simulated queue driven by a FakeClock.
"""

from __future__ import annotations

from collections.abc import Callable

from celery import current_app
from django.db import transaction


def _celery(task: str, args: list, seconds: float) -> None:
    # The queue is CELERY_TASK_ROUTES' choice (pump_searches: interactive), nobody else's.
    def send():
        current_app.send_task(task, args=args, countdown=max(seconds, 0))

    transaction.on_commit(send)


_backend: Callable[[str, list, float], None] = _celery


def use(backend: Callable[[str, list, float], None] | None) -> None:
    global _backend
    _backend = backend or _celery


def later(task: str, args: list, seconds: float = 0.0) -> None:
    _backend(task, args, seconds)

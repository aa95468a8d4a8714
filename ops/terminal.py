"""A progress bar in the terminal for a job that runs in this process (management commands).

    with JobProgress(self.stdout, lambda: LibraryRefresh.objects.filter(pk=job.pk).first()):
        run_the_job()

or, for work with no job row (a loop in the command itself):

    with CountProgress(self.stdout, total=len(users), step="Polling") as bar:
        for user in users:
            bar.note(poll(user))  # a line of its own, above the bar
            bar.advance(step=f"user {user.pk}")

A thread re-reads the job's row twice a second and redraws one line; on a terminal the line is
overwritten in place, elsewhere (logs, cron mail) a new line is written only when the step
changes or another tenth is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from django.db import connection

from core import clock

BAR_WIDTH = 30


def render(job) -> str:
    percent = job.percent
    filled = 0 if percent is None else round(BAR_WIDTH * percent / 100)
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    count = f"{job.done}/{job.total}" if job.total else (str(job.done) if job.done else "")
    eta = job.eta
    parts = [
        f"[{bar}]",
        f"{percent:3d}%" if percent is not None else "  …",
        count,
        job.step,
        f"about {str(eta).split('.')[0]} left" if eta else "",
    ]
    return "  ".join(part for part in parts if part)


class JobProgress:
    def __init__(self, stream, find_job: Callable[[], object], interval: float = 0.5):
        self.stream = stream
        self.find_job = find_job
        self.interval = interval
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._stop = threading.Event()
        self._last_line = ""
        self._last_tenth = -1
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> JobProgress:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._draw(final=True)
        if self.tty and self._last_line:
            self.stream.write("\n")

    def _watch(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                self._draw()
        finally:
            connection.close()  # this thread's own database connection

    def _draw(self, final: bool = False) -> None:
        job = self.find_job()
        if job is None:
            return
        line = render(job)
        if line == self._last_line:
            return
        tenth = (job.percent or 0) // 10
        step_changed = self._last_line.split("  ")[-1:] != line.split("  ")[-1:]
        if self.tty:
            self.stream.write("\r" + line.ljust(len(self._last_line)), ending="")
            self.stream.flush()
        elif final or step_changed or tenth != self._last_tenth:
            self.stream.write(line)
        self._last_line, self._last_tenth = line, tenth


class CountProgress:
    """The same bar for a count kept in this process: `advance()` after each item, `note()` for
    a result line of its own. It has what `render` reads from a job."""

    def __init__(self, stream, *, total: int, step: str = ""):
        self.stream = stream
        self.total = total
        self.done = 0
        self.step = step
        self.status = "running"
        self.started_at = clock.now()
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last_line = ""

    @property
    def percent(self) -> int | None:
        return min(int(self.done * 100 / self.total), 100) if self.total else None

    @property
    def eta(self) -> timedelta | None:
        elapsed = (clock.now() - self.started_at).total_seconds()
        if not self.done or not self.total or elapsed <= 0:
            return None
        return timedelta(seconds=(self.total - self.done) * elapsed / self.done)

    def __enter__(self) -> CountProgress:
        self._draw()
        return self

    def __exit__(self, *exc) -> None:
        if self.tty and self._last_line:
            self.stream.write("\n")
        elif not self.tty:
            self.stream.write(render(self))

    def advance(self, *, by: int = 1, step: str | None = None) -> None:
        self.done += by
        if step is not None:
            self.step = step
        self._draw()

    def note(self, text: str) -> None:
        if self.tty and self._last_line:
            self.stream.write("\r" + " " * len(self._last_line) + "\r", ending="")
            self._last_line = ""
        self.stream.write(text)
        self._draw()

    def _draw(self) -> None:
        if not self.tty:
            return  # logs and cron mail get the notes and one final line
        line = render(self)
        self.stream.write("\r" + line.ljust(len(self._last_line)), ending="")
        self.stream.flush()
        self._last_line = line

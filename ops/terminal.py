"""A progress bar in the terminal for a job that runs in this process (management commands).

    with JobProgress(self.stdout, lambda: LibraryRefresh.objects.filter(pk=job.pk).first()):
        run_the_job()

A thread re-reads the job's row twice a second and redraws one line; on a terminal the line is
overwritten in place, elsewhere (logs, cron mail) a new line is written only when the step
changes or another tenth is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection

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

"""The terminal progress bar of commands whose work has no job row (poll_history, sandbox_seed)."""

import io

from django.core.management.base import OutputWrapper

from ops.terminal import BAR_WIDTH, CountProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_redraws_in_place_and_notes_get_lines_of_their_own(fake_clock):
    screen = Terminal()
    with CountProgress(OutputWrapper(screen), total=2, step="Polling") as bar:
        bar.note("user 1: ok, 1 call(s), 3 received, 3 new")
        bar.advance(step="3 new plays")
        bar.advance(step="5 new plays")

    text = screen.getvalue()
    assert "user 1: ok, 1 call(s), 3 received, 3 new\n" in text
    assert text.count("\n") == 2  # the note, and the bar's own line once it is done
    last = text.rstrip("\n").rsplit("\r", 1)[-1].rstrip()
    assert last == f"[{'#' * BAR_WIDTH}]  100%  2/2  5 new plays"


def test_in_a_log_the_notes_come_as_lines_and_the_bar_once_at_the_end(fake_clock):
    log = io.StringIO()
    with CountProgress(OutputWrapper(log), total=4, step="Building the catalog") as bar:
        bar.note("sandbox user: Ada")
        fake_clock.advance(10)
        bar.advance(step="catalog done")

    assert "\r" not in log.getvalue()
    filled = round(BAR_WIDTH * 25 / 100)
    quarter = "#" * filled + "." * (BAR_WIDTH - filled)
    assert log.getvalue().splitlines() == [
        "sandbox user: Ada",
        f"[{quarter}]   25%  1/4  catalog done  about 0:00:30 left",  # 10 s for each of 3 more
    ]

import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
from django.conf import settings
from django.core.management import CommandError, call_command

from archive.models import ImportJob, PlayEvent, PollRun
from tests.archive.factories import extended_record, make_user, recently_played_payload
from tests.spotify.factories import connected_user

pytestmark = pytest.mark.django_db


def test_import_history_imports_files_for_a_user(tmp_path, capsys):
    user = make_user("grace")
    path = tmp_path / "Streaming_History_Audio_2020.json"
    start = datetime(2020, 1, 1, tzinfo=UTC)
    path.write_text(
        json.dumps([extended_record(n, start + timedelta(minutes=4 * n)) for n in range(3)])
    )

    call_command("import_history", str(path), "--user", "grace")

    assert PlayEvent.objects.filter(user=user).count() == 3
    assert ImportJob.objects.get(user=user).status == "completed"
    output = capsys.readouterr()
    assert "3 imported" in output.out
    assert "100%" in output.err  # the progress bar, finished


def test_import_history_refuses_what_it_cannot_do(tmp_path):
    with pytest.raises(CommandError, match="no user"):
        call_command("import_history", str(tmp_path / "x.json"), "--user", "nobody")
    make_user("grace")
    with pytest.raises(CommandError, match="not found"):
        call_command("import_history", str(tmp_path / "missing.json"), "--user", "grace")


@responses.activate
def test_poll_history_polls_one_user_now(django_user_model, fake_clock, capsys):
    user = connected_user(django_user_model, "ada", expires_in=10**7)
    responses.get(
        f"{settings.SPOTIFY_API_BASE_URL}/me/player/recently-played",
        json=recently_played_payload([(1, fake_clock.now() - timedelta(minutes=5))]),
    )
    call_command("poll_history", "--user", "ada")
    assert PlayEvent.objects.filter(user=user).count() == 1
    assert PollRun.objects.get(user=user).calls == 1
    assert "1 new" in capsys.readouterr().out

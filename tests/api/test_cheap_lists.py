"""Paginated API lists over big tables: /api/v1/archive/plays pages by keyset (following
`next` visits every play once, in order, even when plays arrive meanwhile), counts its total
at most once a minute, and shows nobody else's plays."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import ApiToken, Scope
from archive.models import PlayEvent, PlaySource
from tests.api.conftest import conforms
from tests.sync.factories import catalog_track

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 1, tzinfo=UTC)


def seed_plays(user, count: int) -> list[tuple[str, str]]:
    """`count` plays, some sharing a moment (two tracks at once), newest first as
    (played_at, track_id) — the order the API promises."""
    tracks = [catalog_track(f"Song {n}", artists=(f"Artist {n}",)) for n in range(3)]
    plays = []
    for n in range(count):
        # every third play shares its moment with the one before: ties on played_at
        moment = START + timedelta(minutes=n - (1 if n % 3 == 2 else 0))
        plays.append(
            PlayEvent(user=user, track=tracks[n % 3], played_at=moment, source=PlaySource.POLL)
        )
    PlayEvent.objects.bulk_create(plays)
    ordered = sorted(((p.played_at, p.track_id) for p in plays), reverse=True)
    return [(at.isoformat().replace("+00:00", "Z"), track) for at, track in ordered]


def follow(api, token, first_url: str, **params) -> list[dict]:
    pages = [conforms(api.get(first_url, token, **params), "PlayPage")]
    while pages[-1]["next"]:
        assert len(pages) < 100, "the next links never end"
        response = api.client.get(pages[-1]["next"], HTTP_AUTHORIZATION=f"Bearer {token}")
        pages.append(conforms(response, "PlayPage"))
    return pages


def as_key(play: dict) -> tuple[str, str]:
    return (play["played_at"].replace("+00:00", "Z"), play["track_id"])


def test_following_next_visits_every_play_once_in_order(api, ada, read_token):
    expected = seed_plays(ada, 137)

    pages = follow(api, read_token, "/api/v1/archive/plays", per_page=20)

    seen = [as_key(play) for page in pages for play in page["items"]]
    assert seen == expected
    assert [page["page"] for page in pages] == list(range(1, 8))
    assert all(page["total"] == 137 for page in pages)
    assert pages[-1]["next"] is None and len(pages[-1]["items"]) == 17


def test_plays_arriving_while_paging_shift_nothing(api, ada, read_token):
    expected = seed_plays(ada, 60)
    first = conforms(api.get("/api/v1/archive/plays", read_token, per_page=25), "PlayPage")
    # A poll lands newer plays: with offsets, page 2 would repeat the tail of page 1.
    newer = catalog_track("Brand new", artists=("Someone",))
    for minutes in (1, 2, 3):
        PlayEvent.objects.create(
            user=ada,
            track=newer,
            played_at=START + timedelta(days=1, minutes=minutes),
            source=PlaySource.POLL,
        )

    rest = []
    url = first["next"]
    while url:
        page = api.client.get(url, HTTP_AUTHORIZATION=f"Bearer {read_token}").json()
        rest += page["items"]
        url = page["next"]

    assert [as_key(p) for p in first["items"] + rest] == expected


def test_a_deep_page_does_not_count_every_play_again(api, ada, read_token):
    seed_plays(ada, 90)
    pages = follow(api, read_token, "/api/v1/archive/plays", per_page=30)
    assert len(pages) == 3

    with CaptureQueriesContext(connection) as queries:
        response = api.client.get(pages[1]["next"], HTTP_AUTHORIZATION=f"Bearer {read_token}")
    assert response.status_code == 200
    plays = [q["sql"] for q in queries if "archive_playevent" in q["sql"]]
    assert plays, "the page was read from the plays table"
    assert all("COUNT(" not in sql.upper() for sql in plays), plays
    assert all("OFFSET" not in sql.upper() for sql in plays), plays


def test_an_outsider_sees_none_of_the_plays_even_with_their_cursor(
    api, ada, read_token, django_user_model
):
    seed_plays(ada, 40)
    ada_page = conforms(api.get("/api/v1/archive/plays", read_token, per_page=10), "PlayPage")
    mallory = django_user_model.objects.create(username="mallory")
    token = ApiToken.create(mallory, "mine", Scope.READ)[1]

    own = conforms(api.get("/api/v1/archive/plays", token), "PlayPage")
    assert own["items"] == [] and own["total"] == 0 and own["next"] is None
    borrowed = api.client.get(ada_page["next"], HTTP_AUTHORIZATION=f"Bearer {token}")
    assert borrowed.status_code == 200
    assert borrowed.json()["items"] == [] and borrowed.json()["total"] == 0
    assert api.get("/api/v1/archive/plays").status_code == 401


@pytest.mark.parametrize(
    "cursor", ["nonsense", "", "MXx4fHk", "=====", "MnwyMDI2LTExLTAxfA", "💥", "a" * 5000]
)
def test_a_hostile_cursor_gets_a_400_in_words(api, ada, read_token, cursor):
    seed_plays(ada, 5)
    response = api.get("/api/v1/archive/plays", read_token, cursor=cursor)
    if cursor == "":
        assert response.status_code == 200  # no cursor: the first page
        return
    assert response.status_code == 400
    assert "cursor" in conforms(response, "Error")["error"]["message"]

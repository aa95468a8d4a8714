"""Choosing a file: the quality ladder, version awareness, duration, peers — against what the
sandbox slskd's peers share, and on hand-made answers for the edge cases."""

import uuid

import pytest

from downloads import matching, quality, scoring
from downloads.client import SlskdClient
from downloads.http import Endpoint
from downloads.quality import Ladder, LadderError
from downloads.types import PeerResponse, RemoteFile
from tests.downloads.conftest import publish

WANTED = matching.Wanted(
    artist="Nina Simone", title="Feeling Good", album="I Put a Spell on You", duration_s=173
)
ALL_BUT_HIRES = (
    "cd_ripper",
    "mp3_collector",
    "vbr_fan",
    "old_rips",
    "bootlegger",
    "dj_pool",
    "karaoke_king",
    "mislabeled",
    "locked_vault",
)
NO_LOSSLESS_RIGHT = (
    "mp3_collector",
    "vbr_fan",
    "old_rips",
    "bootlegger",
    "dj_pool",
    "karaoke_king",
    "mislabeled",
    "locked_vault",
)


def search_sandbox(slskd, fake_clock, peers):
    publish(
        "Nina Simone", "Feeling Good", album="I Put a Spell on You", duration_s=173, peers=peers
    )
    client = SlskdClient(Endpoint(slskd.base_url, slskd.API_KEY))
    search_id = str(uuid.uuid4())
    client.create_search(search_id, "nina simone feeling good")
    fake_clock.advance(5)
    assert client.search(search_id).is_complete
    return client, client.search_responses(search_id)


def choose_with_browsing(client, responses, ladder, **kwargs):
    choice = scoring.choose(WANTED, ladder, responses, **kwargs)
    sizes = {
        (c.username, c.filename.rsplit("\\", 1)[0]): client.folder_audio_count(
            c.username, c.filename.rsplit("\\", 1)[0]
        )
        for c in choice.candidates[:3]
    }
    return scoring.choose(WANTED, ladder, responses, folder_sizes=sizes, **kwargs)


def test_best_takes_the_hires_album_folder_not_the_wrong_length_or_locked_files(slskd, fake_clock):
    client, responses = search_sandbox(
        slskd, fake_clock, peers=tuple(sorted({"flac_hoarder", "slow_hires", *ALL_BUT_HIRES}))
    )
    choice = choose_with_browsing(client, responses, Ladder.preset("best"))

    best = choice.best
    assert (best.username, best.quality_label) == ("flac_hoarder", "FLAC 24/96")
    # Faster, free and 24-bit too, but 47 s too long: another recording.
    assert scoring.WRONG_LENGTH in choice.rejected
    assert choice.rejected[scoring.LOCKED] == 1
    assert {"live version", "remix version", "karaoke version"} <= set(choice.rejected)
    assert best.reasons[0] == "FLAC 24/96: rung 1 of 5 of your ladder (flac 24)"
    assert "the peer has a free upload slot" in best.reasons
    assert "from a complete album folder (10 tracks)" in best.reasons
    # The slow hi-res peer is on the same rung but has no free slot: it ranks below.
    users = [c.username for c in choice.candidates]
    assert users.index("flac_hoarder") < users.index("slow_hires")


def test_without_hires_it_is_the_cd_rip_not_the_live_flac(slskd, fake_clock):
    client, responses = search_sandbox(slskd, fake_clock, peers=ALL_BUT_HIRES)
    best = choose_with_browsing(client, responses, Ladder.preset("best")).best
    assert (best.username, best.quality_label) == ("cd_ripper", "FLAC 16/44.1")
    assert best.filename.endswith("01. Nina Simone - Feeling Good.flac")


def test_without_a_right_flac_it_is_mp3_320_not_the_faster_remix_or_karaoke(slskd, fake_clock):
    client, responses = search_sandbox(slskd, fake_clock, peers=NO_LOSSLESS_RIGHT)
    choice = choose_with_browsing(client, responses, Ladder.preset("best"))
    assert (choice.best.username, choice.best.quality_label) == ("mp3_collector", "MP3 320")
    # Next: the V0 album folder (rung 4), never the 128 kbps file (below the ladder).
    assert [c.quality_label for c in choice.candidates] == ["MP3 320", "MP3 VBR 245"]
    assert choice.rejected[scoring.BELOW_LADDER] == 1


def test_good_and_any_presets_rank_by_peer_once_the_quality_is_enough(slskd, fake_clock):
    client, responses = search_sandbox(
        slskd, fake_clock, peers=tuple(sorted({"flac_hoarder", "slow_hires", *ALL_BUT_HIRES}))
    )
    good = choose_with_browsing(client, responses, Ladder.preset("good"))
    assert good.best.rung_text == "lossless"
    assert good.best.username == "flac_hoarder"  # free slot, album folder, fastest
    anything = choose_with_browsing(client, responses, Ladder.preset("any"))
    assert anything.best.username == "flac_hoarder"
    assert "old_rips" in [c.username for c in anything.candidates]  # 128 kbps is "any" audio


def test_a_custom_ladder_and_an_upgrade_floor(slskd, fake_clock):
    client, responses = search_sandbox(slskd, fake_clock, peers=ALL_BUT_HIRES)
    mp3_only = choose_with_browsing(client, responses, Ladder.parse("mp3 320\nmp3 256"))
    assert mp3_only.best.quality_label == "MP3 320"

    # We have an MP3 320 (rung 3 of "best"): only rungs 1 and 2 are an upgrade.
    upgrade = choose_with_browsing(client, responses, Ladder.preset("best"), below_rung=2)
    assert all(c.extension == "flac" for c in upgrade.candidates)
    assert upgrade.rejected[scoring.NOT_BETTER] >= 2


def file(name, seconds=173, **attrs):
    return RemoteFile(filename=name, size=30_000_000, length=seconds, **attrs)


def peer(username, *files, free=True, queue=0, speed=1_000_000):
    return PeerResponse(username, free, queue, speed, files=tuple(files))


def test_the_live_version_is_taken_when_the_title_asks_for_it():
    live = matching.Wanted("Nina Simone", "Feeling Good (Live)", duration_s=200)
    responses = [
        peer(
            "a", file("@@a\\Nina Simone - Feeling Good.flac", 200, bit_depth=16, sample_rate=44_100)
        ),
        peer(
            "b",
            file("@@b\\Nina Simone - Live in Montreux\\Feeling Good (Live).mp3", 201, bit_rate=320),
        ),
    ]
    choice = scoring.choose(live, Ladder.preset("best"), responses)
    assert [c.username for c in choice.candidates] == ["b"]
    assert choice.rejected == {"not the live version": 1}


def test_names_that_merely_contain_a_version_word_are_not_versions():
    oasis = matching.Wanted("Oasis", "Live Forever", album="Definitely Maybe", duration_s=276)
    assert matching.version_markers(oasis, file("@@x\\Oasis - Live Forever.flac")) == []
    assert matching.version_markers(
        oasis, file("@@x\\Oasis - Live Forever (Live at Knebworth).flac")
    ) == ["live"]
    band = matching.Wanted("Live", "Lightning Crashes", album="Throwing Copper")
    assert (
        matching.version_markers(
            band, file("@@x\\Live - Throwing Copper\\Live - Lightning Crashes.flac")
        )
        == []
    )


def test_the_duration_must_be_within_three_seconds():
    responses = [
        peer("a", file("@@a\\Nina Simone - Feeling Good.mp3", 177, bit_rate=320)),
        peer("b", file("@@b\\Nina Simone - Feeling Good.mp3", 176, bit_rate=320)),
    ]
    choice = scoring.choose(WANTED, Ladder.preset("best"), responses)
    assert [c.username for c in choice.candidates] == ["b"]
    assert choice.rejected == {scoring.WRONG_LENGTH: 1}


def test_accents_case_and_featuring_do_not_hide_a_match():
    wanted = matching.Wanted("Beyoncé", "Halo (feat. Someone) - Remastered 2011", duration_s=261)
    assert matching.queries(wanted)[0] == "beyonce halo"
    hit = file(
        "@@x\\BEYONCE - I Am Sasha Fierce\\03 - Halo.flac", 261, bit_depth=16, sample_rate=44_100
    )
    assert matching.names_artist(wanted, hit) and matching.names_title(wanted, hit)


def test_queries_go_from_specific_to_simple_and_skip_single_letters():
    wanted = matching.Wanted("The Beatles", "A Day in the Life - Remastered 2009")
    assert matching.queries(wanted) == ["the beatles day in life", "beatles day in the life"]
    dashed = matching.Wanted("Massive Attack", "Teardrop (Mad Professor Mix)")
    assert matching.queries(dashed) == [
        "massive attack teardrop mad professor mix",
        "massive attack teardrop",
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("flac 20", "bit depth"),
        ("ogg 24/96", "bitrate"),
        ("wma v0", "V0"),
        ("xyz", "unknown"),
        ("", "at least one"),
    ],
)
def test_a_bad_rung_is_explained(text, error):
    with pytest.raises(LadderError, match=error):
        Ladder.parse(text)


def test_rungs_read_the_way_people_write_them():
    ladder = Ladder.parse("FLAC 24/96 › flac 16/44.1 > mp3 v0, lossy 256")
    assert str(ladder) == "flac 24/96 › flac 16/44.1 › mp3 v0 › lossy 256"
    v0 = file("x.mp3", bit_rate=245, is_vbr=True)
    cbr256 = file("x.mp3", bit_rate=256, is_vbr=False)
    assert ladder.rung_of(v0) == 2 and ladder.rung_of(cbr256) == 3
    assert ladder.rung_of(file("x.flac", bit_depth=24, sample_rate=44_100)) is None
    assert quality.quality_key("flac", 16, 44_100, None) > quality.quality_key("mp3", 0, 0, 320)

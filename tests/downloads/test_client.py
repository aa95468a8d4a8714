"""The slskd client and its chokepoint: exact payloads with `responses`, behaviour against the
sandbox slskd on the live server."""

import dataclasses
import json
import uuid

import pytest
import requests
import responses
from responses import matchers

from downloads import http
from downloads.client import SlskdClient
from downloads.errors import Busy, NotLoggedIn, ServerError, TransportError, Unauthorized
from downloads.http import Endpoint
from downloads.types import SearchStatus, Transfer, flags, timestamp
from tests.downloads.conftest import publish

BASE = "http://slskd.test:5030/slskd"
KEY = "k" * 24
pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return SlskdClient(Endpoint(BASE, KEY))


# --- the chokepoint, exact payloads ---------------------------------------------------------------


@responses.activate
def test_it_sends_the_key_and_every_search_option_in_milliseconds(client):
    search_id = str(uuid.uuid4())
    responses.post(
        f"{BASE}/api/v0/searches",
        json={"id": search_id, "searchText": "nina simone feeling good", "state": "Queued"},
        match=[matchers.header_matcher({"X-API-Key": KEY, "Content-Type": "application/json"})],
    )
    status = client.create_search(search_id, "nina simone feeling good")

    sent = json.loads(responses.calls[0].request.body)
    assert sent == {
        "id": search_id,
        "searchText": "nina simone feeling good",
        "searchTimeout": 10_000,
        "responseLimit": 100,
        "fileLimit": 10_000,
        "filterResponses": True,
        "maximumPeerQueueLength": 1_000,
        "minimumPeerUploadSpeed": 0,
        "minimumResponseFileCount": 1,
    }
    assert not status.is_complete  # "Queued" is not the end (soularr's mistake, §4.2)


def test_every_request_has_connect_and_read_timeouts(client, monkeypatch):
    seen = {}

    def fake_request(method, url, **kwargs):
        seen.update(kwargs)
        raise requests.ConnectTimeout("no answer")

    monkeypatch.setattr(http.session(), "request", fake_request)
    no_pause = dataclasses.replace(http.SERVICE.retry, backoff_base=0)
    monkeypatch.setattr(http, "SERVICE", dataclasses.replace(http.SERVICE, retry=no_pause))
    with pytest.raises(TransportError) as caught:
        client.search(str(uuid.uuid4()))
    assert seen["timeout"] == (http.CONNECT_TIMEOUT, http.READ_TIMEOUT)
    assert KEY not in str(caught.value) and KEY not in repr(client.endpoint)


@responses.activate
def test_statuses_become_typed_errors(client):
    responses.post(f"{BASE}/api/v0/searches", status=409, json={"title": "not logged in"})
    with pytest.raises(NotLoggedIn):
        client.create_search(str(uuid.uuid4()), "a b")
    responses.replace(
        responses.POST, f"{BASE}/api/v0/searches", status=429, json="Only one concurrent"
    )
    with pytest.raises(Busy):
        client.create_search(str(uuid.uuid4()), "a b")
    responses.get(f"{BASE}/api/v0/server", status=401)
    with pytest.raises(Unauthorized):
        client.server()


@responses.activate
def test_reads_are_retried_on_5xx_but_a_post_is_sent_once(client, fake_clock):
    search_id = str(uuid.uuid4())
    responses.get(f"{BASE}/api/v0/searches/{search_id}", status=503)
    responses.get(
        f"{BASE}/api/v0/searches/{search_id}",
        json={"id": search_id, "state": "Completed, TimedOut", "isComplete": True},
    )
    assert client.search(search_id).is_complete
    assert len(responses.calls) == 2

    responses.post(f"{BASE}/api/v0/searches", status=500)
    with pytest.raises(ServerError):
        client.create_search(search_id, "a b")
    assert len(responses.calls) == 3


def test_flags_and_timestamps_are_read_the_way_slskd_writes_them():
    assert flags("Completed, Succeeded") == {"Completed", "Succeeded"}
    moment = timestamp("2026-01-01T12:00:00.1234567")
    assert moment.tzinfo is not None and moment.hour == 12 and moment.microsecond == 123456
    transfer = Transfer.parse({"id": "x", "state": "Queued, Remotely", "size": 5})
    assert transfer.queued_remotely and not transfer.is_terminal
    assert Transfer.parse({"state": "Completed, Rejected"}).failed
    assert SearchStatus.parse({"state": "Completed, Errored"}).errored


# --- against the sandbox ------------------------------------------------------------------------


def sandbox_client(slskd, key=None):
    from sandbox.slskd.state import API_KEY

    return SlskdClient(Endpoint(slskd.base_url, key or API_KEY))


def test_test_connection_walks_every_step_over_real_http(slskd_over_http):
    report = sandbox_client(slskd_over_http).test_connection()
    assert report.ok
    assert [name for name, passed, _ in report.steps] == [
        "Reach slskd",
        "API key",
        "Version",
        "Soulseek network",
    ]
    assert report.version == "0.26.0"


def test_test_connection_names_the_first_failing_step(slskd):
    report = sandbox_client(slskd, key="wrong-key-wrong-key").test_connection()
    assert not report.ok
    assert report.steps[-1][:2] == ("API key", False)

    slskd.configure(logged_in=False)
    report = sandbox_client(slskd).test_connection()
    assert not report.ok
    assert report.steps[-1][:2] == ("Soulseek network", False)


def test_responses_arrive_only_once_the_search_completes(slskd, fake_clock):
    publish("Nina Simone", "Feeling Good", album="I Put a Spell on You", duration_s=173)
    client = sandbox_client(slskd)
    search_id = str(uuid.uuid4())
    client.create_search(search_id, "nina simone feeling good")

    assert not client.search(search_id).is_complete
    assert client.search_responses(search_id) == []

    fake_clock.advance(4)
    status = client.search(search_id)
    assert status.is_complete and "TimedOut" in status.state
    responses_ = client.search_responses(search_id)
    users = {r.username for r in responses_}
    assert {"mp3_collector", "dj_pool", "karaoke_king", "mislabeled"} <= users
    client.delete_search(search_id)
    client.delete_search(search_id)  # already gone: fine


@pytest.mark.parametrize("version", ["0.26.0", "0.24.0", "0.23.0"])
def test_enqueue_finds_the_transfer_on_every_version(slskd, fake_clock, version):
    slskd.configure(version=version)
    client = sandbox_client(slskd)
    client.version(fresh=True)
    batch_id = str(uuid.uuid4())
    name = "@@mp3s\\Music\\Singles\\Nina Simone - Feeling Good.mp3"
    enqueued = client.enqueue(batch_id, "mp3_collector", name, 6_920_000)

    assert len(enqueued.transfers) == 1
    transfer = enqueued.transfers[0]
    assert transfer.filename == name
    if version == "0.26.0":
        # Our batch id makes a retried enqueue safe: slskd says 409 and we read the batch.
        again = client.enqueue(batch_id, "mp3_collector", name, 6_920_000)
        assert [t.id for t in again.transfers] == [transfer.id]


def test_a_transfer_moves_with_the_clock_and_can_be_cancelled(slskd, fake_clock):
    client = sandbox_client(slskd)
    name = "@@slow\\Nina Simone - Album\\01 - Feeling Good.flac"
    (busy,) = client.enqueue(str(uuid.uuid4()), "slow_hires", name, 60_000_000).transfers
    fake_clock.advance(10)
    assert client.transfer("slow_hires", busy.id).queued_remotely  # 40 in the peer's queue

    (fast,) = client.enqueue(
        str(uuid.uuid4()), "mp3_collector", "@@mp3s\\x.mp3", 6_000_000
    ).transfers
    fake_clock.advance(2)
    moving = client.transfer("mp3_collector", fast.id)
    assert moving.in_progress and 0 < moving.bytes_transferred < 6_000_000
    fake_clock.advance(10)
    assert client.transfer("mp3_collector", fast.id).succeeded

    client.cancel("slow_hires", busy.id)
    assert client.transfers_of("slow_hires") == []


def test_browsing_a_folder_counts_its_audio_files(slskd):
    publish("Nina Simone", "Feeling Good", album="I Put a Spell on You", peers=("cd_ripper",))
    client = sandbox_client(slskd)
    folder = "@@cdrip\\Rips\\Nina Simone - I Put a Spell on You (2001)"
    assert client.folder_audio_count("cd_ripper", folder) == 10  # the cue, log and jpg are not

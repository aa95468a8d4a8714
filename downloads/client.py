"""A typed client for slskd's REST API: one small function per endpoint, returning values from
downloads.types. Every request goes through downloads.http.

slskd calls its API v0 (unstable), so the version is read once (and cached) and every branch on
it lives here: 0.26 enqueues through `/transfers/downloads/batches` with our id (idempotent),
0.24 and 0.25 through the per-user endpoint which answers `{enqueued, failed}`, and older builds
answer 201 with no body, so their transfer ids are found by reading the user's transfers.
Reference: /work/shared/reference/slskd-api.md (§ numbers below).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from urllib.parse import quote

from core.cache import fail_safe_cache as cache
from downloads import http
from downloads.errors import (
    Conflict,
    NotConfigured,
    NotFound,
    SlskdError,
    TransportError,
    Unauthorized,
)
from downloads.types import (
    Enqueued,
    PeerResponse,
    RemoteFile,
    SearchStatus,
    ServerState,
    Transfer,
    Version,
)

VERSION_CACHE_SECONDS = 600

# §4.1: send every field; the server's documented defaults are not what it does.
SEARCH_TIMEOUT_MS = 10_000  # idle time after the last response, in milliseconds
SEARCH_RESPONSE_LIMIT = 100
SEARCH_FILE_LIMIT = 10_000
SEARCH_MAX_PEER_QUEUE = 1_000


def _user(username: str) -> str:
    return quote(username, safe="")


def _transfers_in(data: object) -> list[Transfer]:
    """Flatten `{username, directories: [{files: [...]}]}` (one user or a list of users)."""
    users = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    transfers = []
    for user in users:
        for directory in user.get("directories") or ():
            transfers += [Transfer.parse(item) for item in directory.get("files") or ()]
    return transfers


def _brief(error: SlskdError) -> str:
    if isinstance(error, NotConfigured):
        return "no slskd URL: set your slskd's URL below (or SLSKD_URL for the household)"
    if isinstance(error, TransportError):
        return "no answer (refused, unreachable or timed out)"
    return f"HTTP {error.status}" if error.status else type(error).__name__


@dataclass
class ConnectionReport:
    """ "Test connection" (§3): each step in order, stopping at the first that fails."""

    ok: bool = False
    steps: list[tuple[str, bool, str]] = field(default_factory=list)
    version: str = ""

    def add(self, name: str, passed: bool, detail: str) -> bool:
        self.steps.append((name, passed, detail))
        return passed


class SlskdClient:
    def __init__(self, endpoint: http.Endpoint):
        self.endpoint = endpoint

    @property
    def instance_key(self) -> str:
        """Names one slskd instance (its URL), for the throttle and caches; never the key."""
        return hashlib.sha256(self.endpoint.base_url.encode()).hexdigest()[:16]

    def _call(self, method: str, path: str, label: str, **kwargs):
        return http.call(self.endpoint, method, path, label=label, **kwargs)

    # --- application (§3) -------------------------------------------------------------------

    def health(self) -> str:
        _, body = self._call("GET", "/health", "GET /health", api=False, read_timeout=10)
        return str(body or "").strip('"')

    def check_session(self) -> None:
        """Raises Unauthorized when the key is refused."""
        self._call("GET", "/session", "GET /session", read_timeout=10)

    def version(self, *, fresh: bool = False) -> Version:
        key = f"slskd:version:{self.instance_key}"
        raw = None if fresh else cache.get(key)
        if raw is None:
            _, body = self._call(
                "GET", "/application/version", "GET /application/version", read_timeout=10
            )
            raw = str(body or "")
            cache.set(key, raw, VERSION_CACHE_SECONDS)
        return Version.parse(raw)

    def server(self) -> ServerState:
        _, body = self._call("GET", "/server", "GET /server", read_timeout=10)
        return ServerState.parse(body or {})

    def test_connection(self) -> ConnectionReport:
        """The answers are summarised, never echoed: the URL is the person's to choose, so
        the page must not become a way to read other services' responses."""
        report = ConnectionReport()
        try:
            health = self.health()
        except SlskdError as error:
            report.add("Reach slskd", False, _brief(error))
            return report
        healthy = health.lower().startswith("healthy")
        if not report.add(
            "Reach slskd", healthy, "healthy" if healthy else "answered, but not like slskd"
        ):
            return report
        try:
            self.check_session()
        except Unauthorized:
            report.add("API key", False, "slskd refused the key (wrong key, or its CIDR rule)")
            return report
        except SlskdError as error:
            report.add("API key", False, _brief(error))
            return report
        report.add("API key", True, "accepted")
        try:
            version = self.version(fresh=True)
            server = self.server()
        except SlskdError as error:
            report.add("Version and network", False, _brief(error))
            return report
        report.version = version.raw
        report.add("Version", True, version.raw or "unknown")
        detail = ", ".join(sorted(server.state)) or "unknown"
        if not report.add("Soulseek network", server.is_logged_in, detail):
            return report
        report.ok = True
        return report

    # --- searches (§4) ----------------------------------------------------------------------

    def create_search(
        self, search_id: str, text: str, *, timeout_ms: int = SEARCH_TIMEOUT_MS
    ) -> SearchStatus:
        _, body = self._call(
            "POST",
            "/searches",
            "POST /searches",
            json={
                "id": search_id,
                "searchText": text,
                "searchTimeout": timeout_ms,
                "responseLimit": SEARCH_RESPONSE_LIMIT,
                "fileLimit": SEARCH_FILE_LIMIT,
                "filterResponses": True,
                "maximumPeerQueueLength": SEARCH_MAX_PEER_QUEUE,
                "minimumPeerUploadSpeed": 0,
                "minimumResponseFileCount": 1,
            },
        )
        return SearchStatus.parse(body or {"id": search_id})

    def search(self, search_id: str) -> SearchStatus:
        _, body = self._call(
            "GET",
            f"/searches/{search_id}",
            "GET /searches/{id}",
            params={"includeResponses": "false"},
        )
        return SearchStatus.parse(body or {})

    def search_responses(self, search_id: str) -> list[PeerResponse]:
        """Only meaningful once the search is complete: slskd stores responses at the end."""
        _, body = self._call(
            "GET", f"/searches/{search_id}/responses", "GET /searches/{id}/responses"
        )
        return [PeerResponse.parse(item) for item in body or () if isinstance(item, dict)]

    def stop_search(self, search_id: str) -> None:
        self._call("PUT", f"/searches/{search_id}", "PUT /searches/{id}", accept=(404,))

    def delete_search(self, search_id: str) -> None:
        # Searches are kept forever otherwise and clutter the user's slskd (§4.4).
        self._call("DELETE", f"/searches/{search_id}", "DELETE /searches/{id}", accept=(404,))

    def folder_audio_count(self, username: str, directory: str) -> int:
        """How many audio files `username` shares in `directory` (browsing, §6 soularr).

        The answer is a list of directories on slskd > 0.22.2 and one object before.
        """
        _, body = self._call(
            "POST",
            f"/users/{_user(username)}/directory",
            "POST /users/{username}/directory",
            json={"directory": directory},
            read_timeout=20,
        )
        listings = body if isinstance(body, list) else [body] if isinstance(body, dict) else []
        count = 0
        for listing in listings:
            for item in listing.get("files") or ():
                name = str(item.get("filename") or "")
                if RemoteFile(filename=name, size=0).is_audio:
                    count += 1
        return count

    # --- transfers (§7 to §9)  ------------------------------------------------------------------

    def enqueue(
        self, batch_id: str, username: str, filename: str, size: int, *, destination: str = ""
    ) -> Enqueued:
        """Enqueue one file from one peer. Safe to repeat with the same `batch_id` on 0.26+."""
        files = [{"filename": filename, "size": size}]
        version = self.version()
        if version.at_least(0, 26):
            return self._enqueue_batch(batch_id, username, files, destination)
        _, body = self._call(
            "POST",
            f"/transfers/downloads/{_user(username)}",
            "POST /transfers/downloads/{username}",
            json=files,
        )
        if isinstance(body, dict) and "enqueued" in body:
            enqueued = tuple(Transfer.parse(item) for item in body.get("enqueued") or ())
            # `failed` holds C# value tuples that may serialize as {}: count, don't read (§7.1).
            return Enqueued(transfers=enqueued, failed=len(body.get("failed") or ()))
        # ≤0.23: 201 and no body; find the transfer by its remote path.
        found = [t for t in self.transfers_of(username) if t.filename == filename]
        return Enqueued(transfers=tuple(found[-1:]), failed=0 if found else 1)

    def _enqueue_batch(
        self, batch_id: str, username: str, files: list[dict], destination: str
    ) -> Enqueued:
        request = {"id": batch_id, "username": username, "files": files}
        if destination:
            request["options"] = {"destination": destination}
        try:
            _, body = self._call(
                "POST",
                "/transfers/downloads/batches",
                "POST /transfers/downloads/batches",
                json=request,
            )
        except Conflict:
            # Our id already names a batch: an earlier attempt got through. Read it back.
            return Enqueued(transfers=tuple(self.batch(batch_id)), batch_id=batch_id)
        batch = (body or {}).get("batch") or {}
        failures = (body or {}).get("failures") or []
        messages = tuple(str(f.get("message") or "") for f in failures if isinstance(f, dict))
        return Enqueued(
            transfers=tuple(Transfer.parse(item) for item in batch.get("transfers") or ()),
            failed=len(failures),
            batch_id=str(batch.get("id") or batch_id),
            messages=messages,
        )

    def batch(self, batch_id: str) -> list[Transfer]:
        _, body = self._call(
            "GET",
            f"/transfers/downloads/batches/{batch_id}",
            "GET /transfers/downloads/batches/{id}",
        )
        return [Transfer.parse(item) for item in (body or {}).get("transfers") or ()]

    def transfers_of(self, username: str) -> list[Transfer]:
        status, body = self._call(
            "GET",
            f"/transfers/downloads/{_user(username)}",
            "GET /transfers/downloads/{username}",
            accept=(404,),  # 404: that user has no transfers
        )
        return [] if status == 404 else _transfers_in(body)

    def transfer(self, username: str, transfer_id: str) -> Transfer:
        _, body = self._call(
            "GET",
            f"/transfers/downloads/{_user(username)}/{transfer_id}",
            "GET /transfers/downloads/{username}/{id}",
        )
        if not isinstance(body, dict):
            raise NotFound("GET /transfers/downloads/{username}/{id}: empty answer")
        return Transfer.parse(body)

    def cancel(self, username: str, transfer_id: str) -> None:
        """Cancel and remove from slskd's list (§9); unknown transfers are fine."""
        try:
            self._call(
                "DELETE",
                f"/transfers/downloads/{_user(username)}/{transfer_id}",
                "DELETE /transfers/downloads/{username}/{id}",
                params={"remove": "true"},
                accept=(404,),
            )
        except TransportError:
            raise
        except SlskdError:
            # A transfer slskd will not cancel (already gone) must not block moving on.
            return

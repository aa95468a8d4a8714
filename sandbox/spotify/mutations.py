"""The sandbox's mutation log: every write it applied, in order, for tests to assert on.

    from sandbox.spotify import mutations
    assert [m["endpoint"] for m in mutations.log()] == ["POST /playlists/{id}/items"]
    assert mutations.duplicates() == []      # no write was received twice

Only applied writes are recorded (a write refused by a fault before it ran is not); a write that
was applied and then answered with an injected 5xx or timeout *is* recorded, because Spotify did
receive it. Rows live in the database, inside the write's transaction, so they roll back with
the test like everything else.
"""

import hashlib
import json

from core import clock
from sandbox.spotify.models import Mutation, SandboxUser

CONCURRENT_EDITOR = "sandbox:concurrent-edit"


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """Same method, path, query and (canonical JSON) body → same fingerprint."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True)
    except ValueError:
        canonical = body.decode("utf-8", "replace")
    params = "&".join(sorted(query.split("&"))) if query else ""
    raw = f"{method} {path}?{params}\n{canonical}"
    return hashlib.sha256(raw.encode()).hexdigest()


def record(
    request,
    user: SandboxUser,
    *,
    target_id: str = "",
    payload: dict | None = None,
    snapshot_before: str = "",
    snapshot_after: str = "",
    status: int = 200,
) -> Mutation:
    """Log a write the view has just applied (call inside its transaction)."""
    method = request.sandbox_endpoint.split(" ", 1)[0]
    return Mutation.objects.create(
        at=clock.now(),
        client_id=request.sandbox_token.client_id,
        user=user,
        method=method,
        endpoint=request.sandbox_endpoint,
        path=request.path,
        target_id=target_id,
        payload=payload or {},
        snapshot_before=snapshot_before,
        snapshot_after=snapshot_after,
        status=status,
        fingerprint=fingerprint(
            method, request.path, request.META.get("QUERY_STRING", ""), request.body
        ),
    )


def record_internal(
    user: SandboxUser,
    *,
    endpoint: str,
    target_id: str,
    payload: dict,
    snapshot_before: str,
    snapshot_after: str,
) -> Mutation:
    """Log a write the sandbox made itself (the concurrent-edit fault), as another client."""
    method = endpoint.split(" ", 1)[0]
    body = json.dumps(payload, sort_keys=True).encode()
    return Mutation.objects.create(
        at=clock.now(),
        client_id=CONCURRENT_EDITOR,
        user=user,
        method=method,
        endpoint=endpoint,
        path="",
        target_id=target_id,
        payload=payload,
        snapshot_before=snapshot_before,
        snapshot_after=snapshot_after,
        status=200,
        fingerprint=fingerprint(method, target_id, "", body + snapshot_before.encode()),
    )


def _as_dict(mutation: Mutation, user_ids: dict[int, str]) -> dict:
    return {
        "seq": mutation.pk,
        "at": mutation.at,
        "client_id": mutation.client_id,
        "user": user_ids.get(mutation.user_id, ""),
        "method": mutation.method,
        "endpoint": mutation.endpoint,
        "path": mutation.path,
        "target_id": mutation.target_id,
        "payload": mutation.payload,
        "snapshot_before": mutation.snapshot_before,
        "snapshot_after": mutation.snapshot_after,
        "status": mutation.status,
        "fingerprint": mutation.fingerprint,
    }


def log(*, endpoint: str | None = None, include_sandbox: bool = True) -> list[dict]:
    """Applied writes, oldest first, as plain dicts (`user` is the Spotify user id)."""
    rows = Mutation.objects.order_by("id")
    if endpoint is not None:
        rows = rows.filter(endpoint=endpoint)
    if not include_sandbox:
        rows = rows.exclude(client_id=CONCURRENT_EDITOR)
    user_ids = dict(SandboxUser.objects.values_list("pk", "spotify_id"))
    return [_as_dict(row, user_ids) for row in rows]


def duplicates() -> list[dict]:
    """Writes whose exact request had already been applied before (a write sent twice)."""
    seen: set[str] = set()
    repeated = []
    for entry in log(include_sandbox=False):
        if entry["fingerprint"] in seen:
            repeated.append(entry)
        seen.add(entry["fingerprint"])
    return repeated


def clear() -> None:
    Mutation.objects.all().delete()

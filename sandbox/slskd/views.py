"""The sandbox slskd's HTTP face: the slice of `/api/v0` Tunekeeper uses, shaped like slskd
0.26 (camelCase, flags as strings, nulls left out, naive UTC timestamps)."""

from __future__ import annotations

import json
import uuid
from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from downloads.types import Version
from sandbox.slskd import network, state


def _problem(status: int, message: str) -> JsonResponse:
    return JsonResponse({"status": status, "title": message}, status=status)


def api(methods: tuple[str, ...]):
    """API key check (X-API-Key), allowed methods, JSON body parsing."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return _problem(405, "Method not allowed")
            if request.headers.get("X-API-Key") != state.API_KEY:
                return HttpResponse(status=401)
            body = None
            if request.body:
                try:
                    body = json.loads(request.body)
                except ValueError:
                    return _problem(400, "The request body is not JSON")
            return view(request, body, *args, **kwargs)

        return wrapper

    return decorate


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False)


def health(request):
    return HttpResponse("Healthy", content_type="text/plain")


@api(("GET",))
def session(request, body):
    return _json({"name": "tunekeeper", "role": "ReadWrite"})


@api(("GET",))
def version(request, body):
    return _json(state.knobs().version)


@api(("GET",))
def server(request, body):
    logged_in = state.knobs().logged_in
    return _json(
        {
            "address": "server.slsknet.org:2242",
            "state": "Connected, LoggedIn" if logged_in else "Disconnected",
            "isConnected": logged_in,
            "isLoggedIn": logged_in,
            "isConnecting": False,
            "isLoggingIn": False,
            "isTransitioning": False,
        }
    )


def _search_json(search: state.Search, state_text: str, complete: bool, with_responses: bool):
    responses = search.responses if complete else []
    data = {
        "id": search.id,
        "searchText": search.text,
        "token": abs(hash(search.id)) % 1_000_000,
        "state": state_text,
        "isComplete": complete,
        "startedAt": state._naive(search.started_at),
        "responseCount": len(responses),
        "fileCount": sum(r["fileCount"] for r in responses),
        "lockedFileCount": sum(r["lockedFileCount"] for r in responses),
        # Responses are only stored once the search finishes (reference §4.2).
        "responses": responses if with_responses else [],
    }
    if complete:
        data["endedAt"] = state._naive(search.started_at)
    return data


@api(("GET", "POST"))
def searches(request, body):
    if request.method == "GET":
        views = [state.search_view(s.id) for s in state.all_searches()]
        return _json([_search_json(*v, False) for v in views if v])
    if not isinstance(body, dict) or not str(body.get("searchText") or "").strip():
        return _problem(400, "searchText is required")
    search_id = str(body.get("id") or uuid.uuid4())
    try:
        uuid.UUID(search_id)
    except ValueError:
        return _problem(400, "id must be a GUID")
    try:
        created = state.create_search(
            search_id,
            str(body["searchText"]),
            int(body.get("responseLimit") or 250),
            int(body.get("fileLimit") or 25_000),
        )
    except state.NotLoggedIn:
        return _problem(409, "The server connection must be connected and logged in")
    except state.Busy:
        return _problem(429, "Only one concurrent operation is permitted. Wait and try again")
    except ValueError:
        return _problem(409, "A search with this id already exists")
    return _json(_search_json(created, "InProgress", False, False))


@api(("GET", "PUT", "DELETE"))
def search(request, body, search_id):
    if request.method == "DELETE":
        return HttpResponse(status=204 if state.delete_search(str(search_id)) else 404)
    if request.method == "PUT":
        return HttpResponse(status=200 if state.stop_search(str(search_id)) else 404)
    found = state.search_view(str(search_id))
    if found is None:
        return HttpResponse(status=404)
    with_responses = request.GET.get("includeResponses", "false").lower() == "true"
    return _json(_search_json(*found, with_responses))


@api(("GET",))
def search_responses(request, body, search_id):
    found = state.search_view(str(search_id))
    if found is None:
        return HttpResponse(status=404)
    search, _, complete = found
    return _json(search.responses if complete else [])


def _user_json(username: str, rows: list[state.TransferRow]) -> dict:
    directories: dict[str, list[dict]] = {}
    for row in rows:
        directories.setdefault(row.filename.rsplit("\\", 1)[0], []).append(state.view(row))
    return {
        "username": username,
        "directories": [
            {"directory": name, "fileCount": len(files), "files": files}
            for name, files in directories.items()
        ],
    }


def _files_from(body) -> list[tuple[str, int]] | None:
    if not isinstance(body, list) or not body:
        return None
    files = []
    for item in body:
        if not isinstance(item, dict) or not item.get("filename"):
            return None
        if ".." in str(item["filename"]).split("\\"):
            return None  # 0.26: paths that would escape the download folder
        files.append((str(item["filename"]), int(item.get("size") or 0)))
    return files


@api(("GET", "POST"))
def user_downloads(request, body, username):
    if request.method == "GET":
        rows = state.user_transfers(username)
        if not rows:
            return HttpResponse(status=404)
        return _json(_user_json(username, rows))
    files = _files_from(body)
    if files is None:
        return _problem(400, "A list of {filename, size} is required")
    version = state.knobs().version
    try:
        made = state.enqueue(username, files)
    except state.PeerOffline:
        return _problem(500, f"Failed to enqueue: user {username} appears to be offline")
    if not Version.parse(version).at_least(0, 24):
        return HttpResponse(status=201)  # ≤0.23: no body; clients look the transfers up
    return _json({"enqueued": [state.view(r) for r in made], "failed": []}, status=201)


@api(("POST",))
def batches(request, body):
    if not Version.parse(state.knobs().version).at_least(0, 26):
        return HttpResponse(status=404)
    if not isinstance(body, dict):
        return _problem(400, "A batch object is required")
    files = _files_from(body.get("files"))
    username = str(body.get("username") or "")
    batch_id = str(body.get("id") or uuid.uuid4())
    if files is None or not username:
        return _problem(400, "username and files are required")
    if len({name for name, _ in files}) != len(files):
        return _problem(400, "Repeated filename")
    try:
        made = state.enqueue(username, files, batch_id=batch_id)
    except state.PeerOffline:
        return _problem(404, f"User {username} is offline")
    except state.BatchExists:
        return _problem(409, "A batch with this id already exists")
    batch = {
        "id": batch_id,
        "username": username,
        "createdAt": state._naive(made[0].requested_at) if made else "",
        "options": body.get("options") or {},
        "transfers": [state.view(r) for r in made],
    }
    return _json({"batch": batch, "failures": []}, status=201)


@api(("GET",))
def batch(request, body, batch_id):
    rows = state.batch_rows(str(batch_id))
    if rows is None:
        return HttpResponse(status=404)
    return _json({"id": str(batch_id), "transfers": [state.view(r) for r in rows]})


@api(("GET", "DELETE"))
def user_download(request, body, username, transfer_id):
    row = state.transfer(str(transfer_id))
    if row is None or row.username != username:
        return HttpResponse(status=404)
    if request.method == "DELETE":
        state.cancel(row.id, remove=request.GET.get("remove", "false").lower() == "true")
        return HttpResponse(status=204)
    return _json(state.view(row))


@api(("POST",))
def user_directory(request, body, username):
    directory = str((body or {}).get("directory") or "")
    if not directory:
        return _problem(400, "directory is required")
    if username in state.knobs().offline_users or username not in network.PEERS:
        return _problem(404, f"User {username} is offline")
    files = [f for f in network.folder(username, directory) if not f.locked]
    listing = {
        "name": directory,
        "fileCount": len(files),
        "files": [f.as_json() | {"filename": f.filename.rsplit("\\", 1)[-1]} for f in files],
    }
    return _json([listing])

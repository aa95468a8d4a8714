"""The OpenAPI 3.1 description of /api/v1/, kept true by tests that validate real responses
against these schemas (and by a schemathesis run in CI)."""

from __future__ import annotations


def nullable(schema: dict) -> dict:
    kind = schema.get("type")
    if kind:
        return {**schema, "type": [kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
TIME = {"type": "string", "format": "date-time"}

SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": STRING, "message": STRING},
            }
        },
    },
    "Job": {
        "type": "object",
        "required": [
            "id",
            "kind",
            "status",
            "done",
            "total",
            "percent",
            "step",
            "created_at",
            "heartbeat_at",
            "state_reason",
        ],
        "properties": {
            "id": {"type": "string", "examples": ["libraryrefresh-12"]},
            "kind": STRING,
            "status": {"enum": ["queued", "running", "paused", "completed", "failed", "cancelled"]},
            "done": INTEGER,
            "total": nullable(INTEGER),
            "percent": nullable(INTEGER),
            "step": STRING,
            "eta_seconds": nullable(INTEGER),
            "paused_until": nullable(TIME),
            "pause_reason": nullable(STRING),
            "error": nullable(STRING),
            "heartbeat_at": {
                **nullable(TIME),
                "description": "The last sign of life from the job's worker.",
            },
            "state_reason": {
                **nullable(STRING),
                "description": 'Why the job is where it is, e.g. "waiting for a worker since '
                "12:04\" (no worker has run it for longer than its kind allows; the person's "
                'time), "paused: …" or the error; null while it simply runs or ended well.',
                "examples": ["waiting for a worker since 12:04"],
            },
            "created_at": TIME,
            "started_at": nullable(TIME),
            "finished_at": nullable(TIME),
        },
    },
    "SpotifyStatus": {
        "type": "object",
        "required": ["pacing", "paused_until", "pause_reason", "breaker", "budget"],
        "properties": {
            "pacing": {
                "type": "object",
                "required": ["level", "calls_per_second"],
                "properties": {"level": {"type": "number"}, "calls_per_second": {"type": "number"}},
            },
            "paused_until": nullable(TIME),
            "pause_reason": nullable(STRING),
            "breaker": {"enum": ["closed", "open", "half-open"]},
            "budget": {
                "type": "object",
                "required": ["daily", "used_today", "projected_today"],
                "properties": {"daily": INTEGER, "used_today": INTEGER, "projected_today": INTEGER},
            },
        },
    },
}


def page_of(item: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total", "next"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
            "page": INTEGER,
            "per_page": INTEGER,
            "total": INTEGER,
            "next": nullable(STRING),
        },
    }


SCHEMAS["JobPage"] = page_of("Job")


def job_with(extra_required: list[str], extra: dict) -> dict:
    """A job kind's schema: the common Job fields (its `id` replaced) plus its own."""
    base = SCHEMAS["Job"]
    return {
        "type": "object",
        "required": [*base["required"], *extra_required],
        "properties": {**base["properties"], "id": INTEGER, "job_id": STRING, **extra},
    }


SCHEMAS["SyncEvent"] = job_with(
    ["base_playlist", "trigger", "calls", "stats"],
    {
        "base_playlist": INTEGER,
        "trigger": STRING,
        "calls": INTEGER,
        "stats": {"type": "object"},
        "warnings": nullable(STRING),
    },
)
SCHEMAS["SyncRunning"] = {
    "type": "object",
    "required": ["error", "sync_event"],
    "properties": {
        "error": SCHEMAS["Error"]["properties"]["error"],
        "sync_event": {"$ref": "#/components/schemas/SyncEvent"},
    },
}
SCHEMAS["BasePlaylist"] = {
    "type": "object",
    "required": ["id", "name", "source", "spotify_id", "schedule", "last_synced_at", "children"],
    "properties": {
        "id": INTEGER,
        "name": STRING,
        "source": {
            "type": "string",
            "enum": ["playlist", "liked"],
            "description": "A playlist of the person's, or their Liked Songs (spotify_id null)",
        },
        "spotify_id": nullable(STRING),
        "schedule": STRING,
        "last_synced_at": nullable(TIME),
        "children": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "spotify_id", "order", "write_mode", "last_outcome"],
                "properties": {
                    "id": INTEGER,
                    "name": STRING,
                    "spotify_id": nullable(STRING),
                    "order": STRING,
                    "write_mode": {"enum": ["delta", "rebuild", "cheapest"]},
                    "last_outcome": nullable(STRING),
                },
            },
        },
    },
}
SCHEMAS["BasePlaylistPage"] = page_of("BasePlaylist")
SCHEMAS["SyncStatus"] = {
    "type": "object",
    "required": ["base_playlist", "running", "active_event", "latest_event", "last_synced_at"],
    "properties": {
        "base_playlist": INTEGER,
        "running": {"type": "boolean"},
        "active_event": nullable({"$ref": "#/components/schemas/SyncEvent"}),
        "latest_event": nullable({"$ref": "#/components/schemas/SyncEvent"}),
        "last_synced_at": nullable(TIME),
    },
}
SCHEMAS["Batch"] = job_with(
    ["mode", "dry_run", "parent", "failed", "calls_estimated", "calls_made", "items"],
    {
        "mode": {"enum": ["enforce", "rollback"]},
        "dry_run": {"type": "boolean"},
        "parent": nullable(INTEGER),
        "failed": INTEGER,
        "calls_estimated": INTEGER,
        "calls_made": INTEGER,
        "items": {"type": "object", "additionalProperties": INTEGER},
    },
)
SCHEMAS["Play"] = {
    "type": "object",
    "required": ["played_at", "track_id", "track", "artists", "ms_played", "source"],
    "properties": {
        "played_at": TIME,
        "track_id": nullable(STRING),
        "track": nullable(STRING),
        "artists": nullable(STRING),
        "ms_played": nullable(INTEGER),
        "source": STRING,
    },
}
SCHEMAS["PlayPage"] = page_of("Play")
TOP_ROW = {
    "type": "object",
    "required": ["label", "detail", "plays", "minutes"],
    "properties": {"label": STRING, "detail": STRING, "plays": INTEGER, "minutes": INTEGER},
}
SCHEMAS["Stats"] = {
    "type": "object",
    "required": ["from", "to", "time_zone", "totals", "top"],
    "properties": {
        "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"},
        "time_zone": STRING,
        "totals": {
            "type": "object",
            "required": ["plays", "minutes"],
            "properties": {"plays": INTEGER, "minutes": INTEGER},
        },
        "top": {"type": "object", "additionalProperties": {"type": "array", "items": TOP_ROW}},
    },
}
SCHEMAS["ImportPage"] = page_of("Job")
SCHEMAS["ListeningHistory"] = {
    "type": "object",
    "required": ["kind", "id", "name", "plays", "minutes", "monthly", "top_tracks"],
    "properties": {
        "kind": {"type": "string", "enum": ["artist", "album", "track"]},
        "id": STRING,
        "name": STRING,
        "plays": INTEGER,
        "minutes": INTEGER,
        "first_played_at": nullable(TIME),
        "last_played_at": nullable(TIME),
        "rank": nullable(INTEGER),
        "ranked_of": INTEGER,
        "monthly": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["month", "plays"],
                "properties": {"month": {"type": "string", "format": "date"}, "plays": INTEGER},
            },
        },
        "top_tracks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "plays"],
                "properties": {"id": STRING, "name": STRING, "plays": INTEGER},
            },
        },
    },
}


def json_response(description: str, schema: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


ERRORS = {
    "401": json_response("No token, or a revoked one", "Error"),
    "429": json_response("Too many requests for this token", "Error"),
}
WRITE_ERRORS = {**ERRORS, "403": json_response("A read-only token", "Error")}
PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10_000}},
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200},
    },
]
JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": STRING}
PK = {"name": "pk", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
SUBJECT_ID = {
    "name": "subject_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 64},
}
NOT_FOUND = {"404": json_response("Not yours, or no such thing", "Error")}
BAD = {"400": json_response("A malformed request", "Error")}


EXPORT_FORMAT = {
    "name": "format",
    "in": "query",
    "schema": {"type": "string", "enum": ["csv", "json", "m3u8"], "default": "csv"},
}
EXPORT_FILE = {
    "description": "The file, as an attachment",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "object"}},
        "audio/x-mpegurl": {"schema": {"type": "string"}},
    },
}


def json_body(properties: dict, required: list[str]) -> dict:
    return {
        "required": bool(required),
        "content": {
            "application/json": {
                "schema": {"type": "object", "required": required, "properties": properties}
            }
        },
    }


PATHS: dict[str, dict] = {
    "/jobs": {
        "get": {
            "operationId": "listJobs",
            "summary": "Your long jobs (refreshes, syncs, enforcement, imports), newest first",
            "parameters": PAGING,
            "responses": {
                "200": json_response("A page of jobs", "JobPage"),
                "400": json_response("Bad paging", "Error"),
                **ERRORS,
            },
        }
    },
    "/jobs/{job_id}": {
        "get": {
            "operationId": "getJob",
            "parameters": [JOB_ID],
            "responses": {
                "200": json_response("The job", "Job"),
                "404": json_response("No such job of yours", "Error"),
                **ERRORS,
            },
        }
    },
    "/jobs/{job_id}/retry": {
        "post": {
            "operationId": "retryJob",
            "summary": "Queue a failed job again",
            "parameters": [JOB_ID],
            "responses": {
                "202": json_response("Queued again", "Job"),
                "404": json_response("No such job of yours", "Error"),
                "409": json_response("The job has not failed", "Error"),
                **WRITE_ERRORS,
            },
        }
    },
    "/rate-limits/spotify/status": {
        "get": {
            "operationId": "spotifyStatus",
            "summary": "Pacing, pause and the daily budget of the household's Spotify app",
            "responses": {"200": json_response("Status", "SpotifyStatus"), **ERRORS},
        }
    },
}


PATHS.update(
    {
        "/base-playlists": {
            "get": {
                "operationId": "listBasePlaylists",
                "summary": "Your base playlists and their children",
                "parameters": PAGING,
                "responses": {"200": json_response("A page", "BasePlaylistPage"), **BAD, **ERRORS},
            }
        },
        "/base-playlists/{pk}/sync": {
            "post": {
                "operationId": "syncBasePlaylist",
                "summary": "Start a sync; 409 with the running one while a sync is in progress",
                "parameters": [PK],
                "requestBody": {
                    **json_body({"force": {"type": "boolean"}}, []),
                    "required": False,
                },
                "responses": {
                    "202": json_response("Queued", "SyncEvent"),
                    "409": json_response("A sync is running", "SyncRunning"),
                    **NOT_FOUND,
                    **BAD,
                    **WRITE_ERRORS,
                },
            }
        },
        "/base-playlists/{pk}/sync-status": {
            "get": {
                "operationId": "syncStatus",
                "parameters": [PK],
                "responses": {"200": json_response("Status", "SyncStatus"), **NOT_FOUND, **ERRORS},
            }
        },
        "/sync-events/{pk}": {
            "get": {
                "operationId": "getSyncEvent",
                "parameters": [PK],
                "responses": {
                    "200": json_response("The event", "SyncEvent"),
                    **NOT_FOUND,
                    **ERRORS,
                },
            }
        },
        "/enforcement/plans": {
            "post": {
                "operationId": "planEnforcement",
                "summary": "A dry run of your blocklist against the mirrored library",
                "responses": {"201": json_response("The plan", "Batch"), **WRITE_ERRORS},
            }
        },
        "/enforcement/execute": {
            "post": {
                "operationId": "executeEnforcement",
                "summary": "Execute a plan; a reused Idempotency-Key replays the first answer",
                "parameters": [
                    {"name": "Idempotency-Key", "in": "header", "required": True, "schema": STRING}
                ],
                "requestBody": json_body({"plan": INTEGER}, ["plan"]),
                "responses": {
                    "200": json_response("Already executed with this plan", "Batch"),
                    "202": json_response(
                        "Queued (a retry with the same key and body replays the first answer, "
                        "with Idempotent-Replayed: true)",
                        "Batch",
                    ),
                    "422": json_response(
                        "The Idempotency-Key was already used with a different body", "Error"
                    ),
                    "409": json_response(
                        "Another batch is running, or the plan was discarded", "Error"
                    ),
                    **NOT_FOUND,
                    **BAD,
                    **WRITE_ERRORS,
                },
            }
        },
        "/enforcement/batches/{pk}/progress": {
            "get": {
                "operationId": "batchProgress",
                "parameters": [PK],
                "responses": {"200": json_response("Progress", "Batch"), **NOT_FOUND, **ERRORS},
            }
        },
        "/enforcement/rollback": {
            "post": {
                "operationId": "rollBack",
                "summary": "Roll back a whole batch, or the listed items of it",
                "requestBody": json_body(
                    {"batch": INTEGER, "items": {"type": "array", "items": INTEGER}}, ["batch"]
                ),
                "responses": {
                    "200": json_response("That rollback exists already", "Batch"),
                    "202": json_response("Queued", "Batch"),
                    "409": json_response("Not allowed now", "Error"),
                    **NOT_FOUND,
                    **BAD,
                    **WRITE_ERRORS,
                },
            }
        },
        "/playlists/{pk}/export": {
            "get": {
                "operationId": "exportPlaylist",
                "description": "A mirrored playlist as Exportify CSV, JSON or extended M3U8.",
                "parameters": [PK, EXPORT_FORMAT],
                "responses": {"200": EXPORT_FILE, **BAD, **NOT_FOUND, **ERRORS},
            }
        },
        "/library/liked/export": {
            "get": {
                "operationId": "exportLikedSongs",
                "description": "Liked Songs as Exportify CSV, JSON or extended M3U8.",
                "parameters": [EXPORT_FORMAT],
                "responses": {"200": EXPORT_FILE, **BAD, **ERRORS},
            }
        },
        "/archive/plays": {
            "get": {
                "operationId": "recentPlays",
                "description": (
                    "Keyset-paginated: follow `next` (it carries a `cursor`); `page` is the "
                    "page number that cursor reached. `total` is counted at most once a "
                    "minute, so it may lag the newest plays."
                ),
                "parameters": [
                    *PAGING,
                    {
                        "name": "cursor",
                        "in": "query",
                        "schema": STRING,
                        "description": "From a previous page's `next`; opaque.",
                    },
                ],
                "responses": {
                    "200": json_response("Plays, newest first", "PlayPage"),
                    **BAD,
                    **ERRORS,
                },
            }
        },
        "/archive/stats": {
            "get": {
                "operationId": "stats",
                "parameters": [
                    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                ],
                "responses": {
                    "200": json_response("Totals and top lists", "Stats"),
                    **BAD,
                    **ERRORS,
                },
            }
        },
        "/archive/artists/{subject_id}": {
            "get": {
                "operationId": "artistHistory",
                "description": "Your plays of one artist: totals, first and last play, plays "
                "per month, rank, top tracks.",
                "parameters": [SUBJECT_ID],
                "responses": {
                    "200": json_response("The artist's listening history", "ListeningHistory"),
                    **NOT_FOUND,
                    **ERRORS,
                },
            }
        },
        "/archive/albums/{subject_id}": {
            "get": {
                "operationId": "albumHistory",
                "description": "Your plays of one album: totals, first and last play, plays "
                "per month, rank, top tracks.",
                "parameters": [SUBJECT_ID],
                "responses": {
                    "200": json_response("The album's listening history", "ListeningHistory"),
                    **NOT_FOUND,
                    **ERRORS,
                },
            }
        },
        "/archive/tracks/{subject_id}": {
            "get": {
                "operationId": "trackHistory",
                "description": "Your plays of one track: totals, first and last play, plays "
                "per month, rank.",
                "parameters": [SUBJECT_ID],
                "responses": {
                    "200": json_response("The track's listening history", "ListeningHistory"),
                    **NOT_FOUND,
                    **ERRORS,
                },
            }
        },
        "/archive/imports": {
            "get": {
                "operationId": "historyImports",
                "parameters": PAGING,
                "responses": {"200": json_response("Import jobs", "ImportPage"), **BAD, **ERRORS},
            }
        },
    }
)


def document(server_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tunekeeper API",
            "version": "1",
            "description": "Trigger and watch syncs, enforcement and jobs from scripts. "
            "Authenticate with a personal token: `Authorization: Bearer tk_…`.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }

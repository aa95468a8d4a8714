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
        "required": ["id", "kind", "status", "done", "total", "percent", "step", "created_at"],
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
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200},
    },
]
JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": STRING}

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

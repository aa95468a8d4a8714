"""Plain dicts for the API's JSON; the OpenAPI schemas in api/openapi.py describe them."""

from __future__ import annotations

from datetime import datetime


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def job(job) -> dict:
    eta = job.eta
    return {
        "id": job.public_id,
        "kind": job.kind,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "step": job.step,
        "eta_seconds": int(eta.total_seconds()) if eta else None,
        "paused_until": iso(job.paused_until),
        "pause_reason": job.pause_reason or None,
        "error": job.error or None,
        # Slow or dead? The last sign of life from its worker, and the reason in words
        # ("waiting for a worker since 12:04", "paused: …", the error), null when all is well.
        "heartbeat_at": iso(job.heartbeat_at),
        "state_reason": job.state_reason or None,
        "created_at": iso(job.created_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
    }

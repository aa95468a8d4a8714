"""The call ledger (ApiCall rows) as the outbound kit's ledger: every request to every service
(Spotify, MusicBrainz, slskd, …) is one row, written when its answer came (or did not)."""

from __future__ import annotations

from datetime import datetime

from core import clock
from core.database import DATABASE_ERRORS, reopen_database_connections
from core.outbound import CallContext
from spotify.models import ApiCall


class CallLedger:
    def record(
        self,
        *,
        service: str,
        app: str,
        context: CallContext,
        method: str,
        endpoint: str,
        status: int,
        started: float,
        retry_after: int | None,
    ) -> None:
        row = ApiCall(
            at=clock.now(),
            service=service,
            app=app,
            user_id=context.user_id,
            method=method,
            endpoint=endpoint[:120],
            status=status,
            duration_ms=max(int((clock.monotonic() - started) * 1000), 0),
            retry_after=retry_after,
            purpose=context.purpose,
            interactive=context.interactive,
            job_id=context.job_id[:64],
        )
        try:
            row.save(force_insert=True)
        except DATABASE_ERRORS:
            # The call was made: its row must survive a dropped connection, for the daily
            # budget counts these rows. One more try on a fresh connection (none inside a
            # transaction).
            reopen_database_connections()
            row.save(force_insert=True)

    def count_since(self, service: str, since: datetime) -> int:
        return ApiCall.objects.filter(service=service, at__gte=since).count()


call_ledger = CallLedger()

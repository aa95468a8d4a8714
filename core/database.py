"""Living with a dropped database connection (a PostgreSQL restart or failover, an operator's
pg_terminate_backend, a network blip): the data is intact, only this connection is gone."""

import psycopg
from django.db import InterfaceError, OperationalError, connections

# Django's wrappers, and psycopg's own for the code that talks to psycopg directly (COPY).
DATABASE_ERRORS = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


def reopen_database_connections() -> None:
    """Forget this thread's broken connections so the next query opens a fresh one.

    Django reconnects only between requests and tasks; inside a task a dropped connection keeps
    failing every query until it is closed. One held by an open transaction is left alone: its
    atomic block is unwinding and Django refuses to close it mid-transaction.
    """
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()

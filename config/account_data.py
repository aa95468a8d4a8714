"""Everything Tunekeeper holds about one person: found by walking the models, exported as a
zip, deleted on request, and the Spotify connection dropped.

The walk follows foreign keys to the user model, directly (Playlist.user) or through a parent
(PlaylistItem → Playlist → user), so a model added later is covered without a list to keep
up to date. Catalog rows (tracks, albums, artists, MusicBrainz data) belong to nobody and are
neither exported nor deleted."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models, transaction

# Columns never exported: credentials, even encrypted or hashed, are no use to the person and
# a risk in a file that gets e-mailed around.
SECRET_COLUMNS = {"token", "token_secret", "token_hash", "secret", "password", "api_key"}
MAX_DEPTH = 3
# Rows written to the zip per model, so one huge history still fits in memory per chunk.
CHUNK = 2000


def user_paths(max_depth: int = MAX_DEPTH) -> dict[type[models.Model], list[str]]:
    """Each model → the lookups ("user", "base__user", …) that lead from its rows to a user."""
    user_model = get_user_model()
    paths: dict[type[models.Model], list[str]] = {}
    frontier: dict[type[models.Model], list[str]] = {user_model: [""]}
    for _ in range(max_depth):
        found: dict[type[models.Model], list[str]] = {}
        for model in apps.get_models():
            if model is user_model:
                continue
            for field in model._meta.get_fields():
                if not (field.many_to_one or field.one_to_one) or not field.concrete:
                    continue
                target = field.related_model
                for tail in frontier.get(target, []):
                    lookup = field.name + (f"__{tail}" if tail else "")
                    if lookup not in paths.get(model, []):
                        found.setdefault(model, []).append(lookup)
        if not found:
            break
        for model, lookups in found.items():
            paths.setdefault(model, []).extend(lookups)
        frontier = found
    return paths


def owned(user) -> Iterator[tuple[type[models.Model], models.QuerySet]]:
    """Every model holding rows of `user`'s, with the queryset of those rows."""
    for model, lookups in sorted(user_paths().items(), key=lambda pair: pair[0]._meta.label):
        condition = models.Q()
        for lookup in lookups:
            condition |= models.Q(**{lookup: user.pk})
        yield model, model._default_manager.filter(condition).distinct()


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return None
    return value


def _columns(model) -> list[str]:
    return [
        field.attname
        for field in model._meta.concrete_fields
        if field.name not in SECRET_COLUMNS and field.attname not in SECRET_COLUMNS
    ]


def export_zip(user, destination) -> None:
    """Write a zip with one JSON and one CSV file per kind of row, plus a README, into the
    binary file `destination`. Rows are streamed in chunks, so a million plays do not sit in
    memory at once (each file is written in its own pass over the rows)."""
    user_model = get_user_model()
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        listed = []
        account = user_model.objects.filter(pk=user.pk).values(*_columns(user_model)).first()
        archive.writestr("account.json", json.dumps(_row(account), indent=1))
        for model, rows in owned(user):
            columns = _columns(model)
            count = rows.count()
            if not count:
                continue
            name = model._meta.label_lower.replace(".", "-")
            listed.append(f"{name}: {count} rows")
            with archive.open(f"json/{name}.json", "w") as out:
                out.write(b"[\n")
                for number, row in enumerate(_rows(rows, columns)):
                    out.write((",\n" if number else "").encode() + json.dumps(row).encode())
                out.write(b"\n]\n")
            with archive.open(f"csv/{name}.csv", "w") as out:
                text = io.TextIOWrapper(out, encoding="utf-8", newline="")
                writer = csv.DictWriter(text, fieldnames=columns)
                writer.writeheader()
                for row in _rows(rows, columns):
                    writer.writerow(
                        {
                            key: json.dumps(value) if isinstance(value, (dict, list)) else value
                            for key, value in row.items()
                        }
                    )
                text.flush()
                text.detach()
        archive.writestr(
            "README.txt",
            "Everything Tunekeeper holds about you, one file per kind of row, as JSON and as "
            "CSV. Times are UTC. Credentials (tokens, keys, password hashes) are left out.\n\n"
            + "\n".join(listed)
            + "\n",
        )


def _rows(rows: models.QuerySet, columns: list[str]) -> Iterator[dict]:
    for row in rows.order_by("pk").values(*columns).iterator(chunk_size=CHUNK):
        yield _row(row)


def _row(row: dict | None) -> dict:
    return {key: _plain(value) for key, value in (row or {}).items()}


def disconnect_spotify(user, reason: str = "Disconnected in Settings") -> int:
    """Forget the person's Spotify tokens; their jobs wait until they connect again.

    Spotify offers no endpoint to revoke a grant: deleting the tokens is all an app can do, and
    the person removes the app from their Spotify account page to withdraw it there too."""
    from allauth.socialaccount.models import SocialToken

    from spotify.models import Connection

    with transaction.atomic():
        deleted, _ = SocialToken.objects.filter(account__user=user).delete()
        connection, _ = Connection.objects.get_or_create(user=user)
        connection.mark_needs_reconnect(reason)
    return deleted


def delete_everything(user) -> dict[str, int]:
    """Remove every row of the person's, in every app, and the account itself. Their scheduled
    syncs' beat entries go too (a base points at its PeriodicTask, not the other way round)."""
    from sync.models import BasePlaylist

    counts: dict[str, int] = {}
    with transaction.atomic():
        task_ids = list(
            BasePlaylist.objects.filter(user=user, periodic_task__isnull=False).values_list(
                "periodic_task_id", flat=True
            )
        )
        disconnect_spotify(user)
        if task_ids:
            from django_celery_beat.models import PeriodicTask

            PeriodicTask.objects.filter(pk__in=task_ids).delete()
        # Rows that point at the person without CASCADE (the call ledger keeps its count for
        # the household's budget, without the name) are let go by SET_NULL on the delete.
        _, by_model = get_user_model().objects.filter(pk=user.pk).delete()
        counts.update(by_model)
    return counts

"""Blocklist pages: the lists, adding (search, links, Block buttons), import/export, plans,
execution progress, the audit of every batch, and rollback.

Views are thin: each object view starts with a `_…_for_user` lookup (someone else's object is a
404), POSTs redirect (PRG) unless HTMX asked for a fragment, and the work is done by the domain
modules (blocklist, sharing, planner, executor, rollback).
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Min
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from core import clock, params
from enforcement import automatic as automatic_enforcement
from enforcement import blocklist as blocking
from enforcement import sharing
from enforcement.executor import AlreadyRunning, NotExecutable, active_batch, arm
from enforcement.keep import unapproved_entries
from enforcement.models import (
    LIBRARY_KINDS,
    ActionBatch,
    AllowEntry,
    BlockEntry,
    Blocklist,
    BlocklistImport,
    EnforcementSettings,
    EntryKind,
    EntrySource,
    ImportStatus,
    ItemKind,
    ItemStatus,
    KeptItem,
)
from enforcement.planner import pace_seconds, plan, refresh_estimate
from enforcement.rollback import CANNOT_RESTORE, RollbackNotAllowed, restorable
from enforcement.tasks import enqueue, queue_resume, queue_rollback
from ops import confirm, trash
from ops.jobs import JobStatus
from playlists.models import FollowedArtist, LibraryState
from spotify import state
from spotify.client import SpotifyClient
from spotify.errors import SpotifyError
from spotify.models import Purpose

ITEMS_SHOWN_PER_GROUP = 25
ITEMS_SHOWN_IN_FOCUS = 2000
NAMES_LOOKED_UP_PER_PASTE = 10
ROWS_PER_POLL = 500  # row updates one progress poll sends; a page shows at most 25 a group


# --- ownership ----------------------------------------------------------------------------------


def _batch_for_user(request, pk: int) -> ActionBatch:
    return get_object_or_404(ActionBatch, pk=pk, user=request.user)


def _blocklist_for_user(request, pk: int) -> Blocklist:
    return get_object_or_404(Blocklist, pk=pk, user=request.user)


def _entry_for_user(request, pk: int) -> BlockEntry:
    return get_object_or_404(
        BlockEntry, pk=pk, blocklist__user=request.user, blocklist__deleted_at__isnull=True
    )


def _deleted_blocklist_for_user(request, pk: int) -> Blocklist:
    return get_object_or_404(trash.deleted(Blocklist.all_objects.filter(user=request.user)), pk=pk)


def _allow_for_user(request, pk: int) -> AllowEntry:
    return get_object_or_404(AllowEntry, pk=pk, user=request.user)


def _import_for_user(request, pk: int) -> BlocklistImport:
    return get_object_or_404(BlocklistImport, pk=pk, user=request.user)


def _back(request, default: str):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _reverse_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def human_seconds(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


# --- the blocklist page -------------------------------------------------------------------------


@require_GET
@login_required
def index(request):
    user = request.user
    lists = list(Blocklist.objects.filter(user=user).order_by("imported", "name"))
    entries = defaultdict(list)
    live_entries = BlockEntry.objects.filter(
        blocklist__user=user, blocklist__deleted_at__isnull=True
    )
    for entry in live_entries.order_by("kind", "name", "id"):
        entries[entry.blocklist_id].append(entry)
    kept = defaultdict(list)
    for exception in KeptItem.objects.filter(blocklist__user=user).order_by("kind", "label"):
        kept[exception.blocklist_id].append(exception)
    for blocklist in lists:
        blocklist.shown_entries = entries.get(blocklist.pk, [])
        blocklist.kept_items = kept.get(blocklist.pk, [])
    blocked_artists = set(
        live_entries.filter(kind=EntryKind.ARTIST).values_list("spotify_id", flat=True)
    )
    followed = [
        row
        for row in FollowedArtist.objects.filter(user=user)
        .select_related("artist")
        .order_by("artist__name")[:60]
        if row.artist_id not in blocked_artists
    ]
    preferences = EnforcementSettings.objects.filter(user=user).first() or EnforcementSettings(
        user=user
    )
    library_state = LibraryState.objects.filter(user=user).first()
    context = {
        "lists": lists,
        "allow_entries": AllowEntry.objects.filter(user=user),
        "followed": followed,
        "preferences": preferences,
        "batches": ActionBatch.objects.filter(user=user).select_related("parent")[:10],
        "active": active_batch(user),
        "refreshed_at": library_state.refreshed_at if library_state else None,
        "library_refresh_url": _reverse_or_none("library_refresh"),
        "kinds": EntryKind.choices,
        "rollback_days": settings.ROLLBACK_DAYS,
        "waiting_for_approval": unapproved_entries(user).count(),
        "recently_deleted": trash.deleted(
            Blocklist.all_objects.filter(user=user).annotate(entry_count=Count("entries"))
        ),
        "restore_days": trash.RESTORE_DAYS,
    }
    return render(request, "enforcement/blocklist.html", context)


@require_POST
@login_required
def add_links(request):
    """Pasted Spotify links or URIs → entries of the user's own list."""
    references, problems = blocking.parse_references(request.POST.get("links", "")[:50_000])
    note = request.POST.get("note", "")[:2000]
    featured = request.POST.get("include_featured") == "on"
    unknown = [r for r in references if not blocking.catalog_name(r.kind, r.spotify_id)]
    names = _look_up_names(request.user, unknown[:NAMES_LOOKED_UP_PER_PASTE])
    added = existing = 0
    for reference in references:
        _, created = blocking.add_entry(
            request.user,
            reference.kind,
            reference.spotify_id,
            name=names.get(reference, ""),
            source=EntrySource.LINK,
            note=note,
            include_featured=featured,
        )
        added += created
        existing += not created
    if added or existing:
        messages.success(
            request,
            f"Blocked {added} new"
            + (
                f"; {existing} {'was' if existing == 1 else 'were'} already on your list"
                if existing
                else ""
            )
            + ".",
        )
    if problems:
        messages.warning(
            request,
            "Not Spotify artist, album or track links: " + ", ".join(problems[:10]),
        )
    if not references and not problems:
        messages.warning(request, "Paste one or more Spotify links or URIs.")
    return redirect("blocklist")


def _look_up_names(user, references) -> dict:
    """Names for a few objects Tunekeeper has never seen: one Spotify call each."""
    if not references:
        return {}
    client = SpotifyClient(user, purpose=Purpose.INTERACTIVE)
    names = {}
    for reference in references:
        fetch = {"artist": client.artist, "album": client.album, "track": client.track}
        try:
            found = fetch[reference.kind](reference.spotify_id)
        except SpotifyError:
            continue  # the id is still blocked; it only shows without a name
        names[reference] = getattr(found, "name", "")
    return names


@require_POST
@login_required
def block(request):
    """The Block button on library pages: kind, spotify_id, name."""
    kind = request.POST.get("kind", "")
    spotify_id = request.POST.get("spotify_id", "")
    try:
        entry, created = blocking.add_entry(
            request.user,
            kind,
            spotify_id,
            name=request.POST.get("name", "")[:500],
            source=request.POST.get("source")
            if request.POST.get("source") in EntrySource.values
            else EntrySource.LIBRARY,
            include_featured=request.POST.get("include_featured") == "on",
        )
    except ValueError:
        return HttpResponse("Not a Spotify artist, album or track id.", status=400)
    if request.htmx:
        return render(
            request,
            "enforcement/_block_button.html#blocked",
            {"kind": kind, "spotify_id": spotify_id, "name": entry.label, "created": created},
        )
    messages.success(request, f"Blocked {entry.label}." if created else "Already blocked.")
    return _back(request, "blocklist")


@require_GET
@login_required
def search(request):
    query = request.GET.get("q", "")[:200]
    results = blocking.search_catalog(query)
    spotify_error = ""
    if request.GET.get("spotify") and len(query.strip()) >= 2:
        client = SpotifyClient(request.user, purpose=Purpose.INTERACTIVE)
        try:
            results["spotify_artists"] = client.search_artists(query)
            results["spotify_tracks"] = client.search_tracks(query)
        except SpotifyError as error:
            spotify_error = f"Spotify search failed: {error}"
    context = {"query": query, "results": results, "spotify_error": spotify_error}
    if request.htmx:
        return render(request, "enforcement/blocklist.html#search-results", context)
    return render(request, "enforcement/search.html", context)


@require_POST
@login_required
def entry_delete(request, pk: int):
    entry = _entry_for_user(request, pk)
    with transaction.atomic():
        entry.delete()
        blocking.bump_version(entry.blocklist)
    messages.success(request, f"Unblocked {entry.label}.")
    return redirect("blocklist")


@require_POST
@login_required
def entry_featured(request, pk: int):
    entry = _entry_for_user(request, pk)
    if entry.kind != EntryKind.ARTIST:
        raise Http404("only artists have a featured option")
    with transaction.atomic():
        BlockEntry.objects.filter(pk=entry.pk).update(include_featured=not entry.include_featured)
        blocking.bump_version(entry.blocklist)
    return redirect("blocklist")


@require_POST
@login_required
def allow_add(request):
    references, problems = blocking.parse_references(request.POST.get("links", "")[:20_000])
    added = 0
    for reference in references:
        if reference.kind == EntryKind.ARTIST:
            problems.append(f"{reference.spotify_id} (an artist: allow tracks or albums)")
            continue
        blocking.add_allow(
            request.user,
            reference.kind,
            reference.spotify_id,
            note=request.POST.get("note", "")[:2000],
        )
        added += 1
    if added:
        messages.success(
            request,
            f"{added} {'entry' if added == 1 else 'entries'} kept even when a block matches "
            f"{'it' if added == 1 else 'them'}.",
        )
    if problems:
        messages.warning(request, "Not understood: " + ", ".join(problems[:10]))
    return redirect("blocklist")


@require_POST
@login_required
def allow_delete(request, pk: int):
    _allow_for_user(request, pk).delete()
    return redirect("blocklist")


@require_POST
@login_required
def preferences(request):
    """Automatic enforcement off at once; on only after the person approves a first plan."""
    automatic = request.POST.get("automatic") == "on"
    apply_new = request.POST.get("apply_new_entries") == "on"
    current = EnforcementSettings.objects.filter(user=request.user).first()
    if automatic and not (current and current.automatic):
        first = automatic_enforcement.first_plan(request.user, apply_new_entries=apply_new)
        messages.info(
            request,
            "This is what automatic enforcement would do now. Untick anything you want to "
            "keep, then approve: automatic enforcement starts only then.",
        )
        return redirect("enforcement_batch", pk=first.pk)
    EnforcementSettings.objects.update_or_create(
        user=request.user, defaults={"automatic": automatic, "apply_new_entries": apply_new}
    )
    if automatic:
        messages.success(
            request,
            "Saved. New entries are applied without asking."
            if apply_new
            else "Saved. New entries wait for your approval before automatic runs apply them.",
        )
    else:
        messages.success(request, "Automatic enforcement is off.")
    return redirect("blocklist")


@require_POST
@login_required
def kept_delete(request, pk: int):
    """Remove a kept exception: the next run (manual or automatic) may remove the item again."""
    kept = get_object_or_404(
        KeptItem, pk=pk, blocklist__user=request.user, blocklist__deleted_at__isnull=True
    )
    kept.delete()
    messages.success(
        request,
        f"{kept.label or kept.uri} {kept.place} is no longer kept: the next plan includes it "
        "again if your blocklist matches it.",
    )
    return redirect("blocklist")


# --- lists: export, import, delete --------------------------------------------------------------


@require_GET
@login_required
def export(request, pk: int, fmt: str):
    blocklist = _blocklist_for_user(request, pk)
    if fmt == "json":
        body, content_type = sharing.export_json(blocklist), "application/json"
    elif fmt == "csv":
        body, content_type = sharing.export_csv(blocklist), "text/csv"
    else:
        raise Http404("export as json or csv")
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    name = sharing.export_filename(blocklist, fmt)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def list_delete(request, pk: int):
    blocklist = _blocklist_for_user(request, pk)
    count = blocklist.entries.count()
    if not confirm.is_confirmed(request):
        return confirm.confirm_page(
            request,
            question=f"Delete {count} {'entry' if count == 1 else 'entries'}?",
            details=[
                f"The list “{blocklist.name}” and its {count} "
                f"{'entry' if count == 1 else 'entries'} stop applying to plans, automatic "
                "runs and syncs at once.",
                "Nothing is changed on Spotify.",
            ],
            undo=f"You can restore it under “Recently deleted” for {trash.RESTORE_DAYS} days.",
            button=f"Delete “{blocklist.name}”",
            cancel_url=reverse("blocklist"),
        )
    blocklist.soft_delete()
    messages.success(
        request,
        f"Deleted the list “{blocklist.name}” ({count} entries). "
        f"Restore it under “Recently deleted” within {trash.RESTORE_DAYS} days.",
    )
    return redirect("blocklist")


@require_POST
@login_required
def list_restore(request, pk: int):
    blocklist = _deleted_blocklist_for_user(request, pk)
    old_name = blocklist.name
    name = blocklist.restore()
    renamed = f" as “{name}” (a list called “{old_name}” exists)" if name != old_name else ""
    messages.success(request, f"Restored “{old_name}”{renamed} with its entries.")
    return redirect("blocklist")


@require_POST
@login_required
def list_toggle(request, pk: int):
    blocklist = _blocklist_for_user(request, pk)
    Blocklist.objects.filter(pk=blocklist.pk).update(enabled=not blocklist.enabled)
    return redirect("blocklist")


@require_POST
@login_required
def import_upload(request):
    upload = request.FILES.get("file")
    if upload is None:
        messages.warning(request, "Choose a JSON or CSV file to import.")
        return redirect("blocklist")
    if upload.size > sharing.MAX_UPLOAD_BYTES:
        messages.warning(
            request,
            f"That file is {upload.size // 1024} KB; blocklists are at most "
            f"{sharing.MAX_UPLOAD_BYTES // 1024 // 1024} MB.",
        )
        return redirect("blocklist")
    try:
        staged = sharing.stage_import(
            request.user, upload.name, upload.read(sharing.MAX_UPLOAD_BYTES + 1)
        )
    except sharing.InvalidImport as error:
        messages.warning(request, f"“{upload.name}” was not imported: {error}.")
        return redirect("blocklist")
    return redirect("blocklist_import_review", pk=staged.pk)


@require_http_methods(["GET", "POST"])
@login_required
def import_review(request, pk: int):
    staged = _import_for_user(request, pk)
    if request.method == "POST":
        if staged.status != ImportStatus.PENDING:
            messages.warning(request, "This import was already handled.")
        elif request.POST.get("action") == "apply":
            try:
                blocklist = sharing.apply_import(staged)
            except sharing.InvalidImport as error:
                messages.warning(request, str(error))
            else:
                messages.success(
                    request, f"Imported “{blocklist.name}” version {blocklist.version}."
                )
        else:
            BlocklistImport.objects.filter(pk=staged.pk).update(status=ImportStatus.DISCARDED)
            messages.success(request, "Import discarded.")
        return redirect("blocklist")
    return render(
        request,
        "enforcement/import_review.html",
        {"staged": staged, "diff": sharing.diff(staged)},
    )


# --- plans and batches --------------------------------------------------------------------------


@require_POST
@login_required
def make_plan(request):
    batch = plan(request.user)
    return redirect("enforcement_batch", pk=batch.pk)


@require_GET
@login_required
def history(request):
    batches = ActionBatch.objects.filter(user=request.user).select_related("parent")[:200]
    return render(request, "enforcement/history.html", {"batches": batches})


ITEM_FIELDS = (
    "id",
    "kind",
    "uri",
    "label",
    "playlist_spotify_id",
    "playlist_name",
    "reason",
    "before",
    "after",
    "selected",
    "status",
    "error",
    "error_kind",
    "method",
    "completed_at",
)
GROUP_TITLES = {
    ItemKind.LIKED_TRACK: "Liked songs",
    ItemKind.SAVED_ALBUM: "Saved albums",
    ItemKind.FOLLOWED_ARTIST: "Followed artists",
}


def _groups(batch: ActionBatch, focus: str = "") -> list[dict]:
    """Items grouped for the page — one group per library kind, one per playlist — with their
    counts from one aggregate query, and the first rows of each (all rows of `focus`)."""
    groups: dict[str, dict] = {}
    order = {kind: index for index, kind in enumerate(GROUP_TITLES)}
    for row in (
        batch.items.values("kind", "playlist_spotify_id", "playlist_name", "status", "selected")
        .annotate(n=Count("id"), first=Min("id"))
        .order_by()
    ):
        if row["kind"] in LIBRARY_KINDS:
            key, title = row["kind"], GROUP_TITLES[row["kind"]]
        else:
            key = f"playlist:{row['playlist_spotify_id']}"
            title = f"Playlist “{row['playlist_name']}”"
        group = groups.setdefault(
            key,
            {"key": key, "title": title, "count": 0, "selected": 0, "counts": {}, "first": 0},
        )
        group["count"] += row["n"]
        if row["selected"] and row["status"] != ItemStatus.SKIPPED:
            group["selected"] += row["n"]
        group["counts"][row["status"]] = group["counts"].get(row["status"], 0) + row["n"]
        group["first"] = min(group["first"] or row["first"], row["first"])
    chosen = sorted(groups.values(), key=lambda g: (order.get(g["key"], len(order)), g["first"]))
    if focus:
        chosen = [g for g in chosen if g["key"] == focus]
    limit = ITEMS_SHOWN_IN_FOCUS if focus else ITEMS_SHOWN_PER_GROUP
    for group in chosen:
        items = batch.items.only(*ITEM_FIELDS).order_by("id")
        if group["key"].startswith("playlist:"):
            items = items.filter(
                kind=ItemKind.PLAYLIST_ITEM, playlist_spotify_id=group["key"].split(":", 1)[1]
            )
        else:
            items = items.filter(kind=group["key"])
        group["items"] = list(items[:limit])
        group["hidden"] = group["count"] - len(group["items"])
    return chosen


def _summary_context(batch: ActionBatch) -> dict:
    seconds = pace_seconds(batch.calls_estimated)
    return {
        "batch": batch,
        "eta": human_seconds(seconds),
        "budget_left": state.budget_left(),
        "calls_per_second": settings.SPOTIFY_CALLS_PER_SECOND,
    }


@require_GET
@login_required
def batch_detail(request, pk: int):
    batch = _batch_for_user(request, pk)
    library_state = LibraryState.objects.filter(user=request.user).first()
    newer_mirror = (
        batch.dry_run
        and library_state is not None
        and library_state.refreshed_at is not None
        and (
            batch.mirror_refreshed_at is None
            or library_state.refreshed_at > batch.mirror_refreshed_at
        )
    )
    context = {
        **_summary_context(batch),
        "newer_mirror": newer_mirror,
        "groups": _groups(batch, focus=request.GET.get("group", "")[:60]),
        "focus": request.GET.get("group", "")[:60],
        "cannot_restore": CANNOT_RESTORE,
        "rollbacks": batch.rollbacks.all(),
        "progress_url": reverse("enforcement_progress", args=[batch.pk]),
        "polled_at": clock.now().isoformat(),
        "other_active": active_batch(request.user),
        "rollback_days": settings.ROLLBACK_DAYS,
    }
    return render(request, "enforcement/batch.html", context)


@require_GET
@login_required
def progress(request, pk: int):
    batch = _batch_for_user(request, pk)
    if request.htmx and not batch.is_active:
        # Finished while the page watched: reload it for the full audit.
        return HttpResponseClientRefresh()
    polled_at = clock.now()
    try:
        since = parse_datetime(request.GET.get("since", "")[:40])
    except ValueError:  # well-formed but impossible ("month 13"): no rows, no 500
        since = None
    changed = []
    if since is not None and since.tzinfo is not None:
        # Rows that landed since the last poll: re-sent out of band, so the table follows.
        changed = list(
            batch.items.filter(completed_at__gte=since)
            .only(*ITEM_FIELDS)
            .order_by("id")[:ROWS_PER_POLL]
        )
    return render(
        request,
        "enforcement/batch.html#progress",
        {
            "batch": batch,
            "progress_url": reverse("enforcement_progress", args=[batch.pk]),
            "polled_at": polled_at.isoformat(),
            "changed_items": changed,
        },
    )


@require_POST
@login_required
def select(request, pk: int):
    """Tick or untick items of a plan: one item (`item`) or a group (`group`)."""
    batch = _batch_for_user(request, pk)
    if not batch.dry_run or batch.status != JobStatus.QUEUED:
        return HttpResponse("Only a plan that has not run can be changed.", status=409)
    chosen = request.POST.get("selected") in ("1", "on", "true")
    items = batch.items.exclude(status=ItemStatus.SKIPPED)
    if request.POST.get("item"):
        items = items.filter(pk=params.object_id(request.POST["item"], what="item"))
    elif request.POST.get("group", "").startswith("playlist:"):
        items = items.filter(playlist_spotify_id=request.POST["group"].split(":", 1)[1])
    elif request.POST.get("group") in ItemKind.values:
        items = items.filter(kind=request.POST["group"])
    else:
        return HttpResponse("Say which item or group.", status=400)
    items.update(selected=chosen)
    refresh_estimate(batch)
    if request.htmx:
        return render(request, "enforcement/batch.html#summary", _summary_context(batch))
    return redirect("enforcement_batch", pk=batch.pk)


@require_POST
@login_required
def execute_view(request, pk: int):
    batch = _batch_for_user(request, pk)
    if batch.is_rollback:
        raise Http404("rollbacks run when they are asked for")
    try:
        with transaction.atomic():
            batch, armed = arm(batch)
            if armed:
                automatic_enforcement.approve_plan(batch)
                enqueue(batch)
    except (AlreadyRunning, NotExecutable) as error:
        messages.warning(request, str(error).capitalize() + ".")
    return redirect("enforcement_batch", pk=batch.pk)


@require_POST
@login_required
def discard(request, pk: int):
    batch = _batch_for_user(request, pk)
    ActionBatch.objects.filter(pk=batch.pk, dry_run=True, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, step="Discarded"
    )
    return redirect("blocklist")


@require_http_methods(["GET", "POST"])
@login_required
def rollback_view(request, pk: int):
    batch = _batch_for_user(request, pk)
    chosen = params.id_list(request.POST.getlist("item"), name="item")
    if request.POST.get("selection") and not chosen:
        messages.warning(request, "Tick the items to roll back first.")
        return redirect("enforcement_batch", pk=batch.pk)
    items = chosen if request.POST.get("selection") else None
    # A batch past its window goes straight to the refusal below: nothing to confirm.
    if batch.can_roll_back and not confirm.is_confirmed(request):
        count = len(chosen) if items is not None else restorable(batch).count()
        return confirm.confirm_page(
            request,
            question=f"Put back {count} {'item' if count == 1 else 'items'}?",
            details=[
                f"Restores what batch {batch.pk} removed"
                + (" (the ticked items)" if items is not None else "")
                + " on Spotify.",
                "What you put back is remembered: no later run, manual or automatic, removes "
                "it again (each becomes a kept exception you can remove on the blocklist page).",
                *CANNOT_RESTORE,
            ],
            undo="You can run a new plan at any time to remove it again.",
            button="Roll back",
            cancel_url=reverse("enforcement_batch", args=[batch.pk]),
        )
    try:
        rollback_batch, _ = queue_rollback(batch, items)
    except (RollbackNotAllowed, AlreadyRunning) as error:
        messages.warning(request, str(error).capitalize() + ".")
        return redirect("enforcement_batch", pk=batch.pk)
    return redirect("enforcement_batch", pk=rollback_batch.pk)


@require_POST
@login_required
def resume_view(request, pk: int):
    batch = _batch_for_user(request, pk)
    try:
        queue_resume(batch)
    except AlreadyRunning as error:
        messages.warning(request, str(error).capitalize() + ".")
    return redirect("enforcement_batch", pk=batch.pk)

"""The Sync pages: bases and their children, the rule editor with its live preview, the Sync
button with its progress bar, schedules, and the history of sync runs.

Every view that takes an id fetches the object through the user (an outsider gets 404). Every
change to a base or its children goes through `locks.locked_base`, which refuses while a sync
of that base is in progress; the templates disable the same buttons, but the server decides.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import params
from ops import confirm, trash
from ops.jobs import ACTIVE_STATUSES
from playlists import pickers
from playlists.models import Playlist
from sync import child_templates, editor, schedules
from sync.forms import AddBaseForm, ChildSettingsForm, NewChildForm, ScheduleForm
from sync.locks import SyncRunning, ensure_idle, locked_base, start_sync
from sync.models import (
    LIKED_SONGS_ID,
    BasePlaylist,
    BaseSource,
    ChildPlaylist,
    RestoreRefused,
    SyncEvent,
    Trigger,
)
from sync.preview import build_preview
from sync.rules import RuleError, conditions_in, never_matches, normalise

HISTORY_PAGE = 50


def _extended() -> bool:
    return settings.SPOTIFY_API_MODE == "extended"


def _base_for(request, pk: int) -> BasePlaylist:
    return get_object_or_404(
        BasePlaylist.objects.select_related("playlist"), pk=pk, user=request.user
    )


def _child_for(request, pk: int) -> ChildPlaylist:
    return get_object_or_404(
        ChildPlaylist.objects.select_related("base__playlist", "base__user"),
        pk=pk,
        base__user=request.user,
    )


def _event_for(request, pk: int) -> SyncEvent:
    return get_object_or_404(SyncEvent.objects.select_related("base"), pk=pk, user=request.user)


def _refused(request, error: SyncRunning, back: str):
    """A change refused because a sync runs: 409 for HTMX, a message and the page otherwise."""
    if request.htmx:
        return render(
            request, "sync/_refused.html", {"message": str(error), "event": error.event}, status=409
        )
    messages.error(request, str(error))
    return redirect(back)


def _event_partial(request, event: SyncEvent, *, status: int = 200, note: str = ""):
    response = render(
        request, "sync/event.html#event", {"event": event, "note": note}, status=status
    )
    if status in (202, 409) or not event.is_active:
        # A sync started, or this is the last poll of one that ended (a finished run's partial
        # stops polling): the parts of the page that depend on the lock refresh themselves.
        response["HX-Trigger"] = "tk-sync-changed"
    return response


# --- the Sync page ------------------------------------------------------------------------------


@require_GET
@login_required
def index(request):
    bases = list(
        BasePlaylist.objects.filter(user=request.user)
        .select_related("periodic_task__crontab", "periodic_task__interval")
        .prefetch_related("children")
    )
    for base in bases:
        base.next_run = schedules.next_run(base)
    running = set(
        SyncEvent.objects.filter(user=request.user, status__in=ACTIVE_STATUSES).values_list(
            "base_id", flat=True
        )
    )
    context = {
        "bases": bases,
        "running": running,
        "add_form": AddBaseForm(request.user),
        "has_liked_base": any(base.is_liked_songs for base in bases),
        "events": SyncEvent.objects.filter(user=request.user).select_related("base")[:10],
        "deleted_bases": trash.deleted(BasePlaylist.all_objects.filter(user=request.user)),
        # Children removed on their own (a deleted base's children come back with it).
        "deleted_children": trash.deleted(
            ChildPlaylist.all_objects.filter(
                base__user=request.user, base__deleted_at__isnull=True
            ).select_related("base")
        ),
        "restore_days": trash.RESTORE_DAYS,
    }
    return render(request, "sync/index.html", context)


@require_POST
@login_required
def base_add_liked(request):
    base, created = BasePlaylist.objects.get_or_create(
        user=request.user,
        spotify_id=LIKED_SONGS_ID,
        defaults={"source": BaseSource.LIKED, "name": "Liked Songs"},
    )
    if created:
        messages.success(request, "Liked Songs is a base now: add a child to it.")
    return redirect("sync_base", pk=base.pk)


@require_POST
@login_required
def base_add(request):
    form = AddBaseForm(request.user, request.POST)
    if not form.is_valid():
        for error in form.errors.get("playlist", []):
            messages.error(request, error)
        return redirect("sync")
    playlist: Playlist = form.cleaned_data["playlist"]
    base, _ = BasePlaylist.objects.get_or_create(
        user=request.user,
        spotify_id=playlist.spotify_id,
        defaults={"playlist": playlist, "name": playlist.name},
    )
    messages.success(request, f"“{base.name}” is a base playlist now: add a child to it.")
    return redirect("sync_base", pk=base.pk)


@require_POST
@login_required
def sync_all(request):
    started = running = 0
    for base in BasePlaylist.objects.filter(user=request.user):
        _, created = start_sync(base, trigger=Trigger.ALL)
        started += created
        running += not created
    text = f"{started} sync{pluralize(started)} started" if started else "No sync started"
    if running:
        text += f"; {running} {'was' if running == 1 else 'were'} already running"
    messages.success(request, text + ".")
    return redirect("sync")


# --- a base -------------------------------------------------------------------------------------


@require_GET
@login_required
def base_detail(request, pk: int):
    base = _base_for(request, pk)
    context = {
        "base": base,
        "children": base.children.all(),
        "running": base.sync_running,
    }
    part = request.GET.get("part")
    if request.htmx and part in ("lock", "children"):
        return render(request, f"sync/base.html#{part}", context)
    return _base_page(request, base, context, ScheduleForm(instance=base))


def _base_page(request, base, context, schedule_form, status=200):
    context.update(
        event=base.events.first(),
        schedule_form=schedule_form,
        new_child_form=NewChildForm(),
        child_templates=child_templates.TEMPLATES,
        next_run=schedules.next_run(base),
    )
    return render(request, "sync/base.html", context, status=status)


@require_POST
@login_required
def base_schedule(request, pk: int):
    base = _base_for(request, pk)
    back = reverse("sync_base", args=[base.pk])
    form = ScheduleForm(request.POST, instance=base)
    if not form.is_valid():
        # The page again, with what was typed and why it was refused (not a redirect that
        # would put the old schedule back in the fields).
        base.refresh_from_db()
        context = {
            "base": base,
            "children": base.children.all(),
            "running": base.sync_running,
        }
        return _base_page(request, base, context, form, status=400)
    try:
        with transaction.atomic():
            locked_base(base.pk)
            base = form.save(commit=False)
            base.save(update_fields=list(form.fields))
            schedules.apply_schedule(base)
    except SyncRunning as error:
        return _refused(request, error, back)
    messages.success(request, f"Schedule saved: {base.get_schedule_display()}.")
    return redirect(back)


@require_http_methods(["GET", "POST"])
@login_required
def base_delete(request, pk: int):
    base = _base_for(request, pk)
    try:
        ensure_idle(base)  # say so before asking, not after
    except SyncRunning as error:
        return _refused(request, error, reverse("sync_base", args=[base.pk]))
    if not confirm.is_confirmed(request):
        names = [child.name for child in base.children.all()]
        return confirm.confirm_page(
            request,
            question=f"Remove the base “{base.name}”"
            + (
                f" and its {len(names)} {'child' if len(names) == 1 else 'children'}?"
                if names
                else "?"
            ),
            details=[
                f"Stops syncing: {', '.join(names)}." if names else "",
                f"Its schedule ({base.get_schedule_display()}) stops."
                if base.schedule != "manual"
                else "",
                "Every playlist on Spotify stays as it is.",
            ],
            undo=f"You can restore it, children and rules included, under “Recently deleted” "
            f"on the Sync page for {trash.RESTORE_DAYS} days.",
            button="Remove base",
            cancel_url=reverse("sync_base", args=[base.pk]),
        )
    try:
        with transaction.atomic():
            locked_base(base.pk)
            schedules.remove_schedule(base)
            base.soft_delete()
    except SyncRunning as error:
        return _refused(request, error, reverse("sync_base", args=[base.pk]))
    messages.success(
        request,
        f"“{base.name}” is no longer a base. Its playlists on Spotify stay as they are; restore it "
        f"under “Recently deleted” within {trash.RESTORE_DAYS} days.",
    )
    return redirect("sync")


@require_POST
@login_required
def base_restore(request, pk: int):
    base = get_object_or_404(
        trash.deleted(BasePlaylist.all_objects.filter(user=request.user)), pk=pk
    )
    try:
        with transaction.atomic():
            base.restore()
            schedules.apply_schedule(base)
    except RestoreRefused as error:
        messages.error(request, str(error))
        return redirect("sync")
    messages.success(request, f"Restored “{base.name}” with its children and rules.")
    return redirect("sync_base", pk=base.pk)


@require_POST
@login_required
def base_sync(request, pk: int):
    """The Sync button: 202 with the new run's progress, or 409 with the one already running."""
    base = _base_for(request, pk)
    event, created = start_sync(
        base, trigger=Trigger.MANUAL, force=request.POST.get("force") == "1"
    )
    if request.htmx:
        if created:
            return _event_partial(request, event, status=202)
        return _event_partial(request, event, status=409, note="Sync running")
    if not created:
        context = {"event": event, "note": "Sync running"}
        return render(request, "sync/event.html", context, status=409)
    messages.success(request, f"Syncing “{base.name}”.")
    return redirect("sync_base", pk=base.pk)


@require_POST
@login_required
def child_add(request, pk: int):
    base = _base_for(request, pk)
    back = reverse("sync_base", args=[base.pk])
    form = NewChildForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the new playlist a name (at most 100 characters).")
        return redirect(back)
    try:
        with transaction.atomic():
            locked_base(base.pk)
            child = ChildPlaylist.objects.create(base=base, name=form.cleaned_data["name"])
    except SyncRunning as error:
        return _refused(request, error, back)
    return redirect("sync_child", pk=child.pk)


@require_POST
@login_required
def child_from_template(request, pk: int):
    base = _base_for(request, pk)
    back = reverse("sync_base", args=[base.pk])
    key = request.POST.get("template", "")
    if key not in child_templates.TEMPLATES:
        messages.error(request, "Choose one of the templates.")
        return redirect(back)
    try:
        with transaction.atomic():
            locked_base(base.pk)
            made = child_templates.create_from_template(base, key)
    except SyncRunning as error:
        return _refused(request, error, back)
    if not made:
        messages.info(
            request,
            "The base has no decades or genres to split by yet: sync it (or enrich your "
            "library for genres) first.",
        )
        return redirect(back)
    if len(made) == 1:
        messages.success(request, f"“{made[0].name}” is ready: adjust it or sync the base.")
        return redirect("sync_child", pk=made[0].pk)
    messages.success(request, f"{len(made)} children made: {', '.join(c.name for c in made)}.")
    return redirect(back)


# --- a child: the rule editor -------------------------------------------------------------------


def _playlist_choices(user) -> list[tuple[str, str]]:
    return pickers.labelled(
        Playlist.objects.filter(user=user)
        .order_by("name", "owner_name")
        .values_list("spotify_id", "name", "owner_name", "owner_id")
    )


def _editor_context(request, child: ChildPlaylist, tree: dict, form, *, errors=None, never=None):
    playlists = _playlist_choices(child.base.user)
    preview = build_preview(_unsaved(child, form), tree)
    return {
        "child": child,
        "base": child.base,
        "form": form,
        "root": editor.editor_nodes(
            tree,
            errors if errors is not None else preview.errors,
            playlists=playlists,
            extended=_extended(),
        ),
        "fields": editor.field_choices(_extended()),
        "preview": preview,
        "never": never,
        "running": child.base.sync_running,
    }


def _unsaved(child: ChildPlaylist, form) -> ChildPlaylist:
    """The child with the posted settings applied, not saved (for the preview). A bound form
    has put its valid values on its own copy of the row while validating."""
    if form is None or not form.is_bound:
        return child
    form.is_valid()
    form.instance.base = child.base
    return form.instance


def _with_labels(tree: dict, user) -> dict:
    names = dict(_playlist_choices(user))
    for cond in conditions_in(tree):
        if cond["field"] == "in_playlist":
            cond["label"] = names.get(cond["value"], cond["value"])
    return tree


@require_http_methods(["GET", "POST"])
@login_required
def child_detail(request, pk: int):
    child = _child_for(request, pk)
    if request.method == "GET":
        form = ChildSettingsForm(instance=child)
        return render(
            request,
            "sync/child.html",
            _editor_context(request, child, editor.raw(child.rules), form),
        )
    tree = editor.from_post(request.POST)
    action = request.POST.get("action", "save")
    form = ChildSettingsForm(request.POST, instance=ChildPlaylist.objects.get(pk=child.pk))
    if action != "save":  # an editor button without JavaScript: redraw, save nothing
        form.is_valid()
        tree = editor.apply_action(tree, action)
        return render(request, "sync/child.html", _editor_context(request, child, tree, form))
    try:
        rules = normalise(tree, extended=_extended())
    except RuleError as error:
        form.is_valid()
        context = _editor_context(request, child, tree, form, errors=error.errors)
        messages.error(request, "Not saved: some rules need fixing (marked below).")
        return render(request, "sync/child.html", context, status=400)
    never = never_matches(rules)
    if never or not form.is_valid():
        context = _editor_context(request, child, tree, form, never=never)
        messages.error(request, f"Not saved: {never}" if never else "Not saved: see below.")
        return render(request, "sync/child.html", context, status=400)
    back = reverse("sync_child", args=[child.pk])
    try:
        with transaction.atomic():
            locked_base(child.base_id)
            saved = form.save(commit=False)
            saved.rules = _with_labels(rules, request.user)
            # Only what the person edits: the sync's own checkpoint fields are not theirs.
            saved.save(update_fields=[*form.fields, "rules"])
    except SyncRunning as error:
        return _refused(request, error, back)
    messages.success(request, f"Saved “{saved.name}”. Its playlist changes at the next sync.")
    return redirect(back)


@require_POST
@login_required
def child_editor(request, pk: int):
    """HTMX: an editor button (add / remove a rule or group, a field changed): the editor
    redrawn from the posted tree, plus the preview (out of band)."""
    child = _child_for(request, pk)
    tree = editor.apply_action(editor.from_post(request.POST), request.POST.get("action", ""))
    form = ChildSettingsForm(request.POST, instance=ChildPlaylist.objects.get(pk=child.pk))
    form.is_valid()
    context = _editor_context(request, child, tree, form)
    return render(request, "sync/child.html#editor-with-preview", context)


@require_POST
@login_required
def child_preview(request, pk: int):
    """HTMX: the live preview for the posted (unsaved) rules and settings."""
    child = _child_for(request, pk)
    form = ChildSettingsForm(request.POST, instance=ChildPlaylist.objects.get(pk=child.pk))
    form.is_valid()
    context = _editor_context(request, child, editor.from_post(request.POST), form)
    return render(request, "sync/child.html#preview", context)


@require_http_methods(["GET", "POST"])
@login_required
def child_delete(request, pk: int):
    child = _child_for(request, pk)
    back = reverse("sync_child", args=[child.pk])
    try:
        ensure_idle(child.base)
    except SyncRunning as error:
        return _refused(request, error, back)
    if not confirm.is_confirmed(request):
        return confirm.confirm_page(
            request,
            question=f"Remove the child “{child.name}”?",
            details=[
                f"Tunekeeper stops syncing it from “{child.base.name}”.",
                "Its playlist on Spotify stays as it is.",
            ],
            undo=f"You can restore it, rules included, under “Recently deleted” on the Sync "
            f"page for {trash.RESTORE_DAYS} days.",
            button="Remove child",
            cancel_url=back,
        )
    try:
        with transaction.atomic():
            locked_base(child.base_id)
            child.soft_delete()
    except SyncRunning as error:
        return _refused(request, error, back)
    messages.success(
        request,
        f"“{child.name}” is no longer synced. Its playlist on Spotify stays as it is; restore it "
        f"under “Recently deleted” on the Sync page within {trash.RESTORE_DAYS} days.",
    )
    return redirect("sync_base", pk=child.base_id)


@require_POST
@login_required
def child_restore(request, pk: int):
    child = get_object_or_404(
        trash.deleted(ChildPlaylist.all_objects.filter(base__user=request.user)).select_related(
            "base"
        ),
        pk=pk,
    )
    try:
        child.restore()
    except RestoreRefused as error:
        messages.error(request, str(error))
        return redirect("sync")
    messages.success(request, f"Restored “{child.name}” with its rules.")
    return redirect("sync_child", pk=child.pk)


@require_POST
@login_required
def child_overwrite(request, pk: int):
    """After a stop for an outside edit: overwrite those edits at the next sync (once)."""
    child = _child_for(request, pk)
    back = reverse("sync_child", args=[child.pk])
    try:
        with transaction.atomic():
            locked_base(child.base_id)
            ChildPlaylist.objects.filter(pk=child.pk).update(overwrite_once=True)
    except SyncRunning as error:
        return _refused(request, error, back)
    messages.success(request, "The next sync replaces the outside edits.")
    return redirect(back)


# --- sync runs ----------------------------------------------------------------------------------


@require_GET
@login_required
def event_detail(request, pk: int):
    event = _event_for(request, pk)
    if request.htmx:
        return _event_partial(request, event)
    return render(request, "sync/event.html", {"event": event})


@require_POST
@login_required
def event_retry(request, pk: int):
    event = _event_for(request, pk)
    new, created = start_sync(event.base, trigger=Trigger.RETRY, force=event.force)
    if request.htmx:
        return _event_partial(
            request, new, status=202 if created else 409, note="" if created else "Sync running"
        )
    if not created:
        messages.info(request, "Sync running: that base is already being synced.")
    return redirect("sync_event", pk=new.pk)


@require_GET
@login_required
def history(request):
    events = SyncEvent.objects.filter(user=request.user).select_related("base")
    base = None
    base_id = params.optional_id(request.GET.get("base"), name="base")
    if base_id is not None:
        base = _base_for(request, base_id)
        events = events.filter(base=base)
    page = Paginator(events, HISTORY_PAGE).get_page(request.GET.get("page"))
    return render(request, "sync/history.html", {"page": page, "base": base})

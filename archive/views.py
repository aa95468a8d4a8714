"""History pages: overview, stats, import (with progress), export, time zone. Thin views over
archive's plain functions; every object view goes through `_import_for_user` (404 otherwise)."""

from __future__ import annotations

import hashlib
import pickle

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from archive import breaker, charts, conf, drilldown, history_export, rewind, search, stats
from archive.forms import ExportForm, ImportForm, StatsForm, TimeZoneForm
from archive.importer import create_job
from archive.models import (
    DailyListening,
    HistoryProfile,
    HistorySearch,
    ImportJob,
    ListeningGap,
    PlayEvent,
    PollRun,
    RewindShare,
)
from archive.spotify_export import UploadRefused
from archive.tasks import check_history_now
from core import clock

RECENT_PLAYS = 50


def _profile(request) -> HistoryProfile:
    return HistoryProfile.for_user(request.user.pk)


def _import_for_user(request, pk: int) -> ImportJob:
    return get_object_or_404(ImportJob, pk=pk, user=request.user)


@require_GET
@login_required
def overview(request):
    profile = _profile(request)
    recent = (
        PlayEvent.objects.filter(user=request.user)
        .select_related("track", "track__album")
        .order_by("-played_at")[:RECENT_PLAYS]
    )
    context = {
        "profile": profile,
        "zone": profile.zone,
        "breaker_open": breaker.is_open(profile),
        "breaker_text": breaker.describe(profile),
        "gaps": ListeningGap.objects.filter(user=request.user, filled_by__isnull=True)[:20],
        "recent": recent,
        "last_run": PollRun.objects.filter(user=request.user).first(),
        # From the daily rollup: counting a million plays row by row takes a while.
        "play_count": DailyListening.objects.filter(user=request.user).aggregate(n=Sum("plays"))[
            "n"
        ]
        or 0,
        "active_import": ImportJob.objects.filter(
            user=request.user, status__in=["queued", "running", "paused"]
        ).first(),
    }
    return render(request, "archive/overview.html", context)


@require_POST
@login_required
def check_now(request):
    if check_history_now(request.user.pk):
        messages.success(request, "Checking Spotify for your recent plays now.")
    else:
        messages.info(request, "Checked less than a minute ago; Spotify keeps your last 50 plays.")
    return redirect("history")


@require_POST
@login_required
def time_zone(request):
    form = TimeZoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a time zone from the list.")
        return redirect("settings_home")
    profile = _profile(request)
    chosen = form.cleaned_data["time_zone"]
    week_start = form.cleaned_data.get("week_start")
    if week_start is not None and week_start != profile.week_start:
        HistoryProfile.objects.filter(pk=profile.pk).update(week_start=week_start)
        day = dict(form.fields["week_start"].choices)[week_start]
        messages.success(request, f"Weekly charts now start on {day}.")
    if chosen != profile.time_zone:
        from archive.tasks import rebuild_rollups_task

        HistoryProfile.objects.filter(pk=profile.pk).update(time_zone=chosen)
        transaction.on_commit(lambda: rebuild_rollups_task.delay(request.user.pk))
        messages.success(request, f"History now shows {chosen} time; the stats are recounted.")
    return redirect("settings_home")


@require_GET
@login_required
def stats_page(request):
    profile = _profile(request)
    zone = profile.zone
    form = StatsForm(request.GET or None)
    today = clock.now().astimezone(zone).date()
    if request.GET and not form.is_valid():
        return render(request, "archive/stats.html", {"form": form}, status=400)
    widened = False
    if not request.GET:
        form = StatsForm({"range": stats.default_range(request.user.pk, today)})
        form.is_valid()
        widened = form.cleaned_data["range"] != "12m"
    first = stats.first_day(request.user.pk)
    start, end = stats.held_range(*form.dates(today, first), first, today)
    period = stats.Range(start, end, zone)
    by = stats.capped_grouping(form.grouping(period.days), period.days)
    hide_blocked = form.cleaned_data.get("hide_blocked", False)
    raw_key = ":".join(
        str(part)
        for part in (
            request.user.pk,
            profile.stats_version,
            profile.time_zone,
            start,
            end,
            today,
            by,
            profile.week_start,
            hide_blocked and stats.blocked_artists(request.user.pk),
        )
    )
    key = "archive:stats:" + hashlib.sha256(raw_key.encode()).hexdigest()
    figures = cache.get(key) if conf.stats_cache_seconds() else None
    if figures is None:
        figures = _stats_figures(
            request.user.pk, period, by, today, hide_blocked, profile.week_start
        )
        if conf.stats_cache_seconds():
            _cache_bounded(key, figures, conf.stats_cache_seconds())
    context = {
        "form": form,
        "period": period,
        "by": by,
        "zone": zone,
        "rebuilding": profile.rollup_time_zone != profile.time_zone,
        "widened": widened,
        **figures,
    }
    return render(request, "archive/stats.html", context)


MAX_CACHE_ENTRY_BYTES = 512 * 1024


def _cache_bounded(key: str, value, seconds: int) -> bool:
    """Cache `value` only if it pickles to at most MAX_CACHE_ENTRY_BYTES: a larger entry would
    crowd out everyone else's (or be refused by Redis) and is cheaper to recompute."""
    size = len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    if size > MAX_CACHE_ENTRY_BYTES:
        return False
    cache.set(key, value, seconds)
    return True


def _stats_figures(
    user_id: int, period, by: str, today, hide_blocked: bool, week_start: int = 0
) -> dict:
    points = stats.series(user_id, period, by, week_start)
    tops = stats.top_lists(user_id, period, hide_blocked=hide_blocked)
    firsts = stats.first_listens(user_id, period)
    return {
        "totals": stats.totals(user_id, period),
        "plays_chart": charts.bar_chart_svg(
            charts.bar_chart([(d, p) for d, p, _ in points], by=by, unit="plays"),
            f"Plays per {by}",
        ),
        "minutes_chart": charts.bar_chart_svg(
            charts.bar_chart([(d, m) for d, _, m in points], by=by, unit="min"),
            f"Minutes listened per {by}",
        ),
        "clock": charts.heatmap_svg(
            charts.heatmap(stats.listening_clock(user_id, period)), "Plays by weekday and hour"
        ),
        "firsts_chart": charts.bar_chart_svg(
            charts.bar_chart(firsts, by="month", unit="new tracks"), "New tracks per month"
        ),
        "streaks": stats.streaks(user_id, today),
        "tops": {
            name: list(zip(rows, charts.share_bars([r.plays for r in rows]), strict=True))
            for name, rows in tops.items()
        },
    }


@csrf_exempt  # checked in _import_page, after the size: an oversized body is refused unread
@require_http_methods(["GET", "POST"])
@login_required
def import_page(request):
    if request.method == "POST" and _declared_size(request) > conf.max_upload_bytes() + 2**20:
        context = _import_context(request, ImportForm())
        context["refusal"] = (
            f"That upload is larger than the {conf.max_upload_bytes() / 2**20:,.0f} MB this "
            "server accepts. Upload the zip from Spotify as it came, or fewer files at once."
        )
        return render(request, "archive/import.html", context, status=413)
    return _import_page(request)


@csrf_protect
def _import_page(request):
    if request.method != "POST":
        return render(request, "archive/import.html", _import_context(request, ImportForm()))
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        if ImportJob.objects.filter(
            user=request.user, status__in=["queued", "running", "paused"]
        ).exists():
            form.add_error(None, "An import is already running; wait for it to finish.")
        else:
            try:
                job = create_job(
                    request.user,
                    form.cleaned_data["files"],
                    form.cleaned_data["min_seconds"] * 1000,
                )
            except UploadRefused as refused:
                form.add_error(None, str(refused))
            else:
                return redirect("history_import_job", pk=job.pk)
    return render(request, "archive/import.html", _import_context(request, form), status=400)


def _import_context(request, form) -> dict:
    return {
        "form": form,
        "jobs": ImportJob.objects.filter(user=request.user)[:20],
        **_unmatched_context(request),
    }


def _unmatched_context(request) -> dict:
    return {
        "unmatched": search.unmatched_summary(request.user.pk),
        "search": HistorySearch.objects.filter(user=request.user).first(),
    }


@require_http_methods(["GET", "POST"])
@login_required
def unmatched(request):
    """The import page's "Unmatched plays" section (HTMX polls it while a search runs); POST
    starts looking the unmatched songs up on Spotify."""
    if request.method == "POST":
        _, created = search.start_history_search(request.user)
        if not created:
            messages.info(request, "Unmatched plays are already being looked up.")
        return redirect(f"{reverse('history_import')}#unmatched")
    return render(request, "archive/import.html#unmatched", _unmatched_context(request))


def _declared_size(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@require_GET
@login_required
def import_job(request, pk: int):
    job = _import_for_user(request, pk)
    context = {
        "job": job,
        "files": job.files.all(),
        "totals": job.totals(),
        "poll_url": request.path,
    }
    if request.htmx:
        return render(request, "archive/import_job.html#report", context)
    return render(request, "archive/import_job.html", context)


@require_GET
@login_required
def export_page(request):
    profile = _profile(request)
    if "format" not in request.GET:
        today = clock.now().astimezone(profile.zone).date()
        initial = {"start": today.replace(month=1, day=1), "end": today, "format": "csv"}
        return render(request, "archive/export.html", {"form": ExportForm(initial=initial)})
    form = ExportForm(request.GET)
    if not form.is_valid():
        return render(request, "archive/export.html", {"form": form}, status=400)
    data = form.cleaned_data
    today = clock.now().astimezone(profile.zone).date()
    start, end = stats.held_range(
        data["start"], data["end"], stats.first_day(request.user.pk), today
    )
    period = stats.Range(start, end, profile.zone)
    low, high = period.utc_bounds()
    plays = history_export.plays_between(request.user.pk, low, high)
    stem = f"tunekeeper-history-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}"
    if data["format"] == "csv":
        response = StreamingHttpResponse(
            history_export.csv_lines(plays, profile.zone), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return response
    if data["format"] == "jsonl":
        response = StreamingHttpResponse(
            history_export.jsonl_lines(plays, data["include_short"]),
            content_type="application/x-ndjson; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.jsonl"'
        return response
    archive = history_export.listenbrainz_zip(
        plays, data["include_short"], request.user.pk, request.user.get_username()
    )
    return FileResponse(archive, as_attachment=True, filename=f"{stem}-listenbrainz.zip")


@require_GET
@login_required
def drilldown_page(request, kind: str, subject_id: str):
    history = drilldown.history_of(request.user.pk, kind, subject_id[:64])
    if history is None:
        raise Http404("You have no plays of this in your history.")
    profile = _profile(request)
    chart = charts.bar_chart(history.monthly, by="month", unit="plays")
    return render(
        request,
        "archive/drilldown.html",
        {
            "history": history,
            "zone": profile.zone,
            "time_zone": profile.time_zone,
            "monthly_chart": charts.bar_chart_svg(chart, "Plays per month"),
        },
    )


def _recap_period(year: int | None, month: int | None) -> tuple[int, int | None]:
    if year is not None and not rewind.EARLIEST_YEAR <= year <= clock.now().year:
        raise Http404("No recap for that year.")
    if month is not None and not 1 <= month <= 12:
        raise Http404("No such month.")
    return year, month


@require_GET
@login_required
def rewind_page(request, year: int | None = None, month: int | None = None):
    year, month = _recap_period(year, month)
    years = rewind.years_with_plays(request.user.pk)
    if year is None:
        # The last whole year with plays; this year's recap while it is the only one.
        this_year = clock.now().year
        year = next((y for y in years if y < this_year), years[0] if years else this_year)
    recap = rewind.build(request.user.pk, year, month)
    shares = request.user.rewind_shares.filter(year=year, month=month, revoked_at__isnull=True)
    return render(
        request,
        "archive/rewind.html",
        {"recap": recap, "years": years, "shares": shares, "shared": False},
    )


@require_POST
@login_required
def rewind_share(request, year: int, month: int | None = None):
    year, month = _recap_period(year, month)
    link = rewind.share(request.user, year, month)
    messages.success(
        request,
        "Anyone with this link can see this recap (and nothing else of yours) until you revoke "
        f"it: {request.build_absolute_uri(reverse('rewind_shared', args=[link.token]))}",
    )
    if month:
        return redirect("history_rewind_month", year, month)
    return redirect("history_rewind_year", year)


@require_POST
@login_required
def rewind_revoke(request, pk: int):
    link = get_object_or_404(request.user.rewind_shares, pk=pk)
    rewind.revoke(request.user, link.pk)
    messages.success(request, "The share link is revoked: it shows nothing any more.")
    if link.month:
        return redirect("history_rewind_month", link.year, link.month)
    return redirect("history_rewind_year", link.year)


@require_GET
def rewind_shared(request, token: str):
    link = get_object_or_404(
        RewindShare.objects.select_related("user"), token=token[:64], revoked_at__isnull=True
    )
    recap = rewind.build(link.user_id, link.year, link.month)
    response = render(
        request, "archive/rewind.html", {"recap": recap, "shared": True, "owner": link.user}
    )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response

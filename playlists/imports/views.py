"""Import pages: upload a file, watch it match, review the preview, create the playlist.

The upload is bounded before Django reads it: a declared Content-Length over the limit is
refused at once, and the upload handler stops reading once the limit is passed, so a huge
file never reaches memory or the temporary directory. Changing upload handlers has to happen
before the CSRF check reads the body, hence `csrf_exempt` outside and `csrf_protect` inside
(Django's documented pattern); the CSRF check itself still runs on every POST.
"""

from __future__ import annotations

import io

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import params
from playlists.imports.jobs import confirm_import, start_import
from playlists.imports.parsers import FORMAT_LABELS, MAX_FILE_BYTES, UnreadableFile, parse_upload
from playlists.models import ImportStage, MatchStatus, PlaylistImport
from spotify import shares

FORM_OVERHEAD_BYTES = 64 * 1024  # the multipart envelope and the other fields


class ImportForm(forms.Form):
    file = forms.FileField(label="Playlist file")
    name = forms.CharField(max_length=100, required=False, label="Playlist name")


class BoundedUploadHandler(FileUploadHandler):
    """Keeps the file in memory up to `limit` bytes; past it, stops reading the request."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit
        self.exceeded = False
        self.buffer = io.BytesIO()

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            self.buffer, self.field_name, self.file_name, self.content_type, file_size, None
        )


def _too_large(request):
    error = f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: nothing was imported."
    context = {"form": ImportForm(), "error": error}
    return render(request, "playlists/import.html", context, status=413)


@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    if request.method == "POST":
        declared = params.integer(
            request.META.get("CONTENT_LENGTH") or "0",
            name="Content-Length",
            minimum=0,
            maximum=2**62,
        )
        if declared > MAX_FILE_BYTES + FORM_OVERHEAD_BYTES:
            # Refused before a byte of the body is read (and before the CSRF check, which
            # would read it): the answer has no side effects either way.
            return _too_large(request)
        request.upload_handlers = [BoundedUploadHandler(request, MAX_FILE_BYTES)]
    return _upload(request)


@csrf_protect
def _upload(request):
    if request.method != "POST":
        return render(request, "playlists/import.html", {"form": ImportForm()})
    handler = request.upload_handlers[0]
    form = ImportForm(request.POST, request.FILES)
    if getattr(handler, "exceeded", False):
        return _too_large(request)
    if not form.is_valid():
        return render(request, "playlists/import.html", {"form": form}, status=400)
    upload_file = form.cleaned_data["file"]
    try:
        parsed = parse_upload(upload_file.name, upload_file.read(MAX_FILE_BYTES + 1))
    except UnreadableFile as error:
        form.add_error("file", f"{error} Nothing was imported.")
        return render(request, "playlists/import.html", {"form": form}, status=400)
    name = form.cleaned_data["name"] or parsed.name_hint or "Imported playlist"
    job = start_import(request.user, parsed, name=name, file_name=upload_file.name)
    return redirect("library_import_detail", pk=job.pk)


def _job_for_user(request, pk: int) -> PlaylistImport:
    return get_object_or_404(PlaylistImport, pk=pk, user=request.user)


@require_GET
@login_required
def detail(request, pk: int):
    job = _job_for_user(request, pk)
    rows = job.rows.all()
    context = {
        "job": job,
        "poll_url": reverse("library_import_detail", args=[job.pk]),
        "format_label": FORMAT_LABELS.get(job.file_format, job.file_format),
        "matched": rows.filter(status=MatchStatus.MATCHED),
        "review": rows.filter(status=MatchStatus.REVIEW),
        "unmatched": rows.filter(status=MatchStatus.UNMATCHED),
        "in_preview": job.stage == ImportStage.PREVIEW,
        "cost": shares.cost(job.user_id, job.estimated_calls)
        if job.stage == ImportStage.MATCHING and job.estimated_calls
        else None,
    }
    if request.htmx:
        if job.is_active:
            return render(request, "ops/progress.html", context)
        # Finished: ask htmx to load the whole page (the preview replaces the progress bar).
        response = render(request, "ops/progress.html", context)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "playlists/import_detail.html", context)


@require_POST
@login_required
def create(request, pk: int):
    job = _job_for_user(request, pk)
    include = set(params.id_list(request.POST.getlist("include"), name="include"))
    confirm_import(job, include)
    return redirect("library_import_detail", pk=job.pk)


@require_POST
@login_required
def retry(request, pk: int):
    """A failed matching goes on from its last row (a failed creation retries from the review
    table's own button, with the person's ticks)."""
    job = _job_for_user(request, pk)
    if job.stage == ImportStage.MATCHING:
        job.retry()
    return redirect("library_import_detail", pk=job.pk)

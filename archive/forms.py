from __future__ import annotations

import zoneinfo
from datetime import date, timedelta

from django import forms

from archive import conf
from core.params import DayField

RANGES = [
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
    ("12m", "Last 12 months"),
    ("year", "This year"),
    ("all", "All time"),
    ("custom", "Custom"),
]
GROUPINGS = [("", "Automatic"), ("day", "Per day"), ("week", "Per week"), ("month", "Per month")]
MAX_DAYS_PER_DAY_BARS = 120


class StatsForm(forms.Form):
    range = forms.ChoiceField(choices=RANGES, required=False)
    start = DayField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = DayField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(choices=GROUPINGS, required=False, label="Bars")
    hide_blocked = forms.BooleanField(required=False, label="Hide blocked artists")

    def clean(self):
        data = super().clean()
        if data.get("range") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError("A custom range needs a start and an end date.")
            if start > end:
                raise forms.ValidationError("The start date is after the end date.")
        return data

    def dates(self, today: date, first: date | None) -> tuple[date, date]:
        """The range as local dates (inclusive); call after is_valid()."""
        choice = self.cleaned_data.get("range") or "12m"
        if choice == "custom":
            return self.cleaned_data["start"], self.cleaned_data["end"]
        if choice == "all":
            return (first or today), today
        if choice == "year":
            return today.replace(month=1, day=1), today
        days = {"7d": 7, "30d": 30, "90d": 90, "12m": 365}[choice]
        return today - timedelta(days=days - 1), today

    def grouping(self, days: int) -> str:
        chosen = self.cleaned_data.get("by")
        if chosen:
            return chosen
        if days <= MAX_DAYS_PER_DAY_BARS:
            return "day"
        return "week" if days <= 2 * 366 else "month"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".zip,.json"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ImportForm(forms.Form):
    files = MultipleFileField(
        label="Spotify data export",
        help_text="my_spotify_data.zip, or the Streaming_History_Audio_*.json / "
        "StreamingHistory_music_*.json files from it.",
    )
    min_seconds = forms.IntegerField(
        label="Skip plays shorter than (seconds)",
        min_value=0,
        max_value=600,
        initial=lambda: conf.min_ms_played() // 1000,
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        for upload in files:
            if not upload.name.lower().endswith((".zip", ".json")):
                raise forms.ValidationError(
                    f"{upload.name}: upload the .zip from Spotify or the .json files in it."
                )
        total = sum(upload.size for upload in files)
        if total > conf.max_upload_bytes():
            raise forms.ValidationError(
                f"That is {total / 2**20:,.0f} MB; one upload may be at most "
                f"{conf.max_upload_bytes() / 2**20:,.0f} MB."
            )
        return files


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(choices=())
    # Optional so a form that only sets the zone keeps the week as it is.
    week_start = forms.TypedChoiceField(
        choices=[(0, "Monday"), (6, "Sunday"), (5, "Saturday")],
        coerce=int,
        required=False,
        empty_value=None,
        label="Weeks start on",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zones = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
        self.fields["time_zone"].choices = [(zone, zone.replace("_", " ")) for zone in zones]


EXPORT_FORMATS = [
    ("csv", "CSV (one row per play)"),
    ("jsonl", "ListenBrainz JSON Lines (.jsonl)"),
    ("listenbrainz", "ListenBrainz export archive (.zip, re-importable into ListenBrainz)"),
]


class ExportForm(forms.Form):
    start = DayField(widget=forms.DateInput(attrs={"type": "date"}))
    end = DayField(widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(choices=EXPORT_FORMATS, initial="csv")
    include_short = forms.BooleanField(
        required=False,
        label="ListenBrainz: include plays shorter than half the track (or 4 minutes)",
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The start date is after the end date.")
        return data

from __future__ import annotations

from django import forms
from django.db.models import Q

from playlists import pickers
from playlists.models import Playlist
from sync.models import BasePlaylist, ChildPlaylist, Schedule
from sync.schedules import ScheduleError, parse_crontab


class AddBaseForm(forms.Form):
    playlist = forms.ModelChoiceField(queryset=Playlist.objects.none(), empty_label=None)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        taken = BasePlaylist.objects.filter(user=user).values("spotify_id")
        # Development mode serves items only for playlists the user owns or collaborates on.
        self.fields["playlist"].queryset = (
            Playlist.objects.filter(user=user)
            .filter(Q(is_owner=True) | Q(collaborative=True))
            .exclude(spotify_id__in=taken)
            .order_by("name", "owner_name")
        )
        # Same-named playlists show their owner, so the two “Chill”s can be told apart.
        duplicated = pickers.duplicated_names(
            self.fields["playlist"].queryset.values_list("name", flat=True)
        )
        self.fields["playlist"].label_from_instance = lambda playlist: pickers.picker_label(
            playlist.name,
            playlist.owner_name,
            playlist.owner_id,
            playlist.name.casefold() in duplicated,
        )

    def clean_playlist(self):
        playlist = self.cleaned_data["playlist"]
        if not playlist.readable_by_owner:
            raise forms.ValidationError(
                "A base playlist must be yours or one you collaborate on: Spotify serves the "
                "items of no other playlist to apps like Tunekeeper."
            )
        return playlist


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = BasePlaylist
        fields = ["schedule", "daily_at", "crontab"]
        labels = {"schedule": "Sync", "daily_at": "Daily at", "crontab": "Crontab (custom)"}
        help_texts = {
            "daily_at": "your local time; empty: around 4 a.m. server time",
            "crontab": "minute hour day-of-month month day-of-week, e.g. 15 6 * * 1-5",
        }
        widgets = {"daily_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def clean(self):
        data = super().clean()
        if data.get("schedule") == Schedule.CUSTOM:
            try:
                parse_crontab(data.get("crontab") or "")
            except ScheduleError as error:
                self.add_error("crontab", str(error))
        return data


class ChildSettingsForm(forms.ModelForm):
    class Meta:
        model = ChildPlaylist
        fields = [
            "name",
            "order",
            "limit",
            "dedupe",
            "one_per_artist",
            "skip_blocked",
            "write_mode",
            "on_external_edit",
            "public",
        ]
        labels = {
            "limit": "At most this many tracks",
            "dedupe": "Each track once",
            "one_per_artist": "At most one track per artist",
            "skip_blocked": "Leave out blocked tracks",
            "write_mode": "How to write",
            "on_external_edit": "When someone edits it outside Tunekeeper",
            "public": "Public playlist",
        }
        widgets = {"limit": forms.NumberInput(attrs={"min": 1, "placeholder": "no limit"})}

    def clean_limit(self):
        limit = self.cleaned_data.get("limit")
        if limit is not None and limit < 1:
            raise forms.ValidationError("A limit is 1 or more (leave it empty for none).")
        return limit


class NewChildForm(forms.Form):
    name = forms.CharField(max_length=100)

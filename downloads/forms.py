from django import forms

from downloads.models import Preset, SlskdSettings
from downloads.quality import Ladder, LadderError


class SlskdSettingsForm(forms.ModelForm):
    base_url = forms.URLField(
        label="slskd URL",
        required=False,
        max_length=300,
        assume_scheme="http",  # slskd listens on plain HTTP (:5030) unless set up otherwise
        help_text="Like http://slskd:5030 (add slskd's url_base if it has one). "
        "Empty: the household's slskd.",
    )
    # Write-only: the stored key is never sent back to the browser.
    new_api_key = forms.CharField(
        label="API key",
        required=False,
        max_length=255,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Leave empty to keep the current key. slskd keys are 16–255 characters.",
    )
    clear_api_key = forms.BooleanField(
        label="Use the household key instead of my own", required=False
    )

    class Meta:
        model = SlskdSettings
        fields = ["base_url", "preset", "custom_ladder", "destination"]
        labels = {
            "base_url": "slskd URL",
            "preset": "Quality",
            "custom_ladder": "My ladder (best first, one rung per line)",
            "destination": "Folder under slskd's downloads directory",
        }
        help_texts = {
            "base_url": "Like http://slskd:5030 (add slskd's url_base if it has one). "
            "Empty: the household's slskd.",
            "custom_ladder": "Rungs: flac 24, flac 24/96, flac 16/44.1, flac, lossless, "
            "mp3 320, mp3 v0, mp3 256, lossy 256, any.",
        }
        widgets = {
            "preset": forms.RadioSelect,
            "custom_ladder": forms.Textarea(attrs={"rows": 5, "cols": 30}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.is_staff:
            # Tunekeeper's server sends requests to this URL and reports what answered: letting
            # any member choose it would let them probe the server's own network.
            field = self.fields["base_url"]
            field.disabled = True
            field.help_text = (
                "Only a household admin can point Tunekeeper at another slskd "
                "(in admin, under slskd settings)."
            )

    def clean_new_api_key(self) -> str:
        key = self.cleaned_data["new_api_key"].strip()
        if key and len(key) < 16:
            raise forms.ValidationError("slskd API keys are at least 16 characters.")
        return key

    def clean_destination(self) -> str:
        value = self.cleaned_data["destination"].strip().strip("/\\")
        parts = value.replace("\\", "/").split("/")
        if any(part in ("..", ".") for part in parts) or ":" in value:
            raise forms.ValidationError(
                "A folder inside slskd's downloads directory, like music/new."
            )
        return value

    def clean(self):
        data = super().clean()
        if data.get("preset") == Preset.CUSTOM:
            try:
                Ladder.parse(data.get("custom_ladder") or "")
            except LadderError as error:
                self.add_error("custom_ladder", str(error))
        return data

    def save(self, commit: bool = True) -> SlskdSettings:
        settings = super().save(commit=False)
        if self.cleaned_data.get("clear_api_key"):
            settings.api_key = ""
        elif self.cleaned_data.get("new_api_key"):
            settings.api_key = self.cleaned_data["new_api_key"]
        if commit:
            settings.save()
        return settings

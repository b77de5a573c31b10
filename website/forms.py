"""Forms of the website's pages: they check shape only, services check the rest."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from streams.selectors_stats import StatsPeriod, time_zone_get, time_zone_names

QUERY_MAX_LENGTH = 200


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class ImportUploadForm(forms.Form):
    files = MultipleFileField(
        label="Spotify export (.zip or .json files)",
        widget=MultipleFileInput(attrs={"accept": ".zip,.json,application/zip,application/json"}),
        error_messages={"required": "Choose your export's zip or its JSON files first."},
    )


class PredictionForm(forms.Form):
    song = forms.CharField(
        label="Song",
        max_length=QUERY_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. Blinding Lights", "autocomplete": "off"}
        ),
    )
    artist = forms.CharField(
        label="Artist",
        max_length=QUERY_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": "e.g. The Weeknd", "autocomplete": "off"}),
    )


class StatsFilterForm(forms.Form):
    BY_CHOICES = [("count", "Streams"), ("time", "Time listened")]

    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    by = forms.ChoiceField(
        label="Rank by", choices=BY_CHOICES, required=False, widget=forms.RadioSelect
    )
    # The browser's zone (filled in by JavaScript), so hours and days are the user's own.
    tz = forms.CharField(required=False, widget=forms.HiddenInput)
    year = forms.IntegerField(label="Recap year", required=False, min_value=1990, max_value=2100)

    def clean_tz(self) -> str:
        name = self.cleaned_data.get("tz") or "UTC"
        return name if name in time_zone_names() else "UTC"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The end date is before the start date.")
        return data

    def period(self) -> StatsPeriod:
        data = self.cleaned_data if self.is_valid() else {}
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        return StatsPeriod(start=start, end=end, tz=time_zone_get(data.get("tz") or "UTC"))

    def ranking(self) -> str:
        return (self.cleaned_data.get("by") if self.is_valid() else None) or "count"


class AccountDeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, delete my account and all my data. This cannot be undone.",
        error_messages={"required": "Tick the box to confirm."},
    )

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    action = forms.CharField(
        label=_("Action"), required=False, max_length=64, help_text=_("prefix, e.g. decoys.")
    )
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=64)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def filter(self, events: QuerySet) -> QuerySet:
        """``events`` narrowed by the valid filters (dates are whole days in the console's zone)."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("actor"):
            events = events.filter(actor__icontains=data["actor"])
        if data.get("action"):
            events = events.filter(action__startswith=data["action"])
        if data.get("object_type"):
            events = events.filter(object_type=data["object_type"])
        zone = timezone.get_current_timezone()
        if data.get("since"):
            events = events.filter(at__gte=dt.datetime.combine(data["since"], dt.time(), zone))
        if data.get("until"):
            events = events.filter(
                at__lt=dt.datetime.combine(data["until"] + dt.timedelta(days=1), dt.time(), zone)
            )
        return events

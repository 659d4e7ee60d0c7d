from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from canary.phones.models import Provider
from canary.phones.pool import NumberError, to_e164


class AddNumbersForm(forms.Form):
    numbers = forms.CharField(
        label=_("Numbers"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 30}),
        help_text=_("One per line; +86, spaces and full-width digits are accepted."),
    )
    provider = forms.ChoiceField(label=_("Provider"), choices=Provider.choices, initial=Provider.MANUAL)

    def clean_numbers(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["numbers"].splitlines() if line.strip()]
        bad = []
        for line in lines:
            try:
                to_e164(line)
            except NumberError:
                bad.append(line)
        if bad:
            raise forms.ValidationError(
                _("Not valid phone numbers: %(numbers)s"), params={"numbers": "、".join(bad[:10])}
            )
        return lines

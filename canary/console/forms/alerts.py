from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from canary.alerts.channel_setup import URL_KINDS
from canary.alerts.models import Channel, ChannelKind, EventKind, Rule
from canary.netguard import UnsafeTarget, check_url
from canary.phones.pool import NumberError, to_e164


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = ("team", "name", "kind", "target", "secret", "enabled")
        widgets = {"secret": forms.PasswordInput(render_value=True)}

    def clean(self):
        data = super().clean()
        kind, target = data.get("kind"), (data.get("target") or "").strip()
        if kind == ChannelKind.WEBHOOK and not data.get("secret"):
            # Receivers check the HMAC signature; an unsigned webhook could be forged.
            self.add_error("secret", _("A webhook needs a signing secret."))
        if not kind or not target:
            return data
        if kind == ChannelKind.EMAIL:
            addresses = [a.strip() for a in target.split(",") if a.strip()]
            try:
                for address in addresses:
                    validate_email(address)
            except forms.ValidationError:
                self.add_error("target", _("Give e-mail addresses separated by commas."))
            data["target"] = ", ".join(addresses)
        elif kind == ChannelKind.SMS:
            try:
                data["target"] = to_e164(target)
            except NumberError:
                self.add_error("target", _("Give a mobile number, e.g. +8613800138000."))
        elif kind in URL_KINDS:
            try:
                # The same guard the delivery uses: no private or loopback targets unless allowed.
                check_url(
                    target,
                    allow_private=settings.ALLOW_PRIVATE_TARGETS,
                    allow_loopback=settings.ALLOW_LOOPBACK_TARGETS,
                )
            except UnsafeTarget as error:
                self.add_error("target", _("This URL cannot be used: %(reason)s") % {"reason": error})
        return data


class RuleForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every event."),
    )

    class Meta:
        model = Rule
        fields = (
            "name",
            "enabled",
            "events",
            "min_severity",
            "campaigns",
            "channels",
            "escalation_channels",
            "quiet_start",
            "quiet_end",
            "throttle_minutes",
            "daily_digest",
            "digest_hour",
        )
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean_digest_hour(self) -> int:
        hour = self.cleaned_data["digest_hour"]
        if not 0 <= hour <= 23:
            raise forms.ValidationError(_("An hour of the day: 0 to 23."))
        return hour

    def clean(self):
        data = super().clean()
        if bool(data.get("quiet_start")) != bool(data.get("quiet_end")):
            self.add_error("quiet_end", _("Give both ends of the quiet hours, or neither."))
        return data

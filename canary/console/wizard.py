"""The campaign wizard's form: nodes (by kind, by region, ticked in the tree), carrier, strategy,
decoys per node, label template, window and number count, turned into a ``CampaignSpec``.

The spec the preview was computed for travels to the issue step signed, so what is issued is
exactly what was previewed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from canary.campaigns.messages import Message
from canary.campaigns.models import Campaign, CarrierChoice, LabelTemplate, Strategy
from canary.campaigns.planner import SLUG, CampaignSpec, SpecError
from canary.network.models import Node, NodeKind

SIGNING_SALT = "console.campaign-wizard"


class CampaignPlanForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.RegexField(
        label=_("Short name (for links)"),
        regex=SLUG,
        max_length=64,
        error_messages={"invalid": _("Use 1–64 lower-case letters, digits, “-” or “_”.")},
    )
    node_kinds = forms.MultipleChoiceField(
        label=_("Every node of these kinds"),
        choices=NodeKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    region = forms.ModelChoiceField(
        label=_("Only under"),
        queryset=Node.objects.filter(kind__in=[NodeKind.HQ, NodeKind.REGION, NodeKind.HUB]).order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("the whole network"),
    )
    nodes = forms.MultipleChoiceField(
        label=_("And these nodes"), required=False, widget=forms.CheckboxSelectMultiple
    )
    carrier = forms.ChoiceField(label=_("Carrier"), choices=CarrierChoice.choices)
    strategy = forms.ChoiceField(
        label=_("Seeding strategy"), choices=Strategy.choices, initial=Strategy.ISOLATED
    )
    decoys_per_node = forms.IntegerField(label=_("Decoys per node"), min_value=1, max_value=1000, initial=3)
    label_template = forms.ChoiceField(label=_("Label template"), choices=LabelTemplate.choices)
    starts_at = forms.DateField(label=_("Starts"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_at = forms.DateField(label=_("Ends"), widget=forms.DateInput(attrs={"type": "date"}))
    numbers = forms.IntegerField(
        label=_("Canary numbers to use"),
        min_value=1,
        required=False,
        help_text=_("Leave empty to use every free number."),
    )
    controls = forms.IntegerField(
        label=_("Control decoys (never shown to anyone)"),
        min_value=0,
        max_value=1000,
        initial=0,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["nodes"].choices = list(Node.objects.order_by("code").values_list("code", "code"))
        today = timezone.localdate()
        self.fields["starts_at"].initial = today
        self.fields["ends_at"].initial = today + timedelta(days=90)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must come after the start."))
        if data.get("slug") == "new":
            self.add_error("slug", _("“new” is reserved; choose another short name."))
        if data.get("slug") and Campaign.objects.filter(slug=data["slug"]).exists():
            self.add_error("slug", _("A campaign with this short name already exists."))
        if not data.get("node_kinds") and not data.get("nodes"):
            raise forms.ValidationError(_("Choose at least one node or node kind."))
        return data

    def target_codes(self) -> list[str]:
        """Every chosen node: ticked ones, plus each node of a chosen kind (under the region)."""
        data = self.cleaned_data
        codes = set(data.get("nodes") or [])
        kinds = data.get("node_kinds") or []
        if kinds:
            candidates = Node.objects.filter(kind__in=kinds)
            region = data.get("region")
            if region is not None:
                candidates = candidates.filter(id__in=descendant_ids(region))
            codes.update(candidates.values_list("code", flat=True))
        return sorted(codes)

    def spec_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "slug": data["slug"],
            "name": data["name"],
            "carrier": data["carrier"],
            "decoys_per_node": data["decoys_per_node"],
            "strategy": data["strategy"],
            "label_template": data["label_template"],
            "starts_at": data["starts_at"].isoformat(),
            "ends_at": data["ends_at"].isoformat(),
            "nodes": self.target_codes(),
            "numbers": data.get("numbers"),
            "controls": data.get("controls") or 0,
        }


def descendant_ids(root: Node) -> set[int]:
    """Ids of every node below ``root`` (one query per level of the tree)."""
    found: set[int] = set()
    level = [root.id]
    while level:
        level = list(Node.objects.filter(parent_id__in=level).values_list("id", flat=True))
        found.update(level)
    return found


def sign_spec(data: dict[str, Any]) -> str:
    return signing.dumps(data, salt=SIGNING_SALT, compress=True)


def unsign_spec(token: str) -> dict[str, Any]:
    """The previewed spec back; raises ``SpecError`` if the token was altered."""
    try:
        return signing.loads(token, salt=SIGNING_SALT)
    except signing.BadSignature as exc:
        raise SpecError([Message(gettext_noop("the previewed plan was altered; preview it again"))]) from exc


def spec_from(data: dict[str, Any]) -> CampaignSpec:
    if not data.get("nodes"):
        raise SpecError([Message(gettext_noop("no node matches the chosen kinds and region"))])
    return CampaignSpec.from_dict({k: v for k, v in data.items() if v is not None})

"""Attribution, incidents, alert channels and rules over the API."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import translation
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from canary.alerts import incidents
from canary.alerts.models import CaseFile, Channel, Incident, Rule, TimelineEntry
from canary.attribution import services as attribution
from canary.attribution.models import AttributionSnapshot
from canary.audit.roles import SECURITY_ADMIN, SECURITY_ANALYST, VIEWER
from canary.audit.services import record_request
from canary.campaigns.models import Campaign
from canary.queue import publish_after_commit

from .exceptions import Conflict
from .permissions import RoleRequired, request_role
from .tokens import ROLE_RANK

# Keys of an attribution report that name decoys: a viewer gets the ranking without them (and the
# explanation written for viewers, which gives counts only).
DECOY_KEYS = ("decoy", "waybill")


def without_decoy_identities(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: without_decoy_identities(v) for k, v in value.items() if not any(d in k for d in DECOY_KEYS)
        }
    if isinstance(value, list):
        return [without_decoy_identities(v) for v in value]
    return value


def sees_decoys(request) -> bool:
    return ROLE_RANK[request_role(request)] >= ROLE_RANK[SECURITY_ANALYST]


RankingSerializer = inline_serializer(
    "Ranking",
    {
        "campaign": serializers.CharField(),
        "nodes": serializers.ListField(child=serializers.DictField(), help_text="node, posterior, rank, …"),
        "noise_only": serializers.FloatField(),
        "signals": serializers.IntegerField(),
        "computed_at": serializers.CharField(),
    },
)


class SnapshotSerializer(serializers.ModelSerializer):
    top_node = serializers.CharField(source="top_node.code", default=None, allow_null=True)

    class Meta:
        model = AttributionSnapshot
        fields = ["computed_at", "signals_count", "top_node", "top_posterior"]


class AttributionViewSet(viewsets.GenericViewSet):
    """The current ranking of a campaign in the ``attribute --json`` shape; viewers get it without
    decoy identities (no supporting decoys or waybills; the explanation that gives counts only)."""

    permission_classes = [RoleRequired]
    read_role = VIEWER
    lookup_field = "slug"
    queryset = Campaign.objects.all()
    ordering = ("-computed_at", "-id")  # of the history's snapshots
    serializer_class = SnapshotSerializer

    @extend_schema(responses=RankingSerializer)
    def retrieve(self, request, slug=None):
        campaign = self.get_object()
        lang = "en" if translation.get_language() == "en" else "zh-hans"
        report = attribution.compute(campaign, lang=lang).report
        security = sees_decoys(request)
        for row in report["nodes"]:
            texts = row.pop("explanations", {}).get(lang, {})
            row["explanation"] = texts.get("summary" if security else "summary_redacted", "")
        record_request(request, "api.attribution.view", campaign, signals=report["signals"])
        return Response(report if security else without_decoy_identities(report))

    @extend_schema(responses=SnapshotSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, slug=None):
        """Stored snapshots, newest first: how the suspect and its posterior moved."""
        snapshots = AttributionSnapshot.objects.filter(campaign=self.get_object()).select_related("top_node")
        page = self.paginate_queryset(snapshots.order_by("-computed_at", "-id"))
        return self.get_paginated_response(SnapshotSerializer(page, many=True).data)


class TimelineSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimelineEntry
        fields = ["at", "kind", "actor", "text"]


class IncidentSerializer(serializers.ModelSerializer):
    campaign = serializers.CharField(source="campaign.slug", read_only=True)
    node = serializers.CharField(source="node.code", default=None, allow_null=True, read_only=True)
    note = serializers.CharField(write_only=True, required=False, help_text="a note kept in the timeline")

    class Meta:
        model = Incident
        fields = [
            "id", "campaign", "node", "title", "state", "severity", "posterior", "opened_at",
            "last_activity_at", "closed_at", "note",
        ]  # fmt: skip
        read_only_fields = ["title", "severity", "posterior", "opened_at", "last_activity_at", "closed_at"]


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class CaseFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseFile
        fields = ["id", "status", "progress", "sha256", "error", "created_at", "finished_at"]


class IncidentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """Incidents: viewers list them; analysts change the state (PATCH), add notes, build case files.
    ``?open=true`` lists the open ones (new, investigating, confirmed)."""

    permission_classes = [RoleRequired]
    read_role, write_role = VIEWER, SECURITY_ANALYST
    serializer_class = IncidentSerializer
    http_method_names = ["get", "patch", "post", "head", "options"]
    filterset_fields = ["state", "campaign__slug", "severity"]

    # The newest activity first, as the console lists them: an incident that changes while a
    # client pages may move to an earlier page (the cursor keeps the rest in order).
    ordering = ("-last_activity_at", "-id")

    def get_queryset(self):
        found = Incident.objects.select_related("campaign", "node").order_by("-last_activity_at", "-id")
        if self.request.query_params.get("open", "").lower() in ("1", "true", "yes"):
            found = found.filter(state__in=incidents.OPEN_STATES)
        return found

    def perform_update(self, serializer):
        incident, data = serializer.instance, serializer.validated_data
        actor = self.request.user.get_username()
        with transaction.atomic():
            if "state" in data and data["state"] != incident.state:
                try:
                    incidents.change_state(incident, data["state"], actor=actor, note=data.get("note", ""))
                except incidents.InvalidTransition as exc:
                    raise Conflict(f"{exc} is not allowed") from exc
            elif data.get("note"):
                incidents.add_note(incident, data["note"], actor=actor)
            record_request(self.request, "api.incidents.update", incident, state=incident.state)

    @extend_schema(responses=TimelineSerializer(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        return Response(TimelineSerializer(self.get_object().timeline.order_by("at", "id"), many=True).data)

    @extend_schema(request=NoteSerializer, responses={201: TimelineSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        incident = self.get_object()
        form = NoteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        incidents.add_note(incident, form.validated_data["text"], actor=request.user.get_username())
        entries = incident.timeline.order_by("at", "id")
        return Response(TimelineSerializer(entries, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: CaseFileSerializer, 200: CaseFileSerializer(many=True)})
    @action(detail=True, methods=["get", "post"], url_path="case-file", read_role=SECURITY_ANALYST)
    def case_file(self, request, pk=None):
        """``POST`` queues a case file (evidence hashes, excerpts, recordings as a ZIP); ``GET``
        lists the case files with their status and progress."""
        incident = self.get_object()
        if request.method == "GET":
            return Response(CaseFileSerializer(incident.case_files.order_by("-created_at"), many=True).data)
        case = CaseFile.objects.create(incident=incident, requested_by=request.user.get_username())
        record_request(request, "incident.case_file", incident, case_file=case.pk)
        publish_after_commit("alerts.build_case_file", case.pk)
        return Response(CaseFileSerializer(case).data, status=status.HTTP_202_ACCEPTED)


class ChannelSerializer(serializers.ModelSerializer):
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True)

    class Meta:
        model = Channel
        fields = [
            "id", "team", "name", "kind", "target", "secret", "enabled", "disabled_reason", "last_result",
            "last_error", "last_attempt_at", "last_success_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields[7:]  # what the delivery records


class RuleSerializer(serializers.ModelSerializer):
    campaigns = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Campaign.objects.all(), required=False
    )

    class Meta:
        model = Rule
        fields = [
            "id", "name", "enabled", "events", "min_severity", "campaigns", "channels", "escalation_channels",
            "quiet_start", "quiet_end", "throttle_minutes", "daily_digest", "digest_hour",
        ]  # fmt: skip


class AuditedWrites:
    audit_name: str

    def perform_create(self, serializer):
        record_request(self.request, f"api.{self.audit_name}.create", serializer.save())

    def perform_update(self, serializer):
        record_request(self.request, f"api.{self.audit_name}.update", serializer.save())

    def perform_destroy(self, instance):
        record_request(self.request, f"api.{self.audit_name}.delete", instance)
        instance.delete()


class ChannelViewSet(AuditedWrites, viewsets.ModelViewSet):
    """Where alerts go (e-mail, SMS, webhook, DingTalk/WeCom/Slack): admins only; secrets are write-only."""

    permission_classes = [RoleRequired]
    read_role, write_role = SECURITY_ADMIN, SECURITY_ADMIN
    audit_name = "channels"
    serializer_class = ChannelSerializer
    queryset = Channel.objects.order_by("name", "id")
    ordering = ("name", "id")
    filterset_fields = ["kind", "enabled"]


class RuleViewSet(AuditedWrites, viewsets.ModelViewSet):
    """Which events alert which channels: analysts read, admins change."""

    permission_classes = [RoleRequired]
    read_role, write_role = SECURITY_ANALYST, SECURITY_ADMIN
    audit_name = "rules"
    serializer_class = RuleSerializer
    queryset = Rule.objects.prefetch_related("campaigns").order_by("name", "id")
    ordering = ("name", "id")
    filterset_fields = ["enabled"]

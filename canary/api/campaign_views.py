"""Campaigns over the API: create from a spec (201 issued, 202 issuing), plan, activate, end,
status history, and the depot-facing downloads (labels, order files), audited."""

from __future__ import annotations

from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from canary.audit.roles import SECURITY_ANALYST, VIEWER
from canary.audit.services import record_request
from canary.campaigns import planner
from canary.campaigns.exports import count_orders, labels_pdf_file, order_text
from canary.campaigns.issuing import start_issuing
from canary.campaigns.models import Campaign, CampaignStatusChange
from canary.campaigns.sizes import decoy_count
from canary.phones.pool import NumberError

from .exceptions import Conflict
from .permissions import RoleRequired
from .views import AuditedReads


class CampaignSerializer(serializers.ModelSerializer):
    decoy_count = serializers.SerializerMethodField()
    decoys_expected = serializers.IntegerField(read_only=True)
    progress_percent = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "slug", "name", "carrier", "strategy", "decoys_per_node", "label_template", "starts_at",
            "ends_at", "status", "decoy_count", "decoys_expected", "progress_percent", "issue_error",
            "created_by", "created_at", "activated_at", "ended_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_decoy_count(self, campaign: Campaign) -> int:
        """Decoys issued so far (while ``issuing``, how far the worker got)."""
        if campaign.status == "issuing":
            return campaign.decoys_issued
        return decoy_count(campaign)

    def get_progress_percent(self, campaign: Campaign) -> int:
        expected = campaign.decoys_expected
        done = self.get_decoy_count(campaign)
        return (
            100
            if not expected or campaign.status not in ("issuing", "failed")
            else min(100, 100 * done // expected)
        )


class CampaignSpecSerializer(serializers.Serializer):
    """The spec of ``create_campaign --spec``; checked by the planner, which names every problem."""

    slug = serializers.CharField()
    name = serializers.CharField()
    carrier = serializers.CharField()
    decoys_per_node = serializers.IntegerField()
    strategy = serializers.CharField()
    starts_at = serializers.CharField(help_text="ISO date or date-time (Asia/Shanghai when naive)")
    ends_at = serializers.CharField()
    label_template = serializers.CharField(required=False)
    nodes = serializers.ListField(child=serializers.CharField(), required=False)
    node_kinds = serializers.ListField(child=serializers.CharField(), required=False)
    numbers = serializers.IntegerField(required=False, allow_null=True)
    controls = serializers.IntegerField(required=False)
    seed = serializers.IntegerField(required=False, allow_null=True)


class StatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignStatusChange
        fields = ["from_status", "to_status", "actor", "reason", "at"]


class PlanSerializer(serializers.Serializer):
    expected_top1 = serializers.FloatField(allow_null=True)
    expected_top1_after_fixes = serializers.FloatField(allow_null=True, required=False)
    confusable = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    see_everything = serializers.ListField(child=serializers.CharField())
    unseeded = serializers.ListField(child=serializers.CharField())
    suggestions = serializers.ListField(child=serializers.DictField())
    checked = serializers.BooleanField()


class CampaignViewSet(
    AuditedReads,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Campaigns. Viewers read them (no decoy identities here); analysts create, activate, end."""

    permission_classes = [RoleRequired]
    read_role, write_role = VIEWER, SECURITY_ANALYST
    audit_name = "campaigns"
    serializer_class = CampaignSerializer
    queryset = Campaign.objects.order_by("-created_at", "-id")
    ordering = ("-created_at", "-id")
    lookup_field = "slug"
    filterset_fields = ["status", "carrier", "strategy"]

    @extend_schema(
        request=CampaignSpecSerializer,
        responses={201: CampaignSerializer, 202: CampaignSerializer},
        description="201 when the decoys were issued in the request; 202 when a worker issues them: "
        "poll the campaign's `status` (issuing → draft, or failed) and `decoy_count`.",
    )
    def create(self, request, *args, **kwargs):
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["the spec must be a JSON object"]})
        CampaignSpecSerializer(data=request.data).is_valid(raise_exception=True)  # types first
        try:
            spec = planner.CampaignSpec.from_dict(dict(request.data))
            started = start_issuing(spec, actor=request.user.get_username())
        except planner.SpecError as exc:
            raise serializers.ValidationError({"spec": exc.problems}) from exc
        except NumberError as exc:
            raise serializers.ValidationError({"numbers": [str(exc)]}) from exc
        record_request(request, "api.campaigns.create", started.campaign, background=started.background)
        campaign = self.get_queryset().get(pk=started.campaign.pk)
        code = status.HTTP_202_ACCEPTED if started.background else status.HTTP_201_CREATED
        return Response(self.get_serializer(campaign).data, status=code)

    @extend_schema(
        request=None, responses={200: CampaignSerializer, 409: OpenApiResponse(description="not a draft")}
    )
    @action(detail=True, methods=["post"])
    def activate(self, request, slug=None):
        return self._transition(request, planner.activate)

    @extend_schema(
        request=None, responses={200: CampaignSerializer, 409: OpenApiResponse(description="not active")}
    )
    @action(detail=True, methods=["post"])
    def end(self, request, slug=None):
        return self._transition(request, planner.end)

    def _transition(self, request, step):
        try:
            step(self.get_object(), actor=request.user.get_username())
        except planner.SpecError as exc:
            raise Conflict(str(exc)) from exc
        return Response(self.get_serializer(self.get_queryset().get(slug=self.kwargs["slug"])).data)

    @extend_schema(responses=PlanSerializer)
    @action(detail=True, methods=["get"])
    def plan(self, request, slug=None):
        """The seeding-plan check stored at activation: expected top-1 accuracy and the nodes that
        saw the same decoys (``confusable``). ``checked`` is false before activation."""
        report = self.get_object().plan_report or {}
        return Response(
            {
                "expected_top1": report.get("expected_top1"),
                "expected_top1_after_fixes": report.get("expected_top1_after_fixes"),
                "confusable": report.get("confusable", []),
                "see_everything": report.get("see_everything", []),
                "unseeded": report.get("unseeded", []),
                "suggestions": report.get("suggestions", []),
                "checked": bool(report),
            }
        )

    @extend_schema(responses=StatusChangeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, slug=None):
        changes = CampaignStatusChange.objects.filter(campaign=self.get_object())
        return Response(StatusChangeSerializer(changes, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("privacy", bool, description="privacy labels: 张*伟, 138****5678"),
            OpenApiParameter("node", str, description="only the decoys seeded for this node code"),
        ],
        responses={(200, "application/pdf"): OpenApiResponse(description="label PDF")},
    )
    @action(detail=True, methods=["get"], url_path="labels", read_role=SECURITY_ANALYST)
    def labels(self, request, slug=None):
        campaign = self.get_object()
        privacy = request.query_params.get("privacy", "").lower() in ("1", "true", "yes")
        node = request.query_params.get("node") or None
        pdf, pages = labels_pdf_file(campaign, privacy=privacy, node_code=node)
        record_request(request, "labels.export", campaign, privacy=privacy, pages=pages, node=node or "")
        return FileResponse(
            pdf, content_type="application/pdf", as_attachment=True, filename=f"{campaign.slug}-labels.pdf"
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("as", str, enum=["csv", "json"], description="file format, default csv")
        ],
        responses={(200, "text/csv"): OpenApiResponse(description="order file")},
    )
    @action(detail=True, methods=["get"], url_path="orders", read_role=SECURITY_ANALYST)
    def orders(self, request, slug=None):
        campaign = self.get_object()
        fmt = request.query_params.get("as") or "csv"
        if fmt not in ("csv", "json"):
            raise serializers.ValidationError({"as": ["csv or json"]})
        pieces = order_text(campaign, fmt)
        record_request(request, "orders.export", campaign, format=fmt, rows=count_orders(campaign))
        # Streamed as the decoys are read: a million orders never sit in the web process's memory.
        response = StreamingHttpResponse(
            (piece.encode("utf-8") for piece in pieces),
            content_type="text/csv" if fmt == "csv" else "application/json",
        )
        response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-orders.{fmt}"'
        return response

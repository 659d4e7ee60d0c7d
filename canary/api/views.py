"""REST API v1, evidence side: decoys, signals, documents, sightings; every decoy read is audited."""

from django.db.models import Count, Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from canary.attribution.models import Signal
from canary.audit.services import record_request
from canary.campaigns.models import Decoy, Exposure
from canary.sightings.models import Document, Sighting
from canary.sightings.services import store_upload

from .permissions import RoleRequired
from .serializers import (
    DecoySerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
    SightingSerializer,
    SignalSerializer,
)


class AuditedReads:
    """Every list and every single read is audited, with the filters or the key asked for:
    decoy data is secret. ``audit_name`` names the actions (``api.<name>.list``/``.view``)."""

    audit_name: str
    audit_filters: tuple[str, ...] = ()

    def list(self, request, *args, **kwargs):
        filters = {key: request.query_params.get(key, "") for key in self.audit_filters}
        record_request(request, f"api.{self.audit_name}.list", **filters)
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        key = self.lookup_url_kwarg or self.lookup_field
        record_request(request, f"api.{self.audit_name}.view", **{key: kwargs.get(key, "")})
        return super().retrieve(request, *args, **kwargs)


@extend_schema(
    parameters=[OpenApiParameter("campaign", str, description="only this campaign's decoys (slug)")]
)
class DecoyViewSet(AuditedReads, viewsets.ReadOnlyModelViewSet):
    """Decoys with their exposures: security roles only (a viewer token gets 403), every read audited."""

    permission_classes = [RoleRequired]
    audit_name = "decoys"
    audit_filters = ("campaign",)
    serializer_class = DecoySerializer
    lookup_field = "waybill_no"
    ordering = ("id",)

    def get_queryset(self):
        exposures = Exposure.objects.select_related("node").order_by("visible_from")
        queryset = Decoy.objects.select_related("target").prefetch_related(Prefetch("exposures", exposures))
        campaign = self.request.query_params.get("campaign")
        return queryset.filter(campaign__slug=campaign) if campaign else queryset


class SignalViewSet(AuditedReads, viewsets.ReadOnlyModelViewSet):
    permission_classes = [RoleRequired]
    filterset_fields = ["kind", "campaign__slug"]
    audit_name = "signals"
    serializer_class = SignalSerializer
    ordering = ("-first_seen_at", "-id")
    queryset = Signal.objects.select_related("campaign")

    def paginate_queryset(self, queryset):
        return with_waybills(super().paginate_queryset(queryset))

    def get_object(self):
        return with_waybills([super().get_object()])[0]


def with_waybills(signals: list[Signal]) -> list[Signal]:
    """``waybills`` on each signal, in one query of (signal, waybill) pairs: an SMS to a canary
    number names every decoy carrying it (hundreds at national scale), and building a model
    object for each of them made the list slow."""
    pairs = (
        Signal.decoys.through.objects.filter(signal_id__in=[s.pk for s in signals])
        .order_by("decoy_id")
        .values_list("signal_id", "decoy__waybill_no")
    )
    waybills: dict[int, list[str]] = {}
    for signal_id, waybill in pairs:
        waybills.setdefault(signal_id, []).append(waybill)
    for signal in signals:
        signal.waybills = waybills.get(signal.pk, [])
    return signals


class DocumentViewSet(
    AuditedReads,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Fetched and uploaded documents with their scan progress; ``POST`` uploads a dump.

    An upload is stored once by content hash and scanned by the workers: ``201`` for a new
    document, ``200`` with the stored one when the same bytes came before. Poll the document for
    ``status`` and ``progress_percent``, then read its sightings.
    """

    permission_classes = [RoleRequired]
    serializer_class = DocumentSerializer
    audit_name = "documents"
    audit_filters = ("status",)
    parser_classes = [MultiPartParser, FormParser]
    ordering = ("-fetched_at", "-id")

    @staticmethod
    def documents():
        return (
            Document.objects.select_related("source")
            .annotate(sighting_count=Count("sightings"))
            .order_by("-fetched_at", "-id")  # Meta.ordering does not apply to aggregating queries
        )

    def get_queryset(self):
        wanted = self.request.query_params.get("status")
        return self.documents().filter(status=wanted) if wanted else self.documents()

    @extend_schema(
        request=DocumentUploadSerializer, responses={201: DocumentSerializer, 200: DocumentSerializer}
    )
    def create(self, request, *args, **kwargs):
        upload = DocumentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        document, created = store_upload(
            request,
            upload.validated_data["file"],
            upload.validated_data.get("seen_at"),
            "api.documents.upload",
            source=upload.validated_data.get("source"),
        )
        document = self.get_queryset().get(pk=document.pk)
        return Response(
            self.get_serializer(document).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema(
    parameters=[
        OpenApiParameter("document", int, description="only sightings in this document"),
        OpenApiParameter("campaign", str, description="only decoys of this campaign (slug)"),
    ]
)
class SightingViewSet(AuditedReads, viewsets.ReadOnlyModelViewSet):
    """Decoys found in documents, one piece of evidence each: the decoy (or the decoys a shared
    canary phone fits), token kinds matched, strength, place, excerpt."""

    permission_classes = [RoleRequired]
    audit_name = "sightings"
    audit_filters = ("document", "campaign")
    serializer_class = SightingSerializer
    ordering = ("-created_at", "-id")

    def get_queryset(self):
        sightings = Sighting.objects.select_related("decoy", "campaign", "document")
        document = self.request.query_params.get("document", "")
        if document.isdigit():
            sightings = sightings.filter(document_id=int(document))
        campaign = self.request.query_params.get("campaign")
        return sightings.filter(campaign__slug=campaign) if campaign else sightings

"""The watchers over the API: network, canary numbers, sources, crawler ingest, contacts."""

from __future__ import annotations

import hashlib

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from canary.audit.roles import SECURITY_ADMIN, SECURITY_ANALYST, VIEWER
from canary.audit.services import record_request
from canary.network.models import Node
from canary.network.services import NetworkImportError, import_network_bytes
from canary.phones import numbers as number_service
from canary.phones.models import CanaryNumber, Contact
from canary.phones.pool import NumberError, add_numbers
from canary.phones.providers import ProviderError
from canary.queue import publish_after_commit
from canary.sightings.forms import validate_upload_size
from canary.sightings.models import Source
from canary.sightings.services import store_document

from .exceptions import Conflict
from .permissions import RoleRequired
from .views import AuditedReads, DocumentSerializer


class NodeSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, allow_null=True, read_only=True)

    class Meta:
        model = Node
        fields = ["code", "name", "kind", "parent_code", "province", "city"]


class NetworkImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="network CSV (UTF-8 or GBK): code,name,kind,parent_code,province,city"
    )
    dry_run = serializers.BooleanField(default=False, help_text="preview the changes, store nothing")


class NetworkImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    encoding = serializers.CharField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class NodeViewSet(viewsets.ReadOnlyModelViewSet):
    """The courier network: viewers read it; admins import it (``dry_run`` previews)."""

    permission_classes = [RoleRequired]
    read_role, write_role = VIEWER, SECURITY_ADMIN
    serializer_class = NodeSerializer
    queryset = Node.objects.select_related("parent").order_by("code")
    ordering = ("code",)
    lookup_field = "code"
    filterset_fields = {
        "kind": ["exact"],
        "province": ["exact"],
        "city": ["exact"],
        "parent__code": ["exact"],
    }

    @extend_schema(
        request={"multipart/form-data": NetworkImportSerializer}, responses=NetworkImportResultSerializer
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_csv(self, request):
        form = NetworkImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        dry_run = form.validated_data["dry_run"]
        try:
            with transaction.atomic():
                result = import_network_bytes(form.validated_data["file"].read())
                # A preview runs the very import and rolls it back: same checks, same counts.
                transaction.set_rollback(dry_run)
        except NetworkImportError as exc:
            raise serializers.ValidationError({"file": exc.errors}) from exc
        if not dry_run:
            record_request(request, "api.network.import", created=result.created, updated=result.updated)
        return Response(
            {
                "dry_run": dry_run,
                "encoding": result.encoding,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            }
        )


class NumberSerializer(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = CanaryNumber
        fields = ["id", "e164", "provider", "status", "campaign", "quarantined_until", "notes", "created_at"]
        read_only_fields = fields


class AddNumbersSerializer(serializers.Serializer):
    numbers = serializers.ListField(child=serializers.CharField(max_length=40), min_length=1, max_length=1000)
    provider = serializers.CharField(required=False, default="manual")


class NumberViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Canary numbers (decoy identities: analysts read them); admins add and release."""

    permission_classes = [RoleRequired]
    read_role, write_role = SECURITY_ANALYST, SECURITY_ADMIN
    audit_name = "numbers"
    serializer_class = NumberSerializer
    queryset = CanaryNumber.objects.select_related("campaign").order_by("e164")
    ordering = ("e164",)
    filterset_fields = ["status", "provider"]

    @extend_schema(request=AddNumbersSerializer, responses={201: NumberSerializer(many=True)})
    def create(self, request):
        form = AddNumbersSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            added, known = add_numbers(form.validated_data["numbers"], form.validated_data["provider"])
        except NumberError as exc:
            raise serializers.ValidationError({"numbers": [str(exc)]}) from exc
        record_request(request, "api.numbers.add", added=[n.e164 for n in added], known=known)
        return Response(NumberSerializer(added, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None, responses={200: NumberSerializer, 409: OpenApiResponse(description="still in use")}
    )
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        number = self.get_object()
        try:
            number_service.release(number)
        except ProviderError as exc:
            raise Conflict(str(exc)) from exc
        record_request(request, "api.numbers.release", number)
        number.refresh_from_db()
        return Response(NumberSerializer(number).data)


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = [
            "id", "name", "kind", "url", "path", "follow_links", "internal", "enabled", "every_minutes",
            "last_fetched_at", "last_status", "last_error", "failures", "created_at",
        ]  # fmt: skip
        read_only_fields = ["last_fetched_at", "last_status", "last_error", "failures", "created_at"]


class SourceViewSet(viewsets.ModelViewSet):
    """Where dumps come from; ``fetch`` queues a fetch now; ``last_status`` tells how it went."""

    permission_classes = [RoleRequired]
    read_role, write_role = SECURITY_ANALYST, SECURITY_ANALYST
    serializer_class = SourceSerializer
    queryset = Source.objects.order_by("name")
    ordering = ("name", "id")
    filterset_fields = ["kind", "enabled"]

    def perform_create(self, serializer):
        record_request(self.request, "api.sources.create", serializer.save())

    def perform_update(self, serializer):
        record_request(self.request, "api.sources.update", serializer.save())

    def perform_destroy(self, instance):
        record_request(self.request, "api.sources.delete", instance)
        instance.delete()

    @extend_schema(request=None, responses={202: SourceSerializer})
    @action(detail=True, methods=["post"])
    def fetch(self, request, pk=None):
        source = self.get_object()
        record_request(request, "api.sources.fetch", source)
        publish_after_commit("sightings.fetch_source", source.pk)
        return Response(SourceSerializer(source).data, status=status.HTTP_202_ACCEPTED)


class IngestSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, trim_whitespace=False, help_text="the page or post as text")
    file = serializers.FileField(required=False, validators=[validate_upload_size])
    name = serializers.CharField(required=False, max_length=300, help_text="where it was found (URL or name)")
    seen_at = serializers.DateTimeField(required=False, allow_null=True)
    source = serializers.SlugRelatedField(
        slug_field="name", queryset=Source.objects.all(), required=False, allow_null=True
    )

    def validate(self, data):
        if bool(data.get("text")) == bool(data.get("file")):
            raise serializers.ValidationError("give either text or file")
        return data


class IngestViewSet(viewsets.GenericViewSet):
    """For crawlers: push what was found (text or a file). Idempotent by content hash: the same
    bytes again answer ``200`` with the stored document instead of ``201``."""

    permission_classes = [RoleRequired]
    read_role, write_role = SECURITY_ANALYST, SECURITY_ANALYST
    serializer_class = IngestSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=IngestSerializer, responses={201: DocumentSerializer, 200: DocumentSerializer})
    def create(self, request):
        form = IngestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if data.get("file"):
            body, name = data["file"].read(), data.get("name") or data["file"].name
            content_type = data["file"].content_type or ""
        else:
            body = data["text"].encode("utf-8")
            name = data.get("name") or f"ingest-{hashlib.sha256(body).hexdigest()[:12]}.txt"
            content_type = "text/plain; charset=utf-8"
        with transaction.atomic():
            document, created = store_document(
                body, name, source=data.get("source"), seen_at=data.get("seen_at"), content_type=content_type
            )
            record_request(request, "api.ingest", document, created=created, size=document.size)
        from .views import DocumentViewSet

        document = DocumentViewSet.documents().get(pk=document.pk)
        return Response(
            DocumentSerializer(document).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ContactSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="number.e164", default=None, allow_null=True, read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id", "provider", "kind", "source", "from_number", "to_number", "number", "received_at",
            "body", "call_status", "call_duration",
        ]  # fmt: skip


class ContactViewSet(AuditedReads, viewsets.ReadOnlyModelViewSet):
    """Calls and texts to canary numbers (evidence: read-only)."""

    permission_classes = [RoleRequired]
    read_role = SECURITY_ANALYST
    audit_name = "contacts"
    serializer_class = ContactSerializer
    queryset = Contact.objects.select_related("number").order_by("-received_at", "-id")
    ordering = ("-received_at", "-id")
    filterset_fields = ["kind", "provider", "to_number"]

from django.db import models
from rest_framework import serializers

from canary.attribution.models import Signal
from canary.campaigns.models import Decoy, Exposure
from canary.sightings.forms import validate_upload_size
from canary.sightings.models import Document, Sighting, Source, candidate_waybills


class ExposureSerializer(serializers.ModelSerializer):
    node = serializers.CharField(source="node.code")

    class Meta:
        model = Exposure
        fields = ["node", "channel", "visible_from", "visible_until"]


class DecoySerializer(serializers.ModelSerializer):
    target = serializers.CharField(source="target.code", default=None, allow_null=True)
    exposures = ExposureSerializer(many=True, read_only=True)

    class Meta:
        model = Decoy
        fields = [
            "waybill_no", "carrier", "target", "is_control", "recipient_name", "recipient_phone",
            "recipient_address", "address_token", "item_description", "shipped_at", "exposures",
        ]  # fmt: skip


class SignalSerializer(serializers.ModelSerializer):
    campaign = serializers.CharField(source="campaign.slug")
    # Waybill numbers of the decoys, by decoy id, put on each signal by the view (``waybills``).
    decoys = serializers.ListField(child=serializers.CharField(), source="waybills", read_only=True)

    class Meta:
        model = Signal
        fields = [
            "id", "campaign", "kind", "decoys", "first_seen_at", "last_seen_at", "occurrences",
            "strength", "full_phone_of_privacy_label", "summary",
        ]  # fmt: skip


class DocumentSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.name", default=None, allow_null=True, read_only=True)
    seen_at = serializers.DateTimeField(source="first_seen", read_only=True)
    chunks_done = serializers.IntegerField(read_only=True)
    progress_percent = serializers.IntegerField(read_only=True)
    sightings = serializers.IntegerField(source="sighting_count", read_only=True)

    class Meta:
        model = Document
        fields = [
            "id", "name", "sha256", "size", "content_type", "source", "fetched_at", "seen_at",
            "status", "error", "chunks_total", "chunks_done", "progress_percent", "sightings",
        ]  # fmt: skip


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(validators=[validate_upload_size])
    seen_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When the dump was bought or first seen circulating"
    )
    source = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Source.objects.all(),
        required=False,
        allow_null=True,
        help_text="source name",
    )


class SightingListSerializer(serializers.ListSerializer):
    """Looks up the waybill numbers of a whole page's candidates in one go, not per sighting."""

    def to_representation(self, data):
        sightings = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        self.child.waybills = candidate_waybills(sightings)
        return super().to_representation(sightings)


class SightingSerializer(serializers.ModelSerializer):
    """One piece of evidence in a document; ``waybill_no`` is null when it fits several decoys (a
    shared canary phone), which ``candidates`` then lists."""

    waybill_no = serializers.CharField(source="decoy.waybill_no", allow_null=True, read_only=True)
    campaign = serializers.CharField(source="campaign.slug")
    matched = serializers.ListField(source="kinds", child=serializers.CharField())
    candidates = serializers.SerializerMethodField()
    document = serializers.IntegerField(source="document_id")
    document_name = serializers.CharField(source="document.name")

    class Meta:
        model = Sighting
        list_serializer_class = SightingListSerializer
        fields = [
            "id", "waybill_no", "campaign", "matched", "strength", "candidate_count", "candidates",
            "document", "document_name", "location", "excerpt", "created_at",
        ]  # fmt: skip

    def get_candidates(self, sighting: Sighting) -> list[str]:
        """Waybill numbers of the campaign's decoys the evidence fits."""
        waybills = getattr(self, "waybills", None) or candidate_waybills([sighting])
        return sorted(waybills[ident] for ident in sighting.candidates if ident in waybills)

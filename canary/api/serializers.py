from rest_framework import serializers

from canary.attribution.models import Signal
from canary.campaigns.models import Campaign, Decoy, Exposure
from canary.network.models import Node


class NodeSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, read_only=True)

    class Meta:
        model = Node
        fields = ["code", "name", "kind", "parent_code", "province", "city"]


class CampaignSerializer(serializers.ModelSerializer):
    decoys = serializers.IntegerField(source="decoy_count", read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "slug", "name", "carrier", "strategy", "decoys_per_node", "label_template",
            "starts_at", "ends_at", "status", "decoys",
        ]  # fmt: skip


class ExposureSerializer(serializers.ModelSerializer):
    node = serializers.CharField(source="node.code")

    class Meta:
        model = Exposure
        fields = ["node", "channel", "visible_from", "visible_until"]


class DecoySerializer(serializers.ModelSerializer):
    target = serializers.CharField(source="target.code", default=None)
    exposures = ExposureSerializer(many=True, read_only=True)

    class Meta:
        model = Decoy
        fields = [
            "waybill_no", "carrier", "target", "is_control", "recipient_name", "recipient_phone",
            "recipient_address", "address_token", "item_description", "shipped_at", "exposures",
        ]  # fmt: skip


class SignalSerializer(serializers.ModelSerializer):
    campaign = serializers.CharField(source="campaign.slug")
    decoys = serializers.SlugRelatedField(many=True, read_only=True, slug_field="waybill_no")

    class Meta:
        model = Signal
        fields = [
            "id", "campaign", "kind", "decoys", "first_seen_at", "last_seen_at", "occurrences",
            "strength", "full_phone_of_privacy_label", "summary",
        ]  # fmt: skip

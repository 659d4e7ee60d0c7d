"""REST API: read access for integrations and analysts; every decoy read is audited."""

from django.db.models import Count, Prefetch
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from canary.attribution.models import Signal
from canary.audit.services import record_request
from canary.campaigns.models import Campaign, Decoy, Exposure
from canary.network.models import Node

from .permissions import IsSecurity
from .serializers import CampaignSerializer, DecoySerializer, NodeSerializer, SignalSerializer


class NodeViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = NodeSerializer
    queryset = Node.objects.select_related("parent").order_by("code")
    lookup_field = "code"


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsSecurity]
    serializer_class = CampaignSerializer
    queryset = Campaign.objects.annotate(decoy_count=Count("decoys")).order_by("-created_at")
    lookup_field = "slug"


class DecoyViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsSecurity]
    serializer_class = DecoySerializer
    lookup_field = "waybill_no"

    def get_queryset(self):
        exposures = Exposure.objects.select_related("node").order_by("visible_from")
        queryset = Decoy.objects.select_related("target").prefetch_related(Prefetch("exposures", exposures))
        campaign = self.request.query_params.get("campaign")
        return queryset.filter(campaign__slug=campaign) if campaign else queryset

    def list(self, request, *args, **kwargs):
        record_request(request, "api.decoys.list", campaign=request.query_params.get("campaign", ""))
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        record_request(request, "api.decoys.view", waybill_no=kwargs.get("waybill_no", ""))
        return super().retrieve(request, *args, **kwargs)


class SignalViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsSecurity]
    serializer_class = SignalSerializer
    queryset = Signal.objects.select_related("campaign").prefetch_related("decoys").order_by("-first_seen_at")

"""``/api/v1/`` (``/api/`` stays an alias for the console), the schema and the docs pages."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import alerts_views, campaign_views, views, watch_views
from .permissions import IsSecurity

app_name = "api"
router = DefaultRouter()
router.register("nodes", watch_views.NodeViewSet, basename="node")
router.register("campaigns", campaign_views.CampaignViewSet, basename="campaign")
router.register("decoys", views.DecoyViewSet, basename="decoy")
router.register("numbers", watch_views.NumberViewSet, basename="number")
router.register("sources", watch_views.SourceViewSet, basename="source")
router.register("documents", views.DocumentViewSet, basename="document")
router.register("ingest", watch_views.IngestViewSet, basename="ingest")
router.register("sightings", views.SightingViewSet, basename="sighting")
router.register("contacts", watch_views.ContactViewSet, basename="contact")
router.register("signals", views.SignalViewSet, basename="signal")
router.register("attribution", alerts_views.AttributionViewSet, basename="attribution")
router.register("incidents", alerts_views.IncidentViewSet, basename="incident")
router.register("channels", alerts_views.ChannelViewSet, basename="channel")
router.register("rules", alerts_views.RuleViewSet, basename="rule")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsSecurity]), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api:schema", permission_classes=[IsSecurity]),
        name="docs",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api:schema", permission_classes=[IsSecurity]),
        name="redoc",
    ),
    path("v1/", include((router.urls, "v1"))),
    path("", include((router.urls, "legacy"))),  # the alias the console still calls
]


def only_v1(endpoints):
    """Schema preprocessing hook: document ``/api/v1/`` once, not its ``/api/`` alias."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]

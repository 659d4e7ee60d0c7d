from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"
router = DefaultRouter()
router.register("nodes", views.NodeViewSet, basename="node")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("decoys", views.DecoyViewSet, basename="decoy")
router.register("signals", views.SignalViewSet, basename="signal")
router.register("documents", views.DocumentViewSet, basename="document")
router.register("sightings", views.SightingViewSet, basename="sighting")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include(router.urls)),
]

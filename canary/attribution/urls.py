from django.urls import path

from . import views

app_name = "attribution"
urlpatterns = [
    path("<slug:slug>/", views.campaign_attribution, name="campaign"),
    path("<slug:slug>/recompute/", views.recompute_now, name="recompute"),
]

from django.urls import path

from . import views

app_name = "console"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign"),
    path("campaigns/<slug:slug>/decoys/", views.decoy_list, name="decoys"),
    path("campaigns/<slug:slug>/labels.pdf", views.campaign_labels, name="labels"),
    path("campaigns/<slug:slug>/orders.csv", views.campaign_orders, name="orders"),
]

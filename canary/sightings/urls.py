from django.urls import path

from . import views

app_name = "sightings"
urlpatterns = [
    path("", views.sighting_list, name="sightings"),
    path("documents/", views.document_list, name="documents"),
    path("upload/", views.upload, name="upload"),
]

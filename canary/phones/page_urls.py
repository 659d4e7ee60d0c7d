from django.urls import path

from . import pages

app_name = "contacts"
urlpatterns = [
    path("", pages.contact_list, name="contacts"),
]

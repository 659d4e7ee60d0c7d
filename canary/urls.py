from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("canary.api.urls")),
    path("hooks/", include("canary.phones.urls")),
    path("contacts/", include("canary.phones.page_urls")),
    path("alerts/", include("canary.alerts.urls")),
    path("sightings/", include("canary.sightings.urls")),
    path("attribution/", include("canary.attribution.urls")),
    path("", include("canary.console.urls")),
]

from django.contrib import admin
from django.urls import include, path

from canary.alerts import hooks as alert_hooks

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("canary.api.urls")),
    path("hooks/", include("canary.phones.urls")),
    path("hooks/alerts/", include("canary.alerts.urls")),
    # Alert SMS sent before the hook moved under /hooks/ still report their delivery here.
    path("alerts/twilio/status/<int:alert_id>/", alert_hooks.twilio_status),
    path("", include("canary.console.urls")),
]

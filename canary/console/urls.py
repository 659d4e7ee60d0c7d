"""Every console page. Areas keep their URL namespaces and paths; webhooks live under /hooks/."""

from django.urls import include, path

from .views import (
    attribution,
    audit,
    campaigns,
    channels,
    contacts,
    dashboard,
    documents,
    incidents,
    network,
    numbers,
    sightings,
    sources,
    tokens,
)

console = [
    path("", dashboard.dashboard, name="dashboard"),
    path("campaigns/", campaigns.campaign_list, name="campaigns"),
    # Before <slug>: "new" is the wizard, never a campaign.
    path("campaigns/new/", campaigns.campaign_new, name="campaign-new"),
    path("campaigns/<slug:slug>/", campaigns.campaign_detail, name="campaign"),
    path("campaigns/<slug:slug>/decoys/", campaigns.decoy_list, name="decoys"),
    path("campaigns/<slug:slug>/labels.pdf", campaigns.campaign_labels, name="labels"),
    path("campaigns/<slug:slug>/orders.csv", campaigns.campaign_orders, name="orders"),
    path("campaigns/<slug:slug>/orders.json", campaigns.campaign_orders, {"fmt": "json"}, name="orders-json"),
    path("campaigns/<slug:slug>/live/", campaigns.campaign_live, name="campaign-live"),
    path("campaigns/<slug:slug>/progress/", campaigns.campaign_progress, name="campaign-progress"),
    path("campaigns/<slug:slug>/activate/", campaigns.campaign_activate, name="campaign-activate"),
    path("campaigns/<slug:slug>/end/", campaigns.campaign_end, name="campaign-end"),
    path("live/", dashboard.dashboard_latest, name="dashboard-latest"),
    path("network/", network.network_tree, name="network"),
    path("network/import/", network.network_import, name="network-import"),
    path("network/export.csv", network.network_export, name="network-export"),
    path("network/nodes/<str:code>/", network.node_detail, name="node"),
    path("numbers/", numbers.number_list, name="numbers"),
    path("numbers/<int:pk>/release/", numbers.number_release, name="number-release"),
    path("sources/", sources.source_list, name="sources"),
    path("sources/add/", sources.source_edit, name="source-add"),
    path("sources/<int:pk>/", sources.source_edit, name="source"),
    path("sources/<int:pk>/toggle/", sources.source_toggle, name="source-toggle"),
    path("sources/<int:pk>/fetch/", sources.source_fetch_now, name="source-fetch"),
    path("sources/<int:pk>/test/", sources.source_test, name="source-test"),
    path("tokens/", tokens.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", tokens.token_revoke, name="token-revoke"),
    path("audit/", audit.audit_log, name="audit"),
    path("audit/export.csv", audit.audit_export, name="audit-export"),
]
alerts = [
    path("", incidents.incident_list, name="incidents"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="incident"),
    path("casefiles/<int:pk>/", incidents.case_file_progress, name="casefile"),
    path("casefiles/<int:pk>/download/", incidents.case_file_download, name="casefile-download"),
    path("channels/", channels.channel_list, name="channels"),
    path("channels/add/", channels.channel_edit, name="channel-add"),
    path("channels/<int:pk>/", channels.channel_edit, name="channel"),
    path("rules/add/", channels.rule_edit, name="rule-add"),
    path("rules/<int:pk>/", channels.rule_edit, name="rule"),
    path("rules/<int:pk>/toggle/", channels.rule_toggle, name="rule-toggle"),
    path("channels/<int:pk>/test/", channels.channel_test, name="channel-test"),
    path("channels/<int:pk>/enable/", channels.channel_enable, name="channel-enable"),
]
contact_pages = [
    path("", contacts.contact_list, name="contacts"),
]
sighting_pages = [
    path("", sightings.sighting_list, name="sightings"),
    path("documents/", documents.document_list, name="documents"),
    path("documents/<int:pk>/download/", documents.document_download, name="document-download"),
    path("upload/", documents.upload, name="upload"),
]
attribution_pages = [
    path("<slug:slug>/", attribution.campaign_attribution, name="campaign"),
    path("<slug:slug>/recompute/", attribution.recompute_now, name="recompute"),
]

urlpatterns = [
    path("contacts/", include((contact_pages, "contacts"))),
    path("alerts/", include((alerts, "alerts"))),
    path("sightings/", include((sighting_pages, "sightings"))),
    path("attribution/", include((attribution_pages, "attribution"))),
    path("", include((console, "console"))),
]

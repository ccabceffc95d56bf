"""Routes: /v1 (card-issuing dialect and hub-native), /organizations/{orgId} (billing dialect),
/oauth/token, /healthz + /readyz, /metrics, /api/schema + /api/docs (OpenAPI), /admin. No trailing slashes."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from eventhub.api.health import healthz, readyz
from eventhub.api.oauth import OAuthTokenView
from eventhub.metrics import metrics_view
from portal.api import PortalSessionView

v1 = [
    path("", include("eventhub.api.urls")),
    path("", include("subscriptions.api.urls")),
    path("", include("deliveries.api.urls")),
    path("portal_sessions", PortalSessionView.as_view(), name="portal-sessions"),
]
# Each app serves its own resources in the billing dialect; this composition root only mounts them.
billing = [
    path("", include("eventhub.api.billing_urls")),
    path("", include("subscriptions.api.billing_urls")),
    path("", include("scheduled_events.api.billing_urls")),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("organizations/<str:org_id>/", include(billing)),
    path("oauth/token", OAuthTokenView.as_view(), name="oauth-token"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/schema", SpectacularAPIView.as_view(), name="openapi-schema"),
    path("api/docs", SpectacularSwaggerView.as_view(url_name="openapi-schema"), name="openapi-docs"),
    path("admin/", admin.site.urls),
    path("portal/", include("portal.urls")),
]

handler404 = "eventhub.api.errors.json_404"
handler500 = "eventhub.api.errors.json_500"

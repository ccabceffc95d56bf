"""Portal routes. Every route except `start` needs a portal session; tests/portal/test_isolation.py walks
this list, so a new route without isolation coverage fails there."""

from __future__ import annotations

from django.urls import path

from portal.views import catalog, endpoints, messages, session

app_name = "portal"

urlpatterns = [
    path("start/<str:token>", session.start, name="start"),
    path("", session.home, name="home"),
    path("end", session.end, name="end"),
    path("endpoints", endpoints.endpoint_list, name="endpoints"),
    path("endpoints/new", endpoints.endpoint_create, name="endpoint-create"),
    path("endpoints/<str:token>", endpoints.endpoint_detail, name="endpoint"),
    path("endpoints/<str:token>/edit", endpoints.endpoint_edit, name="endpoint-edit"),
    path("endpoints/<str:token>/state", endpoints.endpoint_state, name="endpoint-state"),
    path("endpoints/<str:token>/delete", endpoints.endpoint_delete, name="endpoint-delete"),
    path("endpoints/<str:token>/secret", endpoints.endpoint_secret, name="endpoint-secret"),
    path("endpoints/<str:token>/rotate", endpoints.endpoint_rotate, name="endpoint-rotate"),
    path("endpoints/<str:token>/example", endpoints.endpoint_example, name="endpoint-example"),
    path("endpoints/<str:token>/recover", endpoints.endpoint_recover, name="endpoint-recover"),
    path("endpoints/<str:token>/replay", endpoints.endpoint_replay, name="endpoint-replay"),
    path("endpoints/<str:token>/health", endpoints.endpoint_health, name="endpoint-health"),
    path("catalog", catalog.catalog, name="catalog"),
    path("catalog/<str:name>", catalog.catalog_type, name="catalog-type"),
    path("messages", messages.message_list, name="messages"),
    path("messages/<str:token>", messages.message_detail, name="message"),
    path("messages/<str:token>/resend", messages.message_resend, name="message-resend"),
]

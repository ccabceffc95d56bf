"""Portal routes. Every route except `start` needs a portal session; tests/portal/test_isolation.py walks
this list, so a new route without isolation coverage fails there."""

from __future__ import annotations

from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("start/<str:token>", views.start, name="start"),
    path("", views.home, name="home"),
    path("end", views.end, name="end"),
    path("endpoints", views.endpoint_list, name="endpoints"),
    path("endpoints/new", views.endpoint_create, name="endpoint-create"),
    path("endpoints/<str:token>", views.endpoint_detail, name="endpoint"),
    path("endpoints/<str:token>/edit", views.endpoint_edit, name="endpoint-edit"),
    path("endpoints/<str:token>/state", views.endpoint_state, name="endpoint-state"),
    path("endpoints/<str:token>/delete", views.endpoint_delete, name="endpoint-delete"),
    path("endpoints/<str:token>/secret", views.endpoint_secret, name="endpoint-secret"),
    path("endpoints/<str:token>/rotate", views.endpoint_rotate, name="endpoint-rotate"),
    path("endpoints/<str:token>/example", views.endpoint_example, name="endpoint-example"),
    path("endpoints/<str:token>/recover", views.endpoint_recover, name="endpoint-recover"),
    path("endpoints/<str:token>/replay", views.endpoint_replay, name="endpoint-replay"),
    path("endpoints/<str:token>/health", views.endpoint_health, name="endpoint-health"),
    path("catalog", views.catalog, name="catalog"),
    path("catalog/<str:name>", views.catalog_type, name="catalog-type"),
    path("messages", views.message_list, name="messages"),
    path("messages/<str:token>", views.message_detail, name="message"),
    path("messages/<str:token>/resend", views.message_resend, name="message-resend"),
]

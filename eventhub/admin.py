"""Django admin for the core app. Each concern lives in its own module (admin_accounts, admin_catalog,
admin_events, admin_rules, admin_audit); importing them here registers them with the default site."""

from __future__ import annotations

from django.contrib import admin

from eventhub import (  # noqa: F401
    admin_accounts,
    admin_audit,
    admin_catalog,
    admin_events,
    admin_lockout,
    admin_rules,
)

admin.site.site_header = "EventHub"
admin.site.site_title = "EventHub admin"
admin.site.index_title = "Operations"

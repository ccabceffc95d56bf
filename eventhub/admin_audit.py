"""Read-only admin for the audit log: who changed delivery state or credentials, and when."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from eventhub.admin_base import (
    AccountFilter,
    CreatedWithinFilter,
    LargeTableAdmin,
    ReadOnlyAdminMixin,
    muted,
    pretty_json,
    short_time,
)
from eventhub.models import AuditLogEntry


class ActionFilter(admin.SimpleListFilter):
    """The distinct actions come from code, not data: listing them from the table would scan it."""

    title = "action"
    parameter_name = "action"
    prefixes = [
        ("api_key.", "API keys"),
        ("subscription.", "Subscriptions"),
        ("message.", "Messages"),
        ("event_type.", "Catalog"),
        ("notification_rule.", "Notification rules"),
        ("scheduled_event.", "Scheduled events"),
        ("job.", "Background jobs"),
        ("staff_roles.", "Staff roles"),
    ]

    def lookups(self, request, model_admin):
        return self.prefixes

    def queryset(self, request, queryset):
        if self.value() in {p for p, _ in self.prefixes}:
            return queryset.filter(action__startswith=self.value())
        return queryset


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    list_display = (
        "created_display",
        "action_code",
        "object_type",
        "object_token",
        "actor",
        "account_name",
        "summary",
    )
    list_filter = (ActionFilter, AccountFilter, CreatedWithinFilter)
    list_select_related = ("actor_user", "actor_key", "account")
    token_search_fields = ("object_token",)
    search_help_text = "Exact object token (ep_…, msg_…, key id)."
    fields = (
        "created",
        "action",
        "object_type",
        "object_token",
        "actor_user",
        "actor_key",
        "account",
        "details_pretty",
    )
    readonly_fields = fields

    @admin.display(description="when", ordering="created")
    def created_display(self, entry: AuditLogEntry):
        return short_time(entry.created)

    @admin.display(description="action")
    def action_code(self, entry: AuditLogEntry):
        return format_html("<code>{}</code>", entry.action)

    @admin.display(description="actor")
    def actor(self, entry: AuditLogEntry):
        if entry.actor_user_id:
            return entry.actor_user.get_username()
        if entry.actor_key_id:
            return format_html("<code>{}</code>", entry.actor_key.key_id)
        return muted("hub")

    @admin.display(description="account")
    def account_name(self, entry: AuditLogEntry):
        return entry.account.name if entry.account_id else ""

    @admin.display(description="details")
    def summary(self, entry: AuditLogEntry):
        parts = [f"{k}={v}" for k, v in list((entry.details or {}).items())[:4]]
        return format_html('<span class="eh-muted">{}</span>', ", ".join(parts)[:160])

    @admin.display(description="details")
    def details_pretty(self, entry: AuditLogEntry):
        return pretty_json(entry.details)

"""Admin for billing integration configurations (which notifications reach which webhook destination).

They are created and edited through the billing API; here staff look at them, enable or disable them and
delete them, each through the service the API calls (subscriptions.integrations) with `actor=request.user`,
so routing follows and the service writes the audit row. The change page is read-only: a save there would
bypass the routing the services keep in sync."""

from __future__ import annotations

from django.contrib import admin, messages

from eventhub.admin_base import AccountFilter, admin_link, muted, short_time, status_pill
from subscriptions.integrations import (
    STATUS_AUTH_FAILED,
    STATUS_COMPLETE,
    STATUS_DISABLED,
    STATUS_ERROR,
    delete_integration,
    integration_status,
    set_integration_enabled,
    with_rule_presence,
)
from subscriptions.models import IntegrationConfiguration

STATUS_PILLS = {
    STATUS_COMPLETE: "success",
    STATUS_DISABLED: "failed",
    STATUS_ERROR: "failed",
    STATUS_AUTH_FAILED: "failed",
}  # WAITING and AWAITING_RETRY: pending


@admin.register(IntegrationConfiguration)
class IntegrationConfigurationAdmin(admin.ModelAdmin):
    list_display = (
        "token",
        "account",
        "destination_link",
        "entity",
        "enabled",
        "status",
        "created_display",
    )
    list_filter = (AccountFilter, "enabled", "destination", "entity_type")
    list_select_related = ("account", "subscription")
    search_fields = ("=token", "=entity_id", "=subscription__token", "name", "subscription__url")
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    actions = ["enable", "disable"]
    fields = (
        "token",
        "account",
        "name",
        "destination",
        "destination_link",
        "entity_type",
        "entity_id",
        "enabled",
        "status",
        "config_data",
        "integration_credentials_id",
        "version",
        "created_by",
        "last_modified_by",
        "created",
        "updated",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return with_rule_presence(super().get_queryset(request))  # the status column, without a query per row

    def has_add_permission(self, request) -> bool:
        return False  # created through the billing API, which validates the destination and the rule

    def has_change_permission(self, request, obj=None) -> bool:
        """The list's enable/disable actions need `change`; a single configuration's page stays read-only."""
        return obj is None and super().has_change_permission(request)

    def delete_model(self, request, obj):
        delete_integration(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for config in queryset:
            self.delete_model(request, config)

    # --- columns ------------------------------------------------------------------------------------

    @admin.display(description="destination")
    def destination_link(self, config: IntegrationConfiguration):
        return admin_link(config.subscription, f"{config.destination} {config.subscription.url}")

    @admin.display(description="entity", ordering="entity_type")
    def entity(self, config: IntegrationConfiguration):
        return (
            f"{config.entity_type} {config.entity_id}" if config.entity_id else f"{config.entity_type} (all)"
        )

    @admin.display(description="status")
    def status(self, config: IntegrationConfiguration):
        value = integration_status(config)
        return status_pill(STATUS_PILLS.get(value, "pending"), value.lower())

    @admin.display(description="created", ordering="created")
    def created_display(self, config: IntegrationConfiguration):
        return short_time(config.created) if config.created else muted("—")

    # --- actions ------------------------------------------------------------------------------------

    def _set_enabled(self, request, queryset, enabled: bool) -> None:
        changed = 0
        for config in queryset:
            was = config.enabled
            changed += set_integration_enabled(config, enabled, actor=request.user).enabled != was
        verb = "Enabled" if enabled else "Disabled"
        self.message_user(request, f"{verb} {changed} integration configuration(s).", messages.SUCCESS)

    @admin.action(description="Enable the selected configurations (route again)", permissions=["change"])
    def enable(self, request, queryset):
        self._set_enabled(request, queryset, True)

    @admin.action(description="Disable the selected configurations (route nothing)", permissions=["change"])
    def disable(self, request, queryset):
        self._set_enabled(request, queryset, False)

"""Admin for scheduled event configurations (writes through scheduled_events.services, as the API does)
and their occurrences (read-only: the scheduler owns them)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import PeriodicTask

from eventhub.admin_base import (
    AccountFilter,
    ChoicesFilter,
    LargeTableAdmin,
    ReadOnlyAdminMixin,
    add_service_errors,
    admin_link,
    changelist_url,
    short_time,
    status_pill,
)
from eventhub.errors import HubError
from eventhub.models import Event
from scheduled_events.models import ScheduledEventConfiguration, ScheduledOccurrence
from scheduled_events.services import (
    check_configuration,
    create_configuration,
    delete_configuration,
    update_configuration,
)

FIELDS = ("name", "entity", "field", "offset", "active")


class ConfigurationForm(forms.ModelForm):
    class Meta:
        model = ScheduledEventConfiguration
        fields = ("account", "name", "entity", "field", "offset", "active", "backfill")
        help_texts = {
            "name": "scheduled.<entity>.<name>, e.g. scheduled.commitment.ending_soon",
            "field": "A date in the entity's state, e.g. endDate or terms.end",
            "offset": "Days after the date; negative fires before it (-30 = thirty days before).",
            "backfill": "Also fire for times already past when the configuration is created.",
        }

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        values = {k: cleaned.get(k) for k in FIELDS}
        try:  # the services' own checks, without running the service (it runs once, on save)
            check_configuration({**values, "backfill": bool(cleaned.get("backfill"))})
        except HubError as exc:
            add_service_errors(self, exc.errors or {"__all__": [exc.message]})
        self.service_values = {**values, "backfill": bool(cleaned.get("backfill"))}
        return cleaned


@admin.register(ScheduledEventConfiguration)
class ScheduledEventConfigurationAdmin(admin.ModelAdmin):
    form = ConfigurationForm
    list_display = (
        "name",
        "account",
        "entity",
        "field",
        "offset_display",
        "state",
        "version",
        "occurrences_link",
        "updated_display",
    )
    list_filter = (AccountFilter, "active", "backfill")
    list_select_related = ("account",)
    search_fields = ("name", "entity", "=token")
    show_facets = admin.ShowFacets.NEVER

    def get_fields(self, request, obj=None):
        fields = ["account", "name", "entity", "field", "offset", "active", "backfill"]
        return fields + (["token", "version", "planned_version", "created", "updated"] if obj else [])

    def get_readonly_fields(self, request, obj=None):
        return ("account", "token", "version", "planned_version", "created", "updated") if obj else ()

    def save_model(self, request, obj, form, change):
        values = form.service_values
        if change:
            saved = update_configuration(
                ScheduledEventConfiguration.objects.get(pk=obj.pk), **values, actor=request.user
            )
        else:
            saved = create_configuration(form.cleaned_data["account"], **values, actor=request.user)
        obj.pk, obj.token, obj.version = saved.pk, saved.token, saved.version

    def delete_model(self, request, obj):
        delete_configuration(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for configuration in queryset:
            self.delete_model(request, configuration)

    @admin.display(description="offset", ordering="offset")
    def offset_display(self, configuration: ScheduledEventConfiguration):
        days = configuration.offset
        if days == 0:
            return "on the date"
        return f"{abs(days)} day{'s' if abs(days) != 1 else ''} {'after' if days > 0 else 'before'}"

    @admin.display(description="state", ordering="active")
    def state(self, configuration: ScheduledEventConfiguration):
        return (
            status_pill("success", "active") if configuration.active else status_pill("pending", "inactive")
        )

    @admin.display(description="")
    def occurrences_link(self, configuration: ScheduledEventConfiguration):
        from django.utils.html import format_html

        return format_html(
            '<a href="{}">occurrences</a>',
            changelist_url(ScheduledOccurrence, configuration=configuration.pk),
        )

    @admin.display(description="updated", ordering="updated")
    def updated_display(self, configuration: ScheduledEventConfiguration):
        return short_time(configuration.updated)


class OccurrenceStateFilter(ChoicesFilter):
    title = "state"
    parameter_name = "state"
    choices_list = [("due", "Planned"), ("fired", "Fired"), ("cancelled", "Cancelled")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "due":
            return queryset.filter(fired_at__isnull=True, cancelled=False)  # the partial index occurrence_due
        if value == "fired":
            return queryset.filter(fired_at__isnull=False)
        if value == "cancelled":
            return queryset.filter(cancelled=True)
        return queryset


class ConfigurationFilter(admin.SimpleListFilter):
    title = "configuration"
    parameter_name = "configuration"

    def lookups(self, request, model_admin):
        return [
            (str(pk), name)
            for pk, name in ScheduledEventConfiguration.objects.order_by("name").values_list("pk", "name")[
                :100
            ]
        ]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(configuration_id=int(value)) if value and value.isdigit() else queryset


@admin.register(ScheduledOccurrence)
class ScheduledOccurrenceAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    list_display = ("configuration_name", "entity_id", "fire_at", "state", "fired_event_link", "account_name")
    list_filter = (OccurrenceStateFilter, ConfigurationFilter, AccountFilter)
    list_select_related = ("configuration", "account")
    token_search_fields = ("entity_id",)
    search_help_text = "Exact entity id."
    fields = (
        "configuration",
        "account",
        "entity_id",
        "fire_at",
        "fired_at",
        "fired_event_link",
        "cancelled",
        "created",
    )
    readonly_fields = fields

    def get_ordering(self, request):
        # Planned occurrences are read soonest first along the partial index; the rest newest first by pk.
        return ("fire_at", "pk") if request.GET.get("state") == "due" else ("-pk",)

    @admin.display(description="configuration")
    def configuration_name(self, occurrence: ScheduledOccurrence):
        return admin_link(occurrence.configuration, occurrence.configuration.name)

    @admin.display(description="account")
    def account_name(self, occurrence: ScheduledOccurrence):
        return occurrence.account.name

    @admin.display(description="state")
    def state(self, occurrence: ScheduledOccurrence):
        if occurrence.cancelled:
            return status_pill("failed", "cancelled")
        if occurrence.fired_at:
            return status_pill("success", f"fired {occurrence.fired_at:%Y-%m-%d %H:%M}")
        return status_pill("pending", "planned")

    @admin.display(description="fired event")
    def fired_event_link(self, occurrence: ScheduledOccurrence):
        return (
            admin_link(None, "event", pk=occurrence.fired_event_id, model=Event)
            if occurrence.fired_event_id
            else "—"
        )


# --- celery beat's periodic tasks -------------------------------------------------------------------
# django-celery-beat's actions declare no permission, so anyone who can see the list could run or stop
# any periodic task. The same admin, with each action asking for the change permission.

admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    @admin.action(description="Enable selected tasks", permissions=["change"])
    def enable_tasks(self, request, queryset):
        return super().enable_tasks(request, queryset)

    @admin.action(description="Disable selected tasks", permissions=["change"])
    def disable_tasks(self, request, queryset):
        return super().disable_tasks(request, queryset)

    @admin.action(description="Toggle activity of selected tasks", permissions=["change"])
    def toggle_tasks(self, request, queryset):
        return super().toggle_tasks(request, queryset)

    @admin.action(description="Run selected tasks", permissions=["change"])
    def run_tasks(self, request, queryset):
        return super().run_tasks(request, queryset)

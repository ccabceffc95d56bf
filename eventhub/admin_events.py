"""Read-only admin for events and entity states: the record of what happened, with its causes,
consequences and deliveries one click away. Lists stay on indexed columns (see admin_base)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from eventhub.admin_base import (
    AccountFilter,
    ChoicesFilter,
    CreatedWithinFilter,
    InputFilter,
    LargeTableAdmin,
    ReadOnlyAdminMixin,
    admin_link,
    changelist_url,
    muted,
    pretty_json,
    short_time,
    status_pill,
)
from eventhub.models import Entity, Event, EventCategory, EventType
from eventhub.services.actions import action_event

CAUSED_SHOWN = 50
ACTION_LIMIT = 500  # events one "Mark actioned" click handles (one audited write each)
# Inlines shown on an event's page, added by the higher apps' admins (deliveries adds its messages).
EVENT_INLINES: list[type] = []


class EventTypeFilter(admin.SimpleListFilter):
    """Catalog names as links (the catalog is small); the FK column holds the name, so no join."""

    title = "event type"
    parameter_name = "event_type"

    def lookups(self, request, model_admin):
        names = EventType.objects.order_by("name").values_list("name", flat=True).distinct()[:500]
        return [(name, name) for name in names]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        keys = list(
            EventType.objects.filter(name=self.value()).values_list("key", flat=True)
        )  # every owner's
        return queryset.filter(event_type_id__in=keys)


class CategoryFilter(admin.SimpleListFilter):
    """event_type__category, resolved to the names of that category first so the events query uses
    the event_type index instead of joining the catalog on every row."""

    title = "category"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return EventCategory.choices

    def queryset(self, request, queryset):
        if self.value() not in EventCategory.values:
            return queryset
        keys = list(EventType.objects.filter(category=self.value()).values_list("key", flat=True))
        return queryset.filter(event_type_id__in=keys)


class CausedByFilter(InputFilter):
    title = "caused by event"
    parameter_name = "caused_by"
    placeholder = "evt_…"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        pk = Event.objects.filter(token=value).values_list("pk", flat=True).first()
        return queryset.filter(caused_by_id=pk) if pk else queryset.none()


class ExampleFilter(ChoicesFilter):
    title = "kind"
    parameter_name = "is_example"
    field_name = "is_example"
    choices_list = [("0", "Real events"), ("1", "Examples")]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(is_example=self.value() == "1")
        return queryset


class AwaitingActionFilter(ChoicesFilter):
    title = "action"
    parameter_name = "awaiting_action"
    field_name = "awaiting_action"
    choices_list = [("1", "Waiting for action"), ("0", "Actioned")]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(awaiting_action=self.value() == "1")
        return queryset


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    list_display = (
        "token",
        "type_display",
        "account_name",
        "created_display",
        "caused_marker",
        "example_marker",
        "action_marker",
    )
    list_filter = (
        AccountFilter,
        AwaitingActionFilter,
        CategoryFilter,
        EventTypeFilter,
        CreatedWithinFilter,
        ExampleFilter,
        CausedByFilter,
    )
    list_select_related = ("account",)
    token_search_fields = ("token", "idempotency_key")
    search_help_text = "Exact event token (evt_…) or idempotency key."
    sortable_by = ("created_display",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "token",
                    "event_type_link",
                    "account_link",
                    "created",
                    "occurred_at",
                    "processed_at",
                    "idempotency_key",
                    "is_example",
                    "dt_actioned",
                    "actioned_by",
                )
            },
        ),
        ("Causality", {"fields": ("caused_by_link", "caused_events")}),
        ("Entity", {"fields": ("entity_type", "entity_id")}),
        ("Payload", {"fields": ("payload_pretty",)}),
        (
            "Previous entity state (rules' old)",
            {"fields": ("previous_state_pretty",), "classes": ("collapse",)},
        ),
        ("Schema warnings", {"fields": ("schema_errors_pretty",), "classes": ("collapse",)}),
    )
    readonly_fields = (
        "token",
        "event_type_link",
        "account_link",
        "created",
        "occurred_at",
        "processed_at",
        "idempotency_key",
        "is_example",
        "dt_actioned",
        "actioned_by",
        "caused_by_link",
        "caused_events",
        "entity_type",
        "entity_id",
        "payload_pretty",
        "previous_state_pretty",
        "schema_errors_pretty",
    )

    actions = ("mark_actioned",)

    def get_inlines(self, request, obj):
        return tuple(EVENT_INLINES)

    def has_action_permission(self, request) -> bool:
        """Actioning changes an event (the read-only page hides change), so it needs the change permission."""
        return request.user.has_perm("eventhub.change_event")

    @admin.action(description="Mark the selected error events actioned", permissions=["action"])
    def mark_actioned(self, request, queryset):
        actioned = 0
        for event in queryset.filter(awaiting_action=True)[:ACTION_LIMIT]:
            action_event(event, actor=request.user)
            actioned += 1
        self.message_user(request, f"{actioned} event(s) marked actioned.", messages.SUCCESS)

    @admin.display(description="action")
    def action_marker(self, event: Event):
        return status_pill("failed", "needs action") if event.awaiting_action else ""

    @admin.display(description="actioned")
    def dt_actioned(self, event: Event):
        return event.dt_actioned or muted("— waiting for action")

    def get_queryset(self, request):
        # The list never shows payloads: deferring them keeps a page of 50 events small.
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("payload", "previous_state", "schema_errors")
        return queryset

    @admin.display(description="type")
    def type_display(self, event: Event):
        return format_html("<code>{}</code>", event.event_type_name)

    @admin.display(description="account")
    def account_name(self, event: Event):
        return event.account.name

    @admin.display(description="created", ordering="created")
    def created_display(self, event: Event):
        return short_time(event.created)

    @admin.display(description="caused by")
    def caused_marker(self, event: Event):
        return admin_link(None, "↳ cause", pk=event.caused_by_id, model=Event) if event.caused_by_id else ""

    @admin.display(description="")
    def example_marker(self, event: Event):
        return status_pill("pending", "example") if event.is_example else ""

    @admin.display(description="event type")
    def event_type_link(self, event: Event):
        return admin_link(
            None,
            event.event_type_name,
            pk=EventType.objects.filter(key=event.event_type_id).values_list("pk", flat=True).first(),
            model=EventType,
        )

    @admin.display(description="account")
    def account_link(self, event: Event):
        return admin_link(event.account)

    @admin.display(description="caused by")
    def caused_by_link(self, event: Event):
        if not event.caused_by_id:
            return muted("— (published by the producer)")
        cause = Event.objects.filter(pk=event.caused_by_id).values("pk", "token", "event_type").first()
        if cause is None:
            return "—"
        return format_html(
            '{} <span class="eh-muted">{}</span>',
            admin_link(None, cause["token"], pk=cause["pk"], model=Event),
            cause["event_type"],
        )

    @admin.display(description="events it caused")
    def caused_events(self, event: Event):
        caused = list(
            Event.objects.filter(caused_by_id=event.pk)
            .order_by("-created", "-id")
            .values("pk", "token", "event_type")[: CAUSED_SHOWN + 1]
        )
        if not caused:
            return muted("none")
        items = format_html_join(
            "",
            '<li>{} <span class="eh-muted">{}</span></li>',
            (
                (admin_link(None, row["token"], pk=row["pk"], model=Event), row["event_type"])
                for row in caused[:CAUSED_SHOWN]
            ),
        )
        more = ""
        if len(caused) > CAUSED_SHOWN:
            more = format_html(
                '<li><a href="{}">all caused events…</a></li>', changelist_url(Event, caused_by=event.token)
            )
        return format_html('<ul class="eh-plain-list">{}{}</ul>', items, more)

    @admin.display(description="payload")
    def payload_pretty(self, event: Event):
        return pretty_json(event.payload)

    @admin.display(description="previous state")
    def previous_state_pretty(self, event: Event):
        return pretty_json(event.previous_state)

    @admin.display(description="schema warnings")
    def schema_errors_pretty(self, event: Event):
        return pretty_json(event.schema_errors)


@admin.register(Entity)
class EntityAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    list_display = ("entity_type", "entity_id", "account_name", "deleted_marker", "state_at", "updated")
    list_filter = (AccountFilter,)
    list_select_related = ("account",)
    token_search_fields = ("entity_id",)
    search_help_text = "Exact entity id."
    fields = ("account", "entity_type", "entity_id", "deleted", "state_at", "last_event_link", "data_pretty")
    readonly_fields = fields

    def get_ordering(self, request):
        return ("-pk",)  # the primary key index; `updated` has none

    @admin.display(description="account")
    def account_name(self, entity: Entity):
        return entity.account.name

    @admin.display(description="state")
    def deleted_marker(self, entity: Entity):
        return status_pill("failed", "deleted") if entity.deleted else status_pill("success", "live")

    @admin.display(description="last event")
    def last_event_link(self, entity: Entity):
        return admin_link(None, "last event", pk=entity.last_event_id, model=Event)

    @admin.display(description="data")
    def data_pretty(self, entity: Entity):
        return pretty_json(entity.data)

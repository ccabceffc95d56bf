"""Admin for the event-type catalog. Creates and edits go through eventhub.services.catalog, so the
schema checks are the API's; the "validate a payload" page runs the ingest validator itself."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from eventhub.admin_base import add_service_errors, changelist_url, pretty_json, status_pill
from eventhub.errors import HubError
from eventhub.models import Event, EventType
from eventhub.services.catalog import EDITABLE_FIELDS, check_event_type, create_event_type, update_event_type
from eventhub.services.validation import validate_submission


class PrettyJSONField(forms.JSONField):
    """Edits JSON indented, so a schema is readable in the textarea."""

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)


class EventTypeForm(forms.ModelForm):
    schema = PrettyJSONField(required=False, widget=forms.Textarea(attrs={"class": "eh-code", "rows": 16}))
    example = PrettyJSONField(required=False, widget=forms.Textarea(attrs={"class": "eh-code", "rows": 10}))

    class Meta:
        model = EventType
        fields = ("name", "category", "description", "schema_mode", "schema", "example", "archived")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        changes = {k: cleaned.get(k) for k in EDITABLE_FIELDS if k in cleaned}
        if changes.get("example") is None:
            changes["example"] = {}
        try:  # the services' own checks, without running the service (it runs once, on save)
            if self.instance.pk:
                check_event_type(
                    self.instance.name,
                    {"schema": self.instance.schema, "example": self.instance.example, **changes},
                    partial=True,
                )
            else:
                check_event_type(cleaned.get("name"), changes)
        except HubError as exc:
            add_service_errors(self, exc.errors or {"__all__": [exc.message]})
        self.service_changes = changes
        return cleaned


class ValidatePayloadForm(forms.Form):
    payload = forms.JSONField(
        widget=forms.Textarea(attrs={"class": "eh-code", "rows": 14}),
        help_text="The event payload as a JSON object; `event_type` may be omitted (the hub sets it).",
    )


@admin.register(EventType)
class EventTypeAdmin(admin.ModelAdmin):
    form = EventTypeForm
    list_display = (
        "name",
        "account",
        "category",
        "group",
        "schema_mode",
        "has_schema",
        "source_pack",
        "state",
        "updated",
    )
    list_filter = (
        "category",
        "group",
        "archived",
        "schema_mode",
        "source_pack",
        ("account", admin.EmptyFieldListFilter),
    )
    list_select_related = ("account",)
    search_fields = ("name", "description")
    actions = ("archive", "unarchive")
    readonly_fields = ("schema_pretty", "example_pretty", "source_pack", "account", "created", "updated")
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 100

    def get_fieldsets(self, request, obj=None):
        main = ("name", "category", "description", "schema_mode", "archived")
        if obj is None:
            return ((None, {"fields": main}), ("JSON", {"fields": ("schema", "example")}))
        return (
            (None, {"fields": main + ("account", "source_pack", "created", "updated")}),
            ("Schema and example", {"fields": ("schema_pretty", "example_pretty")}),
            ("Edit JSON", {"fields": ("schema", "example"), "classes": ("collapse",)}),
        )

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (("name",) if obj else ())

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # events reference types by key (RESTRICT); archive instead

    def save_model(self, request, obj, form, change):
        if change:
            saved = update_event_type(obj.name, form.service_changes, account=obj.account, actor=request.user)
        else:
            saved = create_event_type(form.cleaned_data["name"], actor=request.user, **form.service_changes)
        obj.pk, obj.created, obj.updated = saved.pk, saved.created, saved.updated

    @admin.display(description="schema", boolean=True)
    def has_schema(self, event_type: EventType) -> bool:
        return bool(event_type.schema)

    @admin.display(description="state", ordering="archived")
    def state(self, event_type: EventType):
        return status_pill("failed", "archived") if event_type.archived else status_pill("success", "live")

    @admin.display(description="JSON Schema")
    def schema_pretty(self, event_type: EventType):
        return pretty_json(event_type.schema)

    @admin.display(description="example payload")
    def example_pretty(self, event_type: EventType):
        return pretty_json(event_type.example)

    def _set_archived(self, request, queryset, archived: bool) -> None:
        changed = 0
        with transaction.atomic():
            for event_type in queryset.filter(archived=not archived):
                update_event_type(
                    event_type.name, {"archived": archived}, account=event_type.account, actor=request.user
                )
                changed += 1
        verb = "Archived" if archived else "Unarchived"
        self.message_user(request, f"{verb} {changed} event type(s).", messages.SUCCESS)

    @admin.action(
        description="Archive the selected event types (ingest rejects them)", permissions=["change"]
    )
    def archive(self, request, queryset):
        self._set_archived(request, queryset, True)

    @admin.action(description="Unarchive the selected event types", permissions=["change"])
    def unarchive(self, request, queryset):
        self._set_archived(request, queryset, False)

    # --- the "validate a payload" page ------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/validate/",
                self.admin_site.admin_view(self.validate_view),
                name=f"{info[0]}_{info[1]}_validate",
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        extra_context["validate_url"] = reverse("admin:eventhub_eventtype_validate", args=[object_id])
        extra_context["events_url"] = None
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra_context["events_url"] = changelist_url(Event, event_type=obj.name)
        return super().change_view(request, object_id, form_url, extra_context)

    def validate_view(self, request, object_id):
        event_type = get_object_or_404(EventType, pk=object_id)
        if not self.has_view_permission(request, event_type):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        verdict = None
        if request.method == "POST":
            form = ValidatePayloadForm(request.POST)
            if form.is_valid():
                verdict = validate_submission(event_type.name, form.cleaned_data["payload"], event_type)
        else:
            form = ValidatePayloadForm(initial={"payload": event_type.example or {}})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": event_type,
            "title": f"Validate a payload against {event_type.name}",
            "form": form,
            "verdict": verdict,
            "schema": pretty_json(event_type.schema),
            "normalized": pretty_json(verdict.payload)
            if verdict and verdict.payload and not verdict.errors
            else None,
        }
        return TemplateResponse(request, "admin/eventhub/eventtype/validate.html", context)

"""Admin for notification rules. Saves go through eventhub.services.rules (the calculation is parsed
there, as for the API); the "test" page evaluates the saved calculation against a real event or
against hand-written `new`/`old` JSON, exactly as the rule processor would."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from eventhub.admin_base import (
    AccountFilter,
    add_service_errors,
    pretty_json,
    short_time,
    status_pill,
)
from eventhub.errors import HubError
from eventhub.models import Event, NotificationRule
from eventhub.rules.expression import InvalidCalculation, compile_calculation
from eventhub.selectors import type_keys
from eventhub.services.rules import FIELDS, check_rule, create_rule, delete_rule, update_rule


class NotificationRuleForm(forms.ModelForm):
    calculation = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"class": "eh-code", "rows": 4}),
        help_text="e.g. (new.amountSpent >= new.amount * 0.9) AND (old.amountSpent < old.amount * 0.9 OR old.amountSpent == null)",
    )

    class Meta:
        model = NotificationRule
        fields = (
            "account",
            "name",
            "code",
            "description",
            "event_name",
            "calculation",
            "always_fire_event",
            "active",
        )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        values = {k: cleaned.get(k) for k in FIELDS if k in cleaned}
        account = self.instance.account if self.instance.pk else cleaned.get("account")
        try:  # the services' own checks, without running the service (it runs once, on save)
            check_rule(account, {"description": "", "calculation": "", **values})
        except HubError as exc:
            add_service_errors(self, exc.errors or {"__all__": [exc.message]})
        self.service_values = values
        return cleaned


class TestCalculationForm(forms.Form):
    event_token = forms.CharField(
        required=False,
        label="Event token",
        help_text="Use a real event: its payload is `new`, its previous entity state `old`.",
    )
    new = forms.JSONField(
        required=False, label="new", widget=forms.Textarea(attrs={"class": "eh-code", "rows": 8})
    )
    old = forms.JSONField(
        required=False, label="old", widget=forms.Textarea(attrs={"class": "eh-code", "rows": 8})
    )

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def clean(self):
        cleaned = super().clean()
        token = (cleaned.get("event_token") or "").strip()
        cleaned["event"] = None
        if token:
            event = Event.objects.filter(token=token, account=self.account).first()
            if event is None:
                self.add_error("event_token", "No event with this token in the rule's account.")
            else:
                cleaned["event"] = event
                cleaned["new"], cleaned["old"] = event.payload, event.previous_state
        for key in ("new", "old"):
            if cleaned.get(key) is not None and not isinstance(cleaned[key], dict):
                self.add_error(key, "Must be a JSON object (or empty for null).")
        return cleaned


@admin.register(NotificationRule)
class NotificationRuleAdmin(admin.ModelAdmin):
    form = NotificationRuleForm
    list_display = (
        "code",
        "name",
        "account",
        "event_name",
        "calculation_short",
        "fires",
        "state",
        "version",
        "updated_display",
    )
    list_filter = (AccountFilter, "active", "always_fire_event")
    list_select_related = ("account",)
    search_fields = ("code", "name", "event_name", "=token")
    readonly_fields = ("token", "version", "created", "updated")
    show_facets = admin.ShowFacets.NEVER

    def get_fields(self, request, obj=None):
        fields = [
            "account",
            "name",
            "code",
            "description",
            "event_name",
            "calculation",
            "always_fire_event",
            "active",
        ]
        return fields + (["token", "version", "created", "updated"] if obj else [])

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (("account",) if obj else ())

    def save_model(self, request, obj, form, change):
        if change:
            saved = update_rule(obj, form.service_values, actor=request.user)
        else:
            saved = create_rule(form.cleaned_data["account"], actor=request.user, **form.service_values)
        obj.pk, obj.token, obj.version = saved.pk, saved.token, saved.version

    def delete_model(self, request, obj):
        delete_rule(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            delete_rule(rule, actor=request.user)

    @admin.display(description="calculation")
    def calculation_short(self, rule: NotificationRule):
        from django.utils.html import format_html

        text = rule.calculation.strip()
        return format_html("<code>{}</code>", text[:80] + ("…" if len(text) > 80 else "")) if text else "—"

    @admin.display(description="emits")
    def fires(self, rule: NotificationRule):
        from django.utils.html import format_html

        return format_html(
            "<code>notification.{}</code>{}", rule.code, " (always)" if rule.always_fire_event else ""
        )

    @admin.display(description="state", ordering="active")
    def state(self, rule: NotificationRule):
        return status_pill("success", "active") if rule.active else status_pill("pending", "inactive")

    @admin.display(description="updated", ordering="updated")
    def updated_display(self, rule: NotificationRule):
        return short_time(rule.updated)

    # --- "test this calculation against an event" ------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/test/",
                self.admin_site.admin_view(self.test_view),
                name="eventhub_notificationrule_test",
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "test_url": reverse("admin:eventhub_notificationrule_test", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def test_view(self, request, object_id):
        rule = get_object_or_404(NotificationRule.objects.select_related("account"), pk=object_id)
        if not self.has_view_permission(request, rule):
            raise PermissionDenied
        outcome = None
        if request.method == "POST":
            form = TestCalculationForm(request.POST, account=rule.account)
            if form.is_valid():
                outcome = evaluate_rule(rule, form.cleaned_data.get("new"), form.cleaned_data.get("old"))
                outcome["event"] = form.cleaned_data.get("event")
        else:
            latest = (
                Event.objects.filter(
                    account=rule.account, event_type_id__in=type_keys(rule.account, [rule.event_name])
                )
                .order_by("-created", "-id")
                .values_list("token", flat=True)
                .first()
            )
            form = TestCalculationForm(initial={"event_token": latest or ""}, account=rule.account)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": rule,
            "title": f"Test notification rule {rule.code}",
            "form": form,
            "outcome": outcome,
        }
        return TemplateResponse(request, "admin/eventhub/notificationrule/test.html", context)


def evaluate_rule(rule: NotificationRule, new: dict | None, old: dict | None) -> dict:
    """What the rule processor would decide for this (new, old): the calculation's value and whether it fires."""
    result = {"new": pretty_json(new), "old": pretty_json(old), "value": None, "error": None}
    if rule.calculation.strip():
        try:
            calculation = compile_calculation(rule.calculation)
            value = calculation.evaluate(new, old)
            result["value"] = (
                "null" if value is None else str(value).lower() if isinstance(value, bool) else repr(value)
            )
            result["holds"] = value is True
        except InvalidCalculation as exc:
            result["error"] = exc.message
            result["holds"] = False
    else:
        result["holds"] = False
    result["fires"] = rule.active and (rule.always_fire_event or result["holds"])
    return result

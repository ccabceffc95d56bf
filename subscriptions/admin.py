"""Admin for event subscriptions (webhook endpoints). Every change goes through subscriptions.services
and every change to delivery state or credentials is audited; delivery actions (recover, replay,
send example) come from deliveries.admin_actions so they share the engine's services."""
from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from deliveries import admin_actions
from eventhub.admin_base import (
    AccountFilter,
    ChoicesFilter,
    LargeTablePaginator,
    action_form_step,
    add_service_errors,
    changelist_url,
    muted,
    service_errors,
    short_time,
    status_pill,
)
from eventhub.models import AuditLogEntry, EventType
from eventhub.services.audit import record_audit
from subscriptions.models import DisabledReason, EventSubscription
from subscriptions.services import (
    create_subscription,
    current_secret,
    delete_subscription,
    rotate_secret,
    set_disabled,
    update_subscription,
)

RECENT_ATTEMPTS = 20


class EventSubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        max_length=2048,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vURLField"}),
        help_text="https:// (http:// only for allowed local hosts).",
    )
    event_types = forms.MultipleChoiceField(
        required=False,
        widget=FilteredSelectMultiple("event types", is_stacked=False),
        help_text="Leave empty to receive every event type.",
    )

    class Meta:
        model = EventSubscription
        fields = ("account", "url", "description", "event_types")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = list(EventType.objects.filter(archived=False).order_by("name").values_list("name", flat=True))
        current = [n for n in (self.instance.event_types or []) if n not in names]
        self.fields["event_types"].choices = [(n, n) for n in names + current]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        values = {
            "url": cleaned.get("url"),
            "description": cleaned.get("description") or "",
            "event_types": list(cleaned.get("event_types") or []),
        }
        if self.instance.pk:
            fresh = EventSubscription.objects.get(pk=self.instance.pk)
            errors = service_errors(lambda: update_subscription(fresh, values))
        else:
            errors = service_errors(lambda: create_subscription(cleaned["account"], **values))
        if errors:
            add_service_errors(self, errors)
        self.service_values = values
        return cleaned


class DisableForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the audit log, shown on the subscription. Messages stay queued until it is enabled.",
    )


class StateFilter(ChoicesFilter):
    title = "state"
    parameter_name = "state"
    choices_list = [("enabled", "Enabled"), ("disabled", "Disabled")]

    def queryset(self, request, queryset):
        if self.value() in ("enabled", "disabled"):
            return queryset.filter(disabled=self.value() == "disabled")
        return queryset


def disable_subscription(request, subscription: EventSubscription, reason: str) -> bool:
    if subscription.disabled:
        return False
    set_disabled(subscription, True, DisabledReason.MANUAL)
    record_audit("subscription.disabled", user=request.user, target=subscription, reason=reason)
    return True


def enable_subscription(request, subscription: EventSubscription) -> bool:
    if not subscription.disabled:
        return False
    set_disabled(subscription, False)
    record_audit("subscription.enabled", user=request.user, target=subscription)
    return True


def rotate_subscription_secret(request, subscription: EventSubscription) -> EventSubscription:
    rotated = rotate_secret(subscription)
    record_audit(
        "subscription.secret_rotated",
        user=request.user,
        target=rotated,
        previous_secret_expires_at=rotated.previous_secret_expires_at.isoformat(),
    )
    return rotated


@admin.register(EventSubscription)
class EventSubscriptionAdmin(admin_actions.DeliveryActionPermissions, admin.ModelAdmin):
    form = EventSubscriptionForm
    change_form_template = "admin/subscriptions/eventsubscription/change_form.html"
    list_display = ("token", "url_display", "account_name", "state", "types_display", "created_display")
    list_filter = (AccountFilter, StateFilter, "dialect")
    list_select_related = ("account",)
    search_fields = ("=token", "url", "description")
    paginator = LargeTablePaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    actions = [
        "enable",
        "disable",
        "rotate",
        admin_actions.recover_failed,
        admin_actions.replay_missing,
        admin_actions.send_example,
    ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("account", "url", "description", "event_types")
        return ("token", "account", "url", "description", "event_types", "dialect", "state_detail", "created", "updated")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("token", "account", "dialect", "state_detail", "created", "updated")

    def save_model(self, request, obj, form, change):
        if change:
            saved = update_subscription(EventSubscription.objects.get(pk=obj.pk), form.service_values)
            record_audit("subscription.updated", user=request.user, target=saved, fields=sorted(form.changed_data))
        else:
            saved = create_subscription(form.cleaned_data["account"], **form.service_values)
            record_audit("subscription.created", user=request.user, target=saved)
        obj.pk, obj.token, obj.version = saved.pk, saved.token, saved.version

    def delete_model(self, request, obj):
        record_audit("subscription.deleted", user=request.user, target=obj, url=obj.url)
        delete_subscription(obj)

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            self.delete_model(request, subscription)

    # --- list columns -------------------------------------------------------------------------------

    @admin.display(description="endpoint")
    def url_display(self, subscription: EventSubscription):
        url = subscription.url
        return format_html('<span class="eh-url" title="{}">{}</span>', url, url if len(url) <= 60 else url[:57] + "…")

    @admin.display(description="account")
    def account_name(self, subscription: EventSubscription):
        return subscription.account.name

    @admin.display(description="state", ordering="disabled")
    def state(self, subscription: EventSubscription):
        if not subscription.disabled:
            return status_pill("success", "enabled")
        return status_pill("failed", f"disabled · {subscription.get_disabled_reason_display() or 'manual'}")

    @admin.display(description="event types")
    def types_display(self, subscription: EventSubscription):
        types = subscription.event_types or []
        if not types:
            return muted('all')
        shown = ", ".join(types[:3])
        return format_html("<code>{}</code>{}", shown, f" +{len(types) - 3}" if len(types) > 3 else "")

    @admin.display(description="created", ordering="created")
    def created_display(self, subscription: EventSubscription):
        return short_time(subscription.created)

    @admin.display(description="state")
    def state_detail(self, subscription: EventSubscription):
        if not subscription.disabled:
            from deliveries.models import FailureStreak

            since = FailureStreak.objects.filter(subscription_id=subscription.pk).values_list("failing_since", flat=True).first()
            if since is None:
                return status_pill("success", "enabled")
            return format_html(
                "{} every attempt has failed since {} (auto-disabled after {} days)",
                status_pill("pending", "enabled · failing"), short_time(since), _auto_disable_days(),
            )  # fmt: skip
        entry = (
            AuditLogEntry.objects.filter(object_token=subscription.token, action="subscription.disabled")
            .order_by("-created", "-id").values("details").first()
        )  # fmt: skip
        reason = (entry or {}).get("details", {}).get("reason", "")
        return format_html(
            "{} since {}{}",
            status_pill("failed", f"disabled · {subscription.get_disabled_reason_display() or 'manual'}"),
            short_time(subscription.disabled_at),
            format_html(" — “{}”", reason) if reason else "",
        )

    # --- actions ------------------------------------------------------------------------------------

    @admin.action(description="Enable the selected subscriptions", permissions=["change"])
    def enable(self, request, queryset):
        changed = sum(enable_subscription(request, s) for s in queryset)
        self.message_user(request, f"Enabled {changed} subscription(s).", messages.SUCCESS)

    @admin.action(description="Disable the selected subscriptions…", permissions=["change"])
    def disable(self, request, queryset):
        data, response = action_form_step(
            self, request, queryset, DisableForm,
            title="Disable subscriptions", apply_label="Disable",
            intro="No new attempts are made while a subscription is disabled; messages created meanwhile can be replayed later.",
        )  # fmt: skip
        if response is not None:
            return response
        changed = sum(disable_subscription(request, s, data["reason"]) for s in queryset)
        self.message_user(request, f"Disabled {changed} subscription(s).", messages.SUCCESS)
        return None

    @admin.action(description="Rotate the signing secret of the selected subscriptions", permissions=["change"])
    def rotate(self, request, queryset):
        count = sum(1 for s in queryset if rotate_subscription_secret(request, s))
        hours = int(_grace_hours())
        self.message_user(request, f"Rotated {count} secret(s); the previous secrets keep signing for {hours} h.", messages.SUCCESS)

    # --- the change page: secret, quick health, recent attempts --------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/secret/reveal/", wrap(require_POST(self.reveal_secret_view)), name="subscriptions_eventsubscription_reveal"),
            path("<path:object_id>/secret/rotate/", wrap(require_POST(self.rotate_secret_view)), name="subscriptions_eventsubscription_rotate"),
            path("<path:object_id>/state/", wrap(require_POST(self.state_view)), name="subscriptions_eventsubscription_state"),
        ] + super().get_urls()

    def _subscription_for_change(self, request, object_id) -> EventSubscription:
        subscription = get_object_or_404(EventSubscription.objects.select_related("account"), pk=object_id)
        if not self.has_change_permission(request, subscription):
            raise PermissionDenied
        return subscription

    def reveal_secret_view(self, request, object_id):
        subscription = self._subscription_for_change(request, object_id)
        record_audit("subscription.secret_revealed", user=request.user, target=subscription)
        secret = current_secret(subscription)
        if request.headers.get("x-requested-with") == "fetch":
            return JsonResponse({"secret": secret}, headers={"Cache-Control": "no-store"})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": subscription,
            "title": f"Signing secret of {subscription.token}",
            "secret": secret,
        }
        response = TemplateResponse(request, "admin/subscriptions/eventsubscription/secret.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def rotate_secret_view(self, request, object_id):
        subscription = self._subscription_for_change(request, object_id)
        rotated = rotate_subscription_secret(request, subscription)
        self.message_user(
            request,
            f"Secret rotated. The previous secret keeps signing (second signature) until "
            f"{rotated.previous_secret_expires_at:%Y-%m-%d %H:%M} UTC.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:subscriptions_eventsubscription_change", args=[subscription.pk]))

    def state_view(self, request, object_id):
        subscription = self._subscription_for_change(request, object_id)
        if request.POST.get("state") == "enable":
            enable_subscription(request, subscription)
            self.message_user(request, "Subscription enabled; pending messages resume.", messages.SUCCESS)
        else:
            reason = (request.POST.get("disable_reason") or "").strip()
            if not reason:
                self.message_user(request, "Give a reason to disable the subscription.", messages.ERROR)
            else:
                disable_subscription(request, subscription, reason[:500])
                self.message_user(request, "Subscription disabled.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:subscriptions_eventsubscription_change", args=[subscription.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from deliveries import health
        from deliveries.models import Message, MessageAttempt

        extra_context = extra_context or {}
        subscription = EventSubscription.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        if subscription is not None:
            since = timezone.now() - timedelta(days=1)
            attempts = list(
                MessageAttempt.objects.filter(subscription_id=subscription.pk)
                .select_related("event").order_by("-created", "-id")[:RECENT_ATTEMPTS]
            )  # fmt: skip
            extra_context.update(
                {
                    "subscription": subscription,
                    "recent_attempts": attempts,
                    "stats_24h": health.subscription_stats(subscription.pk, since),
                    "secret_prefix": "whsec_",
                    "previous_secret_active": bool(
                        subscription.previous_secret_encrypted
                        and subscription.previous_secret_expires_at
                        and subscription.previous_secret_expires_at > timezone.now()
                    ),
                    "reveal_url": reverse("admin:subscriptions_eventsubscription_reveal", args=[subscription.pk]),
                    "rotate_url": reverse("admin:subscriptions_eventsubscription_rotate", args=[subscription.pk]),
                    "state_url": reverse("admin:subscriptions_eventsubscription_state", args=[subscription.pk]),
                    "attempts_url": changelist_url(MessageAttempt, subscription=subscription.token),
                    "messages_url": changelist_url(Message, subscription=subscription.token),
                    "health_url": reverse("admin:deliveries_health") + f"?subscription={subscription.token}",
                }
            )
        return super().change_view(request, object_id, form_url, extra_context)


def _grace_hours() -> float:
    from django.conf import settings

    return settings.EVENTHUB_SECRET_ROTATION_GRACE_HOURS


def _auto_disable_days() -> str:
    from django.conf import settings

    return f"{settings.EVENTHUB_AUTO_DISABLE_DAYS:g}"

"""Admin for event subscriptions (webhook endpoints). Every change calls the one service the API calls
(subscriptions.services) with `actor=request.user`, so the service writes the audit row; the form checks
input with the same validators (subscriptions.validators). Delivery actions and the delivery panels of
the change page belong to a higher layer: deliveries.admin_subscriptions registers a subclass adding them
through the `failing_since` and `delivery_context` hooks."""

from __future__ import annotations

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

from eventhub.admin_accounts import ACCOUNT_LINKS
from eventhub.admin_base import (
    AccountFilter,
    ChoicesFilter,
    LargeTablePaginator,
    action_form_step,
    add_service_errors,
    muted,
    short_time,
    status_pill,
)
from eventhub.errors import HubError
from eventhub.models import AuditLogEntry, EventType
from subscriptions import admin_integrations, validators  # noqa: F401  (registers the integration admin)
from subscriptions.models import EventSubscription
from subscriptions.services import (
    create_subscription,
    current_secret,
    delete_subscription,
    rotate_secret,
    set_disabled,
    update_subscription,
)


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
        """The services' own validators, once; the save then hands the checked values to the service
        (a CheckedUrl is not resolved again)."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        account = self.instance.account if self.instance.pk else cleaned.get("account")
        values: dict = {}
        checks = (
            ("url", lambda: validators.endpoint_url(cleaned.get("url"))),
            ("description", lambda: validators.description(cleaned.get("description") or "")),
            ("event_types", lambda: validators.event_types(account, list(cleaned.get("event_types") or []))),
        )
        for name, check in checks:
            try:
                values[name] = check()
            except HubError as exc:
                add_service_errors(self, exc.errors or {name: [exc.message]})
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


@admin.register(EventSubscription)
class EventSubscriptionAdmin(admin.ModelAdmin):
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
    ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("account", "url", "description", "event_types")
        return (
            "token",
            "account",
            "url",
            "description",
            "event_types",
            "dialect",
            "state_detail",
            "created",
            "updated",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("token", "account", "dialect", "state_detail", "created", "updated")

    def save_model(self, request, obj, form, change):
        if change:
            changes = {k: v for k, v in form.service_values.items() if k in form.changed_data}
            saved = update_subscription(EventSubscription.objects.get(pk=obj.pk), changes, actor=request.user)
        else:
            saved = create_subscription(
                form.cleaned_data["account"], **form.service_values, actor=request.user
            )
        obj.pk, obj.token, obj.version = saved.pk, saved.token, saved.version

    def delete_model(self, request, obj):
        delete_subscription(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            self.delete_model(request, subscription)

    # --- list columns -------------------------------------------------------------------------------

    @admin.display(description="endpoint")
    def url_display(self, subscription: EventSubscription):
        url = subscription.url
        return format_html(
            '<span class="eh-url" title="{}">{}</span>', url, url if len(url) <= 60 else url[:57] + "…"
        )

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
            return muted("all")
        shown = ", ".join(types[:3])
        return format_html("<code>{}</code>{}", shown, f" +{len(types) - 3}" if len(types) > 3 else "")

    @admin.display(description="created", ordering="created")
    def created_display(self, subscription: EventSubscription):
        return short_time(subscription.created)

    @admin.display(description="state")
    def state_detail(self, subscription: EventSubscription):
        if not subscription.disabled:
            since = self.failing_since(subscription)
            if since is None:
                return status_pill("success", "enabled")
            return format_html(
                "{} every attempt has failed since {} (auto-disabled after {} days)",
                status_pill("pending", "enabled · failing"),
                short_time(since),
                _auto_disable_days(),
            )
        entry = (
            AuditLogEntry.objects.filter(object_token=subscription.token, action="subscription.disabled")
            .order_by("-created", "-id")
            .values("details")
            .first()
        )
        details = (entry or {}).get("details", {})
        reason = (
            details["detail"] if "detail" in details else details.get("reason", "")
        )  # older rows: reason only
        return format_html(
            "{} since {}{}",
            status_pill("failed", f"disabled · {subscription.get_disabled_reason_display() or 'manual'}"),
            short_time(subscription.disabled_at),
            format_html(" — “{}”", reason) if reason else "",
        )

    # --- actions ------------------------------------------------------------------------------------

    @admin.action(description="Enable the selected subscriptions", permissions=["change"])
    def enable(self, request, queryset):
        changed = sum(set_disabled(s, False, actor=request.user) for s in queryset)
        self.message_user(request, f"Enabled {changed} subscription(s).", messages.SUCCESS)

    @admin.action(description="Disable the selected subscriptions…", permissions=["change"])
    def disable(self, request, queryset):
        data, response = action_form_step(
            self,
            request,
            queryset,
            DisableForm,
            title="Disable subscriptions",
            apply_label="Disable",
            intro="No new attempts are made while a subscription is disabled; messages created meanwhile can be replayed later.",
        )
        if response is not None:
            return response
        changed = sum(set_disabled(s, True, detail=data["reason"], actor=request.user) for s in queryset)
        self.message_user(request, f"Disabled {changed} subscription(s).", messages.SUCCESS)
        return None

    @admin.action(
        description="Rotate the signing secret of the selected subscriptions", permissions=["change"]
    )
    def rotate(self, request, queryset):
        count = sum(1 for s in queryset if rotate_secret(s, actor=request.user))
        hours = int(_grace_hours())
        self.message_user(
            request,
            f"Rotated {count} secret(s); the previous secrets keep signing for {hours} h.",
            messages.SUCCESS,
        )

    # --- the change page: secret, quick health, recent attempts --------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/secret/reveal/",
                wrap(require_POST(self.reveal_secret_view)),
                name="subscriptions_eventsubscription_reveal",
            ),
            path(
                "<path:object_id>/secret/rotate/",
                wrap(require_POST(self.rotate_secret_view)),
                name="subscriptions_eventsubscription_rotate",
            ),
            path(
                "<path:object_id>/state/",
                wrap(require_POST(self.state_view)),
                name="subscriptions_eventsubscription_state",
            ),
        ] + super().get_urls()

    def _subscription_for_change(self, request, object_id) -> EventSubscription:
        subscription = get_object_or_404(EventSubscription.objects.select_related("account"), pk=object_id)
        if not self.has_change_permission(request, subscription):
            raise PermissionDenied
        return subscription

    def reveal_secret_view(self, request, object_id):
        subscription = self._subscription_for_change(request, object_id)
        secret = current_secret(subscription, actor=request.user)
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
        rotated = rotate_secret(subscription, actor=request.user)
        self.message_user(
            request,
            f"Secret rotated. The previous secret keeps signing (second signature) until "
            f"{rotated.previous_secret_expires_at:%Y-%m-%d %H:%M} UTC.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:subscriptions_eventsubscription_change", args=[subscription.pk])
        )

    def state_view(self, request, object_id):
        subscription = self._subscription_for_change(request, object_id)
        if request.POST.get("state") == "enable":
            set_disabled(subscription, False, actor=request.user)
            self.message_user(request, "Subscription enabled; pending messages resume.", messages.SUCCESS)
        else:
            reason = (request.POST.get("disable_reason") or "").strip()
            if not reason:
                self.message_user(request, "Give a reason to disable the subscription.", messages.ERROR)
            else:
                set_disabled(subscription, True, detail=reason[:500], actor=request.user)
                self.message_user(request, "Subscription disabled.", messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:subscriptions_eventsubscription_change", args=[subscription.pk])
        )

    # --- hooks a higher layer (deliveries.admin_subscriptions) fills in ---------------------------------

    def failing_since(self, subscription: EventSubscription):
        """When the current run of failed deliveries began (None: healthy, or unknown at this layer)."""
        return None

    def delivery_context(self, subscription: EventSubscription) -> dict:
        """Extra change-page context: recent attempts, 24 h stats and links (the template hides what is absent)."""
        return {}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        subscription = (
            EventSubscription.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        )
        if subscription is not None:
            extra_context.update(
                {
                    "subscription": subscription,
                    "secret_prefix": "whsec_",
                    "previous_secret_active": bool(
                        subscription.previous_secret_encrypted
                        and subscription.previous_secret_expires_at
                        and subscription.previous_secret_expires_at > timezone.now()
                    ),
                    "reveal_url": reverse(
                        "admin:subscriptions_eventsubscription_reveal", args=[subscription.pk]
                    ),
                    "rotate_url": reverse(
                        "admin:subscriptions_eventsubscription_rotate", args=[subscription.pk]
                    ),
                    "state_url": reverse(
                        "admin:subscriptions_eventsubscription_state", args=[subscription.pk]
                    ),
                    **self.delivery_context(subscription),
                }
            )
        return super().change_view(request, object_id, form_url, extra_context)


def _grace_hours() -> float:
    from django.conf import settings

    return settings.EVENTHUB_SECRET_ROTATION_GRACE_HOURS


def _auto_disable_days() -> str:
    from django.conf import settings

    return f"{settings.EVENTHUB_AUTO_DISABLE_DAYS:g}"


ACCOUNT_LINKS.append(("subscriptions", EventSubscription))

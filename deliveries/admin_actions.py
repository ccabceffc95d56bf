"""Admin actions that drive deliveries through the engine's own services (deliveries.services.recovery):
resend messages, recover failed messages, replay missing ones, send an example. Small selections run
in the request; recover, replay and big resends run as background jobs (RecoveryJob rows, which hold
their progress). Each action calls the service with `actor=request.user`; the service writes the audit row."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from deliveries.services import recovery
from eventhub.admin_base import action_form_step
from eventhub.errors import HubError
from eventhub.models import EventType

INLINE_RESEND_LIMIT = 20


class DateRangeForm(forms.Form):
    begin = forms.SplitDateTimeField(widget=AdminSplitDateTime, help_text="Inclusive, UTC.")
    end = forms.SplitDateTimeField(widget=AdminSplitDateTime, help_text="Exclusive, UTC.")

    def clean(self):
        cleaned = super().clean()
        begin, end = cleaned.get("begin"), cleaned.get("end")
        if begin and end:
            if end <= begin:
                self.add_error("end", "Must be after begin.")
            elif end - begin > timedelta(days=settings.EVENTHUB_RECOVERY_MAX_DAYS):
                self.add_error("end", f"The window is at most {settings.EVENTHUB_RECOVERY_MAX_DAYS} days.")
        return cleaned


class ExampleForm(forms.Form):
    event_type = forms.ChoiceField(
        label="Event type",
        help_text="Its example payload is signed and sent like any message, marked as an example.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = EventType.objects.filter(archived=False).order_by("name").values_list("name", flat=True)
        self.fields["event_type"].choices = [(n, n) for n in names]


class DeliveryActionPermissions:
    """The permissions the delivery actions on a subscription list declare. They map to the model
    permissions of what the action creates, so the support role can recover, replay and send examples
    without the right to edit a subscription (change_eventsubscription: URL, secret, enable/disable)."""

    def has_recover_permission(self, request) -> bool:
        """Recover and replay missing each create a RecoveryJob."""
        return request.user.has_perm("deliveries.add_recoveryjob")

    def has_send_example_permission(self, request) -> bool:
        """Sending an example creates a message (and its example event)."""
        return request.user.has_perm("deliveries.add_message")


def _default_range() -> dict:
    now = timezone.now().replace(second=0, microsecond=0)
    return {"begin": now - timedelta(days=1), "end": now + timedelta(minutes=1)}


def _jobs_link(job_id: str):
    return format_html('<a href="{}#{}">{}</a>', reverse("admin:deliveries_jobs"), job_id, job_id)


def _range_job(modeladmin, request, queryset, kind: str, title: str, intro: str):
    """Ask the engine for one RecoveryJob per subscription (it runs them in the background, and a
    repeated request while one runs returns that job); report how many were queued."""
    data, response = action_form_step(
        modeladmin,
        request,
        queryset,
        DateRangeForm,
        title=title,
        intro=intro,
        apply_label="Queue",
        initial=_default_range(),
    )
    if response is not None:
        return response
    service = recovery.recover if kind == "recover" else recovery.replay_missing
    jobs, failed = [], []
    for subscription in queryset:
        try:
            job = service(subscription, data["begin"], data["end"], actor=request.user)
        except HubError as exc:
            failed.append(f"{subscription.token}: {exc.message}")
            continue
        jobs.append(job)
    if jobs:
        modeladmin.message_user(
            request,
            format_html(
                "{}: {} background job(s) queued. Progress and the number of messages each queued are on {}.",
                title,
                len(jobs),
                format_html('<a href="{}">Background jobs</a>', reverse("admin:deliveries_jobs")),
            ),
            messages.SUCCESS,
        )
    for line in failed:
        modeladmin.message_user(request, f"Not queued — {line}", messages.ERROR)
    return None


@admin.action(description="Recover failed messages in a date range…", permissions=["recover"])
def recover_failed(modeladmin, request, queryset):
    return _range_job(
        modeladmin,
        request,
        queryset,
        "recover",
        "Recover failed messages",
        "Every message in the window whose attempts all failed goes back to the retry schedule. Messages that later succeeded are left alone.",
    )


@admin.action(description="Replay missing messages in a date range…", permissions=["recover"])
def replay_missing(modeladmin, request, queryset):
    return _range_job(
        modeladmin,
        request,
        queryset,
        "replay_missing",
        "Replay missing messages",
        "Every event in the window that matches a subscription but was never queued for it (created while it was disabled, before it existed…) gets a message.",
    )


@admin.action(description="Send an example message…", permissions=["send_example"])
def send_example(modeladmin, request, queryset):
    data, response = action_form_step(
        modeladmin,
        request,
        queryset,
        ExampleForm,
        title="Send an example message",
        apply_label="Send",
        intro="Sends the event type's example payload to each selected subscription now.",
    )
    if response is not None:
        return response
    sent, failed = 0, []
    for subscription in queryset:
        try:
            recovery.send_example(subscription, data["event_type"], actor=request.user)
        except HubError as exc:
            failed.append(f"{subscription.token}: {exc.message}")
            continue
        sent += 1
    modeladmin.message_user(
        request, f"Queued {sent} example message(s) of {data['event_type']}.", messages.SUCCESS
    )
    for line in failed:
        modeladmin.message_user(request, line, messages.ERROR)
    return None


@admin.action(description="Resend the selected messages now", permissions=["resend"])
def resend_messages(modeladmin, request, queryset):
    ids = list(queryset.values_list("pk", flat=True)[: settings.EVENTHUB_RECOVERY_MAX_MESSAGES + 1])
    if len(ids) > INLINE_RESEND_LIMIT:
        try:
            job = recovery.request_resend(ids, actor=request.user)
        except HubError as exc:
            modeladmin.message_user(request, exc.message, messages.ERROR)
            return None
        modeladmin.message_user(
            request,
            format_html("Resend of {} messages queued as job {}.", len(ids), _jobs_link(job.token)),
            messages.SUCCESS,
        )
        return None
    count, failed = 0, []
    for message in queryset.select_related("event", "subscription", "account"):
        try:
            recovery.resend(message.event, message.subscription, actor=request.user)
            count += 1
        except HubError as exc:
            failed.append(f"{message.token}: {exc.message}")
    modeladmin.message_user(
        request, f"Queued {count} resend(s); they are attempted within seconds.", messages.SUCCESS
    )
    for line in failed:
        modeladmin.message_user(request, f"Not resent — {line}", messages.ERROR)
    return None

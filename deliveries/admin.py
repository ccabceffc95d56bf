"""Read-only admin for messages and attempts, the resend action, and two custom pages: delivery
health (deliveries.health selectors + deliveries.admin_charts SVG) and background jobs."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.utils.html import format_html, format_html_join

from deliveries import admin_actions, admin_subscriptions  # noqa: F401  (admin_subscriptions: registers the subscription admin with delivery actions)
from deliveries.admin_views import health_view, jobs_view
from deliveries.models import (
    AttemptStatus,
    Message,
    MessageAttempt,
    MessageStatus,
    RecoveryJob,
    RecoveryStatus,
)
from eventhub.admin_accounts import ACCOUNT_LINKS
from eventhub.admin_base import (
    AccountFilter,
    ChoicesFilter,
    CreatedWithinFilter,
    LargeTableAdmin,
    ReadOnlyAdminMixin,
    admin_link,
    duration,
    muted,
    pretty_json,
    response_code_pill,
    short_time,
    status_pill,
)
from eventhub.admin_events import EVENT_INLINES
from eventhub.models import Event
from subscriptions.admin_filters import SubscriptionTokenFilter
from subscriptions.models import EventSubscription

ATTEMPTS_SHOWN = 50
EVENT_HEAVY_FIELDS = ("event__payload", "event__previous_state", "event__schema_errors")


class MessageStatusFilter(ChoicesFilter):
    title = "status"
    parameter_name = "status"
    field_name = "status"
    choices_list = MessageStatus.choices


class AttemptStatusFilter(MessageStatusFilter):
    choices_list = AttemptStatus.choices


class ResponseCodeFilter(admin.SimpleListFilter):
    title = "response code"
    parameter_name = "code"
    ranges = {
        "2xx": (200, 300),
        "3xx": (300, 400),
        "4xx": (400, 500),
        "5xx": (500, 600),
    }

    def lookups(self, request, model_admin):
        return [(k, k) for k in self.ranges] + [("none", "No response (timeout, refused)")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(response_status_code=0)
        if value in self.ranges:
            low, high = self.ranges[value]
            return queryset.filter(response_status_code__gte=low, response_status_code__lt=high)
        if value and value.isdigit():
            return queryset.filter(response_status_code=int(value))
        return queryset


def _search_by_token(queryset, term: str, *, own_prefix: str):
    """Route a token to the indexed column it identifies, instead of ORing LIKEs across joins."""
    term = term.strip()
    if term.startswith(own_prefix):
        return queryset.filter(token=term)
    if term.startswith("evt_"):
        return queryset.filter(event_id__in=Event.objects.filter(token=term).values("pk")[:1])
    if term.startswith("ep_"):
        pk = EventSubscription.objects.filter(token=term).values_list("pk", flat=True).first()
        return queryset.filter(subscription_id=pk) if pk else queryset.none()
    if term.startswith("msg_") and own_prefix != "msg_":
        return queryset.filter(message_id__in=Message.objects.filter(token=term).values("pk")[:1])
    return queryset.filter(token=term)


class MessageInline(admin.TabularInline):
    """The event's deliveries: one message per subscription, so the list is small by construction."""

    model = Message

    fields = (
        "message_link",
        "subscription_link",
        "status_pill",
        "attempt_count",
        "next_attempt",
        "last_attempt",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "messages (deliveries of this event)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("subscription").order_by("-created", "-id")

    @admin.display(description="message")
    def message_link(self, message):
        return admin_link(message, message.token)

    @admin.display(description="subscription")
    def subscription_link(self, message):
        return admin_link(message.subscription, message.subscription.url)

    @admin.display(description="status")
    def status_pill(self, message):
        return status_pill(message.status)

    @admin.display(description="next attempt")
    def next_attempt(self, message):
        return short_time(message.next_attempt_at)

    @admin.display(description="last attempt")
    def last_attempt(self, message):
        return short_time(message.last_attempt_at)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    list_display = (
        "token",
        "status_display",
        "event_link",
        "event_type",
        "subscription_display",
        "attempt_count",
        "next_attempt",
        "last_attempt",
        "created_display",
    )
    list_filter = (MessageStatusFilter, SubscriptionTokenFilter, AccountFilter, CreatedWithinFilter)
    list_select_related = ("event", "subscription")
    search_help_text = "Exact token: msg_… (message), evt_… (its event) or ep_… (its subscription)."
    actions = (admin_actions.resend_messages,)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "token",
                    "status_display",
                    "account",
                    "event_link",
                    "event_type",
                    "subscription_display",
                    "is_example",
                )
            },
        ),
        (
            "Schedule",
            {
                "fields": (
                    "attempt_count",
                    "schedule_step",
                    "next_attempt_at",
                    "last_attempt_at",
                    "succeeded_at",
                    "lease_expires_at",
                    "created",
                )
            },
        ),
        ("Attempts", {"fields": ("attempts_table",)}),
        ("Body (event payload)", {"fields": ("payload",), "classes": ("collapse",)}),
    )
    # The page is read-only: every field the fieldsets show.
    readonly_fields = tuple(name for _, options in fieldsets for name in options["fields"])

    def has_resend_permission(self, request) -> bool:
        """Resending changes delivery state, so it needs the change permission the read-only page hides."""
        return request.user.has_perm("deliveries.change_message")

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*EVENT_HEAVY_FIELDS)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return _search_by_token(queryset, search_term, own_prefix="msg_"), False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("jobs/", wrap(jobs_view), name="deliveries_jobs"),
        ] + super().get_urls()

    @admin.display(description="status")
    def status_display(self, message: Message):
        return status_pill(message.status)

    @admin.display(description="event")
    def event_link(self, message: Message):
        return admin_link(None, message.event.token, pk=message.event_id, model=Event)

    @admin.display(description="type")
    def event_type(self, message: Message):
        return format_html("<code>{}</code>", message.event.event_type_name)

    @admin.display(description="subscription")
    def subscription_display(self, message: Message):
        return admin_link(message.subscription, message.subscription.url)

    @admin.display(description="next attempt")
    def next_attempt(self, message: Message):
        return (
            short_time(message.next_attempt_at)
            if message.status in (MessageStatus.PENDING, MessageStatus.SENDING)
            else ""
        )

    @admin.display(description="last attempt")
    def last_attempt(self, message: Message):
        return short_time(message.last_attempt_at)

    @admin.display(description="created", ordering="created")
    def created_display(self, message: Message):
        return short_time(message.created)

    @admin.display(description="attempts")
    def attempts_table(self, message: Message):
        attempts = list(message.attempts.order_by("-created", "-id").defer("response_body")[:ATTEMPTS_SHOWN])
        if not attempts:
            return muted("No attempt yet.")
        rows = format_html_join(
            "",
            '<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="eh-muted">{}</td></tr>',
            (
                (
                    admin_link(a, a.token),
                    status_pill(a.status),
                    response_code_pill(a.response_status_code),
                    duration(a.duration_ms),
                    short_time(a.created),
                    a.error[:120],
                )
                for a in attempts
            ),
        )
        return format_html(
            '<table class="eh-table"><thead><tr><th>attempt</th><th>status</th><th>response</th><th>duration</th><th>when</th><th>error</th></tr></thead><tbody>{}</tbody></table>',
            rows,
        )

    @admin.display(description="payload")
    def payload(self, message: Message):
        return pretty_json(
            Event.objects.filter(pk=message.event_id).values_list("payload", flat=True).first()
        )


@admin.register(MessageAttempt)
class MessageAttemptAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    list_display = (
        "token",
        "status_display",
        "code_display",
        "duration_display",
        "subscription_display",
        "message_link",
        "created_display",
        "error_short",
    )
    list_filter = (
        AttemptStatusFilter,
        ResponseCodeFilter,
        SubscriptionTokenFilter,
        AccountFilter,
        CreatedWithinFilter,
    )
    list_select_related = ("subscription", "message")
    search_help_text = (
        "Exact token: atmpt_…, msg_… (its message), evt_… (its event) or ep_… (its subscription)."
    )
    fieldsets = (
        (None, {"fields": ("token", "status_display", "code_display", "duration_display", "created", "url")}),
        ("Links", {"fields": ("account", "subscription_display", "message_link", "event_link")}),
        ("Response", {"fields": ("error", "response_body_display")}),
    )
    readonly_fields = (
        "token",
        "status_display",
        "code_display",
        "duration_display",
        "created",
        "url",
        "account",
        "subscription_display",
        "message_link",
        "event_link",
        "error",
        "response_body_display",
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("response_body")
        return queryset

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return _search_by_token(queryset, search_term, own_prefix="atmpt_"), False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("health/", wrap(health_view), name="deliveries_health")] + super().get_urls()

    @admin.display(description="status")
    def status_display(self, attempt: MessageAttempt):
        return status_pill(attempt.status)

    @admin.display(description="response")
    def code_display(self, attempt: MessageAttempt):
        return response_code_pill(attempt.response_status_code)

    @admin.display(description="duration")
    def duration_display(self, attempt: MessageAttempt):
        return duration(attempt.duration_ms)

    @admin.display(description="subscription")
    def subscription_display(self, attempt: MessageAttempt):
        return admin_link(attempt.subscription, attempt.subscription.url)

    @admin.display(description="message")
    def message_link(self, attempt: MessageAttempt):
        return admin_link(attempt.message, attempt.message.token)

    @admin.display(description="event")
    def event_link(self, attempt: MessageAttempt):
        token = Event.objects.filter(pk=attempt.event_id).values_list("token", flat=True).first()
        return admin_link(None, token, pk=attempt.event_id, model=Event)

    @admin.display(description="when", ordering="created")
    def created_display(self, attempt: MessageAttempt):
        return short_time(attempt.created)

    @admin.display(description="error")
    def error_short(self, attempt: MessageAttempt):
        return format_html('<span class="eh-muted">{}</span>', attempt.error[:80]) if attempt.error else ""

    @admin.display(description="response body")
    def response_body_display(self, attempt: MessageAttempt):
        if not attempt.response_body:
            return muted("empty")
        return format_html('<pre class="eh-json">{}</pre>', attempt.response_body)


@admin.register(RecoveryJob)
class RecoveryJobAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    """The engine's recover / replay-missing jobs: what was asked, its state, how many messages it queued."""

    list_display = (
        "token",
        "kind",
        "subscription_display",
        "status_display",
        "progress",
        "messages",
        "window",
        "created_display",
        "finished_display",
        "error",
    )
    list_filter = ("kind", "status", SubscriptionTokenFilter, AccountFilter)
    list_select_related = ("subscription",)
    search_help_text = "Exact job token (rcv_…)."
    fields = (
        "token",
        "kind",
        "status_display",
        "account",
        "subscription_display",
        "begin",
        "end",
        "progress",
        "messages",
        "requested_by",
        "created",
        "started_at",
        "finished_at",
        "error",
    )
    readonly_fields = fields

    @admin.display(description="subscription")
    def subscription_display(self, job: RecoveryJob):
        return admin_link(job.subscription, job.subscription.url) if job.subscription_id else muted("—")

    @admin.display(description="status")
    def status_display(self, job: RecoveryJob):
        css = {
            RecoveryStatus.DONE: "success",
            RecoveryStatus.FAILED: "failed",
            RecoveryStatus.RUNNING: "sending",
        }
        return status_pill(css.get(job.status, "pending"), job.status.lower())

    @admin.display(description="progress")
    def progress(self, job: RecoveryJob):
        return f"{job.done} of {job.total}" + (f", {job.errors} error(s)" if job.errors else "")

    @admin.display(description="window")
    def window(self, job: RecoveryJob):
        if job.begin is None or job.end is None:
            return muted("—")
        return f"{job.begin:%Y-%m-%d %H:%M} → {job.end:%Y-%m-%d %H:%M}"

    @admin.display(description="requested", ordering="created")
    def created_display(self, job: RecoveryJob):
        return short_time(job.created)

    @admin.display(description="finished")
    def finished_display(self, job: RecoveryJob):
        return short_time(job.finished_at)


EVENT_INLINES.append(MessageInline)
ACCOUNT_LINKS.append(("messages", Message))

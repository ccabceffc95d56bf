"""Resend, recover, replay missing and send example: the operations clients (API) and staff (admin)
use to get messages delivered again. Recover, replay missing and bulk resend run as background jobs
(RecoveryJob rows holding their progress), are idempotent and capped (EVENTHUB_RECOVERY_MAX_DAYS,
EVENTHUB_RECOVERY_MAX_MESSAGES).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from deliveries import oplog
from deliveries.models import Message, MessageStatus, RecoveryJob, RecoveryKind, RecoveryStatus
from deliveries.services.dispatch import FIRST, RUN_RECOVERY_JOB, enqueue, kick, kick_on_commit
from eventhub.errors import HubError, InvalidInput, NotFound
from eventhub.models import Event
from eventhub.selectors import event_types_named, type_keys
from eventhub.services.audit import Actor, record_action
from eventhub.services.ingest import EventSpec, record_events
from subscriptions.models import EventSubscription

logger = logging.getLogger(__name__)
# A job queued or running for longer is presumed lost (its worker died): it no longer absorbs requests.
STALE_JOB = timedelta(minutes=15)


def _usable(subscription: EventSubscription) -> None:
    if subscription.disabled:
        raise InvalidInput(
            "The event subscription is disabled; enable it first.",
            {
                "event_subscription_token": [
                    f"{subscription.token} is disabled ({subscription.disabled_reason or 'manual'})."
                ]
            },
        )


def resend(event: Event, subscription: EventSubscription, *, actor: Actor = None) -> Message:
    """A new attempt now, whatever the message's state (made if the event never had one for it). Audited for `actor`."""
    if event.account_id != subscription.account_id:
        raise NotFound(f"No event {event.token!r} for this subscription's account.")
    _usable(subscription)
    if not event.is_example and not subscription.matches(event.event_type_name):
        raise InvalidInput(
            f"The subscription does not receive {event.event_type_name} events.",
            {"event_subscription_token": [f"{subscription.token} filters out {event.event_type_name}."]},
        )
    now = timezone.now()
    with transaction.atomic():
        message, created = Message.objects.get_or_create(
            event=event,
            subscription=subscription,
            defaults={
                "account_id": event.account_id,
                "next_attempt_at": now,
                "created": event.created,
                "is_example": event.is_example,
            },
        )
        if not created:
            Message.objects.filter(pk=message.pk).update(
                status=MessageStatus.PENDING, schedule_step=0, next_attempt_at=now, lease_expires_at=None
            )
        record_action(
            actor,
            "message.resent",
            target=message,
            account=event.account,
            subscription=subscription.token,
            event=event.token,
        )
        kick_on_commit()
    return message


def send_example(
    subscription: EventSubscription, event_type_name: str | None = None, *, actor: Actor = None
) -> Message:
    """Deliver the type's example payload as an example event (hidden from event lists), signed and sent
    like any other message. Without a type, the subscription's first filtered type is used."""
    _usable(subscription)
    name = event_type_name or (subscription.event_types[0] if subscription.event_types else None)
    if not name:
        raise InvalidInput(
            "event_type is required for a subscription that receives all types.",
            {"event_type": ["This field is required."]},
        )
    event_type = event_types_named(subscription.account, [name]).get(name) if isinstance(name, str) else None
    if event_type is None or event_type.archived:
        raise InvalidInput(
            f"Unknown event type {str(name)[:128]!r}.",
            {"event_type": [f"Unknown event type {str(name)[:128]!r}."]},
        )
    with transaction.atomic():
        spec = EventSpec(
            event_type, {**(event_type.example or {}), "event_type": event_type.name}, is_example=True
        )
        event = record_events(subscription.account, [spec])[0].event
        message = Message.objects.create(
            account_id=subscription.account_id,
            event=event,
            subscription=subscription,
            next_attempt_at=event.created,
            created=event.created,
            is_example=True,
        )
        record_action(actor, "subscription.example_sent", target=subscription, event_type=event_type.name)
        kick_on_commit()
    return message


def recovery_window(
    begin: datetime | None, end: datetime | None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """[begin, end): `end` defaults to now and `begin` to the largest window before it."""
    limit = timedelta(days=settings.EVENTHUB_RECOVERY_MAX_DAYS)
    end = end or now or timezone.now()
    begin = begin or end - limit
    if begin >= end:
        raise InvalidInput("begin must be before end.", {"begin": ["Must be before end."]})
    if end - begin > limit:
        days = settings.EVENTHUB_RECOVERY_MAX_DAYS
        raise InvalidInput(
            f"The window is longer than {days} days.",
            {"begin": [f"begin and end may be at most {days} days apart."]},
        )
    return begin, end


def recover(
    subscription: EventSubscription,
    begin: datetime | None = None,
    end: datetime | None = None,
    *,
    actor: Actor = None,
) -> RecoveryJob:
    """Queue: every message in [begin, end) whose attempts all failed and that never succeeded goes back
    on the schedule now."""
    return _request(subscription, RecoveryKind.RECOVER, begin, end, actor)


def replay_missing(
    subscription: EventSubscription,
    begin: datetime | None = None,
    end: datetime | None = None,
    *,
    actor: Actor = None,
) -> RecoveryJob:
    """Queue: every event in [begin, end) the subscription matches but has no message for gets one."""
    return _request(subscription, RecoveryKind.REPLAY_MISSING, begin, end, actor)


def _request(
    subscription: EventSubscription,
    kind: str,
    begin: datetime | None,
    end: datetime | None,
    actor: Actor = None,
) -> RecoveryJob:
    """A request while an equal or wider job of the same kind is queued or running returns that job."""
    _usable(subscription)
    now = timezone.now()
    begin, end = recovery_window(begin, end, now)
    with transaction.atomic():
        active = RecoveryJob.objects.filter(
            subscription=subscription,
            kind=kind,
            status__in=(RecoveryStatus.QUEUED, RecoveryStatus.RUNNING),
            begin__lte=begin,
            end__gte=end,
            created__gte=now - STALE_JOB,
        ).first()
        job = active or RecoveryJob.objects.create(
            account_id=subscription.account_id,
            subscription=subscription,
            kind=kind,
            begin=begin,
            end=end,
            created=now,
        )
        record_action(
            actor,
            f"subscription.{kind.lower()}_requested",
            target=subscription,
            job=job.token,
            begin=begin.isoformat(),
            end=end.isoformat(),
        )
        if active is None:
            transaction.on_commit(lambda: enqueue_job(job.id), robust=True)
    return job


def enqueue_job(job_id: int) -> None:
    try:
        enqueue(RUN_RECOVERY_JOB, job_id)
    except (OperationalError, OSError) as exc:
        logger.warning("could not queue recovery job %s (the sweeper will): %s", job_id, exc)


def run_job(job_id: int) -> RecoveryJob | None:
    """Run a queued job once; a duplicate delivery of the task finds it no longer QUEUED and does nothing."""
    now = timezone.now()
    if not RecoveryJob.objects.filter(id=job_id, status=RecoveryStatus.QUEUED).update(
        status=RecoveryStatus.RUNNING, started_at=now
    ):
        return None
    job = RecoveryJob.objects.select_related("subscription").get(id=job_id)
    try:
        if job.kind == RecoveryKind.RESEND:
            job.messages = resend_job_messages(job)
        else:
            work = recover_messages if job.kind == RecoveryKind.RECOVER else replay_missing_messages
            job.messages = work(job.subscription, job.begin, job.end, now)
            job.total = job.done = job.messages
    except Exception as exc:
        job.status, job.error, job.finished_at = (
            RecoveryStatus.FAILED,
            f"{type(exc).__name__}: {exc}"[:500],
            timezone.now(),
        )
        job.save(update_fields=["status", "error", "finished_at"])
        oplog.recovery_job(job)
        raise
    job.status, job.finished_at = RecoveryStatus.DONE, timezone.now()
    job.save(update_fields=["status", "messages", "total", "done", "errors", "error", "finished_at"])
    oplog.recovery_job(job)
    if job.messages:
        kick(FIRST)
    return job


def request_resend(message_ids: list[int], *, actor: Actor = None) -> RecoveryJob:
    """Queue a resend of the chosen messages as one background job; one audit row for the request
    (`messages.resend_requested`), progress on the job row."""
    ids = list(dict.fromkeys(int(pk) for pk in message_ids))
    if not ids:
        raise InvalidInput("Choose at least one message.", {"message_ids": ["This field is required."]})
    if len(ids) > settings.EVENTHUB_RECOVERY_MAX_MESSAGES:
        limit = settings.EVENTHUB_RECOVERY_MAX_MESSAGES
        raise InvalidInput(
            f"At most {limit:,} messages per resend.", {"message_ids": [f"At most {limit:,}."]}
        )
    scope = Message.objects.filter(pk__in=ids[:1000])
    accounts = set(scope.values_list("account_id", flat=True))
    subscriptions = set(scope.values_list("subscription_id", flat=True))
    with transaction.atomic():
        job = RecoveryJob.objects.create(
            kind=RecoveryKind.RESEND,
            message_ids=ids,
            total=len(ids),
            created=timezone.now(),
            account_id=accounts.pop() if len(accounts) == 1 and len(ids) <= 1000 else None,
            subscription_id=subscriptions.pop() if len(subscriptions) == 1 and len(ids) <= 1000 else None,
            requested_by=getattr(actor, "get_username", lambda: "")() if actor is not None else "",
        )
        record_action(actor, "messages.resend_requested", target=job, job=job.token, total=len(ids))
        transaction.on_commit(lambda: enqueue_job(job.id), robust=True)
    return job


RESEND_CHUNK = 100


def resend_job_messages(job: RecoveryJob) -> int:
    """Resend the job's messages in chunks, writing progress after each; a message that cannot be resent
    (deleted, its subscription disabled or no longer taking its type) counts as an error, the rest go on.
    Running it twice resends twice, which a resend allows (one more attempt, same webhook-id)."""
    job.done = job.errors = job.messages = 0
    for start in range(0, len(job.message_ids), RESEND_CHUNK):
        chunk = job.message_ids[start : start + RESEND_CHUNK]
        found = {
            m.pk: m for m in Message.objects.filter(pk__in=chunk).select_related("event", "subscription")
        }
        with transaction.atomic():
            for pk in chunk:
                message = found.get(pk)
                try:
                    if message is None:
                        raise NotFound(f"Message {pk} no longer exists.")
                    with transaction.atomic():
                        resend(message.event, message.subscription)
                    job.messages += 1
                except HubError as exc:
                    job.errors += 1
                    job.error = f"{message.token if message else pk}: {exc.message}"[:500]
                job.done += 1
            job.save(update_fields=["done", "errors", "messages", "error"])
    return job.messages


def recover_messages(subscription: EventSubscription, begin: datetime, end: datetime, now: datetime) -> int:
    """One UPDATE: messages waiting for a retry or FAILED, never successful, created in [begin, end)."""
    recoverable = Q(status=MessageStatus.FAILED) | Q(status=MessageStatus.PENDING, schedule_step__gt=0)
    chosen = (
        Message.objects.filter(
            recoverable, subscription=subscription, succeeded_at__isnull=True, is_example=False
        )
        .filter(created__gte=begin, created__lt=end)
        .order_by("created", "id")
        .values("id")[: settings.EVENTHUB_RECOVERY_MAX_MESSAGES]
    )
    return Message.objects.filter(recoverable, id__in=chosen).update(
        status=MessageStatus.PENDING, schedule_step=0, next_attempt_at=now, lease_expires_at=None
    )


def replay_missing_messages(
    subscription: EventSubscription, begin: datetime, end: datetime, now: datetime
) -> int:
    """Messages for the subscription's matching events in [begin, end) that have none; the unique
    (event, subscription) constraint makes a concurrent or repeated run harmless."""
    events = Event.objects.filter(
        account_id=subscription.account_id, is_example=False, created__gte=begin, created__lt=end
    )
    if subscription.event_types:
        events = events.filter(event_type_id__in=type_keys(subscription.account, subscription.event_types))
    events = events.exclude(Exists(Message.objects.filter(subscription=subscription, event=OuterRef("pk"))))
    rows = list(
        events.order_by("created", "id").values_list("id", "created")[
            : settings.EVENTHUB_RECOVERY_MAX_MESSAGES
        ]
    )
    created = Message.objects.bulk_create(
        [
            Message(
                account_id=subscription.account_id,
                event_id=event_id,
                subscription=subscription,
                next_attempt_at=now,
                created=event_created,
            )
            for event_id, event_created in rows
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    return len(created)


def requeue_lost_jobs(now: datetime) -> int:
    """Sweeper: a job still QUEUED a minute after it was asked for lost its task; a RUNNING one past
    STALE_JOB lost its worker (its work is idempotent, so marking it FAILED lets a new request run)."""
    RecoveryJob.objects.filter(status=RecoveryStatus.RUNNING, started_at__lt=now - STALE_JOB).update(
        status=RecoveryStatus.FAILED, error="worker lost", finished_at=now
    )
    lost = list(
        RecoveryJob.objects.filter(
            status=RecoveryStatus.QUEUED, created__lt=now - timedelta(minutes=1), created__gte=now - STALE_JOB
        ).values_list("id", flat=True)[:100]
    )
    for job_id in lost:
        enqueue_job(job_id)
    return len(lost)

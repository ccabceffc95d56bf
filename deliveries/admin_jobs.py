"""Background bulk resend from the admin (recover and replay missing are already background jobs of the
engine: deliveries.models.RecoveryJob). Progress lives in the audit log, so every web process and
worker sees it without a table of its own.

A job writes `job.queued` (with its total), one `message.resent` entry per message (`details.job`
names the job), then `job.finished`. Running the task twice is safe: a resend is idempotent.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from eventhub.errors import HubError
from eventhub.models import AuditLogEntry
from eventhub.services.audit import record_audit

logger = logging.getLogger(__name__)
QUEUED, FINISHED, FAILED = "job.queued", "job.finished", "job.failed"
JOB_LABELS = {"resend": "Resend messages"}


def start_job(user, kind: str, ids: list[int], params: dict[str, Any]) -> str:
    """Record the job and enqueue it once the surrounding transaction commits."""
    job_id = "job_" + secrets.token_hex(6)
    record_audit(QUEUED, user=user, job=job_id, kind=kind, total=len(ids), params=params)
    user_id = getattr(user, "pk", None)

    def enqueue() -> None:
        try:
            run_admin_job.delay(job_id, kind, ids, params, user_id)
        except Exception as exc:  # the broker is down: say so on the jobs page instead of a 500
            logger.exception("could not enqueue admin job %s", job_id)
            record_audit(FAILED, job=job_id, kind=kind, error=f"could not enqueue: {exc}"[:300])

    transaction.on_commit(enqueue)
    return job_id


@shared_task(name="deliveries.admin_job", ignore_result=True)
def run_admin_job(job_id: str, kind: str, ids: list[int], params: dict[str, Any], user_id: int | None = None) -> None:
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    runner = RUNNERS[kind]
    total, errors = 0, 0
    for pk in ids:
        try:
            with transaction.atomic():
                total += runner(pk, params, user, job_id)
        except HubError as exc:
            errors += 1
            record_audit("job.item_failed", user=user, job=job_id, kind=kind, item=pk, error=exc.message[:300])
    record_audit(FINISHED, user=user, job=job_id, kind=kind, queued=total, errors=errors)


def resend_message(message, user, job_id: str | None = None) -> int:
    from deliveries.services.recovery import resend

    resend(message.event, message.subscription)
    details = {"job": job_id} if job_id else {}
    record_audit("message.resent", user=user, target=message, account=message.account, subscription=message.subscription.token, **details)
    return 1


def _resend(pk: int, params: dict[str, Any], user, job_id: str) -> int:
    from deliveries.models import Message

    message = Message.objects.select_related("event", "subscription", "account").get(pk=pk)
    return resend_message(message, user, job_id)


RUNNERS = {"resend": _resend}


@dataclass
class JobStatus:
    job_id: str
    kind: str
    label: str
    total: int
    done: int
    queued: int | None
    state: str  # queued | running | finished | failed
    started: datetime
    finished: datetime | None
    actor: str
    params: dict
    error: str = ""

    @property
    def percent(self) -> int:
        if self.state == "finished":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


def recent_jobs(*, days: int = 7, limit: int = 30) -> list[JobStatus]:
    """The latest admin jobs with their progress, from the audit log (three small queries)."""
    since = timezone.now() - timedelta(days=days)
    starts = list(
        AuditLogEntry.objects.filter(action=QUEUED, created__gte=since).select_related("actor_user").order_by("-created", "-id")[:limit]
    )
    if not starts:
        return []
    ids = [entry.details.get("job") for entry in starts]
    progress = AuditLogEntry.objects.filter(created__gte=since, details__job__in=ids).exclude(action=QUEUED).values("action", "details", "created")
    done: dict[str, int] = {}
    ends: dict[str, dict] = {}
    for row in progress:
        job = row["details"].get("job")
        if row["action"] in (FINISHED, FAILED):
            ends[job] = {**row["details"], "action": row["action"], "created": row["created"]}
        else:
            done[job] = done.get(job, 0) + 1
    statuses = []
    for entry in starts:
        details = entry.details
        job = details.get("job")
        end = ends.get(job)
        done_count = done.get(job, 0)
        state = "finished" if end and end["action"] == FINISHED else "failed" if end else "running" if done_count else "queued"
        statuses.append(
            JobStatus(
                job_id=job,
                kind=details.get("kind", ""),
                label=JOB_LABELS.get(details.get("kind", ""), details.get("kind", "")),
                total=details.get("total", 0),
                done=done_count,
                queued=end.get("queued") if end else None,
                state=state,
                started=entry.created,
                finished=end["created"] if end else None,
                actor=entry.actor_user.get_username() if entry.actor_user_id else "",
                params=details.get("params", {}),
                error=(end or {}).get("error", ""),
            )
        )
    return statuses

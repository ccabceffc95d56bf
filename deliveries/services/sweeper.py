"""The beat sweeper: the guarantee behind every lost kick, dead worker and lost recovery job. It only
looks (indexed EXISTS queries) and wakes workers; the claim does the rest."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from deliveries.models import Message
from deliveries.services.claims import release_expired_leases
from deliveries.services.dispatch import FIRST, RETRY, kick
from deliveries.services.recovery import requeue_lost_jobs


def sweep(now: datetime | None = None) -> dict[str, object]:
    released = release_expired_leases(now)  # by the database's clock unless pinned, as claims are
    now = now or timezone.now()
    due = Message.objects.due(now)
    woken = [
        lane
        for lane, queryset in ((FIRST, due.filter(schedule_step=0)), (RETRY, due.filter(schedule_step__gt=0)))
        if queryset.exists()
    ]
    for lane in woken:
        kick(lane, gated=False)  # never held back by the kick it may be replacing (dispatch.kick)
    return {"released_leases": released, "woken": woken, "requeued_jobs": requeue_lost_jobs(now)}

"""Event reads with the billing dialect's filters, on top of the shared `eventhub.selectors.events_for`."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from eventhub.errors import InvalidInput
from eventhub.models import Account, Event
from eventhub.selectors import events_for, filter_by_type_names
from eventhub.services.rules import notification_type_name

# The billing platform's `eventType` groups, as hub categories or type names.
EVENT_TYPE_GROUPS = {
    "Notification": Q(event_type__category="notification"),
    "IntegrationEvent": Q(event_type__name__startswith="error.integration."),
    "IngestValidationFailure": Q(event_type_id="ingest.validation_failure"),  # a global type: key == name
    "DataExportJobFailure": Q(event_type__name__startswith="error.data_export_job."),
    "Scheduled": Q(event_type__category="scheduled"),
    "Configuration": Q(event_type__category="configuration"),
    "Billing": Q(event_type__category="billing"),
}
_GROUPS_BY_LOWER = {name.lower(): q for name, q in EVENT_TYPE_GROUPS.items()}


def billing_events(
    account: Account,
    *,
    event_name: str | None = None,
    ids: list[str] | None = None,
    account_id: str | None = None,
    resource_id: str | None = None,
    notification_code: str | None = None,
    notification_id: str | None = None,
    event_type: str | None = None,
    include_actioned: bool = True,
) -> QuerySet[Event]:
    """`accountId` is the producer's customer account (an `account` entity or a payload's accountId);
    `resourceId` the entity an event is about; `notificationCode`/`notificationId` the events that
    triggered that rule's notifications; without `include_actioned`, only events waiting for action."""
    queryset = events_for(account).select_related("caused_by")
    if not include_actioned:
        queryset = queryset.filter(awaiting_action=True)  # the small partial index event_awaiting_action
    if event_name:
        queryset = filter_by_type_names(queryset, account, [event_name])
    if ids:
        queryset = queryset.filter(token__in=ids)
    if account_id:
        queryset = queryset.filter(
            Q(entity_type="account", entity_id=account_id) | Q(payload__accountId=account_id)
        )
    if resource_id:
        queryset = queryset.filter(entity_id=resource_id)
    # Per the SDK, these two return the events that *triggered* the notification: a notification
    # event's `caused_by` is its triggering event.
    if notification_code:
        fired = filter_by_type_names(
            events_for(account), account, [notification_type_name(notification_code)]
        )
        queryset = queryset.filter(pk__in=fired.values("caused_by_id"))
    if notification_id:
        fired = events_for(account).filter(
            event_type__name__startswith="notification.", payload__rule__id=notification_id
        )
        queryset = queryset.filter(pk__in=fired.values("caused_by_id"))
    if event_type:
        group = _GROUPS_BY_LOWER.get(event_type.lower())
        if group is None:
            raise InvalidInput(
                f"eventType must be one of {', '.join(EVENT_TYPE_GROUPS)}.",
                {"eventType": [f"Unknown event type group {event_type[:64]!r}."]},
            )
        queryset = queryset.filter(group)
    return queryset

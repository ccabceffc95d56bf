"""List filters over subscriptions, for the admins of the layers above (messages, attempts, jobs)."""

from __future__ import annotations

from eventhub.admin_base import InputFilter
from subscriptions.models import EventSubscription


class SubscriptionTokenFilter(InputFilter):
    """Rows of one subscription, named by its token (the subscription list is too large to link)."""

    title = "subscription"
    parameter_name = "subscription"
    placeholder = "ep_…"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        pk = EventSubscription.objects.filter(token=value).values_list("pk", flat=True).first()
        return queryset.filter(subscription_id=pk) if pk else queryset.none()

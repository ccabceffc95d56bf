"""Configuration checks (`manage.py check`): a lease shorter than a delivery can take makes a second
worker send a message that is still in flight."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register


@register()
def lease_outlives_a_delivery(app_configs, **kwargs) -> list[Warning]:
    needed = settings.EVENTHUB_CONNECT_TIMEOUT + settings.EVENTHUB_DELIVERY_TIMEOUT + 5
    if settings.EVENTHUB_LEASE_SECONDS >= needed:
        return []
    return [
        Warning(
            f"EVENTHUB_LEASE_SECONDS ({settings.EVENTHUB_LEASE_SECONDS}) is shorter than a delivery may take "
            f"(connect + delivery timeout + 5 s = {needed:g} s): slow deliveries will be sent twice.",
            id="deliveries.W001",
        )
    ]

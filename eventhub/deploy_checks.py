"""Delivery to loopback, private ranges and plain http: allowed for local trials, refused in production.

`refuse_local_in_production` runs from settings (a production process with loopback in an allow-list
does not start); `allow_lists_are_public` is a `check --deploy` warning for private ranges.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(entry.strip("[]"), strict=False)
    except ValueError:
        return None


def loopback_entries(entries: list[str]) -> list[str]:
    found = []
    for entry in entries:
        net = _network(entry)
        if entry.lower() in LOOPBACK_NAMES or (net is not None and net.network_address.is_loopback):
            found.append(entry)
    return found


def private_entries(entries: list[str]) -> list[str]:
    """Entries that open loopback, private, link-local or reserved space (what SSRF protection exists for)."""
    found = loopback_entries(entries)
    for entry in entries:
        net = _network(entry)
        if (
            entry not in found
            and net is not None
            and (
                net.network_address.is_private
                or net.network_address.is_link_local
                or net.network_address.is_reserved
            )
        ):
            found.append(entry)
    return found


def refuse_local_in_production(production: bool, ssrf_allow: list[str], http_hosts: list[str]) -> None:
    if not production:
        return
    local = loopback_entries(ssrf_allow) + loopback_entries(http_hosts)
    if local:
        raise RuntimeError(
            f"EVENTHUB_ENV=production refuses deliveries to loopback ({', '.join(local)} in EVENTHUB_SSRF_ALLOW / "
            "EVENTHUB_ALLOW_HTTP_HOSTS): they are for local trials only."
        )


@register(Tags.security, deploy=True)
def allow_lists_are_public(app_configs, **kwargs) -> list[Warning]:
    warnings = []
    for name in ("EVENTHUB_SSRF_ALLOW", "EVENTHUB_ALLOW_HTTP_HOSTS"):
        entries = private_entries(getattr(settings, name, []))
        if entries:
            warnings.append(
                Warning(
                    f"{name} opens loopback or private addresses to webhook deliveries: {', '.join(entries)}.",
                    hint="Customers' endpoints could reach internal services; allow only what must be reached.",
                    id="eventhub.W010",
                )
            )
    if getattr(settings, "EVENTHUB_ALLOW_HTTP_HOSTS", []):
        warnings.append(
            Warning("EVENTHUB_ALLOW_HTTP_HOSTS lets deliveries use plain http.", id="eventhub.W011")
        )
    return warnings

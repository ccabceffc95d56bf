"""SSRF policy: which addresses a webhook may reach. The sender checks the address it actually connects
to (deliveries.http), so a hostname that later resolves elsewhere (DNS rebinding) gains nothing."""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from eventhub.errors import InvalidInput

METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
MAX_URL_LENGTH = 2048


class BlockedDestination(Exception):
    """The endpoint resolves to an address the SSRF policy refuses."""


def _allow_list() -> tuple[set[str], list[ipaddress._BaseNetwork]]:
    hosts, networks = set(), []
    for item in settings.EVENTHUB_SSRF_ALLOW:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            hosts.add(item.lower())
    return hosts, networks


def address_allowed(address: str, hostname: str | None = None) -> bool:
    """Public unicast addresses pass; private, loopback, link-local, multicast, reserved and metadata ones
    pass only when the allow-list names the host or a network holding the address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    hosts, networks = _allow_list()
    if any(ip in net for net in networks) or (hostname and hostname.lower() in hosts):
        return True
    if ip in METADATA_ADDRESSES:
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def check_endpoint_url(url: object, *, field: str = "url", resolve: bool = True) -> str:
    """Validate an endpoint URL when it is saved: http(s), a host, https unless the host may use http,
    and (when it resolves now) no refused address. The send-time check is the one that guarantees."""
    if not isinstance(url, str) or not url:
        raise InvalidInput(f"{field} is required.", {field: ["This field is required."]})
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"{field} is too long.", {field: [f"At most {MAX_URL_LENGTH} characters."]})
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidInput(f"{field} must be an http(s) URL.", {field: ["Must be an absolute https:// URL."]})
    if parts.username or parts.password:
        raise InvalidInput(f"{field} must not carry credentials.", {field: ["Remove user:password@ from the URL."]})
    if parts.scheme == "http" and host not in {h.lower() for h in settings.EVENTHUB_ALLOW_HTTP_HOSTS}:
        raise InvalidInput(f"{field} must use https.", {field: ["URL must be a valid HTTPS address."]})
    try:
        port = parts.port
    except ValueError:
        raise InvalidInput(f"{field} has an invalid port.", {field: ["Invalid port."]}) from None
    if resolve:
        for address in resolve_host(host, port or (443 if parts.scheme == "https" else 80)):
            if not address_allowed(address, host):
                raise InvalidInput(
                    f"{field} points to a refused address.",
                    {field: ["The host resolves to a private, loopback, link-local or metadata address."]},
                )
    return url


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses a host name has now; an unresolvable name is accepted (it may exist later)."""
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})
    except (socket.gaierror, UnicodeError):
        return []

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

# Every block in the IANA IPv4 and IPv6 Special-Purpose Address Registries (plus multicast and the
# deprecated site-local block), written out so that the policy does not depend on which ranges a given
# Python version's `is_global` knows about (3.11 lets 2002::/16 and 3fff::/20 through).
SPECIAL_PURPOSE_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        # IPv4 (RFC 6890 and updates)
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.31.196.0/24",
        "192.52.193.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "192.175.48.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
        # IPv6
        "::/128",
        "::1/128",
        "::/96",
        "::ffff:0:0/96",
        "::ffff:0:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "100:0:0:1::/64",
        "2001::/23",
        "2001:db8::/32",
        "2002::/16",
        "2620:4f:8000::/48",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


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


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a 6to4, NAT64 (well-known or local-use prefix) or IPv4-compatible address carries:
    a packet to it ends up at that IPv4 host, so that host must pass the policy too."""
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in _NAT64) or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _ip_allowed(ip: ipaddress._BaseAddress, networks: list[ipaddress._BaseNetwork]) -> bool:
    if any(ip in net for net in networks):
        return True
    if ip in METADATA_ADDRESSES or any(ip in net for net in SPECIAL_PURPOSE_NETWORKS):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def address_allowed(address: str, hostname: str | None = None) -> bool:
    """Public unicast addresses pass; every special-purpose range (private, loopback, link-local, multicast,
    documentation, translation, metadata...) passes only when the allow-list names the host or a network
    holding the address. An IPv4-mapped address is judged as its IPv4 address; the IPv4 inside a 6to4,
    NAT64 or IPv4-compatible address must pass as well, even when the IPv6 prefix itself is allowed."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    hosts, networks = _allow_list()
    if hostname and hostname.lower() in hosts:
        return True
    inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if inner is not None and not _ip_allowed(inner, networks):
        return False
    return _ip_allowed(ip, networks)


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
        raise InvalidInput(
            f"{field} must not carry credentials.", {field: ["Remove user:password@ from the URL."]}
        )
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

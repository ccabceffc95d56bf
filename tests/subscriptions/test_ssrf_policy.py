"""The SSRF address policy: refused categories, the allow-list, and IPv6 forms of refused IPv4 addresses.
(The send-time check on the connected address is exercised end to end in tests/deliveries.)"""

from __future__ import annotations

import pytest

from subscriptions.ssrf import address_allowed


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",  # private
        "127.0.0.1",
        "127.0.0.2",
        "::1",  # loopback
        "169.254.10.10",
        "fe80::1",  # link-local
        "169.254.169.254",
        "fd00:ec2::254",  # cloud metadata
        "224.0.0.1",
        "ff02::1",  # multicast
        "0.0.0.0",
        "::",  # unspecified
        "100.64.0.1",  # carrier-grade NAT
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",  # IPv4-mapped IPv6
        "fc00::1",  # unique local
        "240.0.0.1",  # reserved
    ],
)
def test_refused_by_default(settings, address):
    settings.EVENTHUB_SSRF_ALLOW = []
    assert address_allowed(address) is False


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"]
)
def test_public_addresses_pass(settings, address):
    settings.EVENTHUB_SSRF_ALLOW = []
    assert address_allowed(address) is True


def test_allow_list_by_address_network_and_host_name(settings):
    settings.EVENTHUB_SSRF_ALLOW = ["127.0.0.1", "10.20.0.0/16", "hooks.internal"]
    assert address_allowed("127.0.0.1")
    assert not address_allowed("127.0.0.2")
    assert address_allowed("10.20.3.4") and not address_allowed("10.21.3.4")
    assert address_allowed("10.99.0.1", hostname="hooks.internal")
    assert not address_allowed("10.99.0.1", hostname="other.internal")
    assert address_allowed("::ffff:127.0.0.1")  # the mapped form of an allowed address is that address


@pytest.mark.parametrize(
    "address",
    [
        "2002:a9fe:a9fe::1",
        "2002:a9fe:a9fe::",
        "2002:0a00:0001::1",
        "2002:5db8:d822::1",  # 6to4 (any embedded IPv4)
        "3fff::1",
        "3fff:fff::1",  # documentation (RFC 9637)
        "2001:db8::1",  # documentation
        "64:ff9b::a9fe:a9fe",
        "64:ff9b::10.0.0.1",
        "64:ff9b::127.0.0.1",  # NAT64 well-known prefix
        "64:ff9b:1::a9fe:a9fe",
        "64:ff9b:1::5db8:d822",  # NAT64 local-use prefix
        "::10.0.0.1",
        "::169.254.169.254",  # IPv4-compatible (deprecated)
        "::ffff:10.0.0.1",
        "::ffff:0:a9fe:a9fe",  # IPv4-mapped, IPv4-translated
        "2001::1",
        "2001:2::1",
        "2001:20::1",  # Teredo, benchmarking, ORCHIDv2 (IETF protocol assignments)
        "100::1",  # discard-only
        "5f00::1",  # SRv6 SIDs
        "fec0::1",  # deprecated site-local
        "192.0.0.8",
        "192.0.2.1",
        "198.18.0.1",
        "198.51.100.7",
        "203.0.113.9",
        "192.88.99.1",  # IPv4 registry
        "192.31.196.1",
        "192.52.193.1",
        "192.175.48.1",
        "255.255.255.255",
    ],
)
def test_special_purpose_ranges_are_refused_by_default(settings, address):
    settings.EVENTHUB_SSRF_ALLOW = []
    assert address_allowed(address) is False


@pytest.mark.parametrize("address", ["64:ff9b::a9fe:a9fe", "64:ff9b::10.0.0.1", "2002:a9fe:a9fe::1"])
def test_allowing_a_translation_prefix_still_checks_the_embedded_ipv4(settings, address):
    """An IPv6-only host behind DNS64 may allow the NAT64 prefix; the IPv4 it reaches is still judged."""
    settings.EVENTHUB_SSRF_ALLOW = ["64:ff9b::/96", "2002::/16"]
    assert address_allowed(address) is False


def test_allowing_a_translation_prefix_lets_public_ipv4_through(settings):
    settings.EVENTHUB_SSRF_ALLOW = ["64:ff9b::/96"]
    assert address_allowed("64:ff9b::5db8:d822") is True  # 93.184.216.34 through NAT64
    settings.EVENTHUB_SSRF_ALLOW = ["64:ff9b::/96", "10.20.0.0/16"]
    assert address_allowed("64:ff9b::10.20.3.4") is True  # both the prefix and the embedded address allowed

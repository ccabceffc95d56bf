"""The SSRF address policy: refused categories, the allow-list, and IPv6 forms of refused IPv4 addresses.
(The send-time check on the connected address is exercised end to end in tests/deliveries.)"""
from __future__ import annotations

import pytest

from subscriptions.ssrf import address_allowed


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1", "172.16.5.4", "192.168.1.1",  # private
        "127.0.0.1", "127.0.0.2", "::1",  # loopback
        "169.254.10.10", "fe80::1",  # link-local
        "169.254.169.254", "fd00:ec2::254",  # cloud metadata
        "224.0.0.1", "ff02::1",  # multicast
        "0.0.0.0", "::",  # unspecified
        "100.64.0.1",  # carrier-grade NAT
        "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped IPv6
        "fc00::1",  # unique local
        "240.0.0.1",  # reserved
    ],
)
def test_refused_by_default(settings, address):
    settings.EVENTHUB_SSRF_ALLOW = []
    assert address_allowed(address) is False


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"])
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

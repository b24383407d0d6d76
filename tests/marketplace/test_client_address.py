"""The client's address: X-Forwarded-For is believed only from the proxies we trust."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from marketplace.client_address import TrustedProxies, client_address, client_key


def request_from(peer: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_a_forged_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = ""

    assert client_address(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_a_trusted_proxy_tells_the_clients_address(settings):
    settings.TRUSTED_PROXIES = "172.28.0.0/16"

    assert client_address(request_from("172.28.0.5", "198.51.100.1")) == "198.51.100.1"


def test_a_client_reaching_the_app_directly_cannot_choose_its_address(settings):
    settings.TRUSTED_PROXIES = "172.28.0.0/16"

    assert client_address(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_entries_the_client_wrote_before_our_proxy_are_never_reached(settings):
    settings.TRUSTED_PROXIES = "172.28.0.0/16"

    # the client sent "X-Forwarded-For: 1.1.1.1"; our proxy appended what it saw
    assert client_address(request_from("172.28.0.5", "1.1.1.1, 198.51.100.1")) == "198.51.100.1"


def test_a_chain_of_trusted_proxies_is_skipped(settings):
    settings.TRUSTED_PROXIES = "172.28.0.0/16, 10.0.0.0/8"

    assert client_address(request_from("172.28.0.5", "1.1.1.1, 198.51.100.1, 10.1.2.3")) == "198.51.100.1"


def test_an_unreadable_hop_ends_what_we_believe(settings):
    settings.TRUSTED_PROXIES = "172.28.0.0/16"

    assert client_address(request_from("172.28.0.5", "198.51.100.1, <script>")) == "172.28.0.5"


def test_a_counted_proxy_takes_the_entry_it_appended(settings):
    settings.TRUSTED_PROXIES = "1"

    assert client_address(request_from("10.0.0.2", "1.1.1.1, 198.51.100.1")) == "198.51.100.1"
    assert client_address(request_from("10.0.0.2")) == "10.0.0.2"


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("198.51.100.1:5678", "198.51.100.1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ('"2001:db8::2"', "2001:db8::2"),
    ],
)
def test_addresses_are_read_as_proxies_write_them(settings, written, read):
    settings.TRUSTED_PROXIES = "127.0.0.0/8"

    assert client_address(request_from("127.0.0.1", written)) == read


def test_an_ipv6_client_is_counted_by_its_56_network():
    one = request_from("2001:db8:1:2:aaaa::1")
    another_64_of_the_same_home = request_from("2001:db8:1:ff:ffff::9")
    other = request_from("2001:db8:1:100::1")

    assert client_key(one) == client_key(another_64_of_the_same_home) == "2001:db8:1::"
    assert client_key(other) != client_key(one)
    assert client_key(request_from("::ffff:192.0.2.1")) == "192.0.2.1"


def test_a_request_without_a_peer_address_is_one_unknown_client():
    assert client_address(request_from("")) == "0.0.0.0"


def test_a_wrong_setting_stops_the_start():
    with pytest.raises(ImproperlyConfigured, match="DJANGO_TRUSTED_PROXIES"):
        TrustedProxies.parse("the proxy")

"""docker-compose.yml (production) reaches the app through its proxy only, and the app
believes X-Forwarded-For from that proxy alone."""

import ipaddress

import yaml

from marketplace.client_address import TrustedProxies
from tests.conftest import REPO_DIR

COMPOSE = yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def published(service: dict) -> list[str]:
    return [str(port) for port in service.get("ports", [])]


def test_only_the_proxy_is_published_to_the_world():
    public = {name for name, service in SERVICES.items() if any(not port.startswith("127.0.0.1:")
                                                                 for port in published(service))}  # fmt: skip

    assert public == {"proxy"}
    assert set(published(SERVICES["proxy"])) <= {"80:80", "443:443", "443:443/udp"}
    assert "ports" not in SERVICES["web"]


def test_the_app_trusts_the_forwarded_address_of_the_proxy_only():
    network = SERVICES["proxy"]["networks"]["internal"]
    trusted = TrustedProxies.parse(SERVICES["web"]["environment"]["DJANGO_TRUSTED_PROXIES"])

    # the proxy reaches gunicorn over IPv4 or IPv6: both its addresses, nothing else
    assert trusted.trusts(ipaddress.ip_address(network["ipv4_address"]))
    assert trusted.trusts(ipaddress.ip_address(network["ipv6_address"]))
    assert not trusted.trusts(ipaddress.ip_address("172.28.0.3"))  # another container of the network
    assert not trusted.trusts(ipaddress.ip_address("fd00:d5:28::3"))
    assert trusted.count == 0


def test_visitors_over_ipv6_keep_their_address():
    assert COMPOSE["networks"]["internal"]["enable_ipv6"] is True


def test_the_proxy_sets_the_clients_address_itself():
    caddyfile = (REPO_DIR / "deploy" / "Caddyfile").read_text()

    assert "reverse_proxy web:8000" in caddyfile
    assert "header_up X-Forwarded-For {remote_host}" in caddyfile
    assert SERVICES["proxy"]["volumes"][0].startswith("./deploy/Caddyfile:")


def test_web_and_the_worker_share_the_private_files():
    # Shops' stock files and head office's feeds are stored by web and read by the worker.
    for name in ("web", "worker"):
        service = SERVICES[name]
        assert service["environment"]["DJANGO_PRIVATE_MEDIA_ROOT"] == "/data/private"
        assert "private:/data/private" in service["volumes"]
    assert "private" in COMPOSE["volumes"]

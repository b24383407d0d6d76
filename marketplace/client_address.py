"""Who is at the other end of a request: the one place that reads the client's address.

Behind a reverse proxy every request comes from the proxy, and the client's address is
in `X-Forwarded-For`, which the client can also write. So that header is believed only
as far as settings.TRUSTED_PROXIES says (DJANGO_TRUSTED_PROXIES in the environment):

- nothing (the default): the header is ignored; the address is the TCP peer
  (REMOTE_ADDR). Right when gunicorn is reached directly.
- a list of networks ("172.28.0.0/16,10.0.0.0/8"): when the peer is one of them, the
  header is read from the right, skipping every hop in those networks; the first other
  hop is the client. A client writing the header only adds entries on the left, which
  are never reached. Recommended: works however the app is reached.
- a number N: the last N hops are our proxies and the client is the Nth entry from the
  right. Only safe when nothing but those proxies can reach the app (a client reaching
  gunicorn directly would choose its own address).

Limits and lockouts count clients with `client_key`: the IPv4 address, or for IPv6 its
/56 network. An IPv6 client chooses the last 64 bits of its address at will, and a home
or a server usually gets a whole /56 (often a /48) to choose its /64s from: counted by
/64, one client would be 256 clients or more. A /56 of a mobile operator may hold a few
subscribers, as an IPv4 address behind its NAT does; the address limits are set for that.
"""

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

IPV6_CLIENT_PREFIX = 56
UNKNOWN = "0.0.0.0"  # a request without a usable peer address (tests, broken WSGI servers)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class TrustedProxies:
    """What settings.TRUSTED_PROXIES says, parsed once (`parse`)."""

    networks: tuple[Network, ...] = ()
    count: int = 0

    @classmethod
    def parse(cls, value: str) -> "TrustedProxies":
        """ "" → none; "2" → the last two hops; "10.0.0.0/8, 192.0.2.7" → those networks."""
        value = (value or "").strip()
        if not value:
            return cls()
        if value.isdigit():
            return cls(count=int(value))
        try:
            networks = tuple(
                ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()
            )
        except ValueError as error:
            raise ImproperlyConfigured(
                f"DJANGO_TRUSTED_PROXIES must be a number of proxies or a comma-separated list of "
                f"networks (CIDR): {error}"
            ) from None
        return cls(networks=networks)

    def trusts(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


def client_address(request) -> str:
    """The client's IP address, as a string (computed once per request)."""
    cached = getattr(request, "_client_address", None)
    if cached is None:
        cached = str(_client_ip(request.META, _trusted()))
        request._client_address = cached
    return cached


def client_key(request) -> str:
    """The client as limits count it: its IPv4 address, or its IPv6 /56 network
    (written as the network's first address, so it still fits an address column)."""
    address = ipaddress.ip_address(client_address(request))
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:  # "::ffff:192.0.2.1", a dual-stack socket's IPv4 client
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False).network_address)


def client_key_for_axes(request, *args, **kwargs) -> str:
    """AXES_CLIENT_IP_CALLABLE: login lockouts count the same client as every other limit."""
    return client_key(request)


def _trusted() -> TrustedProxies:
    trusted = settings.TRUSTED_PROXIES
    return trusted if isinstance(trusted, TrustedProxies) else TrustedProxies.parse(str(trusted))


def _client_ip(meta, trusted: TrustedProxies) -> Address:
    peer = _parse(meta.get("REMOTE_ADDR", "")) or ipaddress.ip_address(UNKNOWN)
    if not (trusted.count or trusted.trusts(peer)):
        return peer
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return peer
    if trusted.count:
        # The entry our outermost proxy appended; fewer entries than proxies: the first.
        return _parse(hops[-min(trusted.count, len(hops))]) or peer
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # Our proxies write valid addresses: an unreadable hop was written before
            # them, by someone we do not trust. The last trusted hop's peer is all we know.
            return peer
        if not trusted.trusts(address):
            return address
        peer = address
    return peer  # every hop is one of ours: the request started inside our network


def _parse(text: str) -> Address | None:
    """An address as proxies write it: "192.0.2.1", "192.0.2.1:5678", "[2001:db8::1]:443",
    "2001:db8::1"; None if it is none of those."""
    text = text.strip().strip('"')
    candidates = [text]
    if text.startswith("["):
        candidates.append(text[1:].split("]", 1)[0])
    elif text.count(":") == 1:
        candidates.append(text.split(":", 1)[0])
    for candidate in candidates:
        try:
            return ipaddress.ip_address(candidate.split("%", 1)[0])  # no IPv6 zone ("%eth0")
        except ValueError:
            continue
    return None

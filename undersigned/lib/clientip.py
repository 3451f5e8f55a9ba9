"""The client's IP address, as far as it can be trusted.

Behind a reverse proxy every request comes from the proxy; the proxy says whom it serves in
X-Forwarded-For. Anyone can send that header, so it is read only when the request comes from a
configured trusted proxy (TRUSTED_PROXIES), and then from the right: the first address that is
not itself a trusted proxy is the client. X-Real-IP and Forwarded are never read: one header,
one rule.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.cache
def _trusted_networks(configured: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in configured)


def _parse(value: str) -> Address | None:
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address | None) -> bool:
    if address is None:
        return False
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    return any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The client's address as text; the peer's own when it is not a trusted proxy."""
    peer = request.META.get("REMOTE_ADDR", "")
    address = _parse(peer)
    if not _is_trusted(address):
        return str(address or peer)
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        hop_address = _parse(hop)
        if not _is_trusted(hop_address):
            # Appended by a trusted proxy: the client's (an unparsable value is kept as the key).
            return str(hop_address or hop[:64])
    return str(address or peer)


def _block(address: Address, prefix: int) -> str:
    # From the number, not from text: cheaper, and it runs for every signature.
    host_bits = address.max_prefixlen - prefix
    return str(ipaddress.ip_network((int(address) >> host_bits << host_bits, prefix)))


def key_of(ip: str) -> str:
    """Who a limit counts as one client, given its address (client_ip): an IPv4 address
    alone; an IPv6 address with its network of CLIENT_IPV6_PREFIX bits (/64), since one home,
    phone or server is given a whole /64 and can send from any address in it."""
    address = _parse(ip)
    if address is None:
        return ip[:64]
    if address.version == 4:
        return str(address)
    return _block(address, settings.CLIENT_IPV6_PREFIX)


def client_key(request: HttpRequest) -> str:
    """The key every per-client limit counts the request under (see key_of)."""
    return key_of(client_ip(request))


# The watch page's network, coarser than a client's key (CLIENT_IPV6_PREFIX is at least 48):
# the signatures of one client always fall in one network.
NETWORK_PREFIX = {4: 24, 6: 48}


def network_of(ip: str) -> str:
    """The block an address belongs to (/24 for IPv4, /48 for IPv6): one home, office or
    provider's customers, for spotting many signatures from one place."""
    address = _parse(ip)
    if address is None:
        return ip[:64]
    return _block(address, NETWORK_PREFIX[address.version])


# Headers a reverse proxy or a tunnel adds to say whom it serves. Only X-Forwarded-For is ever
# believed (from TRUSTED_PROXIES); any of them shows that a request came through something.
FORWARDING_HEADERS = frozenset(
    {
        "HTTP_X_FORWARDED_FOR",
        "HTTP_FORWARDED",
        "HTTP_X_REAL_IP",
        "HTTP_X_FORWARDED_HOST",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_VIA",
        "HTTP_CF_CONNECTING_IP",
        "HTTP_TRUE_CLIENT_IP",
    }
)


def forwarded(meta: Mapping[str, Any]) -> bool:
    """Whether a request carries a header that a proxy or a tunnel adds."""
    return not meta.keys().isdisjoint(FORWARDING_HEADERS)


# Where a reverse proxy sits: this machine, a private network (RFC 1918, carrier-grade NAT as
# VPNs use it, link-local, IPv6 unique local).
_PROXY_NETWORKS = _trusted_networks(
    (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


def from_this_machine(request: HttpRequest) -> bool:
    """Whether a person on this machine sent the request, as far as can be told: the peer is a
    loopback address and nothing forwarded it. A proxy or a tunnel on this machine (nginx,
    ngrok, cloudflared) connects from loopback on anyone's behalf, and says so in its headers;
    one that adds no header (an SSH tunnel) cannot be told apart.
    """
    address = _parse(request.META.get("REMOTE_ADDR", ""))
    return address is not None and address.is_loopback and not forwarded(request.META)


@functools.lru_cache(maxsize=256)
def _untrusted_proxy(peer: str, configured: tuple[str, ...]) -> bool:
    """A peer where a reverse proxy sits (or a Unix socket's, with no address) that is not in
    TRUSTED_PROXIES."""
    address = _parse(peer)
    if address is None:
        return True
    if not any(address in network for network in _PROXY_NETWORKS):
        return False
    return not any(address in network for network in _trusted_networks(configured))


class UntrustedProxyMiddleware:
    """Says once per process, in the log at ERROR, that requests arrive through a proxy the
    site does not trust: every visitor then looks like the proxy, so the rate limits hold
    everyone's signatures and a few failed logins refuse every organiser.

    First in MIDDLEWARE, so it sees every request; a request without forwarding headers costs a
    few dictionary lookups, and once it has warned, nothing.
    """

    # Once per process, whichever handler sees it: on the class, not on an instance.
    warned = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not UntrustedProxyMiddleware.warned and forwarded(request.META):
            peer = request.META.get("REMOTE_ADDR", "")
            if _untrusted_proxy(peer, tuple(settings.TRUSTED_PROXIES)):
                UntrustedProxyMiddleware.warned = True
                # The peer's address is not written: the log holds no IP address.
                log.error(
                    "A request came through a proxy on this machine or a private network (it "
                    "sent a header such as X-Forwarded-For, Forwarded or X-Real-IP), but "
                    "TRUSTED_PROXIES does not name that proxy: every visitor looks like the "
                    "proxy, so the rate limits and the login throttle count them all as one "
                    "client. Set "
                    "TRUSTED_PROXIES to the proxy's address (see docs/production.md). This is "
                    "said once per process."
                )
        return self.get_response(request)

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

from django.conf import settings
from django.http import HttpRequest

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

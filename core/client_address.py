"""The client's address: the one function the audit log, the sign-in throttle and rate limits use.

`TRUSTED_PROXIES` (settings, from the environment) names the reverse proxies in front of the site.
A request's peer (REMOTE_ADDR, or the ASGI scope's client) is the client unless it is one of them;
only then is `X-Forwarded-For` read, from the right, skipping trusted proxies: the first untrusted
hop is the client. Hops to its left were written by the client and are never believed, so a forged
header changes nothing, whether the client connects directly or through the proxy.

python-ipware parses each hop (ports, brackets, quotes, IPv4-mapped IPv6). Its own chain logic is
not used: it matches trusted proxies by position inside the header without checking that the
request really came from one, which would let a direct client forge a chain that ends in the
proxy's address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from python_ipware.modern.parsers import parse_ip

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    # Entries were validated when the settings were read (config.env.env_networks).
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: tuple[IpNetwork, ...]) -> bool:
    return any(ip.version == net.version and ip in net for net in networks)


def peer_is_trusted_proxy(peer: str | None) -> bool:
    """Whether the connection's peer (REMOTE_ADDR, the ASGI scope's client) is one of TRUSTED_PROXIES."""
    peer_ip = parse_ip(peer) if peer else None
    if peer_ip is None:
        return False
    return _trusted(peer_ip, _networks(tuple(settings.TRUSTED_PROXIES)))


def resolve(peer: str | None, forwarded_for: str | None) -> str | None:
    """The client's address from the peer's address and the X-Forwarded-For header it sent."""
    peer_ip = parse_ip(peer) if peer else None
    if peer_ip is None:
        return peer or None  # e.g. a Unix socket: nothing better is known
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(peer_ip, networks) or not forwarded_for:
        return str(peer_ip)
    client = peer_ip
    for hop in reversed(forwarded_for.split(",")):
        hop_ip = parse_ip(hop)
        if hop_ip is None:
            # A hop we cannot read ends the trusted part of the chain: the last trusted hop's
            # peer is all we know for sure.
            break
        client = hop_ip
        if not _trusted(hop_ip, networks):
            break
    return str(client)


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address for a Django request (WSGI or ASGI)."""
    if request is None:
        return None
    return resolve(request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_FORWARDED_FOR"))


def client_address_from_scope(scope: Mapping) -> str | None:
    """The client's address for an ASGI scope (WebSockets)."""
    client = scope.get("client")
    peer = client[0] if client else None
    forwarded = [value for name, value in scope.get("headers", ()) if name == b"x-forwarded-for"]
    # Several header lines are one list in HTTP: join them in order.
    header = ",".join(value.decode("latin-1") for value in forwarded) or None
    return resolve(peer, header)

"""Requests that arrive through a trusted reverse proxy: the client's address and scheme.

IAM_PORTAL_TRUSTED_PROXIES lists the proxies' addresses or networks (comma-separated, e.g.
"10.0.0.0/8,127.0.0.1"). Only when the direct peer (REMOTE_ADDR) is one of them are its
X-Forwarded-For and X-Forwarded-Proto believed: the client is the right-most X-Forwarded-For address
that is not itself a trusted proxy (the left-most entries are whatever the client chose to send), and
X-Forwarded-Proto "https" makes the request secure (secure cookies, HSTS, no SSL redirect loop).
Django's SECURE_PROXY_SSL_HEADER would believe the header from anyone, so it is not used.

The Host header is never rewritten: SigV4 signs it, so the proxy must pass it through unchanged
(docs/deploy.md).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """Addresses and networks from a comma-separated list; a bad entry is a configuration error."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(
                    f"IAM_PORTAL_TRUSTED_PROXIES: {item!r} is not an address or network"
                ) from None
    return tuple(networks)


@lru_cache(maxsize=4096)
def in_networks(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str, networks: Iterable[Network]) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy that forwarded for someone."""
    trusted = tuple(networks)
    if not in_networks(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not in_networks(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:  # garbage where an address should be: stop believing the chain
                return peer
    return hops[0] if hops else peer  # every hop is a proxy of ours: the first one is the client


class TrustedProxyMiddleware:
    """Set REMOTE_ADDR and the scheme from a trusted proxy's X-Forwarded-* headers (first middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.networks = parse_networks(getattr(settings, "IAM_PORTAL_TRUSTED_PROXIES", ""))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        peer = request.META.get("REMOTE_ADDR", "")
        if self.networks and in_networks(peer, self.networks):
            request.META["REMOTE_ADDR"] = client_address(
                peer, request.META.get("HTTP_X_FORWARDED_FOR", ""), self.networks
            )
            proto = request.META.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
            if proto in ("http", "https"):
                request.META["wsgi.url_scheme"] = proto
        return self.get_response(request)

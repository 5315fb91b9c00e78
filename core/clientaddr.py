"""Who the client is, as far as the network can tell: the socket's peer address, unless the
peer is a proxy listed in MEDIATION_TRUSTED_PROXIES, in which case the address that proxy
saw (X-Forwarded-For, read from the right, skipping our own proxies).

Rate limits and sign-in throttling key on this address, so a header any client can write
must never choose it. The server runs with uvicorn's own proxy-header handling off (see
core/cli.py), so scope["client"] is the socket's peer when this runs."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from litestar.types import Scope

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(part, strict=False) for part in trusted)


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError:
        return None


def _is_trusted(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in network for network in networks)


def _forwarded_for(scope: Scope) -> list[str]:
    hops: list[str] = []
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            hops += [hop.strip() for hop in value.decode("latin-1").split(",") if hop.strip()]
    return hops


def resolve_client(scope: Scope, trusted: tuple[str, ...]) -> str:
    """The client's address for this request (see the module's docstring)."""
    peer = scope.get("client")
    address = peer[0] if peer else "unknown"
    networks = _networks(trusted)
    if not networks or not _is_trusted(address, networks):
        return address
    for hop in reversed(_forwarded_for(scope)):
        if _parse(hop) is None:
            return address  # a malformed chain: believe only the proxy itself
        if not _is_trusted(hop, networks):
            return hop
        address = hop
    return address

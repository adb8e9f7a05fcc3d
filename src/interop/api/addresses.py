"""The network address a request came from, with forwarded addresses believed only from trusted proxies.

``X-Forwarded-For`` is a list each proxy appends the address it saw to; anyone can write its left part.
It is read only when the connection itself comes from a proxy in ``INTEROP_TRUSTED_PROXIES``, and then
from the right: the first address that is not a trusted proxy is the client. From anyone else the header
is ignored, so a client cannot pick the address its rate limit and audit events are counted under.
uvicorn's own proxy-header handling is off (``interop.serving``) so that this is the only rule.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """Parse the setting once; a bad entry is a configuration error at start-up, not at request time."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = value.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        found = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def resolve(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[str]) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy, then walk ``X-Forwarded-For`` (all
    header lines, in order) from the right past trusted proxies. Pure."""
    if not peer:
        return "unknown"
    networks = trusted_networks(tuple(trusted))
    current = _parse(peer)
    if current is None or not networks or not _trusted(current, networks):
        return peer
    hops = [hop for line in forwarded_for for hop in line.split(",")]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # garbage written by someone: the last good hop is as far as trust goes
        current = address
        if not _trusted(address, networks):
            break
    return str(current)


def client_address(conn: HTTPConnection) -> str | None:
    """The address of the client of this request, as ``resolve`` decides with the app's settings."""
    peer = conn.client.host if conn.client else None
    settings = getattr(conn.app.state, "settings", None)
    trusted: list[str] = list(getattr(settings, "trusted_proxies", None) or [])
    if not trusted or peer is None:
        return peer
    return resolve(peer, conn.headers.getlist("x-forwarded-for"), trusted)

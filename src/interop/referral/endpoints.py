"""Which URLs a rest-hook Subscription may send to. Pure, apart from the name lookup at delivery.

The service posts to URLs that API clients choose, from inside the ministry's network: without limits a
client could make it call internal services or a cloud metadata endpoint (server-side request forgery).
So: http(s) only, no credentials in the URL, never a link-local, multicast or unspecified address (cloud
metadata lives at 169.254.169.254), and, when the deployment lists the clinic systems' hosts
(``INTEROP_SUBSCRIPTION_ENDPOINT_HOSTS``), only those. The address check runs again on the resolved
addresses at each delivery, since a name can be pointed elsewhere after the Subscription was accepted.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit


def _forbidden_address(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved


def _host_allowed(host: str, allowed: Sequence[str]) -> bool:
    if not allowed:
        return True
    for pattern in allowed:
        pattern = pattern.strip().lower()
        if pattern.startswith("*.") and host.endswith(pattern[1:]) and host != pattern[2:]:
            return True
        if host == pattern:
            return True
    return False


def refusal(url: str, allowed_hosts: Sequence[str]) -> str | None:
    """Why this endpoint is not accepted, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "channel.endpoint is not a valid URL"
    del port  # parsed only to refuse a malformed port
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "channel.endpoint must be an http(s) URL"
    if parts.username or parts.password:
        return "channel.endpoint must not carry credentials (send them in channel.header)"
    host = parts.hostname.lower()
    if _forbidden_address(host):
        return "channel.endpoint may not be a link-local, multicast or unspecified address"
    if not _host_allowed(host, allowed_hosts):
        return f"channel.endpoint host {host} is not among this deployment's subscription hosts"
    return None


async def delivery_refusal(url: str, allowed_hosts: Sequence[str]) -> str | None:
    """``refusal``, plus the addresses the host resolves to now."""
    reason = refusal(url, allowed_hosts)
    if reason is not None:
        return reason
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return None  # unresolvable: the delivery itself fails and says so
    if any(_forbidden_address(str(info[4][0])) for info in infos):
        return "endpoint resolves to a link-local, multicast or unspecified address"
    return None

"""Which URLs and headers a rest-hook Subscription may use, and the one address a delivery connects to.

The service posts to URLs that API clients choose, from inside the ministry's network: without limits a
client could make it call internal services or a cloud metadata endpoint (server-side request forgery).

- http(s) only, a valid port, no credentials in the URL; when the deployment lists the clinic systems'
  hosts (``INTEROP_SUBSCRIPTION_ENDPOINT_HOSTS``), only those.
- Every address is classed (``address_class``) after unwrapping IPv4 carried in IPv6 (IPv4-mapped
  ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``): link-local, multicast, unspecified,
  reserved, documentation and other non-global ranges and the cloud metadata addresses are refused
  always; loopback and private ranges (RFC 1918, 100.64/10, fc00::/7) only unless the operator allows them
  (``INTEROP_SUBSCRIPTION_ALLOW_PRIVATE``); global addresses are allowed.
- At delivery the host is resolved once (``pin``); every address it resolves to must pass, and the HTTP
  client then connects to those very addresses (the URL carries the address, ``Host`` and TLS SNI carry
  the name, so the certificate is still checked against the name). A second lookup that an attacker's DNS
  could answer differently (DNS rebinding) never happens.
- Headers: ``Name: value`` lines of token names, no control characters, none of the hop-by-hop or
  framing headers, ``Host``, proxy or forwarding headers, nor the ``webhook-*`` signature headers.

The checks are pure; the name lookup is ``resolve_host`` (replaced by a stub in tests, which never
send traffic anywhere but to loopback servers they start).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from interop import messages
from interop.messages import stored

AddressClass = Literal["public", "private", "forbidden"]
Resolve = Callable[[str, int], Awaitable[list[str]]]

# Cloud instance metadata: AWS/GCP/Azure/OpenStack (IPv4), AWS (IPv6), Alibaba, Oracle.
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "fd00:ec2::23", "100.100.100.200", "192.0.0.192")
)
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "::1/128",
        "fc00::/7",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

MAX_HEADERS = 10
MAX_ADDRESSES = 4  # tried in turn at a delivery, each with the full timeout
MAX_HEADER_LENGTH = 1024
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_FORBIDDEN_HEADERS = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "content-type",
        "content-encoding",
        "expect",
        "forwarded",
        "via",
        "x-real-ip",
        "max-forwards",
    }
)
_FORBIDDEN_PREFIXES = ("proxy-", "x-forwarded-", "webhook-", "sec-", ":")


def _unwrap(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


_LOOSE_IPV4 = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$", re.IGNORECASE)


def literal_address(host: str) -> str | None:
    """The address a host names by itself, in canonical form, or None for a name. Includes the loose IPv4
    spellings the C resolver accepts (``127.1``, ``2130706433``, ``0x7f.1``), which ``ipaddress`` does not."""
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0])) + (
            host[host.index("%") :] if "%" in host else ""
        )
    except ValueError:
        pass
    if _LOOSE_IPV4.match(host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


def address_class(address: str) -> AddressClass | None:
    """``public``, ``private`` (loopback and private ranges) or ``forbidden``; None when not an address."""
    canonical = literal_address(address)
    if canonical is None:
        return None
    address = canonical
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if "%" in address:  # a zone index only makes sense for link-local and multicast
        return "forbidden"
    for candidate in {ip, _unwrap(ip)}:
        if candidate in _METADATA:
            return "forbidden"
    ip = _unwrap(ip)
    if ip.is_multicast or ip.is_link_local or ip.is_unspecified:
        return "forbidden"
    if any(ip in net for net in _PRIVATE if net.version == ip.version):  # before ``is_reserved`` (::/8)
        return "private"
    return "public" if ip.is_global and not ip.is_reserved else "forbidden"


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


def refusal(url: str, allowed_hosts: Sequence[str], *, allow_private: bool = False) -> str | None:
    """Why this endpoint is not accepted (a stored message: ``interop.messages.stored``), or None. No name
    lookup."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- parsed only to refuse a malformed port
    except ValueError:
        return stored.keep("referral.endpoint.not_url")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return stored.keep("referral.endpoint.not_http")
    if parts.username or parts.password:
        return stored.keep("referral.endpoint.credentials")
    if not parts.netloc.isascii():
        return stored.keep("referral.endpoint.not_ascii")
    host = parts.hostname.lower().rstrip(".")
    kind = address_class(host)
    if kind == "forbidden":
        return stored.keep("referral.endpoint.forbidden_address")
    local_name = host == "localhost" or host.endswith(".localhost")
    if (kind == "private" or local_name) and not allow_private:
        return stored.keep("referral.endpoint.private_address")
    if not _host_allowed(host, allowed_hosts):
        return stored.keep("referral.endpoint.host_not_allowed", host=host)
    return None


def header_refusal(lines: Sequence[object]) -> str | None:
    """Why these ``channel.header`` lines are not accepted (a stored message), or None."""
    if len(lines) > MAX_HEADERS:
        return stored.keep("referral.header.too_many", max=MAX_HEADERS)
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, str) or len(line) > MAX_HEADER_LENGTH:
            return stored.keep("referral.header.too_long", index=number - 1, max=MAX_HEADER_LENGTH)
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not _TOKEN.match(name):
            return stored.keep("referral.header.shape", index=number - 1)
        if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in value):
            return stored.keep("referral.header.control", index=number - 1)
        if _forbidden_header(name):
            return stored.keep("referral.header.forbidden", index=number - 1, name=name)
    return None


def _forbidden_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in _FORBIDDEN_HEADERS or lowered.startswith(_FORBIDDEN_PREFIXES)


def client_headers(lines: Sequence[str]) -> dict[str, str]:
    """The headers a delivery sends on the client's behalf: only lines ``header_refusal`` would accept
    (a row stored under an older, looser rule loses the rest)."""
    out: dict[str, str] = {}
    for line in lines[:MAX_HEADERS]:
        if header_refusal([line]) is None:
            name, _, value = line.partition(":")
            out[name.strip()] = value.strip()
    return out


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


resolve_host: Resolve = system_resolve


@dataclass(frozen=True)
class Target:
    """One checked address to post to: ``url`` names the address, ``host`` is the Host header and
    ``sni`` the TLS server name (https), so the certificate is checked against the name."""

    url: str
    host: str
    sni: str | None
    address: str


class DeliveryRefused(Exception):
    """An endpoint refused at delivery; ``reason`` is a short code for logs and metrics."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


async def pin(
    url: str,
    allowed_hosts: Sequence[str],
    *,
    allow_private: bool = False,
    resolve: Resolve | None = None,
) -> list[Target]:
    """Resolve the endpoint's host once and check every address; the targets to connect to, in order.

    Raises ``DeliveryRefused`` when the URL is not acceptable, the name does not resolve, or any address
    it resolves to is refused (one bad address refuses all: a rebinding answer mixes them)."""
    reason = refusal(url, allowed_hosts, allow_private=allow_private)
    if reason is not None:
        raise DeliveryRefused("policy", stored.said(reason, messages.SPANISH))
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    literal = literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = await (resolve or resolve_host)(host, port)
        except (OSError, UnicodeError) as exc:
            raise DeliveryRefused("resolve", f"name lookup failed ({type(exc).__name__})") from None
        if not addresses:
            raise DeliveryRefused("resolve", "name lookup returned no address")
    for address in addresses:
        kind = address_class(address)
        if kind is None or kind == "forbidden" or (kind == "private" and not allow_private):
            raise DeliveryRefused("address", f"the name resolves to a refused {kind or 'unknown'} address")
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    targets = []
    for address in addresses[:MAX_ADDRESSES]:
        in_url = f"[{address}]" if ":" in address else address
        targets.append(
            Target(
                url=f"{parts.scheme}://{in_url}:{port}{path}",
                host=parts.netloc,
                sni=host if parts.scheme == "https" and literal is None else None,
                address=address,
            )
        )
    return targets

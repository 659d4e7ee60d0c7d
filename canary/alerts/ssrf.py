"""Refuse outbound URLs that point inside our own network (server-side request forgery guard).

Webhook and robot targets, and the sources the sightings fetchers read, are typed in by users;
without this check a URL such as ``http://169.254.169.254/`` or ``http://10.0.0.5:6379/`` would
make the server talk to itself or its neighbours. Pure module: no Django.

Every address a host name resolves to must be public. A name that resolves again to something
else between this check and the request (DNS rebinding) is not covered; callers that need that
should connect to the address returned here.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")


class UnsafeTarget(ValueError):
    """The URL is malformed or points at an address we refuse to contact."""


def _refusal(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool, allow_loopback: bool
) -> str:
    """Why this address is refused, or '' when it may be contacted."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "" if allow_loopback else "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified or ip.is_reserved:
        return "reserved"
    if ip.is_private or not ip.is_global:
        return "" if allow_private else "private"
    return ""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IP literals resolve to themselves)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeTarget(f"cannot resolve {host}: {exc}") from exc
    return sorted({info[4][0] for info in infos})


def check_url(url: str, allow_private: bool = False, allow_loopback: bool = False) -> list[str]:
    """Raise ``UnsafeTarget`` unless every address of the URL's host may be contacted.

    Returns the resolved addresses. Only http(s) URLs with a host are accepted.
    """
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES:
        raise UnsafeTarget(f"scheme not allowed: {parts.scheme or '(none)'}")
    if not parts.hostname:
        raise UnsafeTarget("URL has no host")
    if parts.username or parts.password:
        raise UnsafeTarget("credentials in the URL are not allowed")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTarget(str(exc)) from exc
    addresses = resolve(parts.hostname, port)
    for address in addresses:
        reason = _refusal(ipaddress.ip_address(address.split("%")[0]), allow_private, allow_loopback)
        if reason:
            raise UnsafeTarget(f"{parts.hostname} resolves to a {reason} address ({address})")
    return addresses

"""Outbound HTTP to addresses users typed in, without server-side request forgery. Pure: no Django.

Webhook and robot targets, and the sources and feed links the fetchers read, come from users;
without a guard a URL such as ``http://169.254.169.254/`` or ``http://10.0.0.5:6379/`` would make
the server talk to itself or its neighbours. :func:`check_url` refuses a URL unless every address
its host resolves to may be contacted.

Checking is not enough on its own: the HTTP library would resolve the name again to connect, and
a name can answer a public address to the check and ``127.0.0.1`` to the connection (DNS
rebinding). :class:`PinnedAdapter` therefore resolves once, checks, and connects to that very
address, while the request keeps the host name for ``Host``, TLS SNI and certificate checks.
Use :func:`guarded_session` for every request to a user-given URL.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

ALLOWED_SCHEMES = ("http", "https")


class UnsafeTarget(ValueError):
    """The URL is malformed or points at an address we refuse to contact."""


@dataclass(frozen=True)
class Policy:
    """Which non-public addresses may be contacted (for targets an admin marked internal)."""

    allow_private: bool = False
    allow_loopback: bool = False


def _refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, policy: Policy) -> str:
    """Why this address is refused, or '' when it may be contacted."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "" if policy.allow_loopback else "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified or ip.is_reserved:
        return "reserved"
    if ip.is_private or not ip.is_global:
        return "" if policy.allow_private else "private"
    return ""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order (IP literals to themselves)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"cannot resolve {host}: {exc}") from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_url(url: str, allow_private: bool = False, allow_loopback: bool = False) -> list[str]:
    """Raise ``UnsafeTarget`` unless every address of the URL's host may be contacted.

    Returns the resolved addresses. Only http(s) URLs with a host are accepted.
    """
    return _checked_addresses(url, Policy(allow_private, allow_loopback))


def _checked_addresses(url: str, policy: Policy) -> list[str]:
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTarget(f"malformed URL: {exc}") from exc
    if parts.scheme not in ALLOWED_SCHEMES:
        raise UnsafeTarget(f"scheme not allowed: {parts.scheme or '(none)'}")
    if not parts.hostname:
        raise UnsafeTarget("URL has no host")
    if parts.username or parts.password:
        raise UnsafeTarget("credentials in the URL are not allowed")
    addresses = resolve(parts.hostname, port)
    for address in addresses:
        reason = _refusal(ipaddress.ip_address(address.split("%")[0]), policy)
        if reason:
            raise UnsafeTarget(f"{parts.hostname} resolves to a {reason} address ({address})")
    return addresses


class PinnedAdapter(HTTPAdapter):
    """Connects to the address it checked, never to what the name resolves to a moment later.

    The connection pool is keyed by that address; HTTPS keeps the host name for SNI and for
    matching the certificate, and every request carries the original ``Host`` header.
    """

    def __init__(self, policy: Policy, **kwargs: Any) -> None:
        self.policy = policy
        super().__init__(**kwargs)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        address = _checked_addresses(request.url, self.policy)[0]
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        hostname = host_params["host"]
        if host_params["scheme"] == "https":
            pool_kwargs = {**pool_kwargs, "server_hostname": hostname, "assert_hostname": hostname}
        request.headers["Host"] = urlsplit(request.url).netloc
        return self.poolmanager.connection_from_host(
            host=address, port=host_params["port"], scheme=host_params["scheme"], pool_kwargs=pool_kwargs
        )


def guarded_session(
    allow_private: bool = False, allow_loopback: bool = False, **adapter_options: Any
) -> requests.Session:
    """A requests session whose every connection passes the guard and is pinned to its address.

    ``adapter_options`` go to :class:`requests.adapters.HTTPAdapter` (``max_retries`` ...).
    Proxies from the environment are ignored: a proxy would reach hosts the guard never saw.
    """
    session = requests.Session()
    session.trust_env = False
    adapter = PinnedAdapter(Policy(allow_private, allow_loopback), **adapter_options)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session

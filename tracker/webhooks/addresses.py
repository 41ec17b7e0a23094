"""Server-side request forgery: an endpoint may not point into our own networks.

A URL is refused when any address its host resolves to is loopback, private,
link-local, reserved, multicast or unspecified (an IPv4 address inside IPv6 counts as
that IPv4 address). It is checked when an endpoint is registered and again before each
delivery, whose connection then goes to the very address that was checked, so a name
that resolves elsewhere the second time (DNS rebinding) cannot slip through.

`TRACKER_WEBHOOKS_ALLOW_PRIVATE=true` lifts the rule (tests deliver to 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

NOT_HTTP = "Use an http:// or https:// URL."
NO_HOST = "The URL names no host."
UNRESOLVED = "The host {host} does not resolve to any address."
PRIVATE = (
    "The host {host} resolves to {address}, a {kind} address; webhooks go only to public "
    "addresses (TRACKER_WEBHOOKS_ALLOW_PRIVATE allows others)."
)


class RefusedAddress(ValueError):
    """The URL may not be delivered to; the message says why, for a form field."""


@dataclass(frozen=True)
class Target:
    """Where to connect: the checked address, and the host and port the URL names."""

    scheme: str
    host: str
    port: int
    address: str
    path: str


SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")  # deprecated (RFC 3879), still routed inside


def kind_of(address: IPAddress) -> str | None:
    """Why `address` is off limits ("loopback", "private", …), or None for a public one.

    An IPv6 address that carries an IPv4 one (mapped, or 6to4 2002::/16) is judged by the
    IPv4 address it leads to: 2002:7f00::1 reaches 127.0.0.0 through a 6to4 relay.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address in SITE_LOCAL:
            return "site-local"
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            address = embedded
    for kind, flag in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-global", not address.is_global),
    ):
        if flag:
            return kind
    return None


def allow_private() -> bool:
    return bool(getattr(settings, "TRACKER_WEBHOOKS_ALLOW_PRIVATE", False))


def resolve(url: str) -> Target:
    """Check `url` and say where to connect, or raise RefusedAddress."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedAddress(NOT_HTTP)
    host = parts.hostname
    if not host:
        raise RefusedAddress(NO_HOST)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise RefusedAddress(str(error)) from error
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise RefusedAddress(UNRESOLVED.format(host=host)) from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise RefusedAddress(UNRESOLVED.format(host=host))
    if not allow_private():
        for address in addresses:
            kind = kind_of(address)
            if kind:
                raise RefusedAddress(PRIVATE.format(host=host, address=address, kind=kind))
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, port, str(addresses[0]), path)

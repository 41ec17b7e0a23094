"""Is an address, or a server's bind, this machine only? (Pure: settings import it.)"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_is_loopback(bind: str) -> bool:
    """gunicorn's --bind: HOST:PORT, [IPv6]:PORT, HOST, or unix:PATH (local by nature)."""
    if bind.startswith(("unix:", "fd://")):
        return True
    if bind.startswith("[") or bind.count(":") == 1:
        bind = bind.rsplit(":", 1)[0]
    return is_loopback(bind)

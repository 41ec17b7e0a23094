"""Is an address, or a server's bind, this machine only, and where does a bind answer?
(Pure: the settings import it.)"""

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


# gunicorn's port when --bind names only a host.
GUNICORN_PORT = 8000


def bind_url(bind: str) -> str:
    """The address a browser on this machine reaches a server bound to `bind` at:
    127.0.0.1:18400 → http://127.0.0.1:18400; a wildcard (0.0.0.0, [::]) answers on
    loopback too; a unix socket has no address of its own (a proxy gives it one)."""
    if bind.startswith(("unix:", "fd://")):
        return "http://localhost"
    if bind.startswith("["):
        host, _, port = bind[1:].partition("]")
        port = port.removeprefix(":")
        host = "::1" if host == "::" else host
        return f"http://[{host}]:{port or GUNICORN_PORT}"
    host, _, port = bind.partition(":") if bind.count(":") == 1 else (bind, "", "")
    host = "127.0.0.1" if host in ("", "0.0.0.0") else host
    return f"http://{host}:{port or GUNICORN_PORT}"

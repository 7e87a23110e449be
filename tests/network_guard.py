"""The test session's network guard: only loopback and local (AF_UNIX) sockets may connect.

tests/conftest.py installs it for the whole session. It lives apart from generators.py, which
switches every Hugging Face library offline when imported, so that a child process that must
stay online (a huggingface_hub client talking to the fake Hub in tests/hub) can install the
same guard without going offline.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

LOCAL_HOST_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

# Every refused attempt, kept even when a library swallows the exception: conftest fails
# the session at the end if this is not empty.
BLOCKED_NETWORK_ATTEMPTS: list[str] = []


class NetworkAccessForbidden(RuntimeError):
    """Raised when a test (or a library under test) tries to leave the machine."""


def is_local_host(host: object) -> bool:
    if host is None or host in ("", b""):
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name.lower() in LOCAL_HOST_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


def is_local_address(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    return isinstance(address, tuple) and bool(address) and is_local_host(address[0])


def _refuse(what: str) -> NetworkAccessForbidden:
    BLOCKED_NETWORK_ATTEMPTS.append(what)
    return NetworkAccessForbidden(f"test tried to {what}")


def install_network_guard() -> Callable[[], None]:
    """Refuse non-local connects and name look-ups; return the function that undoes it."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        if not is_local_address(address):
            raise _refuse(f"connect to {address!r}")
        return real_connect(sock, address)

    def guarded_connect_ex(sock: socket.socket, address: Any) -> Any:
        if not is_local_address(address):
            raise _refuse(f"connect to {address!r}")
        return real_connect_ex(sock, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_local_host(host):
            raise _refuse(f"resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def restore() -> None:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo
    return restore

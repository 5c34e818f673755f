"""The HTTP transport under the client: every socket operation bounded by the deadline of the
exchange in progress, every connection abortable, no cookies, no proxies.

httpx bounds one socket read at a time, so a target that trickles its response headers a byte at
a time, or sends ``103 Early Hints`` forever, never trips its timeouts. Here every connect, read
and write takes as its timeout the least of httpx's own and what is left of the deadline that the
exchange in progress on this thread set (``deadline``); past it the operation fails as a timeout
and the exchange ends, whatever phase it was in. Every connection is registered, so ``abort()``
cuts them all at once: an interrupted run does not wait for a stuck read.

The suite keeps no cookies (a target setting thousands must not make every later request carry
them) and uses no proxy from the environment (the key goes to the target, nowhere else).
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpcore
import httpx

_thread = threading.local()


@contextlib.contextmanager
def deadline(when: Callable[[], float]) -> Iterator[None]:
    """While the context lasts, bound every socket operation of this thread by ``when()``: a
    ``time.monotonic()`` reading, asked again at each operation (it may move as the exchange goes)."""
    outer = getattr(_thread, "deadline", None)
    _thread.deadline = when
    try:
        yield
    finally:
        _thread.deadline = outer


def time_left() -> float | None:
    """Seconds left of this thread's deadline (None: no deadline in force)."""
    when = getattr(_thread, "deadline", None)
    return None if when is None else when() - time.monotonic()


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    left = time_left()
    if left is None:
        return timeout
    if left <= 0:
        raise expired("the exchange's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _Connections:
    """The live connections, to abort them all at once."""

    def __init__(self) -> None:
        self._streams: set[_Stream] = set()
        self._lock = threading.Lock()

    def add(self, stream: _Stream) -> _Stream:
        with self._lock:
            self._streams.add(stream)
        return stream

    def discard(self, stream: _Stream) -> None:
        with self._lock:
            self._streams.discard(stream)

    def abort(self) -> None:
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            stream.abort()


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, connections: _Connections) -> None:
        self._inner = inner
        self._connections = connections

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._connections.discard(self)
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        self._connections.discard(self)
        secured = self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout))
        return self._connections.add(_Stream(secured, self._connections))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)

    def abort(self) -> None:
        """Wake whoever is blocked on this connection: shut its socket down."""
        sock = self._inner.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # closed meanwhile: nothing to wake
                sock.shutdown(socket.SHUT_RDWR)


class _Backend(httpcore.SyncBackend):
    def __init__(self, connections: _Connections) -> None:
        self._connections = connections

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        inner = super().connect_tcp(host, port, _bounded(timeout, httpcore.ConnectTimeout), local_address,
                                    socket_options)
        return self._connections.add(_Stream(inner, self._connections))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        inner = super().connect_unix_socket(path, _bounded(timeout, httpcore.ConnectTimeout), socket_options)
        return self._connections.add(_Stream(inner, self._connections))


class BoundedTransport(httpx.HTTPTransport):
    """httpx's transport over connections bounded by ``deadline`` and cut by ``abort``."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._connections = _Connections()
        # httpx offers no parameter for the network backend: its pool is replaced by an equal one.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_Backend(self._connections),
        )

    def abort(self) -> None:
        """Cut every live connection (requests in flight fail at once)."""
        self._connections.abort()


def bounded_client(*, limits: httpx.Limits = httpx.Limits(), **options: Any) -> httpx.Client:
    """An httpx client over a ``BoundedTransport`` that keeps no cookie (``options``: httpx's)."""
    no_cookies = http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return httpx.Client(transport=BoundedTransport(limits), cookies=no_cookies, follow_redirects=False,
                        trust_env=False, **options)

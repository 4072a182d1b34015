"""HTTP that always ends and never holds more than it allows.

httpx bounds each socket operation (connect, one read, one write), not a request: a server that
trickles a byte every few seconds, headers or body, keeps a request alive for ever, and a small
compressed body can unpack to gigabytes. Two pieces close both holes at their root:

* :class:`Deadline` sits under httpx as its network backend. Every socket operation of a
  request — connecting, the TLS handshake, each read and write — waits at most until the
  request's overall deadline, and in slices short enough that a cancel (Ctrl-C, the window's
  Cancel) ends it within a quarter of a second rather than after the next read timeout.
* :func:`read_body` reads a streamed response's raw bytes and decompresses them itself, asking
  zlib for no more output than the limit allows, so neither the bytes on the wire nor the
  unpacked body can pass the limit; a larger answer raises :class:`BodyTooLarge`.
"""

from __future__ import annotations

import ssl
import threading
import time
import typing
import zlib
from collections.abc import Iterable

import httpcore
import httpx

from rostergui.core import errors

_SocketOptions = (
    Iterable[tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]]
    | None
)
#: How long one blocking socket wait lasts before the cancel flag is looked at again.
_SLICE = 0.25
#: The encodings asked for, and decoded here (zlib reads both gzip and zlib framing).
ACCEPT_ENCODING = "gzip, deflate"
_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})


class DeadlineExceeded(httpcore.ReadTimeout):
    """The request's overall deadline passed (httpx reports it as a timeout)."""


class BodyTooLarge(Exception):
    """The answer is larger than the limit, on the wire or unpacked."""


class UnsupportedEncoding(Exception):
    """The answer is compressed in a way that was not asked for."""


class Deadline(httpcore.NetworkBackend):
    """The network backend of one client: the standard one, with every wait bounded by the
    current request's deadline and by the cancel flag."""

    def __init__(self, cancel: threading.Event) -> None:
        self._backend = httpcore.SyncBackend()
        self._cancel = cancel
        #: ``time.monotonic()`` value the current request must be done by, or None.
        self.until: float | None = None

    def expired(self) -> bool:
        return self.until is not None and time.monotonic() >= self.until

    def _check(self) -> float | None:
        """Seconds left before the deadline (None: no deadline); raises once it passed or a
        cancel came."""
        if self._cancel.is_set():
            raise errors.SyncCancelledError()
        if self.until is None:
            return None
        remaining = self.until - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded("the request's deadline passed")
        return remaining

    def _bound(self, timeout: float | None) -> float | None:
        """The whole wait allowed to a step that cannot be resumed (connect, TLS, a write)."""
        remaining = self._check()
        if remaining is None:
            return timeout
        return remaining if timeout is None else min(timeout, remaining)

    def _patiently(
        self,
        step: typing.Callable[[float], bytes],
        timeout: float | None,
    ) -> bytes:
        """Run a blocking read ``step(wait)`` in short waits, again after each that timed out,
        until it succeeds, its own ``timeout`` passes, the deadline passes or a cancel comes."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = self._check()
            wait = _SLICE if remaining is None else min(_SLICE, remaining)
            if end is not None:
                left = end - time.monotonic()
                if left <= 0:
                    raise httpcore.ReadTimeout("timed out")
                wait = min(wait, left)
            try:
                return step(max(wait, 0.001))
            except httpcore.ReadTimeout:
                continue

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: _SocketOptions = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(
            host, port, self._bound(timeout), local_address, socket_options
        )
        return _Stream(stream, self)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: _SocketOptions = None,
    ) -> httpcore.NetworkStream:  # pragma: no cover - LTIAAS is reached over TCP
        return _Stream(self._backend.connect_unix_socket(path, timeout, socket_options), self)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._deadline._patiently(lambda wait: self._stream.read(max_bytes, wait), timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # A write that times out part-way cannot be resumed: one bounded wait.
        self._stream.write(buffer, self._deadline._bound(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(
            ssl_context, server_hostname, self._deadline._bound(timeout)
        )
        return _Stream(stream, self._deadline)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


_TLS_LOCK = threading.Lock()
_TLS: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """The process's one verifying TLS context (httpx's default: certifi, or
    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``), made on first use.

    Making one reads the whole CA bundle, 20–40 ms holding the interpreter lock, and every
    sync makes a client: courses starting together would each freeze the window that long.
    A context is safe to share between threads and connections."""
    global _TLS  # noqa: PLW0603 - one per process by design
    with _TLS_LOCK:
        if _TLS is None:
            _TLS = httpx.create_ssl_context()
        return _TLS


def transport(deadline: Deadline, *, verify: bool | ssl.SSLContext = True) -> httpx.HTTPTransport:
    """An httpx transport whose connections use ``deadline`` as their network backend."""
    result = httpx.HTTPTransport(verify=tls_context() if verify is True else verify)
    pool = getattr(result, "_pool", None)
    if not isinstance(pool, httpcore.ConnectionPool) or not hasattr(pool, "_network_backend"):
        raise RuntimeError("this httpx version does not expose its connection pool")
    pool._network_backend = deadline
    return result


def read_body(response: httpx.Response, limit: int, *, truncate: bool = False) -> bytes:
    """A streamed response's body, decompressed, at most ``limit`` bytes.

    Raises :class:`BodyTooLarge` when the body (on the wire or unpacked) is larger, unless
    ``truncate``, which returns its first ``limit`` bytes (enough of an error page to quote).
    """
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"Content-Length {declared}")
    codings = [
        c.strip().lower()
        for c in response.headers.get("content-encoding", "").split(",")
        if c.strip() and c.strip().lower() != "identity"
    ]
    if len(codings) > 1 or (codings and codings[0] not in _ENCODINGS):
        raise UnsupportedEncoding(", ".join(codings))
    decoder = zlib.decompressobj(zlib.MAX_WBITS | 32) if codings else None
    body = bytearray()
    wire = 0
    for chunk in response.iter_raw():
        wire += len(chunk)
        if decoder is None:
            body += chunk
        else:
            try:
                body += decoder.decompress(chunk, limit + 1 - len(body))
            except zlib.error as exc:
                raise UnsupportedEncoding(f"{codings[0]}: {exc}") from exc
            if decoder.unconsumed_tail:
                body += b"\0"  # more output is waiting: past the limit
        if len(body) > limit or wire > limit:
            if truncate:
                return bytes(body[:limit])
            raise BodyTooLarge(f"more than {limit} bytes")
    return bytes(body)


def is_certificate_error(exc: BaseException) -> bool:
    """Whether a connection failed because the server's certificate was not trusted."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False

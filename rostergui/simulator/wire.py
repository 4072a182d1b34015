"""The simulator on the wire: a threaded HTTP server and the handler that writes answers.

Every request goes to :meth:`Simulator._handle <rostergui.simulator.server.Simulator>`; this
module only moves bytes. An answer is written as one send (status line, headers and body), so
keep-alive never stalls, and an attack's answer may trickle or hang, bounded by its duration
and by the simulator stopping. Open connections are tracked so a stop can cut idle keep-alive
connections at once.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from rostergui.simulator.attack_kit import Answer
from rostergui.simulator.attacks import Attack
from rostergui.simulator.ltiaas_api import Response

if TYPE_CHECKING:
    from rostergui.simulator.server import Simulator

# Logged under the simulator's name: these lines report requests it failed to answer.
log = logging.getLogger("rostergui.simulator.server")


@dataclass(slots=True)
class Exchange:
    """What became of one request, for the request log."""

    status: int = 0
    course: str | None = None
    page: int | None = None
    #: Called just before the answer goes out, so a client never sees an answer whose
    #: request is not in the log yet.
    on_send: Callable[[], None] | None = None
    #: The name of the attack that answered, if one did.
    attack: str | None = None

    def _logged(self, status: int) -> None:
        self.status = status
        if self.on_send is not None:
            self.on_send()
            self.on_send = None

    def send(self, h: SimHandler, response: Response) -> None:
        self._logged(response.status)
        h.send_json(response)

    def send_attack(
        self, h: SimHandler, answer: Answer, attack: Attack, stopping: threading.Event
    ) -> None:
        self.attack = attack.name
        self._logged(0 if answer.hang else answer.status)
        h.send_answer(answer, attack, stopping)


class SimServer(ThreadingHTTPServer):
    """Threaded server that can also cut idle keep-alive connections on stop."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sim: Simulator) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.sim = sim
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, SimHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-response are normal here; log anything else."""
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        log.error("Simulator request from %s failed", client_address, exc_info=exc)

    def close_open_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class SimHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LTIAAS-Simulator/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 300
    server: SimServer

    def _dispatch(self) -> None:
        self.server.sim._handle(self)

    do_GET = _dispatch
    do_HEAD = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_PATCH = _dispatch
    do_DELETE = _dispatch
    do_OPTIONS = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request stderr logging; the simulator keeps its own log."""

    def send_json(self, response: Response) -> None:
        """Write status line, headers and body in one send, so keep-alive never stalls."""
        body = response.body
        status = response.status
        lines = [
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(body)}",
        ]
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if self.command == "HEAD" else head + body)

    def send_answer(self, answer: Answer, attack: Attack, stopping: threading.Event) -> None:
        """Write an attack's answer; whatever waits gives up at ``attack.duration`` or when the
        simulator stops. The connection is closed afterwards."""
        self.close_connection = True
        deadline = time.monotonic() + attack.duration
        if answer.hang:
            stopping.wait(attack.duration)
            return
        status = answer.status
        lines = [
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
        ]
        if answer.content_type is not None:
            lines.append(f"Content-Type: {answer.content_type}")
        lines.append(f"Content-Length: {answer.content_length}")
        lines.extend(f"{name}: {value}" for name, value in answer.headers)
        lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if answer.trickle == "headers":
            if not self._trickle(head, attack.interval, deadline, stopping):
                return
        else:
            self.wfile.write(head)
        if self.command == "HEAD":
            return
        if answer.trickle == "body":
            self._trickle(answer.body, attack.interval, deadline, stopping)
        elif answer.stream is not None:
            for chunk in answer.stream():
                if stopping.is_set() or time.monotonic() > deadline:
                    return
                self.wfile.write(chunk)
        else:
            self.wfile.write(answer.body)

    def _trickle(
        self, data: bytes, interval: float, deadline: float, stopping: threading.Event
    ) -> bool:
        """Send ``data`` a byte at a time; False if time ran out or the simulator stopped."""
        for pos in range(len(data)):
            if pos and (stopping.wait(interval) or time.monotonic() > deadline):
                return False
            self.wfile.write(data[pos : pos + 1])
        return True

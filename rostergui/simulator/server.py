"""An LTIAAS-compatible HTTP server on loopback, standing in front of fake LMSes.

It is the demo's data source and the integration tests' real HTTP
counterpart, so it follows LTIAAS closely (auth headers, error bodies, paging
through opaque LMS ``next`` URLs) and can inject the failures a real
deployment produces. It is built on the standard library only and keeps the
per-page cost low: members are generated from their index, and encoded pages
are cached per roster version.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import math
import random
import socket
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from rostergui.simulator.attacks import ATTACKS, Answer, Attack, Context
from rostergui.simulator.members import (
    COURSE_OFFERING,
    Entry,
    RawMember,
    expand_role,
    member_to_json,
    role_matches,
)
from rostergui.simulator.model import Fault, RequestRecord, SimCourse
from rostergui.simulator.samples import sample_courses

log = logging.getLogger(__name__)

DEFAULT_API_KEY = "sim-ltiaas-api-key-0000"

SERVICE_SCHEME = "SERVICE-AUTH-V1"
LTIK_SCHEME = "LTIK-AUTH-V2"

_IDTOKEN = "/api/idtoken"
_MEMBERSHIPS = "/api/memberships"
_MAX_PAGE_SIZE = 1000
_PAGE_CACHE_BYTES = 64 * 1024 * 1024
_ROWS_CACHE_ENTRIES = 32
_LOG_LIMIT = 200_000  # a long demo run must not grow without bound
_TOOL_URL = "https://rostersync.sim.example"


def _text(payload: object) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def _dumps(payload: object) -> bytes:
    return _text(payload).encode("utf-8")


def _error_body(status: int, details: dict[str, Any] | None = None) -> bytes:
    payload: dict[str, Any] = {"status": status, "error": HTTPStatus(status).phrase}
    if details is not None:
        payload["details"] = details
    return _dumps(payload)


_LTIK_INVALID = ("INVALID_LTIK_AUTH_AUTHORIZATION_HEADER", "Invalid or expired ltik.")
_SERVICE_INVALID = ("INVALID_SERVICE_KEY_AUTH_AUTHORIZATION_HEADER", "Invalid service key.")
_API_KEY_INVALID = ("INVALID_API_KEY", "Invalid API key")
_MISSING_HEADER = ("MISSING_AUTHORIZATION_HEADER", "Missing or unsupported Authorization header.")
_NOT_FOUND = _error_body(404)
_INTERNAL_ERROR = _error_body(500)
_NO_NRPS = _error_body(
    400,
    {
        "message": "MISSING_NAMES_AND_ROLES_SERVICE",
        "description": "The Names and Roles Provisioning Service is not available in this context.",
    },
)
_INVALID_URL = _error_body(400, {"message": "INVALID_URL"})
_INVALID_LIMIT = _error_body(
    400, {"message": "INVALID_PARAMETERS", "description": '"limit" must be a positive integer.'}
)


@dataclass(frozen=True, slots=True)
class _PageState:
    """Where a walk is: everything an LMS ``next`` URL carries."""

    version: int | None
    start: int
    size: int
    role: str | None
    rlid: str | None


@dataclass(slots=True)
class _Response:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class _Exchange:
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

    def send(self, h: _Handler, response: _Response) -> None:
        self._logged(response.status)
        h.send_json(response)

    def send_attack(
        self, h: _Handler, answer: Answer, attack: Attack, stopping: threading.Event
    ) -> None:
        self.attack = attack.name
        self._logged(0 if answer.hang else answer.status)
        h.send_answer(answer, attack, stopping)


class _Server(ThreadingHTTPServer):
    """Threaded server that can also cut idle keep-alive connections on stop."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sim: Simulator) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.sim = sim
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LTIAAS-Simulator/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 300
    server: _Server

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

    def send_json(self, response: _Response) -> None:
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


class Simulator:
    """LTIAAS look-alike serving the sample (or given) courses over loopback HTTP.

    Tests and the demo drive it from the outside: mutate rosters, inject
    faults, add latency, and read back the request log.
    """

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        seed: int = 7,
        latency: float = 0.0,
        churn: bool = False,
        courses: Iterable[SimCourse] | None = None,
    ) -> None:
        self.api_key = api_key
        self.seed = seed
        self.latency = latency
        self.churn = churn
        chosen = sample_courses(seed) if courses is None else list(courses)
        self._courses: dict[str, SimCourse] = {}
        self._by_service_key: dict[str, SimCourse] = {}
        self._by_ltik: dict[str, SimCourse] = {}
        for course in chosen:
            if course.slug in self._courses:
                raise ValueError(f"duplicate course slug {course.slug!r}")
            if course.service_key in self._by_service_key or course.ltik in self._by_ltik:
                raise ValueError(f"course {course.slug!r} reuses another course's keys")
            self._courses[course.slug] = course
            self._by_service_key[course.service_key] = course
            self._by_ltik[course.ltik] = course
        self._lock = threading.Lock()
        self._faults: list[tuple[Fault | Attack, int | None]] = []
        self._log: deque[RequestRecord] = deque(maxlen=_LOG_LIMIT)
        self._rng = random.Random(f"{seed}:drops")
        self._churn_rng = random.Random(f"{seed}:churn")
        self._pages: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self._pages_bytes = 0
        self._row_cache: OrderedDict[tuple[object, ...], Sequence[Entry]] = OrderedDict()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        #: Set on stop, so that trickling and hanging attacks let go of their connections.
        self._stopping = threading.Event()
        self._attack_serial = 0

    # ----------------------------------------------------------- lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve in a background daemon thread; port 0 picks a free port."""
        if self._server is not None:
            raise RuntimeError("simulator is already running")
        server = _Server((host, port), self)
        self._stopping = threading.Event()
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="ltiaas-simulator",
            daemon=True,
        )
        self._server = server
        self._thread = thread
        thread.start()

    def stop(self) -> None:
        """Stop serving and drop open keep-alive connections (idempotent)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = None
        self._thread = None
        self._stopping.set()
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        """Whether the server thread is up."""
        return self._server is not None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._server is None:
            raise RuntimeError("simulator is not running")
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"

    def __enter__(self) -> Simulator:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------- courses

    @property
    def courses(self) -> dict[str, SimCourse]:
        """The simulated courses keyed by slug (the objects themselves, not copies)."""
        return dict(self._courses)

    def course(self, slug: str) -> SimCourse:
        """One course by slug (``KeyError`` if unknown)."""
        try:
            return self._courses[slug]
        except KeyError:
            raise KeyError(f"unknown course {slug!r}") from None

    def enroll(self, slug: str, count: int = 1, role: str = "Learner") -> list[str]:
        """Add ``count`` new members at the end of the roster; returns their user ids."""
        if count < 0:
            raise ValueError("count must not be negative")
        course = self.course(slug)
        roles = (expand_role(role),)
        with self._lock:
            members = course.roster.create_members(count, roles)
            course.roster.add(members)
        return [m.user_id for m in members]

    def drop(self, slug: str, user_ids: list[str] | None = None, count: int = 0) -> list[str]:
        """Remove the given members and/or ``count`` seeded-random others; returns their ids."""
        if count < 0:
            raise ValueError("count must not be negative")
        course = self.course(slug)
        removed: list[str] = []
        with self._lock:
            if user_ids:
                removed += course.roster.remove_ids(user_ids)
            if count:
                removed += self._drop_random(course, count, self._rng)
        return removed

    def set_member_status(self, slug: str, user_id: str, status: str) -> None:
        """Mark a member ``Active`` or ``Inactive``."""
        course = self.course(slug)
        with self._lock:
            course.roster.set_status(user_id, status)

    def replace_roster(self, slug: str, members: list[RawMember]) -> None:
        """Serve exactly these member dicts (as the LMS would send them) from now on."""
        course = self.course(slug)
        copies = [dict(m) for m in members]
        with self._lock:
            course.roster.replace(copies)

    def _drop_random(self, course: SimCourse, count: int, rng: random.Random) -> list[str]:
        """Remove random members, never the launching instructor (caller holds the lock)."""
        roster = course.roster
        entries = roster.entries
        keep = course.launch_user.user_id
        candidates = rng.sample(range(len(entries)), min(len(entries), count + 1))
        positions = [p for p in candidates if roster.user_id_of(entries[p]) != keep][:count]
        return roster.remove_positions(positions)

    def _apply_churn(self, course: SimCourse) -> None:
        """A small seeded change before a fresh walk (caller holds the lock)."""
        rng = self._churn_rng
        adds = rng.randint(0, 3)
        drops = rng.randint(0, 2)
        if drops:
            self._drop_random(course, drops, rng)
        if adds:
            roster = course.roster
            roster.add(roster.create_members(adds, roster.source.learner_roles))

    # -------------------------------------------------------------- faults

    def inject(self, fault: Fault | Attack) -> None:
        """Queue a fault or an attack; it hits the next matching request(s)."""
        if fault.course is not None and fault.course not in self._courses:
            raise KeyError(f"unknown course {fault.course!r}")
        with self._lock:
            self._faults.append((fault, fault.times))

    def clear_faults(self) -> None:
        """Drop all queued and persistent faults and attacks."""
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault | Attack]:
        """The faults and attacks still queued, oldest first."""
        with self._lock:
            return [fault for fault, _ in self._faults]

    def _take_fault(self, slug: str, page: int | None, path: str) -> Fault | Attack | None:
        with self._lock:
            for pos, (fault, remaining) in enumerate(self._faults):
                if fault.course is not None and fault.course != slug:
                    continue
                if fault.page is not None and fault.page != page:
                    continue
                if isinstance(fault, Attack) and fault.roster_only and path != _MEMBERSHIPS:
                    continue
                if remaining is not None:
                    if remaining <= 1:
                        del self._faults[pos]
                    else:
                        self._faults[pos] = (fault, remaining - 1)
                return fault
        return None

    # ----------------------------------------------------------------- log

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, oldest first (the last 200,000 requests)."""
        with self._lock:
            return list(self._log)

    def reset_log(self) -> None:
        """Forget logged requests."""
        with self._lock:
            self._log.clear()

    # ------------------------------------------------------------ handling

    def _handle(self, h: _Handler) -> None:
        """Answer one request and log it, whatever happens."""
        method = h.command
        raw_path = h.path
        parts = urlsplit(raw_path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = h.headers.get("Content-Length")
        if length:
            try:
                h.rfile.read(int(length))
            except ValueError:
                h.close_connection = True
        auth = h.headers.get("Authorization")
        ex = _Exchange()

        def record() -> None:
            entry = RequestRecord(
                method=method,
                path=raw_path,
                query=query,
                auth_scheme=auth.split(" ", 1)[0] if auth else None,
                status=ex.status,
                course=ex.course,
                page=ex.page,
                attack=ex.attack,
            )
            with self._lock:
                self._log.append(entry)

        ex.on_send = record
        try:
            self._route(h, ex, method, parts.path, query, auth)
        except Exception:
            if ex.status:
                raise
            log.exception("Simulator failed to answer %s %s", method, raw_path)
            h.close_connection = True
            ex.send(h, _Response(500, _INTERNAL_ERROR))
        finally:
            if ex.on_send is not None:  # no answer was sent (a dropped connection)
                ex.on_send()

    def _route(
        self,
        h: _Handler,
        ex: _Exchange,
        method: str,
        path: str,
        query: dict[str, str],
        auth: str | None,
    ) -> None:
        """Latency, routing, auth, faults, then the real answer, in LTIAAS's order."""
        if path == "/api" or path.startswith("/api/"):
            latency = self.latency
            if latency > 0:
                time.sleep(latency)
        if method != "GET" or path not in (_IDTOKEN, _MEMBERSHIPS):
            ex.send(h, _Response(404, _NOT_FOUND))
            return
        course, rejection = self._authenticate(auth, ltik_only=path == _IDTOKEN)
        ex.course = course.slug if course is not None else None
        if course is None:
            ex.send(h, rejection)
            return
        state: _PageState | None = None
        early: _Response | None = None
        if path == _MEMBERSHIPS:
            state, early = self._plan_walk(course, query)
            if state is not None:
                ex.page = 1 if state.version is None else self._page_number(course, state)
        fault = self._take_fault(course.slug, ex.page, path)
        if isinstance(fault, Attack):
            self._attack(h, ex, fault, course, path, state, auth or "")
            return
        if fault is not None:
            if fault.kind == "disconnect":
                h.close_connection = True
                return
            if fault.kind == "rate_limit":
                ex.send(h, self._rate_limited(fault))
                return
            if fault.kind == "server_error":
                ex.send(h, self._server_error(fault))
                return
            if fault.kind == "slow":
                time.sleep(fault.delay)
        if path == _IDTOKEN:
            response = _Response(200, self._idtoken(course))
        elif early is not None:
            response = early
        else:
            assert state is not None
            response = self._serve_page(course, state)
        if fault is not None and fault.kind == "malformed_json":
            text = response.body.decode("utf-8")
            response = _Response(response.status, text[: len(text) // 2].encode("utf-8"))
        elif fault is not None and fault.kind == "bad_shape" and response.status == 200:
            response = _Response(200, self._bad_shape(path, response.body))
        ex.send(h, response)

    def _authenticate(
        self, header: str | None, *, ltik_only: bool
    ) -> tuple[SimCourse | None, _Response]:
        """Resolve the course from an LTIAAS Authorization header, or build the 401."""

        def reject(reason: tuple[str, str]) -> tuple[None, _Response]:
            message, description = reason
            body = _error_body(401, {"message": message, "description": description})
            return None, _Response(401, body)

        if not header:
            return reject(_MISSING_HEADER)
        scheme, _, credentials = header.partition(" ")
        if scheme == LTIK_SCHEME:
            invalid, table = _LTIK_INVALID, self._by_ltik
        elif scheme == SERVICE_SCHEME:
            if ltik_only:
                return reject(_LTIK_INVALID)
            invalid, table = _SERVICE_INVALID, self._by_service_key
        else:
            return reject(_MISSING_HEADER)
        api_key, sep, secret = credentials.strip().partition(":")
        if not sep or not secret:
            return reject(invalid)
        if api_key != self.api_key:
            return reject(_API_KEY_INVALID)
        course = table.get(secret)
        if course is None:
            return reject(invalid)
        return course, _Response(200, b"")

    # ---------------------------------------------------------- memberships

    def _plan_walk(
        self, course: SimCourse, query: dict[str, str]
    ) -> tuple[_PageState | None, _Response | None]:
        """Work out which page is wanted, before faults or churn apply.

        A fresh walk gets ``version=None``; it is pinned when actually served.
        """
        if not course.nrps_available:
            return None, _Response(400, _NO_NRPS)
        url = query.get("url")
        if url is not None:
            state = self._parse_page_url(course, url)
            if state is None:
                return None, _Response(400, _INVALID_URL)
            return state, None
        limit: int | None = None
        raw_limit = query.get("limit")
        if raw_limit:
            try:
                limit = int(raw_limit)
            except ValueError:
                limit = 0
            if limit < 1:
                return None, _Response(400, _INVALID_LIMIT)
        role = query.get("role") or None
        rlid = None
        if query.get("resourceLinkId", "").lower() in ("true", "1"):
            rlid = course.resource_link_id
        return _PageState(None, 0, course.page_size(limit), role, rlid), None

    def _step(self, course: SimCourse, size: int) -> int:
        """How far each page advances: one less when pages overlap by a member."""
        if course.duplicate_across_pages and size >= 2:
            return size - 1
        return size

    def _page_number(self, course: SimCourse, state: _PageState) -> int:
        return state.start // self._step(course, state.size) + 1

    def _page_url(self, course: SimCourse, state: _PageState) -> str:
        style = course.paging
        params: list[tuple[str, str]] = []
        if style.kind == "cursor":
            token = f"{state.version}.{state.start}.{state.size}".encode()
            cursor = base64.urlsafe_b64encode(token).decode().rstrip("=")
            params.append((style.start_param, cursor))
        elif style.kind == "page":
            params.append((style.start_param, str(self._page_number(course, state))))
            params.append((style.size_param, str(state.size)))
        else:
            params.append((style.start_param, str(state.start)))
            params.append((style.size_param, str(state.size)))
        if state.role:
            params.append(("role", state.role))
        if state.rlid:
            params.append(("rlid", state.rlid))
        if style.kind != "cursor":
            params.append(("v", str(state.version)))
        return f"{course.lms_origin}{course.nrps_path}?{urlencode(params)}"

    def _parse_page_url(self, course: SimCourse, url: str) -> _PageState | None:
        """Decode a ``next`` URL this course handed out; ``None`` if it is not one."""
        try:
            parts = urlsplit(url)
            origin = f"{parts.scheme}://{parts.netloc}".lower()
        except ValueError:
            return None
        if origin != course.lms_origin.lower() or parts.path != course.nrps_path:
            return None
        qs = parse_qs(parts.query, keep_blank_values=True)

        def one(name: str) -> str | None:
            values = qs.get(name)
            return values[0] if values else None

        style = course.paging
        version: int | None
        try:
            if style.kind == "cursor":
                token = one(style.start_param) or ""
                padded = token + "=" * (-len(token) % 4)
                raw_version, raw_start, raw_size = (
                    base64.urlsafe_b64decode(padded).decode().split(".")
                )
                version, start, size = int(raw_version), int(raw_start), int(raw_size)
            else:
                first = int(one(style.start_param) or "")
                size = int(one(style.size_param) or "")
                raw_v = one("v")
                version = int(raw_v) if raw_v else None
                if style.kind == "page":
                    if first < 1 or not 1 <= size <= _MAX_PAGE_SIZE:
                        return None
                    start = (first - 1) * self._step(course, size)
                else:
                    start = first
        except (ValueError, UnicodeDecodeError, binascii.Error):
            return None
        if start < 0 or not 1 <= size <= _MAX_PAGE_SIZE:
            return None
        return _PageState(version, start, size, one("role") or None, one("rlid") or None)

    def _rows(
        self, course: SimCourse, version: int, entries: Sequence[Entry], role: str | None
    ) -> Sequence[Entry]:
        """The snapshot with the role filter applied (cached per version and role)."""
        if role is None:
            return entries
        key = (course.slug, version, role)
        with self._lock:
            cached = self._row_cache.get(key)
            if cached is not None:
                self._row_cache.move_to_end(key)
                return cached
        roster = course.roster
        rows = tuple(e for e in entries if role_matches(roster.roles_of(e), role))
        with self._lock:
            self._row_cache[key] = rows
            while len(self._row_cache) > _ROWS_CACHE_ENTRIES:
                self._row_cache.popitem(last=False)
        return rows

    def _serve_page(self, course: SimCourse, state: _PageState) -> _Response:
        roster = course.roster
        with self._lock:
            if state.version is None:
                if self.churn:
                    self._apply_churn(course)
                version, entries = roster.pin()
            else:
                version, entries = roster.snapshot(state.version)
            state = replace(state, version=version)
            key = (course.slug, version, state.role, state.rlid, state.start, state.size)
            cached = self._pages.get(key)
            if cached is not None:
                self._pages.move_to_end(key)
                return _Response(200, cached)
        rows = self._rows(course, version, entries, state.role)
        chunk = rows[state.start : state.start + state.size]
        snake = course.field_style == "snake"
        numeric = course.numeric_user_ids
        send_status = course.send_status
        source = roster.source
        members: list[str] = []
        for entry in chunk:
            if isinstance(entry, int):
                text = source.member_json(
                    entry, snake=snake, numeric_ids=numeric, send_status=send_status
                )
            else:
                rendered = member_to_json(
                    entry, snake=snake, numeric_ids=numeric, send_status=send_status
                )
                text = _text(rendered)
            members.append(text)
        context = {"id": course.context_id, "label": course.label, "title": course.title}
        pieces = [
            '{"id":',
            _text(self._page_url(course, state)),
            ',"context":',
            _text(context),
            ',"members":[',
            ",".join(members),
            "]",
        ]
        if state.start + state.size < len(rows):
            following = replace(state, start=state.start + self._step(course, state.size))
            pieces += [',"next":', _text(self._page_url(course, following))]
        pieces.append("}")
        body = "".join(pieces).encode("utf-8")
        with self._lock:
            if key not in self._pages:
                self._pages[key] = body
                self._pages_bytes += len(body)
                while self._pages_bytes > _PAGE_CACHE_BYTES and self._pages:
                    _, old = self._pages.popitem(last=False)
                    self._pages_bytes -= len(old)
        return _Response(200, body)

    # ------------------------------------------------------------- attacks

    def _attack(
        self,
        h: _Handler,
        ex: _Exchange,
        attack: Attack,
        course: SimCourse,
        path: str,
        state: _PageState | None,
        auth: str,
    ) -> None:
        """Answer with an attack, built from the answer the request would otherwise get."""
        first_page_url = ""
        if path == _MEMBERSHIPS:
            if state is None:  # a link the course never handed out (an attack's own): page 1
                state = _PageState(None, 0, course.page_size(None), None, None)
            body = self._serve_page(course, state).body
            served = self._parse_page_url(course, str(json.loads(body).get("id", "")))
            if served is not None:
                first_page_url = self._page_url(course, replace(served, start=0))
        else:
            body = self._idtoken(course)
        with self._lock:
            self._attack_serial += 1
            serial = self._attack_serial
        context = Context(
            attack=attack,
            course=course,
            path=path,
            body=body,
            auth=auth,
            api_key=self.api_key,
            first_page_url=first_page_url,
            serial=serial,
        )
        answer = ATTACKS[attack.name].build(context)
        ex.send_attack(h, answer, attack, self._stopping)

    # --------------------------------------------------------------- other

    def _idtoken(self, course: SimCourse) -> bytes:
        person = course.launch_user
        user: dict[str, Any] = {"id": person.user_id, "roles": list(person.roles)}
        for name, value in (
            ("name", person.name),
            ("email", person.email),
            ("givenName", person.given_name),
            ("familyName", person.family_name),
        ):
            if value is not None:
                user[name] = value
        token = {
            "ltiVersion": "1.3.0",
            "user": user,
            "platform": {
                "id": course.platform_id,
                "url": course.platform_id,
                "clientId": course.client_id,
                "deploymentId": course.deployment_id,
                "name": course.platform_name,
                "productFamilyCode": course.product,
                "version": course.platform_version,
            },
            "launch": {
                "type": "LtiResourceLinkRequest",
                "target": f"{_TOOL_URL}/launch",
                "context": {
                    "id": course.context_id,
                    "label": course.label,
                    "title": course.title,
                    "type": [COURSE_OFFERING],
                },
                "resourceLink": {
                    "id": course.resource_link_id,
                    "title": course.resource_link_title,
                },
                "presentation": {"documentTarget": "iframe", "locale": course.locale},
                "custom": {},
            },
            "services": {
                "deepLinking": {"available": False},
                "namesAndRoles": {"available": course.nrps_available},
                "assignmentAndGrades": {"available": True},
                "serviceKey": course.service_key,
            },
        }
        return _dumps(token)

    @staticmethod
    def _rate_limited(fault: Fault) -> _Response:
        seconds = math.ceil(fault.retry_after)
        body = _error_body(
            429,
            {"message": "TOO_MANY_REQUESTS", "description": "Too many requests, slow down."},
        )
        return _Response(429, body, (("Retry-After", str(seconds)),))

    @staticmethod
    def _server_error(fault: Fault) -> _Response:
        if fault.external:
            details = {
                "message": "PLATFORM_REQUEST_FAILED",
                "description": "The LMS returned an error while handling the request.",
                "externalError": True,
            }
        else:
            details = {
                "message": "INTERNAL_SERVER_ERROR",
                "description": "Something went wrong.",
                "externalError": False,
            }
        return _Response(fault.status, _error_body(fault.status, details))

    @staticmethod
    def _bad_shape(path: str, body: bytes) -> bytes:
        """Valid JSON that breaks the documented shape."""
        if path == _MEMBERSHIPS:
            try:
                original = json.loads(body)
            except ValueError:
                original = {}
            members = original.get("members", []) if isinstance(original, dict) else []
            return _dumps({"id": None, "members": {"items": members}, "next": 42})
        return _dumps(["ltiVersion", "1.3.0"])

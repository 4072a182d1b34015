"""An LTIAAS-compatible HTTP server on loopback, standing in front of fake LMSes.

It is the demo's data source and the integration tests' real HTTP
counterpart, so it follows LTIAAS closely (auth headers, error bodies, paging
through opaque LMS ``next`` URLs) and can inject the failures a real
deployment produces. It is built on the standard library only and keeps the
per-page cost low: members are generated from their index, and encoded pages
are cached per roster version.

:class:`Simulator` is what tests and the demo drive, and the order in which a request is
answered (the concurrency limit, latency, route, auth, faults, then the answer). The parts live
beside it: bytes on the wire in :mod:`.wire`, LTIAAS's own answers in :mod:`.ltiaas_api`, LMS
paging in :mod:`.paging`, hostile answers in :mod:`.attacks`, the fault queue and page cache
in :mod:`.caches`, the requests in flight in :mod:`.gate`.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import replace
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from rostergui.simulator.attack_kit import Context
from rostergui.simulator.attacks import ATTACKS, Attack
from rostergui.simulator.caches import FaultQueue, PageCache
from rostergui.simulator.gate import ConcurrencyGate, GateCounts
from rostergui.simulator.ltiaas_api import (
    IDTOKEN_PATH,
    INTERNAL_ERROR,
    MEMBERSHIPS_PATH,
    NOT_FOUND,
    Response,
    authenticate,
    bad_shape,
    idtoken_body,
    rate_limited,
    server_error,
    too_many_requests,
)
from rostergui.simulator.members import Entry, RawMember, expand_role, role_matches
from rostergui.simulator.model import Fault, RequestRecord, SimCourse
from rostergui.simulator.paging import (
    PageState,
    page_body,
    page_number,
    page_url,
    parse_page_url,
    plan_walk,
)
from rostergui.simulator.samples import sample_courses
from rostergui.simulator.wire import Exchange, SimHandler, SimServer

log = logging.getLogger(__name__)

DEFAULT_API_KEY = "sim-ltiaas-api-key-0000"

_LOG_LIMIT = 200_000  # a long demo run must not grow without bound


class Simulator:
    """LTIAAS look-alike serving the sample (or given) courses over loopback HTTP.

    Tests and the demo drive it from the outside: mutate rosters, inject
    faults, add latency, and read back the request log.

    ``latency`` (seconds) is added to every ``/api`` request, as the LMS behind LTIAAS takes
    its time for each page. ``max_in_flight`` limits the requests this origin takes at once:
    beyond it an ``/api`` request is answered ``429`` at once, with ``Retry-After:
    busy_retry_after`` (rounded up to whole seconds). Both may be changed while it runs.
    Each course's LMS caps the page size itself (:attr:`SimCourse.max_limit`).
    """

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        seed: int = 7,
        latency: float = 0.0,
        churn: bool = False,
        courses: Iterable[SimCourse] | None = None,
        *,
        max_in_flight: int | None = None,
        busy_retry_after: float = 1.0,
    ) -> None:
        if latency < 0:
            raise ValueError("latency must not be negative")
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError("max_in_flight must be None or at least 1")
        if busy_retry_after < 0:
            raise ValueError("busy_retry_after must not be negative")
        self.api_key = api_key
        self.seed = seed
        self.latency = latency
        self.churn = churn
        self.max_in_flight = max_in_flight
        self.busy_retry_after = busy_retry_after
        self._gate = ConcurrencyGate()
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
        self._faults = FaultQueue()
        self._log: deque[RequestRecord] = deque(maxlen=_LOG_LIMIT)
        self._rng = random.Random(f"{seed}:drops")
        self._churn_rng = random.Random(f"{seed}:churn")
        self._cache = PageCache()
        self._server: SimServer | None = None
        self._thread: threading.Thread | None = None
        #: Set on stop, so that trickling and hanging attacks let go of their connections.
        self._stopping = threading.Event()
        self._attack_serial = 0

    # ----------------------------------------------------------- lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve in a background daemon thread; port 0 picks a free port."""
        if self._server is not None:
            raise RuntimeError("simulator is already running")
        server = SimServer((host, port), self)
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
            self._faults.add(fault)

    def clear_faults(self) -> None:
        """Drop all queued and persistent faults and attacks."""
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault | Attack]:
        """The faults and attacks still queued, oldest first."""
        with self._lock:
            return self._faults.pending()

    # ----------------------------------------------------------------- log

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, oldest first (the last 200,000 requests)."""
        with self._lock:
            return list(self._log)

    def reset_log(self) -> None:
        """Forget logged requests, and the peak and refusals of :attr:`in_flight`."""
        with self._lock:
            self._log.clear()
        self._gate.reset()

    @property
    def in_flight(self) -> GateCounts:
        """``/api`` requests in flight now, the most at once, and how many were refused
        (``429``) for ``max_in_flight``."""
        return self._gate.counts()

    # ------------------------------------------------------------ handling

    def _handle(self, h: SimHandler) -> None:
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
        ex = Exchange()
        admitted = False

        def leave() -> None:
            nonlocal admitted
            if admitted:
                admitted = False
                self._gate.leave()

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
                answered_at=time.monotonic(),
            )
            with self._lock:
                self._log.append(entry)
            leave()  # the answer starts to go out: the request is no longer in flight

        ex.on_send = record
        if parts.path == "/api" or parts.path.startswith("/api/"):
            if not self._gate.enter(self.max_in_flight):
                ex.send(h, too_many_requests(self.busy_retry_after))
                return
            admitted = True
        try:
            self._route(h, ex, method, parts.path, query, auth)
        except Exception:
            if ex.status:
                raise
            log.exception("Simulator failed to answer %s %s", method, raw_path)
            h.close_connection = True
            ex.send(h, Response(500, INTERNAL_ERROR))
        finally:
            if ex.on_send is not None:  # no answer was sent (a dropped connection)
                ex.on_send()

    def _route(
        self,
        h: SimHandler,
        ex: Exchange,
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
        if method != "GET" or path not in (IDTOKEN_PATH, MEMBERSHIPS_PATH):
            ex.send(h, Response(404, NOT_FOUND))
            return
        course, rejection = authenticate(
            auth,
            api_key=self.api_key,
            by_ltik=self._by_ltik,
            by_service_key=self._by_service_key,
            ltik_only=path == IDTOKEN_PATH,
        )
        ex.course = course.slug if course is not None else None
        if course is None:
            ex.send(h, rejection)
            return
        state: PageState | None = None
        early: Response | None = None
        if path == MEMBERSHIPS_PATH:
            state, early = plan_walk(course, query)
            if state is not None:
                ex.page = 1 if state.version is None else page_number(course, state)
        with self._lock:
            fault = self._faults.take(course.slug, ex.page, path)
        if isinstance(fault, Attack):
            self._attack(h, ex, fault, course, path, state, auth or "")
            return
        if fault is not None:
            if fault.kind == "disconnect":
                h.close_connection = True
                return
            if fault.kind == "rate_limit":
                ex.send(h, rate_limited(fault))
                return
            if fault.kind == "server_error":
                ex.send(h, server_error(fault))
                return
            if fault.kind == "slow":
                time.sleep(fault.delay)
        if path == IDTOKEN_PATH:
            response = Response(200, idtoken_body(course))
        elif early is not None:
            response = early
        else:
            assert state is not None
            response = self._serve_page(course, state)
        if fault is not None and fault.kind == "malformed_json":
            text = response.body.decode("utf-8")
            response = Response(response.status, text[: len(text) // 2].encode("utf-8"))
        elif fault is not None and fault.kind == "bad_shape" and response.status == 200:
            response = Response(200, bad_shape(path, response.body))
        ex.send(h, response)

    # ---------------------------------------------------------- memberships

    def _rows(
        self, course: SimCourse, version: int, entries: Sequence[Entry], role: str | None
    ) -> Sequence[Entry]:
        """The snapshot with the role filter applied (cached per version and role)."""
        if role is None:
            return entries
        key = (course.slug, version, role)
        with self._lock:
            cached = self._cache.rows(key)
        if cached is not None:
            return cached
        roster = course.roster
        rows = tuple(e for e in entries if role_matches(roster.roles_of(e), role))
        with self._lock:
            self._cache.keep_rows(key, rows)
        return rows

    def _serve_page(self, course: SimCourse, state: PageState) -> Response:
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
            cached = self._cache.page(key)
            if cached is not None:
                return Response(200, cached)
        rows = self._rows(course, version, entries, state.role)
        body = page_body(course, state, rows)
        with self._lock:
            self._cache.keep_page(key, body)
        return Response(200, body)

    # ------------------------------------------------------------- attacks

    def _attack(
        self,
        h: SimHandler,
        ex: Exchange,
        attack: Attack,
        course: SimCourse,
        path: str,
        state: PageState | None,
        auth: str,
    ) -> None:
        """Answer with an attack, built from the answer the request would otherwise get."""
        first_page_url = ""
        if path == MEMBERSHIPS_PATH:
            if state is None:  # a link the course never handed out (an attack's own): page 1
                state = PageState(None, 0, course.page_size(None), None, None)
            body = self._serve_page(course, state).body
            served = parse_page_url(course, str(json.loads(body).get("id", "")))
            if served is not None:
                first_page_url = page_url(course, replace(served, start=0))
        else:
            body = idtoken_body(course)
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

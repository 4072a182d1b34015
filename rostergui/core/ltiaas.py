"""The LTIAAS HTTP client: authentication, roster paging, retries and error translation.

Design points, each from a real failure mode:

* The API key travels only to the configured LTIAAS origin. A page's ``next`` link points at
  the LMS; it is sent back to LTIAAS as ``?url=`` and never requested itself.
* The end of a roster is only ever a missing ``next``. Short pages, ignored ``limit`` hints and
  members repeated across pages are all normal.
* 429, 5xx and network errors are retried with exponential backoff and full jitter, bounded in
  attempts *and* in total time, honouring ``Retry-After``. Waiting is interruptible by the
  caller's cancel event.
* Every failure becomes a :mod:`~rostergui.core.errors` class whose message tells the admin what
  to do (:mod:`~rostergui.core.ltiaas_errors` reads error answers). Secrets never appear in
  messages or logs.

The address is checked by :mod:`~rostergui.core.origin`; the bounds every request and roster
keeps are in :mod:`~rostergui.core.limits`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from rostergui import __version__
from rostergui.core import bounded_http, errors
from rostergui.core.limits import Limits, PagingCycle, RetryPolicy, duration
from rostergui.core.ltiaas_errors import ApiKeyRefusedError, http_error, retry_after
from rostergui.core.nrps import JsonError, RosterPage, decode_json, optional_text, read_page
from rostergui.core.origin import normalise_base_url
from rostergui.core.origin_gate import OriginGate, key_digest
from rostergui.core.redact import remember
from rostergui.core.states import AuthScheme

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class Credentials:
    """What authenticates a request. ``repr`` hides the secrets."""

    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    scheme: AuthScheme = AuthScheme.SERVICE_KEY

    def __post_init__(self) -> None:
        # Whatever the source of the keys, no message or log line may ever show them.
        remember(self.api_key)
        remember(self.secret)

    def header(self) -> str:
        # Exact LTIAAS formats; no "Bearer" word in either.
        if self.scheme == AuthScheme.LTIK:
            return f"LTIK-AUTH-V2 {self.api_key}:{self.secret}"
        return f"SERVICE-AUTH-V1 {self.api_key}:{self.secret}"


@dataclass(frozen=True, slots=True)
class LaunchInfo:
    """What ``/api/idtoken`` tells about a launch: enough to add a course."""

    platform_id: str
    platform_name: str | None
    context_id: str
    context_title: str | None
    context_label: str | None
    resource_link_id: str | None
    roster_available: bool
    service_key: str | None = field(repr=False)


def _launch_text(
    value: Any, what: str, *, required: bool = False, longest: int = 500
) -> str | None:
    """One field of a launch: text stored exactly, or the launch is refused."""
    text = optional_text(value, what, "the launch", None)
    if (required and not text) or (text is not None and len(text) > longest):
        raise errors.MalformedResponseError(
            f"LTIAAS returned a launch without a usable {what.removeprefix('a ')}; launch the "
            "tool from the course again and use the new launch token"
        )
    return text


class LtiaasClient:
    """A synchronous client for one LTIAAS origin and one set of credentials.

    It owns an ``httpx.Client`` (connection pooling, keep-alive); use it as a context manager or
    call :meth:`close`. One instance per thread. Every request is bounded by :class:`Limits`
    (see :mod:`~rostergui.core.bounded_http`) and ends at once when ``cancel`` is set.
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        limits: Limits | None = None,
        cancel: threading.Event | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        gate: OriginGate | None = None,
    ) -> None:
        """``gate``, when given, is shared with the other clients of the same origin (see
        :mod:`~rostergui.core.origin_gate`): requests then wait for its places and pauses."""
        self.base_url = normalise_base_url(base_url)
        self._gate = gate
        self._key = key_digest(credentials.api_key)
        self._credentials = credentials
        self._retry = retry or RetryPolicy()
        self.limits = limits or Limits()
        self._cancel = cancel or threading.Event()
        self._sleep = sleep
        self._deadline = bounded_http.Deadline(self._cancel)
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            headers={
                "Accept": "application/json",
                "Accept-Encoding": bounded_http.ACCEPT_ENCODING,
                "User-Agent": f"RosterSync/{__version__}",
            },
            follow_redirects=False,
            transport=transport or bounded_http.transport(self._deadline),
        )

    def __enter__(self) -> LtiaasClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- public API -----------------------------------------------------------------------

    def idtoken(self) -> LaunchInfo:
        """Read a launch's ID token. LTIAAS accepts only launch-token (ltik) auth here."""
        if self._credentials.scheme != AuthScheme.LTIK:
            raise errors.ConfigError("Reading the launch needs a launch token (ltik)")
        content = self._get_body("/api/idtoken", {}, what="the launch (ID token)")
        body = self._decode(content, "the launch (ID token)")
        try:
            platform = body["platform"]
            context = body["launch"]["context"]
            services = body.get("services") or {}
            nrps = services.get("namesAndRoles") or {}
            link = body["launch"].get("resourceLink") or {}
            info = LaunchInfo(
                platform_id=str(_launch_text(platform["id"], "a platform id", required=True)),
                platform_name=_launch_text(platform.get("name"), "a platform name"),
                context_id=str(_launch_text(context["id"], "a course id", required=True)),
                context_title=_launch_text(context.get("title"), "a course title", longest=10**4),
                context_label=_launch_text(context.get("label"), "a course label", longest=10**4),
                resource_link_id=_launch_text(link.get("id"), "a resource link id"),
                roster_available=nrps.get("available") is True,
                service_key=_launch_text(services.get("serviceKey"), "a service key", longest=4096),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise errors.MalformedResponseError(
                "LTIAAS returned a launch without platform or course details; launch the tool "
                "from the course again and use the new launch token",
                detail=f"missing field {exc}",
            ) from exc
        remember(info.service_key)
        return info

    def fetch_page(
        self,
        next_url: str | None = None,
        *,
        limit: int | None = None,
        role: str | None = None,
        resource_link_id: str | None = None,
        page_number: int = 1,
    ) -> RosterPage:
        """Fetch one page: the first (with filters) or the one a previous ``next`` named."""
        params: dict[str, str]
        if next_url is not None:
            params = {"url": next_url}  # LTIAAS ignores every other parameter with url=
        else:
            params = {}
            if limit is not None:
                params["limit"] = str(limit)
            if role:
                params["role"] = role
            if resource_link_id:
                params["resourceLinkId"] = resource_link_id
        where = f"page {page_number}"
        return read_page(self._get_body("/api/memberships", params, what=f"roster {where}"), where)

    def iter_pages(
        self,
        *,
        limit: int | None = 100,
        role: str | None = None,
        resource_link_id: str | None = None,
    ) -> Iterator[RosterPage]:
        """Yield every page of the roster until LTIAAS sends no ``next``.

        The walk is bounded in pages, members and time (:class:`Limits`), and a paging loop is
        noticed in constant memory, so no server can keep a sync going for ever."""
        limits = self.limits
        started = time.monotonic()
        page = self.fetch_page(limit=limit, role=role, resource_link_id=resource_link_id)
        members = len(page.raw_members)
        cycle = PagingCycle()
        number = 1
        while True:
            if members > limits.members:
                raise errors.LimitExceededError(
                    f"The roster passed {limits.members:,} members (page {number}), the most "
                    "RosterSync reads in one sync; nothing was changed — contact LTIAAS support"
                )
            yield page
            link = page.next_url
            if link is None:
                return
            number += 1
            if number > limits.pages:
                raise errors.LimitExceededError(
                    f"The roster did not end after {limits.pages:,} pages, the most RosterSync "
                    "reads in one sync; the LMS may be paging without end; nothing was "
                    "changed — contact LTIAAS support"
                )
            if time.monotonic() - started > limits.roster_seconds:
                raise errors.LimitExceededError(
                    f"The roster did not end within {duration(limits.roster_seconds)} "
                    f"({number - 1} pages); the LMS may be paging without end; nothing was "
                    "changed — try again later or contact LTIAAS support"
                )
            if cycle.repeats(link):
                raise errors.MalformedResponseError(
                    f"The LMS sent a next-page link it had already sent (page {number}); "
                    "stopping to avoid an endless loop; nothing was changed — contact LTIAAS "
                    "support"
                )
            page = self.fetch_page(link, page_number=number)
            members += len(page.raw_members)

    # --- transport ------------------------------------------------------------------------

    def _wait(self, seconds: float) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        elif self._cancel.wait(seconds):
            raise errors.SyncCancelledError()

    @staticmethod
    def _decode(content: bytes, what: str) -> Any:
        try:
            return decode_json(content)
        except JsonError as exc:
            raise errors.MalformedResponseError(
                f"LTIAAS sent an answer that is not valid JSON for {what}; nothing was "
                "changed — try again later or contact LTIAAS support",
                status=200,
                detail=f"{exc}; body starts {content[:80]!r}",
            ) from exc

    def _get_body(self, path: str, params: dict[str, str], *, what: str) -> bytes:
        """GET with retries; the body of the first successful answer, as sent."""
        policy = self._retry
        deadline = time.monotonic() + policy.total_seconds
        attempt = 0
        while True:
            attempt += 1
            if self._cancel.is_set():
                raise errors.SyncCancelledError()
            gate = self._gate
            if gate is None:
                error, retry_after, content = self._attempt(path, params, what)
            else:
                gate.enter(self._key, self._cancel, deadline)
                try:
                    error, retry_after, content = self._attempt(path, params, what)
                finally:
                    gate.leave()
            if error is None:
                if gate is not None:
                    gate.answered()
                return content
            if gate is not None and isinstance(error, ApiKeyRefusedError):
                gate.refuse(self._key, error.message)
            if not error.transient:
                raise error
            remaining = deadline - time.monotonic()
            if attempt >= policy.attempts or remaining <= 0:
                raise error
            if retry_after is not None:
                delay = retry_after
            else:
                cap = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
                delay = random.uniform(0, cap)  # full jitter
            if delay > remaining:
                raise error
            if gate is not None:
                gate.failed(error, delay)
            log.warning(
                "%s (attempt %d of %d); retrying in %.1f s",
                error.message,
                attempt,
                policy.attempts,
                delay,
            )
            self._wait(delay)

    def _attempt(
        self, path: str, params: dict[str, str], what: str
    ) -> tuple[errors.LtiaasError | None, float | None, bytes]:
        """One request, start to last byte within ``Limits.request_seconds``: the body of a
        200 answer, or the error it amounts to and the wait the server asked for."""
        limits = self.limits
        host = urlsplit(self.base_url).netloc
        self._deadline.until = time.monotonic() + limits.request_seconds
        try:
            with self._http.stream(
                "GET", path, params=params, headers={"Authorization": self._credentials.header()}
            ) as response:
                if response.status_code == 200:
                    return None, None, bounded_http.read_body(response, limits.page_bytes)
                content = bounded_http.read_body(response, limits.error_bytes, truncate=True)
                return (
                    http_error(response, content, what, self._credentials.scheme),
                    retry_after(response),
                    b"",
                )
        except bounded_http.BodyTooLarge as exc:
            raise errors.LimitExceededError(
                f"LTIAAS sent an answer larger than {limits.page_bytes // 2**20} MB, the most "
                f"RosterSync accepts, for {what}; nothing was changed — contact LTIAAS support",
                detail=str(exc),
            ) from exc
        except bounded_http.UnsupportedEncoding as exc:
            raise errors.MalformedResponseError(
                f"LTIAAS sent an answer RosterSync cannot unpack for {what}; nothing was "
                "changed — try again later or contact LTIAAS support",
                detail=f"Content-Encoding {exc}",
            ) from exc
        except httpx.TimeoutException as exc:
            if self._deadline.expired():
                return (
                    errors.LtiaasTimeoutError(
                        f"LTIAAS took longer than {duration(limits.request_seconds)} to send "
                        f"{what}; check your network or try again later",
                        detail=f"{type(exc).__name__}: request deadline passed",
                    ),
                    None,
                    b"",
                )
            return (
                errors.LtiaasTimeoutError(
                    f"LTIAAS did not answer in time while reading {what}; check your network "
                    "or try again later",
                    detail=type(exc).__name__,
                ),
                None,
                b"",
            )
        except httpx.TransportError as exc:
            if bounded_http.is_certificate_error(exc):
                raise errors.CertificateError(
                    f"The certificate of {host} is not trusted (self-signed, expired or from "
                    "an unknown authority); check the LTIAAS address, or ask your IT team "
                    "whether a proxy replaces certificates",
                    detail=f"{type(exc).__name__}: {exc}",
                ) from exc
            return (
                errors.UnreachableError(
                    f"Cannot reach {host} while reading {what}; check the LTIAAS address and "
                    "your network connection",
                    detail=f"{type(exc).__name__}: {exc}",
                ),
                None,
                b"",
            )
        finally:
            self._deadline.until = None
            # LTIAAS needs no cookies; keeping what a server sets would grow with every page.
            self._http.cookies.clear()

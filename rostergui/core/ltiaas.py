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
  to do. Secrets never appear in messages or logs.
"""

from __future__ import annotations

import email.utils
import hashlib
import ipaddress
import logging
import random
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from rostergui import __version__
from rostergui.core import bounded_http, errors
from rostergui.core.nrps import JsonError, RosterPage, decode_json, optional_text, read_page
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


@dataclass(frozen=True, slots=True)
class Limits:
    """How much and how long a server may take. Each bound gives an error naming it.

    A page of 1,000 members is about 0.5 MB and arrives in well under a second; these limits
    are far above what a working LMS needs and far below what would hurt the machine.
    """

    #: One answer, as sent and unpacked: room for a 15,000-member roster sent as one page
    #: (some LMSes ignore ``limit``), while a few pages in flight stay well under a gigabyte
    #: even when parsed into the smallest objects JSON can express.
    page_bytes: int = 8 * 1024 * 1024
    #: What is read of an error answer (to quote it).
    error_bytes: int = 64 * 1024
    #: One request, from connecting to its last byte, however the server trickles.
    request_seconds: float = 120.0
    #: One roster, from its first page to its last.
    roster_seconds: float = 4 * 3600.0
    #: Pages and members in one roster.
    pages: int = 100_000
    members: int = 2_000_000


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    total_seconds: float = 90.0
    base_delay: float = 0.5
    max_delay: float = 20.0


def is_loopback_host(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: Characters a host (with port) may hold besides letters and digits.
_HOST_PUNCTUATION = frozenset("-._:[]%")


def normalise_base_url(url: str) -> str:
    """Validate an LTIAAS base URL and return its origin (``https://host[:port]``).

    HTTPS is required so the API key is never sent in clear text; plain HTTP is allowed only
    for loopback addresses (the built-in simulator, a local proxy). The origin is spelled one
    way (lower case, no default or empty port), because the API key is stored under it; a host
    with spaces, control, invisible or bidi characters, or one the HTTP client cannot encode,
    is refused here rather than failing later.
    """
    text = url.strip()
    if not text:
        raise errors.ConfigError(
            "Enter your LTIAAS address, for example https://yourtool.ltiaas.com"
        )
    shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text[:80])
    shown += "…" if len(text) > 80 else ""
    problem = (
        f"'{shown}' is not a web address; enter your LTIAAS address, "
        "for example https://yourtool.ltiaas.com"
    )
    if "://" not in text:
        if text.casefold().startswith(("http:", "https:")):  # https:/host, https:host
            raise errors.ConfigError(problem)
        text = "https://" + text
    if len(text) > 500 or not text.isprintable() or " " in text:
        raise errors.ConfigError(problem)
    try:
        parts = urlsplit(text)
        hostname, port = parts.hostname, parts.port
    except ValueError:  # an unclosed [IPv6 bracket, a port that is no number or too large
        raise errors.ConfigError(problem) from None
    if parts.scheme not in ("http", "https") or not hostname or port == 0:
        raise errors.ConfigError(problem)
    if parts.username or parts.password:
        raise errors.ConfigError("Leave the user name and password out of the LTIAAS address")
    for char in hostname:
        if unicodedata.category(char)[0] in "CZ" or (
            char.isascii() and not char.isalnum() and char not in _HOST_PUNCTUATION
        ):
            raise errors.ConfigError(problem)
    if parts.scheme == "http" and not is_loopback_host(hostname):
        raise errors.ConfigError(
            f"'{shown}' uses plain http; LTIAAS must be reached over https so the API key is "
            "encrypted (http is accepted only for this computer, e.g. http://127.0.0.1)"
        )
    if "[" in parts.netloc:
        try:
            ipaddress.IPv6Address(hostname)
        except ValueError:
            raise errors.ConfigError(problem) from None
    host = f"[{hostname}]" if ":" in hostname else hostname
    default_port = 443 if parts.scheme == "https" else 80
    origin = f"{parts.scheme}://{host}" + (f":{port}" if port and port != default_port else "")
    try:
        httpx.URL(origin)  # what the client will send to: IDNA and IP address rules
    except (httpx.InvalidURL, ValueError):
        raise errors.ConfigError(problem) from None
    return origin


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_details(content: bytes) -> tuple[str, bool]:
    """Pull a short description out of an LTIAAS error body (redacted with the error)."""
    try:
        body = decode_json(content)
    except JsonError:
        return "", False
    if not isinstance(body, dict):
        return "", False
    details: dict[str, Any] = body["details"] if isinstance(body.get("details"), dict) else {}
    described = next(
        (
            v
            for v in (details.get("description"), details.get("message"), body.get("error"))
            if isinstance(v, str) and v.strip()
        ),
        "",
    )
    return described.strip()[:300], bool(details.get("externalError"))


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


class _Cycle:
    """Notices a paging loop in constant memory (Brent's algorithm over link digests): a
    roster of any length keeps two digests and two counters, not every link it saw."""

    def __init__(self) -> None:
        self._mark: bytes | None = None
        self._power = self._length = 1

    def repeats(self, link: str) -> bool:
        digest = hashlib.blake2b(link.encode(), digest_size=16).digest()
        if digest == self._mark:
            return True
        if self._power == self._length:
            self._mark, self._power, self._length = digest, self._power * 2, 0
        self._length += 1
        return False


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
    ) -> None:
        self.base_url = normalise_base_url(base_url)
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
        cycle = _Cycle()
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
                    f"The roster did not end within {_duration(limits.roster_seconds)} "
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
            error, retry_after, content = self._attempt(path, params, what)
            if error is None:
                return content
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
                return self._http_error(response, content, what), _retry_after(response), b""
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
                        f"LTIAAS took longer than {_duration(limits.request_seconds)} to send "
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

    def _http_error(
        self, response: httpx.Response, content: bytes, what: str
    ) -> errors.LtiaasError:
        status = response.status_code
        described, external = _error_details(content)
        suffix = f" (LTIAAS says: {described})" if described else ""
        shown = described or content[:200].decode("utf-8", "replace")
        detail = f"HTTP {status} for {what}: {shown!r}"
        lowered = described.casefold()
        if any(
            marker in lowered
            for marker in ("names_and_roles", "names and roles", "memberships_url", "nrps")
        ):
            return errors.RosterServiceUnavailableError(
                "The roster service (Names and Roles) is not available for this course; enable "
                "it in the LMS's tool settings, then launch the tool from the course again"
                + suffix,
                status=status,
                detail=detail,
            )
        if status in (401, 403):
            if self._credentials.scheme == AuthScheme.LTIK:
                hint = (
                    "the API key or launch token was refused; launch tokens expire after 24 "
                    "hours — launch the tool from the course again, and check the API key"
                )
            else:
                hint = (
                    "the API key or service key was refused; check the API key, or add the "
                    "course again from a fresh launch to get a new service key"
                )
            return errors.AuthError(
                hint[0].upper() + hint[1:] + suffix, status=status, detail=detail
            )
        if status == 404:
            return errors.NotFoundError(
                f"LTIAAS has no such resource for {what}; check the LTIAAS address" + suffix,
                status=status,
                detail=detail,
            )
        if status == 429:
            return errors.RateLimitedError(
                "LTIAAS is limiting requests right now; wait a few minutes and sync again" + suffix,
                status=status,
                detail=detail,
            )
        if status >= 500:
            source = "The LMS behind LTIAAS" if external else "LTIAAS"
            return errors.UpstreamError(
                f"{source} failed (HTTP {status}) while reading {what}; try again later" + suffix,
                status=status,
                detail=detail,
            )
        return errors.LtiaasError(
            f"LTIAAS refused the request for {what} (HTTP {status})"
            + suffix
            + "; check the course settings",
            status=status,
            detail=detail,
        )


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        hours = seconds / 3600
        return f"{hours:g} hour" + ("s" if hours != 1 else "")
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"

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
import ipaddress
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

import httpx
import orjson

from rostergui import __version__
from rostergui.core import errors

log = logging.getLogger(__name__)

AuthScheme = Literal["service_key", "ltik"]


@dataclass(frozen=True, slots=True)
class Credentials:
    """What authenticates a request. ``repr`` hides the secrets."""

    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    scheme: AuthScheme = "service_key"

    def header(self) -> str:
        # Exact LTIAAS formats; no "Bearer" word in either.
        if self.scheme == "ltik":
            return f"LTIK-AUTH-V2 {self.api_key}:{self.secret}"
        return f"SERVICE-AUTH-V1 {self.api_key}:{self.secret}"


class Member(NamedTuple):
    """One roster entry as the LMS sent it, normalised (user id always a string).

    A named tuple: a 100,000-member roster builds 100,000 of these, and tuples are the
    cheapest immutable records Python has.
    """

    user_id: str
    roles: tuple[str, ...]
    status: str  # "Active", "Inactive" or "Deleted"; a missing status means Active
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class RosterPage:
    """One page as received. Members stay raw until :attr:`members` is read, so a sync can
    parse them on another thread while the next page is on its way.

    ``plain`` says every member has the common shape (see :func:`plain_members`) and the body
    has no escaped NUL, so ``content`` (the body as sent) can be read by a database's JSON
    functions with the same result as :func:`parse_member` gives.
    """

    raw_members: list[Any]
    next_url: str | None
    context_id: str | None
    context_title: str | None
    page_url: str | None
    where: str
    content: bytes = b""
    plain: bool = False

    @property
    def members(self) -> list[Member]:
        raw_members = self.raw_members
        if self.content and any(
            type(_field(m, "userId", "user_id")) is float for m in raw_members if type(m) is dict
        ):
            # orjson reads an integer beyond 64 bits as a float; the json module keeps it exact.
            raw_members = json.loads(self.content)["members"]
        return [parse_member(m, self.where) for m in raw_members]


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


def normalise_base_url(url: str) -> str:
    """Validate an LTIAAS base URL and return its origin (``https://host[:port]``).

    HTTPS is required so the API key is never sent in clear text; plain HTTP is allowed only
    for loopback addresses (the built-in simulator, a local proxy).
    """
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise errors.ConfigError(
            f"'{url}' is not a web address; enter your LTIAAS address, "
            "for example https://yourtool.ltiaas.com"
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise errors.ConfigError(
            f"'{url}' uses plain http; LTIAAS must be reached over https so the API key is "
            "encrypted (http is accepted only for this computer, e.g. http://127.0.0.1)"
        )
    if parts.username or parts.password:
        raise errors.ConfigError("Leave the user name and password out of the LTIAAS address")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _field(raw: Mapping[str, Any], camel: str, snake: str) -> Any:
    value = raw.get(camel)
    return raw.get(snake) if value is None else value


def parse_member(raw: Any, where: str) -> Member:
    """Normalise one member object, accepting camelCase and snake_case field names."""
    if not isinstance(raw, dict):
        raise errors.MalformedResponseError(
            f"LTIAAS returned a roster entry that is not an object ({where}); "
            "the LMS may be misconfigured — try again later or contact LTIAAS support"
        )
    user_id = _field(raw, "userId", "user_id")
    if isinstance(user_id, bool) or _text(user_id) in (None, ""):
        raise errors.MalformedResponseError(
            f"LTIAAS returned a member without a user id ({where}); nothing was changed — "
            "try again later or contact LTIAAS support"
        )
    roles = raw.get("roles")
    if roles is None:
        roles = []
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise errors.MalformedResponseError(
            f"LTIAAS returned member roles that are not a list of text ({where}); nothing "
            "was changed — try again later or contact LTIAAS support"
        )
    status = raw.get("status")
    if status != "Active":
        status = (
            status.strip().capitalize() if isinstance(status, str) and status.strip() else "Active"
        )
    return Member(
        user_id if isinstance(user_id, str) else str(_text(user_id)),
        tuple(roles),
        status,
        _text(raw.get("name")),
        _text(_field(raw, "givenName", "given_name")),
        _text(_field(raw, "familyName", "family_name")),
        _text(raw.get("email")),
    )


#: LTI membership statuses as the specification spells them (what ``parse_member`` makes of
#: any other spelling).
PLAIN_STATUSES = frozenset({"Active", "Inactive", "Deleted"})


def plain_members(members: list[Any]) -> bool:
    """True when every member has the shape nearly every LMS sends, which needs no
    normalising: an object with camelCase text ``userId``, ``givenName`` and ``familyName``,
    text or missing ``name`` and ``email``, a list of role strings and a status spelled as LTI
    does, or none. For such a member :func:`parse_member` returns the fields unchanged (a
    missing status is Active).

    One loop over the page rather than a call per member: it runs for every member of every
    roster, on the thread that fetches.
    """
    statuses = PLAIN_STATUSES
    for raw in members:
        if type(raw) is not dict:
            return False
        get = raw.get
        user_id, roles, status = get("userId"), get("roles"), get("status")
        name, email = get("name"), get("email")
        if not (
            type(user_id) is str
            and user_id != ""
            and type(get("givenName")) is str
            and type(get("familyName")) is str
            and (status is None or status in statuses)
            and (name is None or type(name) is str)
            and (email is None or type(email) is str)
            and type(roles) is list
        ):
            return False
        for role in roles:
            if type(role) is not str:
                return False
    return True


def parse_page(body: Any, where: str, content: bytes = b"") -> RosterPage:
    if not isinstance(body, dict) or not isinstance(body.get("members"), list):
        raise errors.MalformedResponseError(
            f"LTIAAS answered without a member list ({where}); nothing was changed — "
            "try again later or contact LTIAAS support"
        )
    next_url = body.get("next")
    if next_url is not None and not (isinstance(next_url, str) and next_url.strip()):
        next_url = None
    context: dict[str, Any] = body["context"] if isinstance(body.get("context"), dict) else {}
    members: list[Any] = body["members"]
    return RosterPage(
        raw_members=members,
        next_url=next_url,
        context_id=_text(context.get("id")),
        context_title=_text(context.get("title")),
        page_url=_text(body.get("id")),
        where=where,
        content=content,
        # A JSON string holding an escaped NUL is cut short by SQLite's JSON functions.
        plain=bool(content) and b"\\u0000" not in content and plain_members(members),
    )


def decode_json(content: bytes) -> Any:
    """Decode a response body: orjson first (roster pages decode about twice as fast), the
    standard library for what orjson refuses but Python's JSON accepts (NaN, UTF-16), so the
    faster parser never turns a readable answer into an error. (orjson reads integers beyond
    64 bits as floats; :attr:`RosterPage.members` re-reads a page whose user ids came out so.)"""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


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


def _error_details(response: httpx.Response) -> tuple[str, bool]:
    """Pull a safe, short description out of an LTIAAS error body."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
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


class LtiaasClient:
    """A synchronous client for one LTIAAS origin and one set of credentials.

    It owns an ``httpx.Client`` (connection pooling, keep-alive); use it as a context manager or
    call :meth:`close`. One instance per thread.
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        cancel: threading.Event | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self._credentials = credentials
        self._retry = retry or RetryPolicy()
        self._cancel = cancel or threading.Event()
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            headers={
                "Accept": "application/json",
                "User-Agent": f"RosterSync/{__version__}",
            },
            follow_redirects=False,
            transport=transport,
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
        if self._credentials.scheme != "ltik":
            raise errors.ConfigError("Reading the launch needs a launch token (ltik)")
        body = self._get_json("/api/idtoken", {}, what="the launch (ID token)")
        try:
            platform = body["platform"]
            context = body["launch"]["context"]
            services = body.get("services") or {}
            nrps = services.get("namesAndRoles") or {}
            link = body["launch"].get("resourceLink") or {}
            return LaunchInfo(
                platform_id=str(platform["id"]),
                platform_name=_text(platform.get("name")),
                context_id=str(context["id"]),
                context_title=_text(context.get("title")),
                context_label=_text(context.get("label")),
                resource_link_id=_text(link.get("id")),
                roster_available=nrps.get("available") is True,
                service_key=_text(services.get("serviceKey")),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise errors.MalformedResponseError(
                "LTIAAS returned a launch without platform or course details; launch the tool "
                "from the course again and use the new launch token",
                detail=f"missing field {exc}",
            ) from exc

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
        body, content = self._get_body("/api/memberships", params, what=f"roster {where}")
        return parse_page(body, where, content)

    def iter_pages(
        self,
        *,
        limit: int | None = 100,
        role: str | None = None,
        resource_link_id: str | None = None,
        max_pages: int = 100_000,
    ) -> Iterator[RosterPage]:
        """Yield every page of the roster until LTIAAS sends no ``next``."""
        page = self.fetch_page(limit=limit, role=role, resource_link_id=resource_link_id)
        yield page
        seen = {page.next_url}
        number = 1
        while page.next_url is not None:
            number += 1
            if number > max_pages:
                raise errors.MalformedResponseError(
                    f"The roster did not end after {max_pages} pages; the LMS may be sending "
                    "a paging loop — contact LTIAAS support"
                )
            page = self.fetch_page(page.next_url, page_number=number)
            if page.next_url in seen:
                raise errors.MalformedResponseError(
                    f"The LMS sent the same next-page link twice (page {number}); stopping "
                    "to avoid an endless loop — contact LTIAAS support"
                )
            seen.add(page.next_url)
            yield page

    # --- transport ------------------------------------------------------------------------

    def _wait(self, seconds: float) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        elif self._cancel.wait(seconds):
            raise errors.SyncCancelledError()

    def _get_json(self, path: str, params: dict[str, str], *, what: str) -> Any:
        return self._get_body(path, params, what=what)[0]

    def _get_body(self, path: str, params: dict[str, str], *, what: str) -> tuple[Any, bytes]:
        """GET with retries; the decoded JSON and the body as sent."""
        policy = self._retry
        deadline = time.monotonic() + policy.total_seconds
        attempt = 0
        while True:
            attempt += 1
            if self._cancel.is_set():
                raise errors.SyncCancelledError()
            error: errors.LtiaasError
            retry_after: float | None = None
            try:
                response = self._http.get(
                    path, params=params, headers={"Authorization": self._credentials.header()}
                )
            except httpx.TimeoutException as exc:
                error = errors.LtiaasTimeoutError(
                    f"LTIAAS did not answer in time while reading {what}; check your network "
                    "or try again later",
                    detail=type(exc).__name__,
                )
            except httpx.TransportError as exc:
                host = urlsplit(self.base_url).netloc
                error = errors.UnreachableError(
                    f"Cannot reach {host} while reading {what}; check the LTIAAS address and "
                    "your network connection",
                    detail=f"{type(exc).__name__}: {exc}",
                )
            else:
                if response.status_code == 200:
                    try:
                        return decode_json(response.content), response.content
                    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                        raise errors.MalformedResponseError(
                            f"LTIAAS sent an answer that is not valid JSON for {what}; nothing "
                            "was changed — try again later or contact LTIAAS support",
                            status=200,
                            detail=f"{exc}; body starts {response.text[:80]!r}",
                        ) from exc
                error = self._http_error(response, what)
                retry_after = _retry_after(response)
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

    def _http_error(self, response: httpx.Response, what: str) -> errors.LtiaasError:
        status = response.status_code
        described, external = _error_details(response)
        suffix = f" (LTIAAS says: {described})" if described else ""
        detail = f"HTTP {status} for {what}: {described or response.text[:200]!r}"
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
            if self._credentials.scheme == "ltik":
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

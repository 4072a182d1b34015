"""Reaching LTIAAS for a course: the HTTP client's options, a connection check, the keys.

The service opens a new :class:`~rostergui.core.ltiaas.LtiaasClient` for every check and every
sync (one client per thread); this module is where one is made: with the options the service
was given, with the credentials the administrator typed (:func:`check_connection`), or with a
course's keys from the keyring (:func:`course_connector`), read only when the sync starts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from rostergui.core import errors
from rostergui.core.input_checks import checked_base_url
from rostergui.core.limits import Limits, RetryPolicy
from rostergui.core.ltiaas import Credentials, LtiaasClient
from rostergui.core.origin import normalise_base_url
from rostergui.core.origin_gate import OriginGates
from rostergui.core.secret_changes import remember_all
from rostergui.core.secrets import SecretStore
from rostergui.core.states import AuthScheme
from rostergui.core.store.rows import Course


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """What a "Test connection" learned, shown before a course is saved."""

    platform_id: str
    platform_name: str | None
    context_id: str | None
    title: str | None
    label: str | None
    resource_link_id: str | None
    roster_available: bool | None
    service_key: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        roster = {True: "available", False: "NOT available", None: "reachable"}[
            self.roster_available
        ]
        where = self.platform_name or self.platform_id
        return f"{self.title or self.context_id or 'course'} on {where}; roster service {roster}"


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """How every client of a service is made. ``gates`` is shared by all of them: the
    clients of one LTIAAS origin share its request places, back-off and a refused API key
    (see :mod:`~rostergui.core.origin_gate`)."""

    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    limits: Limits = field(default_factory=Limits)
    transport: httpx.BaseTransport | None = None
    gates: OriginGates = field(default_factory=OriginGates, compare=False)


def open_client(
    options: ClientOptions,
    base_url: str,
    credentials: Credentials,
    cancel: threading.Event | None = None,
) -> LtiaasClient:
    return LtiaasClient(
        base_url,
        credentials,
        timeout=options.timeout,
        retry=options.retry,
        limits=options.limits,
        cancel=cancel,
        transport=options.transport,
        gate=options.gates.gate(normalise_base_url(base_url)),
    )


def check_connection(
    options: ClientOptions,
    base_url: str,
    api_key: str,
    *,
    service_key: str | None = None,
    ltik: str | None = None,
) -> ConnectionCheck:
    """Ask LTIAAS what these credentials reach, without saving anything.

    With a launch token the ID token names the platform, the course and whether the roster
    service is there (and hands out a long-lived service key). With only a service key, a
    one-member roster request proves the keys and names the course.
    """
    remember_all(api_key, service_key, ltik)
    base = checked_base_url(base_url)
    if not api_key.strip():
        raise errors.ConfigError("Enter the LTIAAS API key")
    if ltik:
        creds = Credentials(api_key.strip(), ltik.strip(), AuthScheme.LTIK)
        with open_client(options, base, creds) as client:
            info = client.idtoken()
        remember_all(info.service_key)
        return ConnectionCheck(
            platform_id=info.platform_id,
            platform_name=info.platform_name,
            context_id=info.context_id,
            title=info.context_title,
            label=info.context_label,
            resource_link_id=info.resource_link_id,
            roster_available=info.roster_available,
            service_key=info.service_key,
        )
    if not service_key or not service_key.strip():
        raise errors.ConfigError("Enter a service key or a launch token (ltik)")
    creds = Credentials(api_key.strip(), service_key.strip(), AuthScheme.SERVICE_KEY)
    try:
        with open_client(options, base, creds) as client:
            page = client.fetch_page(limit=1)
    except errors.RosterServiceUnavailableError:
        return ConnectionCheck(base, None, None, None, None, None, False)
    platform = base
    if page.page_url:
        parts = urlsplit(page.page_url)
        if parts.scheme and parts.netloc:
            platform = f"{parts.scheme}://{parts.netloc}"
    return ConnectionCheck(
        platform_id=platform,
        platform_name=None,
        context_id=page.context_id,
        title=page.context_title,
        label=None,
        resource_link_id=None,
        roster_available=True,
    )


def course_connector(
    secrets: SecretStore, options: ClientOptions, course: Course
) -> Callable[[threading.Event], LtiaasClient]:
    """How the sync opens its client: with the course's keys, read from the keyring then."""

    def connect(cancel: threading.Event) -> LtiaasClient:
        api_key = secrets.get_api_key(course.base_url)
        if not api_key:
            raise errors.SecretMissingError(
                f"The LTIAAS API key for {course.base_url} is not in this computer's "
                f"keyring; give '{course.name}' its keys again"
            )
        secret = secrets.get_course_secret(course.uid, course.auth_scheme)
        scheme = course.auth_scheme
        if not secret and scheme == AuthScheme.SERVICE_KEY:
            scheme = AuthScheme.LTIK
            secret = secrets.get_course_secret(course.uid, scheme)
        if not secret:
            raise errors.SecretMissingError(
                f"The service key for '{course.name}' is not in this computer's keyring; "
                "give it a fresh launch token"
            )
        creds = Credentials(api_key, secret, AuthScheme(scheme))
        return open_client(options, course.base_url, creds, cancel)

    return connect

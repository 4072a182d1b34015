"""Secrets in the operating system's keyring, and nowhere else.

The LTIAAS API key is stored once per LTIAAS origin (every course on that host shares it); the
service key and launch token are stored per course under the course's stable ``uid``. The
database only ever holds which *kind* of secret a course uses.

When no usable keyring exists the store raises :class:`KeyringUnavailableError` with what to do;
it never falls back to a file on its own. Every secret that passes through here is registered
with the log redactor, so even a third-party library's log line cannot leak it.
"""

from __future__ import annotations

import logging
import os

import keyring
import keyring.backend
import keyring.core
import keyring.errors

from rostergui.core import errors
from rostergui.core.redact import remember
from rostergui.core.states import AuthScheme

log = logging.getLogger(__name__)

SERVICE_NAME = "RosterSync"
COURSE_SECRET_KINDS = tuple(AuthScheme)

_NO_KEYRING_HELP = (
    "No system keyring is available to store secrets safely; start or unlock your desktop's "
    "keyring (GNOME Keyring, KWallet, macOS Keychain or Windows Credential Manager) and try again"
)


def backend_name(backend: keyring.backend.KeyringBackend | None = None) -> str:
    chosen = backend or load_backend()
    return f"{type(chosen).__module__}.{type(chosen).__name__}"


def load_backend() -> keyring.backend.KeyringBackend:
    """keyring's backend, or :class:`KeyringUnavailableError` when the one that
    ``PYTHON_KEYRING_BACKEND`` or keyring's configuration file names cannot be loaded (not
    installed, misspelt, or not usable on this system)."""
    try:
        return keyring.get_keyring()
    except Exception as exc:  # an import, attribute or viability error of a named backend
        log.warning("Cannot load the keyring backend: %s: %s", type(exc).__name__, exc)
        chosen = os.environ.get("PYTHON_KEYRING_BACKEND")
        if chosen is not None:
            raise errors.KeyringUnavailableError(
                f"PYTHON_KEYRING_BACKEND names a keyring backend that cannot be loaded "
                f"('{chosen}'); install it, correct the name or unset the variable"
            ) from exc
        raise errors.KeyringUnavailableError(
            "The keyring configuration file (keyringrc.cfg) names a keyring backend that "
            "cannot be loaded; install it, correct the file or remove it"
        ) from exc


def _is_file_fallback(backend: keyring.backend.KeyringBackend) -> bool:
    """keyrings.alt's file backends: plain text (base64) or weakly encrypted files. keyring
    picks them on its own when nothing better exists; RosterSync only uses them on request."""
    return type(backend).__module__.startswith("keyrings.alt")


def _explicitly_chosen() -> bool:
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    try:
        return keyring.core.load_config() is not None
    except Exception:  # a broken keyringrc is not a choice
        return False


def _is_usable(backend: keyring.backend.KeyringBackend) -> bool:
    # The "fail" backend is what keyring picks when nothing else works; a chainer with no
    # members is just as empty.
    module = type(backend).__module__
    if module.startswith("keyring.backends.fail"):
        return False
    if module.startswith("keyring.backends.chainer"):
        return bool(getattr(backend, "backends", []))
    return True


class SecretStore:
    """Read and write RosterSync's secrets in one keyring backend."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        """The backend in use; raises :class:`KeyringUnavailableError` if it cannot load."""
        return self._backend or load_backend()

    def describe(self) -> str:
        try:
            return backend_name(self.backend)
        except errors.KeyringUnavailableError:
            chosen = os.environ.get("PYTHON_KEYRING_BACKEND")
            return f"{chosen} (cannot be loaded)" if chosen else "(cannot be loaded)"

    def check(self) -> None:
        """Raise :class:`KeyringUnavailableError` unless a real backend is there.

        A file keyring that keyring fell back to by itself is refused: secrets would sit in a
        file in clear text without the admin having chosen that.
        """
        backend = self.backend
        if not _is_usable(backend):
            raise errors.KeyringUnavailableError(_NO_KEYRING_HELP)
        if self._backend is None and _is_file_fallback(backend) and not _explicitly_chosen():
            raise errors.KeyringUnavailableError(
                "Only a plain file keyring was found, which would store secrets unprotected; "
                + _NO_KEYRING_HELP[_NO_KEYRING_HELP.index("start or unlock") :]
            )

    # --- keys ----------------------------------------------------------------------------

    @staticmethod
    def api_key_account(base_url: str) -> str:
        return f"api-key:{base_url}"

    @staticmethod
    def course_account(uid: str, kind: str) -> str:
        if kind not in COURSE_SECRET_KINDS:
            raise ValueError(kind)
        return f"{kind}:{uid}"

    # --- primitives ----------------------------------------------------------------------

    def _call(self, action: str, func: str, *args: str) -> str | None:
        self.check()
        try:
            result = getattr(self.backend, func)(SERVICE_NAME, *args)
        except keyring.errors.KeyringLocked as exc:
            raise errors.KeyringUnavailableError(
                f"The keyring is locked ({action}); unlock it (for example by logging in to "
                "your desktop again) and retry"
            ) from exc
        except keyring.errors.PasswordDeleteError:
            return None
        except (keyring.errors.KeyringError, OSError) as exc:
            log.error("Keyring failed while %s: %s", action, type(exc).__name__)
            raise errors.KeyringUnavailableError(
                f"The keyring failed ({action}); make sure it is running and unlocked, then "
                "retry — see the log for details"
            ) from exc
        except Exception as exc:  # D-Bus and platform errors surface as many types
            log.exception("Keyring failed while %s", action)
            raise errors.KeyringUnavailableError(
                f"The keyring failed ({action}); make sure it is running and unlocked, then "
                "retry — see the log for details"
            ) from exc
        return result if isinstance(result, str) else None

    def _get(self, account: str, action: str) -> str | None:
        value = self._call(action, "get_password", account)
        if value:
            remember(value)
        return value or None

    def _set(self, account: str, value: str, action: str) -> None:
        if not value:
            raise errors.ConfigError("A secret cannot be empty")
        remember(value)
        self._call(action, "set_password", account, value)

    def _delete(self, account: str, action: str) -> None:
        self._call(action, "delete_password", account)

    # --- API -----------------------------------------------------------------------------

    def get_api_key(self, base_url: str) -> str | None:
        return self._get(self.api_key_account(base_url), "reading the API key")

    def set_api_key(self, base_url: str, value: str) -> None:
        self._set(self.api_key_account(base_url), value, "saving the API key")

    def delete_api_key(self, base_url: str) -> None:
        self._delete(self.api_key_account(base_url), "removing the API key")

    def get_course_secret(self, uid: str, kind: str) -> str | None:
        return self._get(self.course_account(uid, kind), f"reading the {kind.replace('_', ' ')}")

    def set_course_secret(self, uid: str, kind: str, value: str) -> None:
        self._set(self.course_account(uid, kind), value, f"saving the {kind.replace('_', ' ')}")

    def delete_course_secret(self, uid: str, kind: str) -> None:
        """Delete one of a course's secrets; deleting one that is not there is harmless."""
        self._delete(self.course_account(uid, kind), f"removing the {kind.replace('_', ' ')}")

    def delete_course_secrets(self, uid: str) -> None:
        for kind in COURSE_SECRET_KINDS:
            self.delete_course_secret(uid, kind)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in this process only: for the demo and tests, never for real use.

    The demo must not write throw-away simulator keys into the admin's real keyring.
    """

    priority = 0  # never chosen automatically

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)

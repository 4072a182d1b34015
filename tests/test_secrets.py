"""The keyring wrapper: where secrets go, and what happens when there is no keyring."""

from __future__ import annotations

import keyring
import keyring.errors
import pytest
from keyring.backends import fail

from rostergui.core import errors
from rostergui.core.redact import redact
from rostergui.core.secrets import MemoryKeyring, SecretStore


def test_round_trip_and_delete(secrets: SecretStore) -> None:
    secrets.set_api_key("https://tool.example", "API-KEY-xyz")
    secrets.set_course_secret("uid-1", "service_key", "SVC-abc")
    secrets.set_course_secret("uid-1", "ltik", "LTIK-def")
    assert secrets.get_api_key("https://tool.example") == "API-KEY-xyz"
    assert secrets.get_course_secret("uid-1", "ltik") == "LTIK-def"
    secrets.delete_course_secrets("uid-1")
    assert secrets.get_course_secret("uid-1", "service_key") is None
    assert secrets.get_course_secret("uid-1", "ltik") is None
    secrets.delete_course_secrets("uid-1")  # deleting twice is harmless


def test_secrets_seen_are_scrubbed_from_logs(secrets: SecretStore) -> None:
    secrets.set_api_key("https://tool.example", "API-KEY-never-log-me")
    assert "never-log-me" not in redact("request failed with key API-KEY-never-log-me")
    assert (
        redact("Authorization: SERVICE-AUTH-V1 abc:def")
        == "Authorization: SERVICE-AUTH-V1 «secret»"
    )


def test_no_keyring_is_refused_with_advice() -> None:
    store = SecretStore(fail.Keyring())
    with pytest.raises(errors.KeyringUnavailableError, match="No system keyring"):
        store.set_api_key("https://tool.example", "k")


def test_a_plaintext_file_fallback_is_not_used_silently(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setattr(keyring.core, "load_config", lambda: None)
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        with pytest.raises(errors.KeyringUnavailableError, match="plain file keyring"):
            SecretStore().check()
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
        SecretStore().check()  # chosen on purpose: allowed
    finally:
        keyring.set_keyring(previous)


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")


def test_a_locked_keyring_says_unlock_it() -> None:
    with pytest.raises(errors.KeyringUnavailableError, match="locked"):
        SecretStore(LockedKeyring()).get_api_key("https://tool.example")


class BrokenKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")


def test_a_broken_keyring_is_a_clear_error_not_a_crash() -> None:
    with pytest.raises(errors.KeyringUnavailableError, match="keyring failed"):
        SecretStore(BrokenKeyring()).set_api_key("https://tool.example", "k")


def test_empty_secret_rejected(secrets: SecretStore) -> None:
    with pytest.raises(errors.ConfigError):
        secrets.set_api_key("https://tool.example", "")

"""Secrets against a real Secret Service (GNOME Keyring on its own D-Bus session).

``scripts/dev.sh test`` runs the suite inside ``dbus-run-session`` with an unlocked
gnome-keyring and sets ``ROSTERGUI_REQUIRE_REAL_KEYRING=1``, so there these tests must run; on
a machine without that session they are skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rostergui.core import errors
from rostergui.core.secrets import SERVICE_NAME, SecretStore
from rostergui.simulator import DEFAULT_API_KEY, Simulator


def _secret_service() -> object | None:
    try:
        from keyring.backends import SecretService

        backend = SecretService.Keyring()
        if backend.priority <= 0:  # type: ignore[operator]
            return None
        backend.get_password("RosterSync-probe", "probe")
        return backend
    except Exception:
        return None


BACKEND = _secret_service()
if BACKEND is None:
    if os.environ.get("ROSTERGUI_REQUIRE_REAL_KEYRING") == "1":
        raise RuntimeError("a Secret Service keyring was required but none answered")
    pytestmark = pytest.mark.skip(reason="no Secret Service session (run via scripts/dev.sh test)")


def real_store() -> SecretStore:
    return SecretStore(BACKEND)  # type: ignore[arg-type]


def test_secrets_round_trip_in_gnome_keyring() -> None:
    store = real_store()
    store.check()
    store.set_course_secret("real-test-uid", "service_key", "REAL-SVC-123")
    assert store.get_course_secret("real-test-uid", "service_key") == "REAL-SVC-123"
    store.delete_course_secrets("real-test-uid")
    assert store.get_course_secret("real-test-uid", "service_key") is None


def _cli(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rostergui", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_secrets_survive_a_restart_and_go_with_the_course(
    tmp_path: Path, sim: Simulator
) -> None:
    env = {
        **os.environ,
        "ROSTERGUI_DATA_DIR": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
    }
    env.pop("ROSTERGUI_DB_URL", None)
    add_env = {
        **env,
        "ROSTERGUI_API_KEY": DEFAULT_API_KEY,
        "ROSTERGUI_LTIK": sim.course("moodle-chem").ltik,
    }
    added = _cli(add_env, "contexts", "add", "--name", "Chem", "--base-url", sim.base_url)
    assert added.returncode == 0, added.stderr

    synced = _cli(env, "sync", "Chem", "--json")  # a new process: secrets from the keyring
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)[0]["added"] == 300

    stored = [BACKEND.get_password(SERVICE_NAME, f"api-key:{sim.base_url}")]  # type: ignore[attr-defined]
    assert stored == [DEFAULT_API_KEY]
    removed = _cli(env, "contexts", "remove", "Chem")
    assert removed.returncode == 0, removed.stderr
    assert BACKEND.get_password(SERVICE_NAME, f"api-key:{sim.base_url}") is None  # type: ignore[attr-defined]
    db = (tmp_path / "data" / "rostersync.db").read_bytes()
    assert sim.course("moodle-chem").service_key.encode() not in db


def test_a_locked_keyring_is_a_clear_message() -> None:
    import secretstorage

    connection = secretstorage.dbus_init()
    collection = secretstorage.get_default_collection(connection)
    real_store().set_api_key("https://locked.example", "k-locked")
    collection.lock()
    try:
        with pytest.raises(errors.KeyringUnavailableError) as caught:
            real_store().get_api_key("https://locked.example")
        assert "unlock" in caught.value.message
    finally:
        subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--replace", "--components=secrets"],
            input="test-password",
            text=True,
            capture_output=True,
            check=False,
            timeout=30,
        )
        connection.close()


def test_no_secret_service_gives_advice_not_a_traceback(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ROSTERGUI_DATA_DIR": str(tmp_path / "data"),
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent",
        "ROSTERGUI_API_KEY": "k",
        "ROSTERGUI_SERVICE_KEY": "s",
    }
    env.pop("PYTHON_KEYRING_BACKEND", None)
    done = _cli(env, "contexts", "add", "--name", "X", "--base-url", "https://tool.example")
    assert done.returncode == 1
    assert "keyring" in done.stderr.lower()
    assert "Traceback" not in done.stderr

"""The headless command line, as a cron job or script would use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from rostergui import __version__
from rostergui.core import errors
from rostergui.core.secrets import MemoryKeyring
from rostergui.core.service import RosterService
from rostergui.simulator import DEFAULT_API_KEY, Simulator
from tests.conftest import Cli

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


def test_add_sync_list_members_export_remove(
    cli: Cli, sim: Simulator, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    cli.add(sim, "canvas-bio", "Bio")
    cli.add(sim, "moodle-chem", "Chem", ltik=True)

    code, out, err = cli("sync", "--all", "--json")
    assert code == 0, err
    results = json.loads(out)
    assert [r["name"] for r in results] == ["Bio", "Chem"]
    assert set(results[0]) == {
        "name",
        "outcome",
        "ok",
        "held",
        "skipped",
        "pages",
        "fetched",
        "added",
        "updated",
        "deactivated",
        "reactivated",
        "active_count",
        "error",
        "warnings",
        "seconds",
    }
    assert all(r["ok"] and r["error"] is None and r["warnings"] == [] for r in results)

    code, out, _ = cli("contexts", "list", "--json")
    listed = {c["name"]: c for c in json.loads(out)}
    assert set(listed["Bio"]) == {
        "name",
        "base_url",
        "context_id",
        "title",
        "last_synced_at",
        "last_status",
        "last_error",
        "member_count",
        "active_count",
        "held_drops",
    }
    assert listed["Bio"]["last_status"] == "ok"
    assert listed["Bio"]["held_drops"] is None
    assert listed["Bio"]["last_synced_at"].endswith("Z")
    assert listed["Chem"]["title"] == "Chimie générale"

    code, out, _ = cli("members", "Chem", "--json", "--role", "learner")
    members = json.loads(out)
    assert members and all(m["role"] == "Learner" for m in members)
    assert all(isinstance(m["user_id"], str) for m in members)
    assert set(members[0]) == {
        "user_id",
        "name",
        "given_name",
        "family_name",
        "email",
        "role",
        "lti_roles",
        "status",
        "test_user",
        "first_seen_at",
        "last_seen_at",
    }

    target = tmp_path / "bio.csv"
    code, out, _ = cli("export", "Bio", "--output", str(target), "--status", "all")
    assert code == 0
    assert target.read_bytes().count(b"\r\n") > 100

    code, out, _ = cli("contexts", "remove", "Chem")
    assert code == 0
    code, out, _ = cli("contexts", "list", "--json")
    assert [c["name"] for c in json.loads(out)] == ["Bio"]
    remaining = {account for _service, account in memory_keyring._items}
    assert len(remaining) == 2  # Bio's service key and the shared API key


def test_removing_the_last_course_removes_every_secret(
    cli: Cli, sim: Simulator, memory_keyring: MemoryKeyring
) -> None:
    cli.add(sim, "canvas-bio", "Bio")
    assert memory_keyring._items
    assert cli("contexts", "remove", "Bio")[0] == 0
    assert memory_keyring._items == {}


def test_held_sync_exits_3_and_names_who_would_go(cli: Cli, sim: Simulator) -> None:
    sim.replace_roster(
        "canvas-bio",
        [{"userId": str(i), "roles": [M + "Learner"], "name": f"P{i}"} for i in range(30)],
    )
    cli.add(sim, "canvas-bio", "Bio")
    assert cli("sync", "Bio")[0] == 0
    sim.replace_roster("canvas-bio", [])
    code, out, _ = cli("sync", "Bio")
    assert code == 3
    assert "held" in out and "would drop: P" in out
    code, out, _ = cli("sync", "Bio", "--json")
    assert code == 3 and json.loads(out)[0]["held"] is True
    code, out, _ = cli("sync", "Bio", "--allow-mass-drop", "--json")
    assert code == 0 and json.loads(out)[0]["deactivated"] == 30


def test_failed_sync_exits_1_and_still_prints_json(cli: Cli, sim: Simulator) -> None:
    cli.add(sim, "canvas-bio", "Bio")
    cli.add(sim, "no-roster", "Art", ltik=True)
    code, out, err = cli("sync", "Bio", "Art", "--json")
    assert code == 1
    results = {r["name"]: r for r in json.loads(out)}
    assert results["Bio"]["ok"] and not results["Art"]["ok"]
    assert "Names and Roles" in results["Art"]["error"]
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (
            ["contexts", "add", "--name", "X", "--base-url", "https://tool.example"],
            {},
            "ROSTERGUI_API_KEY",
        ),
        (
            ["contexts", "add", "--name", "X", "--base-url", "https://tool.example"],
            {"ROSTERGUI_API_KEY": "k"},
            "ROSTERGUI_SERVICE_KEY or ROSTERGUI_LTIK",
        ),
        (
            ["contexts", "add", "--name", "X", "--base-url", "http://tool.example"],
            {"ROSTERGUI_API_KEY": "k", "ROSTERGUI_SERVICE_KEY": "s"},
            "https",
        ),
        (["sync", "Nope"], {}, "failed"),
        (["members", "Nope"], {}, "No course named 'Nope'"),
        (["members", "X", "--role", "janitor"], {}, "unknown role"),
    ],
)
def test_errors_are_one_clear_line(
    cli: Cli, argv: list[str], env: dict[str, str], message: str
) -> None:
    code, out, err = cli(*argv, env=env)
    assert code == 1
    assert message in out + err
    assert "Traceback" not in out + err


def test_wrong_api_key_saves_nothing(cli: Cli, sim: Simulator) -> None:
    code, _, err = cli.try_add(sim, "canvas-bio", "Bio", api_key="wrong")
    assert code == 1
    assert "refused" in err and "Invalid API key" in err
    assert "wrong" not in err
    assert json.loads(cli("contexts", "list", "--json")[1]) == []


def test_usage_errors_exit_2(cli: Cli) -> None:
    with pytest.raises(SystemExit) as caught:
        cli("sync", "--bogus")
    assert caught.value.code == 2


def test_no_keyring_is_a_clear_message(cli: Cli, sim: Simulator) -> None:
    keyring.set_keyring(fail.Keyring())
    code, _, err = cli.try_add(sim, "canvas-bio", "Bio", service_key="x")
    assert code == 1
    assert "No system keyring" in err
    assert json.loads(cli("contexts", "list", "--json")[1]) == []


def test_roles_set_remaps_stored_members(cli: Cli, sim: Simulator) -> None:
    cli.add(sim, "canvas-bio", "Bio")
    cli("sync", "Bio")
    code, out, _ = cli("members", "Bio", "--role", "Teaching Assistant", "--json")
    tas = json.loads(out)
    assert tas
    code, out, _ = cli("roles", "set", "Instructor#TeachingAssistant", "Instructor")
    assert code == 0 and f"{len(tas)} stored members re-mapped" in out
    assert json.loads(cli("members", "Bio", "--role", "TA", "--json")[1]) == []
    listing = json.loads(cli("roles", "list", "--json")[1])
    rule = next(r for r in listing if r["lti_role"] == "Instructor#TeachingAssistant")
    assert rule == {
        "lti_role": "Instructor#TeachingAssistant",
        "tool_role": "Instructor",
        "default": False,
    }
    assert cli("roles", "reset")[0] == 0
    assert len(json.loads(cli("members", "Bio", "--role", "TA", "--json")[1])) == len(tas)


def test_history_lists_runs_and_changes(cli: Cli, sim: Simulator) -> None:
    cli.add(sim, "canvas-bio", "Bio")
    cli("sync", "Bio")
    dropped = sim.drop("canvas-bio", count=2)
    cli("sync", "Bio")
    out = cli("history", "Bio", "--json", "--changes")[1]
    runs = json.loads(out)
    assert [r["outcome"] for r in runs] == ["ok", "ok"]
    assert sorted(c["user_id"] for c in runs[0]["changes"]) == sorted(dropped)
    assert {c["change"] for c in runs[0]["changes"]} == {"deactivated"}


def test_version_and_a_real_process_with_a_file_keyring(tmp_path: Path, sim: Simulator) -> None:
    """Secrets survive a restart of the app: each command is a new process."""
    env = {
        **os.environ,
        "ROSTERGUI_DATA_DIR": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "ROSTERGUI_API_KEY": DEFAULT_API_KEY,
        "ROSTERGUI_SERVICE_KEY": sim.course("canvas-bio").service_key,
    }
    env.pop("ROSTERGUI_DB_URL", None)

    def call(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rostergui", *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    version = call("--version")
    assert version.returncode == 0 and version.stdout.startswith("RosterSync ")
    assert call("contexts", "add", "--name", "Bio", "--base-url", sim.base_url).returncode == 0
    del env["ROSTERGUI_API_KEY"], env["ROSTERGUI_SERVICE_KEY"]
    synced = call("sync", "Bio", "--json")
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)[0]["added"] > 100
    assert "Bio: page" in synced.stderr or "Bio: saving" in synced.stderr  # progress on stderr


def test_remove_keeping_the_roster_archives_it(cli: Cli, sim: Simulator) -> None:
    cli.add(sim, "canvas-bio", "Bio")
    cli("sync", "Bio")
    assert cli("contexts", "remove", "Bio", "--keep-roster")[0] == 0
    assert json.loads(cli("contexts", "list", "--json")[1]) == []
    members = json.loads(cli("members", "Bio", "--json", "--status", "all")[1])
    assert len(members) > 100  # still readable and exportable
    code, _, err = cli("sync", "Bio")
    assert code == 1
    code, _, err = cli.try_add(sim, "canvas-bio", "Bio")
    assert code == 1 and "kept for reference" in err
    assert cli("contexts", "remove", "Bio")[0] == 0
    assert cli("members", "Bio")[0] == 1


def test_info_reports_version_database_and_keyring(cli: Cli) -> None:
    code, out, _ = cli("info", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["version"] == __version__
    assert data["keyring_backend"].endswith("MemoryKeyring")
    assert data["keyring"] == "usable"
    assert "hunter2" not in cli("--db-url", "postgresql+psycopg://u:hunter2@h/db", "info")[1]


def test_a_second_machine_gives_a_shared_course_its_own_keys(
    cli: Cli, sim: Simulator, memory_keyring: MemoryKeyring
) -> None:
    """On a shared database, another admin's machine has the course but not its keys."""
    cli.add(sim, "canvas-bio", "Bio")
    memory_keyring._items.clear()  # the other machine's empty keyring
    code, out, _ = cli("sync", "Bio")
    # The core says what is missing; the command line names its own command, not the window's.
    assert code == 1 and "(fix: rostergui contexts update 'Bio')" in out
    assert "Edit course" not in out
    code, out, err = cli(
        "contexts",
        "update",
        "Bio",
        "--new-name",
        "Biology",
        env={
            "ROSTERGUI_API_KEY": DEFAULT_API_KEY,
            "ROSTERGUI_SERVICE_KEY": sim.course("canvas-bio").service_key,
        },
    )
    assert code == 0, err
    assert "Updated 'Biology'" in out
    assert cli("sync", "Biology")[0] == 0


def test_the_core_names_no_command_and_the_command_line_adds_the_fix(
    cli: Cli, service: RosterService
) -> None:
    """With no course stored, the core says only that; the command line names the command."""
    code, _, err = cli("members", "Biology")
    assert code == 1
    assert "no courses are stored yet (fix: rostergui contexts add NAME" in err
    with pytest.raises(errors.NoCoursesError) as caught:
        service.course("Biology")
    assert "contexts" not in caught.value.message

"""The command line under hostile text, closed pipes, odd settings and stuck databases."""

from __future__ import annotations

import io
import json
import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from rostergui.cli import Console, ProgressPrinter, terminal_safe
from rostergui.core.redact import MASK, redact
from rostergui.core.secrets import MemoryKeyring
from rostergui.core.sync import Progress
from rostergui.simulator import DEFAULT_API_KEY, Simulator
from tests.conftest import Cli

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
#: What must never reach a terminal raw.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
HOSTILE_NAMES = [
    "Eve\x1b]0;owned\x07",  # retitles the terminal
    "Mallory\x1b[2J\x1b[H",  # clears the screen
    "Trudy\rX",  # overwrites the line
    "Line\nBreak",
    "\u202eevil\u202c",  # right-to-left override
    "Isolate\u2067x\u2069",
    "Nel\x85 Del\x7f",
]


def one_clear_line(code: int, out: str, err: str, *words: str) -> None:
    assert code == 1, (out, err)
    assert err.count("\n") == 1 and err.startswith("rostergui: "), err
    for word in words:
        assert word in err, err
    for bad in ("Traceback", "unexpected error", "Logging error"):
        assert bad not in out + err


# --- LMS text never drives the terminal --------------------------------------------------


def hostile_roster(sim: Simulator) -> None:
    sim.replace_roster(
        "canvas-bio",
        [
            {"userId": f"u{i}\x1b[31m", "roles": [M + "Learner"], "name": name}
            for i, name in enumerate(HOSTILE_NAMES)
        ],
    )


def test_member_tables_escape_control_characters(cli: Cli, sim: Simulator) -> None:
    hostile_roster(sim)
    cli.add(sim, "canvas-bio", "Bio")
    code, out, err = cli("sync", "Bio")
    assert code == 0, err
    code, out, err = cli("members", "Bio")
    assert code == 0
    assert not RAW_CONTROL.search(out + err)
    assert out.count("\n") == len(HOSTILE_NAMES) + 1  # a line per member, and the heading
    assert "Eve\\x1b]0;owned\\x07" in out and "\\u202eevil\\u202c" in out
    assert "Line\\x0aBreak" in out and "Trudy\\x0dX" in out and "u0\\x1b[31m" in out
    # Columns line up as printed: every row has the status at the same offset.
    offsets = {line.index("active") for line in out.splitlines()[1:]}
    assert len(offsets) == 1

    code, out, _ = cli("members", "Bio", "--json")
    members = json.loads(out)
    assert sorted(m["name"] for m in members) == sorted(HOSTILE_NAMES)  # exact values
    assert not RAW_CONTROL.search(out.replace("\n", ""))

    code, out, _ = cli("history", "Bio", "--changes")
    assert code == 0 and not RAW_CONTROL.search(out)
    assert "Eve\\x1b]0;owned\\x07" in out


def test_error_lines_and_progress_are_escaped() -> None:
    out, err = io.StringIO(), io.StringIO()
    console = Console(out, err)
    console.error("LMS says \x1b[2Jgone\r\n\u202eoops")
    assert err.getvalue() == "rostergui: LMS says \\x1b[2Jgone\\x0d\\x0a\\u202eoops\n"
    console.print("lone \ud800 surrogate")
    assert out.getvalue() == "lone \\ud800 surrogate\n"
    printer = ProgressPrinter("Bio\x1b[2J", err)
    printer(Progress(phase="applying", pages=1, fetched=3))
    assert "Bio\\x1b[2J: saving 3 members" in err.getvalue()
    assert terminal_safe("plain, wide 名前 and a \\ backslash") == (
        "plain, wide 名前 and a \\ backslash"
    )


def test_json_output_is_exact_and_survives_lone_surrogates() -> None:
    out = io.StringIO()
    data = {"name": "a\ud800b\x1b\u202e\x85", "list": ["\udfff", "ok"]}
    Console(out, io.StringIO()).json(data)
    text = out.getvalue()
    assert json.loads(text) == data
    assert not RAW_CONTROL.search(text.replace("\n", ""))
    text.encode("utf-8")  # what a UTF-8 stdout does: no UnicodeEncodeError
    assert "\\ud800" in text and "\\u202e" in text


# --- a closed stdout ---------------------------------------------------------------------


def synced_database(tmp_path: Path, sim: Simulator) -> str:
    from rostergui.core.secrets import SecretStore
    from rostergui.core.service import RosterService
    from tests.conftest import add_sim_course

    url = f"sqlite:///{tmp_path / 'roster.db'}"
    service = RosterService.open(
        data_directory=tmp_path, db_url=url, secrets=SecretStore(MemoryKeyring())
    )
    add_sim_course(service, sim, "canvas-large", "Big")
    assert service.sync("Big").ok
    service.close()
    return url


@pytest.mark.parametrize(
    "argv",
    [["members", "Big", "--status", "all"], ["contexts", "list"], ["--help"]],
    ids=["long-output", "short-output", "help"],
)
def test_a_closed_stdout_ends_quietly(tmp_path: Path, sim: Simulator, argv: list[str]) -> None:
    url = synced_database(tmp_path, sim)
    env = {**os.environ, "ROSTERGUI_DATA_DIR": str(tmp_path / "data"), "ROSTERGUI_DB_URL": url}
    command = [sys.executable, "-m", "rostergui", *argv]
    read = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert read.returncode == 0 and read.stdout, read.stderr
    proc = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # `| head` that has read enough, before anything arrived
    err = proc.stderr.read()
    code = proc.wait(timeout=120)
    assert err == ""  # no traceback, no "Exception ignored", no "unexpected error"
    assert code == (0 if argv == ["--help"] else 1)


# --- usage errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["sync"],
        ["sync", "--all", "Bio"],
        ["sync", "--json"],
        ["contexts", "update", "Bio"],
        ["demo", "--headless", "--check-start"],
    ],
)
def test_contradictions_are_usage_errors(
    bare_cli: Cli, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        bare_cli(*argv)
    assert caught.value.code == 2
    assert "usage: rostergui" in capsys.readouterr().err
    assert not (bare_cli.data_dir / "rostersync.db").exists()  # refused before opening


def test_new_keys_alone_are_something_to_update(cli: Cli, sim: Simulator) -> None:
    cli.add(sim, "canvas-bio", "Bio")
    env = {"ROSTERGUI_SERVICE_KEY": sim.course("canvas-bio").service_key}
    code, _, err = cli("contexts", "update", "Bio", env=env)
    assert code == 0, err


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "Name the LTI role"),
        ("   ", "Name the LTI role"),
        ("#", "names no LTI role"),
        ("Instructor\x1b[2J", "no spaces or control characters"),
        ("Instructor Grader", "no spaces or control characters"),
        ("x" * 256, "at most 255 characters"),
        ("Instructor#" + "A" * 200, "too long to store"),
    ],
)
def test_roles_set_refuses_meaningless_keys(cli: Cli, key: str, message: str) -> None:
    before = cli("roles", "list", "--json")[1]
    one_clear_line(*cli("roles", "set", key, "Learner"), message)
    assert cli("roles", "list", "--json")[1] == before


# --- one clear line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    [
        "https://[::1",
        "https://host:0",
        "https://host:99999",
        "https://exa mple.com",
        "https://\u202eevil.example",
    ],
)
def test_malformed_base_urls_are_one_clear_line(cli: Cli, sim: Simulator, base_url: str) -> None:
    env = {"ROSTERGUI_API_KEY": DEFAULT_API_KEY, "ROSTERGUI_SERVICE_KEY": "k"}
    result = cli("contexts", "add", "--name", "X", "--base-url", base_url, env=env)
    one_clear_line(*result, "is not a web address")
    cli.add(sim, "canvas-bio", "Bio")
    one_clear_line(*cli("contexts", "update", "Bio", "--base-url", base_url), "not a web address")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("foo://bar", ["No database driver"]),
        ("not a url at all", ["database URL is not valid"]),
        (f"postgresql+psycopg://u@127.0.0.1:{closed_port()}/db", ["Cannot connect", "running"]),
        ("postgresql+psycopg://u@127.0.0.1:99999/db", ["database URL is not valid"]),
        ("postgresql+psycopg://u@h/db?connect_timeout=soon", ["database URL is not valid"]),
        ("sqlite:///{tmp}/a-file/sub/roster.db", ["Cannot create the folder", "--db-url"]),
        ("sqlite:////proc/roster.db", ["Cannot open the database file", "writable"]),
    ],
)
def test_odd_database_urls_are_one_clear_line(
    bare_cli: Cli, tmp_path: Path, url: str, words: list[str]
) -> None:
    if url.startswith("postgresql"):
        pytest.importorskip("psycopg")
    if "/proc/" in url and not Path("/proc/self").exists():
        pytest.skip("needs Linux's /proc")
    (tmp_path / "a-file").write_text("not a folder")
    result = bare_cli("--db-url", url.format(tmp=tmp_path), "contexts", "list")
    one_clear_line(*result, *words)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_a_database_in_an_unwritable_folder_is_one_clear_line(
    bare_cli: Cli, tmp_path: Path
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    result = bare_cli("--db-url", f"sqlite:///{folder / 'roster.db'}", "contexts", "list")
    one_clear_line(*result, "Cannot open the database file")


def subprocess_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "ROSTERGUI_DATA_DIR": str(tmp_path / "data"),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        **extra,
    }
    env.pop("ROSTERGUI_DB_URL", None)
    return env


@pytest.mark.parametrize("backend", ["no.such.module.Keyring", "keyring.backends.Nope", ""])
def test_a_keyring_backend_that_is_not_installed_is_one_clear_line(
    tmp_path: Path, backend: str
) -> None:
    env = subprocess_env(
        tmp_path,
        PYTHON_KEYRING_BACKEND=backend,
        ROSTERGUI_API_KEY="an-api-key",
        ROSTERGUI_SERVICE_KEY="a-service-key",
    )

    def call(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rostergui", *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    added = call("contexts", "add", "--name", "X", "--base-url", "https://tool.example")
    one_clear_line(added.returncode, added.stdout, added.stderr, "PYTHON_KEYRING_BACKEND")
    info = call("info", "--json")
    assert info.returncode == 0, info.stderr
    assert "cannot be loaded" in json.loads(info.stdout)["keyring"]


def test_a_full_disk_is_one_clear_line_without_log_tracebacks(
    tmp_path: Path, sim: Simulator
) -> None:
    """The database and the log both meet a full disk (SQLite's page limit, /dev/full)."""
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    env = subprocess_env(
        tmp_path,
        ROSTERGUI_API_KEY=DEFAULT_API_KEY,
        ROSTERGUI_SERVICE_KEY=sim.course("canvas-bio").service_key,
    )
    full_disk = (
        "import sys, rostergui.core.store.db as db\n"
        "pragmas = db._sqlite_pragmas\n"
        "def full(conn, record, **kw):\n"
        "    pragmas(conn, record, **kw)\n"
        "    conn.execute('PRAGMA max_page_count = 1')\n"
        "db._sqlite_pragmas = full\n"
        "from rostergui.cli import main\n"
        "main(sys.argv[1:])\n"
    )

    def call(*argv: str, full: bool = False) -> subprocess.CompletedProcess[str]:
        start = ["-c", full_disk] if full else ["-m", "rostergui"]
        return subprocess.run(
            [sys.executable, *start, *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert call("contexts", "add", "--name", "Bio", "--base-url", sim.base_url).returncode == 0
    log = tmp_path / "data" / "rostersync.log"
    log.unlink()
    log.symlink_to("/dev/full")
    synced = call("sync", "Bio", full=True)
    assert synced.returncode == 1
    assert "Bio: failed — The disk is full" in synced.stdout
    for bad in ("Traceback", "Logging error", "unexpected error"):
        assert bad not in synced.stdout + synced.stderr
    roles = call("roles", "set", "Instructor#Grader", "Learner", full=True)
    if roles.returncode:  # a change small enough to fit may still succeed
        one_clear_line(roles.returncode, roles.stdout, roles.stderr, "disk is full")


# --- a database that does not answer, or is locked ---------------------------------------


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_a_database_server_that_never_answers_fails_within_the_bound(
    bare_cli: Cli, silent_server: int
) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://u@127.0.0.1:{silent_server}/db"
    started = time.monotonic()
    result = bare_cli(
        "--db-url", url, "contexts", "list", env={"ROSTERGUI_DB_CONNECT_TIMEOUT": "1"}
    )
    assert time.monotonic() - started < 15
    one_clear_line(*result, "did not answer", "running and reachable")


def test_timeouts_must_be_numbers(bare_cli: Cli) -> None:
    result = bare_cli("contexts", "list", env={"ROSTERGUI_DB_LOCK_TIMEOUT": "soon"})
    one_clear_line(*result, "ROSTERGUI_DB_LOCK_TIMEOUT must be a number of seconds")


def test_removing_from_a_locked_database_says_so_and_keeps_the_keys(
    cli: Cli, sim: Simulator, memory_keyring: MemoryKeyring, db_url: str
) -> None:
    cli.add(sim, "canvas-bio", "Bio")
    before = dict(memory_keyring._items)
    if db_url.startswith("sqlite"):
        other = sqlite3.connect(cli.data_dir / "rostersync.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        release = other.close
    else:
        engine = create_engine(make_url(db_url))
        conn = engine.connect()
        conn.exec_driver_sql("BEGIN")
        conn.exec_driver_sql("SELECT id FROM contexts FOR UPDATE")

        def release() -> None:
            conn.close()
            engine.dispose()

    try:
        result = cli("contexts", "remove", "Bio", env={"ROSTERGUI_DB_LOCK_TIMEOUT": "0.3"})
    finally:
        release()
    one_clear_line(*result, "locked by another program", "try again")
    assert memory_keyring._items == before
    assert [c["name"] for c in json.loads(cli("contexts", "list", "--json")[1])] == ["Bio"]


# --- course names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [("Bio\tlogy", "control characters"), ("N" * 201, "too long"), (" ", "Give the course")],
)
def test_course_names_are_checked_first(cli: Cli, sim: Simulator, name: str, message: str) -> None:
    code, out, err = cli.try_add(sim, "canvas-bio", name)
    one_clear_line(code, out, err, message)
    cli.add(sim, "canvas-bio", "Bio")
    one_clear_line(*cli("contexts", "update", "Bio", "--new-name", name), message)


# --- secrets entering the process are registered for redaction ---------------------------


def fresh_secret(kind: str) -> str:
    return f"{kind}-{random.randrange(10**15):015d}"


def test_secrets_from_the_environment_are_registered(cli: Cli) -> None:
    secrets = {name: fresh_secret(name) for name in ("api", "service", "ltik")}
    env = {
        "ROSTERGUI_API_KEY": f"  {secrets['api']}\n",
        "ROSTERGUI_SERVICE_KEY": secrets["service"],
        "ROSTERGUI_LTIK": secrets["ltik"],
    }
    code, _, err = cli("contexts", "update", "Nope", env=env)
    assert code == 1 and "No course named 'Nope'" in err
    for value in secrets.values():
        assert redact(f"say {value}") == f"say {MASK}"


def test_secrets_typed_at_a_prompt_are_registered(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass

    typed = iter([fresh_secret("api"), fresh_secret("service")])
    answers = list(typed)
    replies = iter(answers)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(getpass, "getpass", lambda _prompt="": next(replies))
    code, _, err = cli("contexts", "add", "--name", "X", "--base-url", "https://[::1")
    assert code == 1 and "not a web address" in err
    for value in answers:
        assert redact(value) == MASK


def test_secrets_read_from_the_keyring_are_registered(
    cli: Cli, sim: Simulator, memory_keyring: MemoryKeyring
) -> None:
    cli.add(sim, "canvas-bio", "Bio")
    planted = fresh_secret("kept")
    (account,) = [a for (_s, a) in memory_keyring._items if a.startswith("service_key:")]
    memory_keyring._items[("RosterSync", account)] = planted
    code, out, _ = cli("sync", "Bio")
    assert code == 1 and planted not in out
    assert redact(planted) == MASK

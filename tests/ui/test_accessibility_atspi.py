"""Every control a user operates has a name, read over the real accessibility bus.

This is what a screen reader (Orca) sees: the demo window runs under a virtual X server
(Xvfb) with a private D-Bus session and the AT-SPI bus, and a reader under the system Python
(Debian's ``python3-pyatspi``, which the virtual environment cannot import) walks the tree of
the main window, its History tab and each dialog. Any push, toggle, check or radio button,
combo box, text field, list, table, tree, page tab, menu item, spin box or slider without a name
and without a description fails the test, with where it is. Find person and Import courses are
read too.

The Debian packages are in ``scripts/apt-packages.txt``. Without them the test is skipped on a
developer's machine, and fails under ``CI=true``: there, a missing package must not turn the
check off silently. ``test_a_removed_name_is_found`` shows that the check does fail: it removes
the member table's name and expects exactly that table to be reported.

One window process serves every scene (about 10 s in all): the demo starts once, and each scene
is set up on request (see ``atspi_app.py``).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from atspi_app import FILTERED, SCENES, UNNAMED_TABLE

HERE = Path(__file__).parent
APP = HERE / "atspi_app.py"
READER = HERE / "atspi_reader.py"
SYSTEM_PYTHON = "/usr/bin/python3"
BUS_LAUNCHER = "/usr/libexec/at-spi-bus-launcher"
WAIT_SECONDS = 60


def missing_packages() -> list[str]:
    """The Debian packages this test needs that are not installed."""
    missing = []
    if shutil.which("Xvfb") is None:
        missing.append("xvfb")
    if shutil.which("dbus-daemon") is None or shutil.which("dbus-send") is None:
        missing.append("dbus")
    if not Path(BUS_LAUNCHER).exists():
        missing.append("at-spi2-core")
    probe = (
        subprocess.run(
            [SYSTEM_PYTHON, "-c", "import pyatspi"], capture_output=True, check=False, timeout=30
        )
        if Path(SYSTEM_PYTHON).exists()
        else None
    )
    if probe is None or probe.returncode != 0:
        missing.append("python3-pyatspi")
    return missing


class Desktop:
    """Xvfb, a private D-Bus session with the AT-SPI bus, and the demo window on them."""

    def __init__(self, stack: ExitStack, home: Path) -> None:
        self.stack = stack
        runtime = home / "runtime"
        runtime.mkdir(mode=0o700)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ROSTERGUI_", "QT_"))}
        env.update(
            HOME=str(home),
            XDG_RUNTIME_DIR=str(runtime),
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_DATA_HOME=str(home / "data"),
            LANG="C.UTF-8",
            QT_QPA_PLATFORM="xcb",
            QT_ACCESSIBILITY="1",
            QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1",
        )
        env["DBUS_SESSION_BUS_ADDRESS"] = self._start_bus(env, home)
        env["DISPLAY"] = self._start_xvfb(env)
        # The AT-SPI bus must be up before Qt starts: Qt only looks for it then.
        subprocess.run(
            ["dbus-send", "--session", "--dest=org.a11y.Bus", "--print-reply",
             "/org/a11y/bus", "org.a11y.Bus.GetAddress"],
            env=env, check=True, capture_output=True, timeout=WAIT_SECONDS,
        )  # fmt: skip
        self.env = env
        self.log = home / "window.log"
        self.app = self._start(
            [sys.executable, str(APP)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log.open("w"),
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read_app, daemon=True).start()
        self.seen: dict[str, dict[str, Any]] = {}
        #: Why the window stopped answering: later scenes fail at once instead of waiting.
        self.broken = ""

    def _start(self, args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        process = subprocess.Popen(args, **kwargs)

        def stop() -> None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

        self.stack.callback(stop)
        return process

    def _start_bus(self, env: dict[str, str], home: Path) -> str:
        bus = self._start(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1",
             f"--address=unix:dir={home}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert bus.stdout is not None
        return bus.stdout.readline().strip()

    def _start_xvfb(self, env: dict[str, str]) -> str:
        read, write = os.pipe()
        self._start(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            env=env, pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(write)
        with os.fdopen(read) as displayfd:
            return ":" + displayfd.readline().strip()

    def _read_app(self) -> None:
        assert self.app.stdout is not None
        for line in self.app.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("EXITED")

    def scene(self, name: str) -> dict[str, Any]:
        """Set ``name`` up in the window and read its tree (once per scene)."""
        if name in self.seen:
            return self.seen[name]
        title = self.show(name)
        read = subprocess.run(
            [SYSTEM_PYTHON, str(READER), str(self.app.pid), title],
            env=self.env, capture_output=True, text=True, timeout=WAIT_SECONDS, check=False,
        )  # fmt: skip
        if read.returncode != 0:
            pytest.fail(f"reading {title!r} failed: {read.stdout}{read.stderr}")
        tree: dict[str, Any] = json.loads(read.stdout)
        self.seen[name] = tree
        return tree

    def show(self, name: str) -> str:
        """Set ``name`` up in the window; returns the title of the window it shows."""
        if self.broken:
            pytest.fail(self.broken)
        assert self.app.stdin is not None
        self.app.stdin.write(name + "\n")
        self.app.stdin.flush()
        try:
            line = self.lines.get(timeout=WAIT_SECONDS)
        except queue.Empty:
            line = "(no answer)"
        if not line.startswith("READY "):
            self.broken = f"the window did not show {name}: {line}\n{self.log.read_text()[-3000:]}"
            pytest.fail(self.broken)
        return line.removeprefix("READY ")


def require(missing: list[str], ci: bool) -> None:
    """Skip without the packages on a developer's machine; in CI, fail: a missing package
    must not switch the check off unnoticed."""
    if not missing:
        return
    reason = (
        f"the AT-SPI test needs the Debian packages {', '.join(missing)} "
        "(scripts/apt-packages.txt; bash scripts/dev.sh setup installs them as root)"
    )
    if ci:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.mark.parametrize("ci", [False, True])
def test_missing_packages_skip_here_and_fail_in_ci(ci: bool) -> None:
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(expected, match="python3-pyatspi"):
        require(["python3-pyatspi"], ci)
    require([], ci)  # all there: nothing to say


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    require(missing_packages(), os.environ.get("CI") == "true")
    with ExitStack() as stack:
        yield Desktop(stack, tmp_path_factory.mktemp("atspi"))


def unnamed(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """The interactive controls with neither a name nor a description."""
    return [
        control
        for control in tree["controls"]
        if not control["name"].strip() and not control["description"].strip()
    ]


def describe(controls: list[dict[str, Any]]) -> str:
    return "\n".join(f"{c['role']} at {c['path']}" for c in controls)


@pytest.mark.parametrize("scene", SCENES)
def test_every_control_is_named(desktop: Desktop, scene: str) -> None:
    tree = desktop.scene(scene)
    assert len(tree["controls"]) >= 3, f"hardly anything read in {scene}: {tree}"
    missing = unnamed(tree)
    assert not missing, f"{len(missing)} unnamed controls in {tree['title']}:\n" + describe(missing)


def test_a_removed_name_is_found(desktop: Desktop) -> None:
    """The self-check: the same window with the member table's name removed fails, and the
    table is the one control newly reported."""
    before = {(c["role"], c["path"]) for c in unnamed(desktop.scene("main"))}
    broken = desktop.scene(UNNAMED_TABLE)
    found = [c for c in unnamed(broken) if (c["role"], c["path"]) not in before]
    assert [c["role"] for c in found] == ["table"], describe(found)


def test_member_rows_read_name_role_and_status(desktop: Desktop) -> None:
    """A member row's cells are text, and each says whose row it is: name, role, status."""
    tree = desktop.scene("main")
    [table] = [v for v in tree["views"] if v["role"] == "table" and v["name"] == "Members"]
    assert table["rows"], "the member table exposes no rows"
    first = table["rows"][0]
    name = first[0]["name"]
    assert name, first
    for n, cell in enumerate(first):
        assert cell["name"], f"cell {n} reads as blank: {first}"
        words = cell["description"]
        assert n == 0 or name in words, cell  # the name cell does not say it twice
        assert "Learner" in words or "Instructor" in words, cell
        assert "active" in words, cell


def test_a_filter_change_is_announced_on_the_bus(desktop: Desktop) -> None:
    """What a screen reader hears when the admin filters the members: the count, sent as an
    AT-SPI announcement (``object:announcement``) without moving the focus."""
    listener = subprocess.Popen(
        [SYSTEM_PYTHON, str(READER), "--listen", "15"],
        env=desktop.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert listener.stdout is not None
        assert listener.stdout.readline().strip() == "LISTENING"
        desktop.show(FILTERED)
        out, err = listener.communicate(timeout=WAIT_SECONDS)
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.wait()
    heard = json.loads(out or "[]")
    assert heard, f"no announcement reached the bus {err}"
    assert heard[0]["type"] == "object:announcement"
    assert "shown" in heard[0]["text"], heard

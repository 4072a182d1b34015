"""Fixtures for the window tests: offscreen Qt, private settings, strict Qt warnings, and a
service on a temporary SQLite database with an in-memory keyring (the ``sim`` and
``memory_keyring`` fixtures come from ``tests/conftest.py``)."""

from __future__ import annotations

import os
import subprocess
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMessageLogContext, QSettings, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rostergui.core.limits import RetryPolicy
from rostergui.core.secrets import MemoryKeyring, SecretStore
from rostergui.core.service import ClientOptions, RosterService
from rostergui.simulator import DEFAULT_API_KEY, Simulator
from rostergui.ui import crash
from rostergui.ui.app import collect_on_gui_thread
from rostergui.ui.main_window import MainWindow
from rostergui.ui.settings import Settings


def run_python(args: list[str], config_dir: Path) -> subprocess.CompletedProcess[str]:
    """This Python in a child process: offscreen, with a private settings folder and without
    the test suite's database URL, as an admin would start it."""
    env = dict(
        os.environ, QT_QPA_PLATFORM="offscreen", LANG="C.UTF-8", XDG_CONFIG_HOME=str(config_dir)
    )
    env.pop("ROSTERGUI_DB_URL", None)
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


#: Messages from the offscreen platform plugin itself, not from our code.
_PLATFORM_NOISE = ("propagateSizeHints",)


@pytest.fixture
def service(tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[RosterService]:
    """SQLite only: the window is the same on every database, and these tests must stay fast
    (the store and sync tests cover PostgreSQL)."""
    svc = RosterService.open(
        data_directory=tmp_path,
        db_url=f"sqlite:///{tmp_path / 'roster.db'}",
        secrets=SecretStore(memory_keyring),
        client_options=ClientOptions(
            timeout=5,
            retry=RetryPolicy(attempts=3, total_seconds=10, base_delay=0.01, max_delay=0.05),
        ),
    )
    yield svc
    svc.close()


@pytest.fixture(autouse=True, scope="session")
def gui_thread_collection(qapp: QApplication) -> None:
    """As in the app: reference cycles are collected on the GUI thread only, never in the
    worker threads the tests start (a Qt object destroyed there crashes the process)."""
    collect_on_gui_thread(qapp)


@pytest.fixture(autouse=True)
def qsettings_dir(tmp_path: Path) -> Path:
    """Every test writes settings to its own directory, never to the user's."""
    directory = tmp_path / "settings"
    directory.mkdir()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(directory))
    return directory


@pytest.fixture(autouse=True)
def fail_on_qt_warnings() -> Iterator[list[str]]:
    """Any Qt warning (a bad model index, a wrong signal connection…) fails the test."""
    caught: list[str] = []

    def handler(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if kind == QtMsgType.QtDebugMsg or kind == QtMsgType.QtInfoMsg:
            return
        if any(noise in message for noise in _PLATFORM_NOISE):
            return
        caught.append(f"{kind.name}: {message}")

    previous = qInstallMessageHandler(handler)
    yield caught
    qInstallMessageHandler(previous)
    assert not caught, "Qt warnings:\n" + "\n".join(caught)


@pytest.fixture(autouse=True)
def bugs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[BaseException]]:
    """An unexpected error reported by the window fails the test (instead of a modal box)."""
    seen: list[BaseException] = []
    monkeypatch.setattr(crash, "report_bug", lambda exc, parent=None: seen.append(exc))
    yield seen
    if seen:
        raise seen[0]


def add_course(service: RosterService, sim: Simulator, slug: str, name: str) -> str:
    course = sim.course(slug)
    service.add_course(name, sim.base_url, DEFAULT_API_KEY, service_key=course.service_key)
    return name


def wait_idle(qtbot: QtBot, window: MainWindow, timeout: int = 15_000) -> None:
    """Until no sync is queued or running and every background task has reported back."""
    qtbot.waitUntil(lambda: not window.sync.busy and not window.runner.busy, timeout=timeout)


@pytest.fixture
def make_window(qtbot: QtBot, service: RosterService) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(settings: Settings | None = None) -> MainWindow:
        window = MainWindow(service, settings or Settings())
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.course_model.loaded, timeout=5000)
        wait_idle(qtbot, window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


@pytest.fixture
def bio_window(
    service: RosterService, sim: Simulator, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> MainWindow:
    """A window on one course (Biology, 120 members), already synced once."""
    add_course(service, sim, "canvas-bio", "Biology 101")
    window = make_window()
    window.select_course("Biology 101")
    window.sync_selected()
    wait_idle(qtbot, window)
    return window

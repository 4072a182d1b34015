"""Background operations: typed results on the GUI thread, throttled progress, cancelling,
and a bounded shutdown; the process-wide collector policy; Qt's messages and hard crashes
reaching the log."""

from __future__ import annotations

import gc
import logging
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import qWarning
from pytestqt.qtbot import QtBot

from rostergui.ui import diagnostics, runtime
from rostergui.ui.operation import Operations, Reporter


@pytest.fixture
def operations() -> Operations:
    return Operations()


def on_gui_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def test_result_reaches_the_gui_thread(qtbot: QtBot, operations: Operations) -> None:
    worker: list[str] = []
    got: list[tuple[int, bool]] = []

    def job() -> int:
        worker.append(threading.current_thread().name)
        return 41 + 1

    operations.run(job, lambda n: got.append((n, on_gui_thread())), name="answer")
    assert operations.busy
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert got == [(42, True)]
    assert worker == ["answer"]
    assert not operations.busy


def test_error_reaches_on_error(qtbot: QtBot, operations: Operations) -> None:
    errors: list[BaseException] = []
    done: list[object] = []

    def job() -> None:
        raise ValueError("broken")

    operations.run(job, done.append, errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], ValueError) and not done


def test_progress_is_throttled_and_cancel_stops_the_job(
    qtbot: QtBot, operations: Operations
) -> None:
    seen: list[tuple[str, int]] = []
    result: list[str] = []
    started = threading.Event()

    def job(reporter: Reporter[tuple[str, int]]) -> str:
        started.set()
        for n in range(100_000):
            reporter.report(("fetching", n))
            if reporter.cancelled:
                reporter.report(("stopped", n))
                return "cancelled"
            time.sleep(0.0001)
        return "finished"

    operation = operations.run_with_progress(
        job, result.append, on_progress=seen.append, phase=lambda p: p[0], name="pages"
    )
    assert started.wait(5)
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=5000)
    operation.cancel()
    qtbot.waitUntil(lambda: bool(result), timeout=5000)
    assert result == ["cancelled"]
    # Throttled (at most one report per 0.1 s, and each change of phase) and coalesced (only
    # the newest report waits for the GUI thread): far fewer than the calls, in order.
    fetched = [n for phase, n in seen if phase == "fetching"]
    assert fetched == sorted(fetched) and len(seen) < 200


def test_shutdown_cancels_waits_and_drops_callbacks(qtbot: QtBot, operations: Operations) -> None:
    stopped = threading.Event()
    called: list[object] = []

    def job(reporter: Reporter[None]) -> int:
        while not reporter.cancel.wait(0.01):
            pass
        stopped.set()
        return 1

    operations.run_with_progress(job, called.append, called.append, name="endless")
    assert operations.shutdown(timeout_ms=5000)
    assert stopped.is_set() and not operations.busy
    qtbot.wait(50)
    assert called == []  # the window is gone: nothing calls back into it
    late: list[object] = []
    operations.run(lambda: 1, late.append)  # nothing starts after shutdown
    qtbot.wait(50)
    assert late == [] and not operations.busy


def test_shutdown_is_bounded(operations: Operations, caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    operations.run(lambda: release.wait(10), lambda _r: None, name="stuck")
    started = time.monotonic()
    assert not operations.shutdown(timeout_ms=100)
    assert time.monotonic() - started < 2
    assert "stuck did not stop in time" in caplog.text
    release.set()


def test_collection_pauses_nest_across_threads() -> None:
    assert not runtime.is_paused()
    inner = threading.Event()
    leave = threading.Event()

    def other() -> None:
        with runtime.collection_paused():
            inner.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with runtime.collection_paused():
        thread.start()
        assert inner.wait(5)
        assert runtime.is_paused()
    assert runtime.is_paused()  # the other thread still holds a pause
    leave.set()
    thread.join(5)
    assert not runtime.is_paused()
    assert not gc.isenabled()  # the GUI thread's timer collects, never the allocating thread


def test_quick_switching_restores_the_interval() -> None:
    import sys

    before = sys.getswitchinterval()
    with runtime.quick_switching():
        with runtime.quick_switching():
            assert sys.getswitchinterval() == runtime.QUICK_SWITCH_INTERVAL
        assert sys.getswitchinterval() == runtime.QUICK_SWITCH_INTERVAL
    assert sys.getswitchinterval() == before


def test_qt_messages_reach_the_log(caplog: pytest.LogCaptureFixture) -> None:
    from PySide6.QtCore import QMessageLogContext, QtMsgType

    caplog.set_level(logging.DEBUG, logger="qt")
    diagnostics.qt_message(QtMsgType.QtWarningMsg, QMessageLogContext(), "a bad index")
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("qt", logging.WARNING, "a bad index")
    ]


def test_the_handler_is_what_qt_calls(
    caplog: pytest.LogCaptureFixture, fail_on_qt_warnings: list[str]
) -> None:
    from PySide6.QtCore import qInstallMessageHandler

    previous = qInstallMessageHandler(diagnostics.qt_message)
    try:
        qWarning("from Qt")
    finally:
        qInstallMessageHandler(previous)
    assert any(r.name == "qt" and "from Qt" in r.getMessage() for r in caplog.records)


def test_a_crash_report_is_logged_once_and_cleared(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import faulthandler
    import os
    import stat

    was_enabled = faulthandler.is_enabled()
    try:
        assert diagnostics.enable_crash_file(tmp_path) is None  # nothing earlier
        crash_file = tmp_path / diagnostics.CRASH_FILE_NAME
        if os.name == "posix":
            assert stat.S_IMODE(crash_file.stat().st_mode) == 0o600
        diagnostics.disable_crash_file()
        crash_file.write_text("Fatal Python error: Segmentation fault\n", encoding="utf-8")
        caplog.set_level(logging.ERROR)
        assert diagnostics.enable_crash_file(tmp_path) == crash_file
        assert "Segmentation fault" in caplog.text
        assert crash_file.read_text(encoding="utf-8") == ""
        assert faulthandler.is_enabled()
        assert "ended unexpectedly" in diagnostics.crash_notice(crash_file)
        diagnostics.disable_crash_file()
        assert diagnostics.enable_crash_file(tmp_path) is None  # told once
    finally:
        diagnostics.disable_crash_file()
        if was_enabled:
            faulthandler.enable()


def test_an_exception_in_any_thread_is_reported_on_the_gui_thread(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, bugs: list[BaseException]
) -> None:
    import sys

    from rostergui.ui import crash

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    reported: list[tuple[BaseException, bool]] = []
    monkeypatch.setattr(
        crash, "report_bug", lambda exc, parent=None: reported.append((exc, on_gui_thread()))
    )
    crash.install_excepthook()

    def fail() -> None:
        raise LookupError("in a thread")

    thread = threading.Thread(target=fail)
    thread.start()
    thread.join(5)
    qtbot.waitUntil(lambda: bool(reported), timeout=5000)
    exc, on_gui = reported[0]
    assert isinstance(exc, LookupError) and on_gui
    assert bugs == []


def test_the_bug_dialog_opens_without_waiting_and_once_at_a_time(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QDialog, QLabel

    from rostergui.ui import crash

    monkeypatch.undo()  # the real report_bug, not the suite's recorder
    handler = logging.FileHandler(tmp_path / "rostersync.log")
    logging.getLogger().addHandler(handler)
    try:
        first = crash.report_bug(ValueError("one"))
        assert isinstance(first, QDialog) and first.isVisible()  # returned while it shows
        texts = [label.text() for label in first.findChildren(QLabel)]
        assert any(str(tmp_path / "rostersync.log") in text for text in texts)
        assert crash.report_bug(ValueError("two")) is None  # one dialog at a time
        first.reject()
        qtbot.waitUntil(lambda: crash._showing is False, timeout=2000)
        second = crash.report_bug(ValueError("three"))
        assert second is not None
        second.reject()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()

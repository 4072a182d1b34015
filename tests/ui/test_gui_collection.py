"""Reference cycles are collected on the GUI thread only: automatic collection stays off, a
worker thread's allocations never collect (a Qt object in a cycle destroyed off the GUI
thread crashes the process), and the GUI thread's timer collects what is left."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rostergui.ui import runtime
from rostergui.ui.app import COLLECT_INTERVAL_MS, collect_on_gui_thread


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def _garbage_cycle() -> weakref.ref[_Node]:
    return weakref.ref(_Node())


def test_automatic_collection_stays_off_whatever_pauses_end(qapp: QApplication) -> None:
    collect_on_gui_thread(qapp)
    assert not gc.isenabled()
    with runtime.collection_paused():
        pass
    runtime.start_up_paused()
    runtime.start_up_done(freeze=False)
    assert not gc.isenabled()


def test_a_worker_thread_never_collects_and_the_gui_timer_does(
    qapp: QApplication, qtbot: QtBot
) -> None:
    collect_on_gui_thread(qapp)
    cycle = _garbage_cycle()

    def allocate() -> None:  # far past every automatic threshold
        for _ in range(200_000):
            _ = [[]]

    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    assert cycle() is not None  # nothing collected in the worker
    qtbot.waitUntil(lambda: cycle() is None, timeout=COLLECT_INTERVAL_MS * 3)


def test_a_tick_while_paused_sweeps_only_a_grown_young_generation() -> None:
    with runtime.collection_paused():
        gc.collect()
        small = _garbage_cycle()
        assert runtime.collect_tick() == -1  # little young garbage: left for later
        assert small() is not None
        for _ in range(runtime.YOUNG_LIMIT * 2):
            _garbage_cycle()
        assert runtime.collect_tick() == 0
        assert small() is None

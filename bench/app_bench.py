"""Window and export benchmark: the member table, responsiveness during a sync, CSV export and
start-up, each next to a baseline measured in the same run.

Absolute times drift on a shared machine, so every figure sits next to a baseline measured in
the same process (or in alternating fresh processes) and most targets are ratios or medians:

* **Member table** — 100,000 members synced from the simulator into a real database and loaded
  with ``RosterService.members``; showing them, filtering letter by letter and sorting, next to
  the stock Qt way (``QStandardItemModel`` + ``QSortFilterProxyModel``) in the same process.
* **Responsiveness** — the real ``MainWindow`` (offscreen) syncs the 100,000-member course from
  a simulator in another process while a 10 ms heartbeat timer on the GUI thread records the
  longest gap. When a gap is too long, a second run samples what every thread was doing.
* **Export** — ``write_csv`` against a bare ``csv.writer`` over the same rows.
* **Start-up** — fresh interpreters, alternating: ``rostergui`` until its window is exposed and
  the event loop ran once, against a bare PySide6 ``QMainWindow``; then, separately, the time
  until the courses are listed (the database is opened after the window shows).

    python bench/app_bench.py            # full sizes (100,000 members)
    python bench/app_bench.py --quick    # small sizes: checks that it runs, not how fast
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stats import median, percentile

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from sync_bench import SimProcess, start_sim  # noqa: E402

COURSE = "Bench course"

# Targets (issue "Fast at 100,000 members").
SHOW_TARGET = 0.300
KEY_MEDIAN_TARGET = 0.030
KEY_P95_TARGET = 0.060
SORT_TARGET = 0.200
GAP_TARGET = 0.050
EXPORT_TARGET = 1.0
EXPORT_RATIO_TARGET = 1.5
STARTUP_RATIO_TARGET = 1.5

#: Queries typed letter by letter: a name with an accent typed without it, a romanised CJK
#: family name (found through e-mail addresses), a name typed with its accent, a user id.
QUERIES = ("maria gar", "zhang", "lena schäfer", "u0042")

HEARTBEAT_MS = 10


# --- small helpers -------------------------------------------------------------------------


def fmt(seconds: float) -> str:
    if math.isnan(seconds):
        return "—"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def ratio(ours: float, base: float) -> str:
    return f"{ours / base:.2f}×" if base > 0 and not math.isnan(ours + base) else "—"


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.setdefault("LANG", "C.UTF-8")
    # Never the admin's keyring or settings: a keyring that answers nothing, a private config.
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    return env


def run_child(mode: str, params: dict[str, Any], timeout: float = 3600) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its last stdout line is its JSON result."""
    args = [sys.executable, str(Path(__file__).resolve()), "--child", mode, json.dumps(params)]
    done = subprocess.run(
        args, capture_output=True, text=True, check=False, timeout=timeout, env=child_env()
    )
    if done.returncode != 0:
        raise SystemExit(f"child {mode} failed ({done.returncode}):\n{done.stderr[-6000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --- child side: shared set-up -------------------------------------------------------------


def open_service(data_dir: str) -> Any:
    from rostergui.core.secrets import MemoryKeyring, SecretStore
    from rostergui.core.service import RosterService

    return RosterService.open(data_directory=data_dir, secrets=SecretStore(MemoryKeyring()))


def add_bench_course(service: Any, sim: dict[str, Any]) -> None:
    from rostergui.core.service import ConnectionCheck

    check = ConnectionCheck("https://bench.example", None, "ctx", "Bench", None, None, True)
    service.add_course(COURSE, sim["base_url"], sim["api_key"], service_key=sim["key"],
                       check=check)


def make_app(settings_dir: str) -> Any:
    """A QApplication whose settings live in ``settings_dir``, never in the user's."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    import rostergui.ui  # noqa: F401 - applies the PySide reference guard before any Qt use

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    return QApplication.instance() or QApplication(sys.argv[:1])


def child_prepare(params: dict[str, Any]) -> dict[str, Any]:
    """Sync the simulator's course into a fresh database the other children then read."""
    service = open_service(params["data_dir"])
    add_bench_course(service, params["sim"])
    result = service.sync(COURSE)
    service.close()
    if not result.ok:
        raise SystemExit(f"sync failed: {result.error}")
    return {"seconds": result.seconds, "added": result.added}


# --- child side: the member table ----------------------------------------------------------


class _PaintCounter:
    """Counts paint events of one widget, so a measurement can tell whether Qt painted."""

    def __init__(self, widget: Any) -> None:
        from PySide6.QtCore import QEvent, QObject

        paint = QEvent.Type.Paint

        class Filter(QObject):
            count = 0

            def eventFilter(self, _obj: Any, event: Any) -> bool:
                if event.type() == paint:
                    self.count += 1
                return False

        self.filter = Filter()
        widget.installEventFilter(self.filter)

    @property
    def count(self) -> int:
        return self.filter.count


def settle(app: Any, viewport: Any, painted: _PaintCounter) -> None:
    """Run the event loop once (model signals, the repaint Qt scheduled); when Qt found
    nothing to repaint, paint the visible rows anyway, so both tables pay for showing their
    result."""
    before = painted.count
    app.processEvents()
    if painted.count == before:
        viewport.repaint()


@dataclass
class TableSide:
    """One table under test: how to show rows, type a filter and sort, all through Qt."""

    name: str
    show: Callable[[list[Any]], dict[str, float]]
    type_text: Callable[[str], None]
    sort: Callable[[int, bool], None]
    row_count: Callable[[], int]
    reset: Callable[[], None]
    #: Qt objects that must stay alive as long as the side is measured.
    keep: tuple[Any, ...] = ()


def _ours(app: Any, service: Any) -> TableSide:
    """The real member panel (filter box, table, summary line) in a main window."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMainWindow

    from rostergui.ui.member_view import MemberPanel, load_roster
    from rostergui.ui.operation import Operations
    from rostergui.ui.settings import Settings

    host = QMainWindow()
    runner = Operations(host)
    panel = MemberPanel(service, runner, Settings(), host)
    panel.status_combo.setCurrentIndex(panel.status_combo.findData("all"))
    host.setCentralWidget(panel)
    host.resize(1100, 760)
    host.show()
    viewport = panel.table.viewport()
    painted = _PaintCounter(viewport)
    app.processEvents()

    def show(rows: list[Any]) -> dict[str, float]:
        started = time.perf_counter()
        # What the panel's loading task does once the rows are loaded (in the app: in a
        # worker thread).
        roster = load_roster(lambda: rows, panel.model.sort_order)
        built = time.perf_counter()
        panel.model.set_roster(roster)
        panel.stack.setCurrentWidget(panel.table)
        settle(app, viewport, painted)
        done = time.perf_counter()
        return {"total": done - started, "prepare": built - started, "gui": done - built}

    def type_text(text: str) -> None:
        panel.filter_edit.setText(text)
        panel.flush_filters()
        settle(app, viewport, painted)

    def sort(column: int, descending: bool) -> None:
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        panel.table.sortByColumn(column, order)
        settle(app, viewport, painted)

    def reset() -> None:
        panel.filter_edit.setText("")
        panel.flush_filters()
        panel.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        panel.model.clear()
        app.processEvents()
        time.sleep(0.5)  # the replaced roster is freed in the background: not during a timing

    return TableSide("RosterSync", show, type_text, sort, panel.model.rowCount, reset,
                     keep=(host, runner, panel, painted))


def _baseline(app: Any) -> TableSide:
    """The stock Qt way: every cell a ``QStandardItem``, a ``QSortFilterProxyModel`` on top.

    Filtering is as fast as Qt makes it: the folded name + e-mail + user id sit in a role of
    column 0 and the proxy matches them natively (a fixed string for one word, a regular
    expression of look-aheads for several), with no Python per row.
    """
    import shiboken6
    from PySide6.QtCore import QRegularExpression, QSortFilterProxyModel, Qt
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

    from rostergui.core.filtering import SearchQuery
    from rostergui.core.store.repo import member_haystack
    from rostergui.ui.member_model import cell_text
    from rostergui.ui.member_view import MemberTable
    from rostergui.ui.roster_index import COLUMN_TITLES, Column

    hay_role = Qt.ItemDataRole.UserRole + 1
    host = QWidget()
    edit = QLineEdit(host)
    view = MemberTable(host)
    label = QLabel(host)
    layout = QVBoxLayout(host)
    layout.addWidget(edit)
    layout.addWidget(view, 1)
    layout.addWidget(label)
    proxy = QSortFilterProxyModel(host)
    proxy.setFilterRole(hay_role)
    proxy.setFilterKeyColumn(0)
    holder: dict[str, Any] = {"model": QStandardItemModel(0, len(Column))}
    proxy.setSourceModel(holder["model"])
    view.setModel(proxy)
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    host.resize(1100, 760)
    host.show()
    viewport = view.viewport()
    painted = _PaintCounter(viewport)
    titles = [COLUMN_TITLES[c] for c in Column]

    def apply_filter(text: str) -> None:
        words = SearchQuery(text).words
        if len(words) <= 1:
            proxy.setFilterFixedString(words[0] if words else "")
        else:
            pattern = "^" + "".join(f"(?=.*{QRegularExpression.escape(w)})" for w in words)
            proxy.setFilterRegularExpression(QRegularExpression(pattern))
        label.setText(f"{proxy.rowCount():,} shown")

    edit.textChanged.connect(apply_filter)

    def show(rows: list[Any]) -> dict[str, float]:
        started = time.perf_counter()
        model = QStandardItemModel(0, len(Column))
        model.setHorizontalHeaderLabels(titles)
        for row in rows:
            items = [QStandardItem(cell_text(row, c)) for c in Column]
            items[0].setData(member_haystack(row), hay_role)
            model.appendRow(items)
        built = time.perf_counter()
        old, holder["model"] = holder["model"], model
        proxy.setSourceModel(model)
        apply_filter(edit.text())
        settle(app, viewport, painted)
        done = time.perf_counter()
        holder["old"] = old
        return {"total": done - started, "prepare": built - started, "gui": done - built}

    def type_text(text: str) -> None:
        edit.setText(text)
        settle(app, viewport, painted)

    def sort(column: int, descending: bool) -> None:
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        view.sortByColumn(column, order)
        settle(app, viewport, painted)

    def reset() -> None:
        edit.setText("")
        view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        empty = QStandardItemModel(0, len(Column))
        old, holder["model"] = holder["model"], empty
        proxy.setSourceModel(empty)
        for model in (old, holder.pop("old", None)):
            if model is not None and shiboken6.isValid(model):
                shiboken6.delete(model)
        app.processEvents()

    return TableSide("baseline", show, type_text, sort, proxy.rowCount, reset,
                     keep=(host, proxy, painted, holder))


#: (label, column, descending): clicking Name (descending), Email, Last seen (newest first),
#: then Name again, as an admin would.
SORTS = (
    ("name ↓", 0, True),
    ("email ↑", 1, False),
    ("last seen ↓", 6, True),
    ("name ↑", 0, False),
)


def _check_haystacks(rows: list[Any]) -> None:
    """PreparedRoster must fold exactly like the store's search (a correctness gate)."""
    from rostergui.core.store.repo import member_haystack
    from rostergui.ui.roster_index import PreparedRoster

    built = PreparedRoster.build(rows).haystacks
    for row, hay in zip(rows, built, strict=True):
        if hay != member_haystack(row):
            raise SystemExit(f"haystack differs for {row.user_id}: {hay!r}")


def child_table(params: dict[str, Any]) -> dict[str, Any]:
    import gc

    service = open_service(params["data_dir"])
    app = make_app(params["settings_dir"])
    ours, base = _ours(app, service), _baseline(app)
    results: dict[str, dict[str, list[Any]]] = {
        side.name: {"load": [], "show": [], "prepare": [], "gui": [], "keys": [], "clear": [],
                    **{label: [] for label, _c, _d in SORTS}}
        for side in (ours, base)
    }
    mismatches: list[str] = []
    checked = False
    for repeat in range(params["repeats"]):
        # Alternate which side goes first, so drift and warm caches hit both alike.
        order = (ours, base) if repeat % 2 == 0 else (base, ours)
        counts: dict[str, list[int]] = {}
        for side in order:
            # Only one table's data alive at a time: 700,000 items of the baseline would
            # otherwise make every collection during our measurements slower, and vice versa.
            ours.reset()
            base.reset()
            gc.collect()
            out = results[side.name]
            started = time.perf_counter()
            rows = service.members(COURSE, status="all")
            out["load"].append(time.perf_counter() - started)
            if not checked:
                _check_haystacks(rows)
                checked = True
            shown = side.show(rows)
            del rows
            out["show"].append(shown["total"])
            out["prepare"].append(shown["prepare"])
            out["gui"].append(shown["gui"])
            seen = counts.setdefault(side.name, [])
            for query in QUERIES:
                for end in range(1, len(query) + 1):
                    started = time.perf_counter()
                    side.type_text(query[:end])
                    out["keys"].append(time.perf_counter() - started)
                    seen.append(side.row_count())
                started = time.perf_counter()
                side.type_text("")
                out["clear"].append(time.perf_counter() - started)
            for label, column, descending in SORTS:
                started = time.perf_counter()
                side.sort(column, descending)
                out[label].append(time.perf_counter() - started)
        if counts[ours.name] != counts[base.name]:
            mismatches.append(f"repeat {repeat}: {counts[ours.name]} != {counts[base.name]}")
    members = len(service.members(COURSE, status="all"))
    service.close()
    return {"members": members, "results": results, "mismatches": mismatches}


# --- child side: responsiveness ------------------------------------------------------------


class Heartbeat:
    """A 10 ms timer on the GUI thread; a long gap between ticks is a frozen window."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())

    def start(self) -> None:
        self.ticks.append(time.perf_counter())
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.ticks.append(time.perf_counter())

    def gaps_within(self, start: float, end: float) -> list[float]:
        """Gaps between ticks that ended in (start, end]: a stall counts where it ended."""
        return [b - a for a, b in itertools.pairwise(self.ticks) if start < b <= end]


class GcPauses:
    """Records how long each garbage collection held the interpreter."""

    def __init__(self) -> None:
        import gc

        self.pauses: list[tuple[float, float, int]] = []  # (start, seconds, generation)
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._started = now
        else:
            self.pauses.append((self._started, now - self._started, info["generation"]))

    def within(self, start: float, end: float) -> list[tuple[float, float, int]]:
        return [p for p in self.pauses if start <= p[0] <= end]


class StallSampler:
    """A watchdog thread: while the heartbeat is late, it records every thread's Python stack.

    It needs the interpreter lock to look, so it sees the GUI thread *in* Python code when that
    code is what blocks, and sees the other threads' stacks when they held the lock instead.
    Only used in the diagnostic run, so it never perturbs the measured one.
    """

    def __init__(self, heartbeat: Heartbeat, threshold: float = 0.03) -> None:
        import threading

        self.heartbeat = heartbeat
        self.threshold = threshold
        self.samples: list[dict[str, Any]] = []
        self.gui_ident = threading.get_ident()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)

    def _run(self) -> None:
        import threading
        import traceback

        while not self._stop.wait(0.004):
            ticks = self.heartbeat.ticks
            if not ticks:
                continue
            last = ticks[-1]
            now = time.perf_counter()
            late = now - last
            if late < self.threshold or len(self.samples) > 400:
                continue
            stacks: dict[str, list[str]] = {}
            # QThreads that run Python are unknown to ``threading``: they are the workers.
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == threading.get_ident():
                    continue
                name = "GUI" if ident == self.gui_ident else names.get(ident, "worker")
                stack = traceback.extract_stack(frame)[-12:]
                stacks[name] = [
                    f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(stack)
                ]
            self.samples.append({"at": now, "late": late, "tick": last, "stacks": stacks})


def _wait(app: Any, condition: Callable[[], bool], timeout: float) -> None:
    from PySide6.QtCore import QEventLoop

    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit("timed out waiting for the window")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.001)


def _idle(app: Any, seconds: float) -> None:
    end = time.perf_counter() + seconds
    _wait(app, lambda: time.perf_counter() >= end, seconds + 5)


def child_responsive(params: dict[str, Any]) -> dict[str, Any]:
    """The real window syncs the big course; the heartbeat measures how long it froze."""
    import gc

    from PySide6.QtCore import Qt

    from rostergui.ui import crash
    from rostergui.ui.main_window import MainWindow
    from rostergui.ui.roster_index import Column, PreparedRoster
    from rostergui.ui.settings import Settings

    bugs: list[BaseException] = []
    crash.report_bug = lambda exc, parent=None: bugs.append(exc)
    service = open_service(params["data_dir"])
    add_bench_course(service, params["sim"])
    app = make_app(params["settings_dir"])
    window = MainWindow(service, Settings())
    window.resize(1280, 800)
    window.show()
    _wait(app, lambda: window.course_model.loaded and not window.runner.busy, 60)
    window.select_course(COURSE)
    _wait(app, lambda: not window.member_panel.loading and not window.runner.busy, 60)
    # As `rostergui` does once its window is complete (rostergui/ui/app.py): what start-up
    # built lives as long as the app, so later collections need not walk it.
    gc.freeze()

    # How long the GUI thread itself spends taking each loaded roster (set model, reselect).
    panel = window.member_panel
    taking: list[tuple[float, float]] = []
    take = panel._loaded

    def timed_take(*args: Any) -> None:
        started = time.perf_counter()
        take(*args)
        taking.append((started, time.perf_counter() - started))

    panel._loaded = timed_take  # type: ignore[method-assign,assignment]
    heartbeat = Heartbeat()
    pauses = GcPauses()
    sampler = StallSampler(heartbeat) if params["diagnose"] else None
    marks: dict[str, float] = {}
    window.sync.finished.connect(lambda _r: marks.setdefault("synced", time.perf_counter()))
    window.member_panel.loaded.connect(lambda _n: marks.__setitem__("loaded", time.perf_counter()))

    heartbeat.start()
    if sampler:
        sampler.start()
    marks["idle"] = time.perf_counter()
    _idle(app, params["idle"])
    marks["sync"] = time.perf_counter()
    window.sync_selected()
    _wait(app, lambda: "synced" in marks, 1800)
    _wait(app, lambda: "loaded" in marks and not window.runner.busy, 300)
    _idle(app, 0.3)  # the first paint of the new rows
    marks["loaded_end"] = time.perf_counter()
    # The admin sorts by last seen (a click: the sort target applies, not the gap target)...
    marks["sort"] = time.perf_counter()
    window.member_panel.table.sortByColumn(Column.LAST_SEEN, Qt.SortOrder.DescendingOrder)
    _idle(app, 0.2)
    marks["sort_end"] = time.perf_counter()
    # ... and the roster is loaded again in that order (as after the next sync).
    marks.pop("loaded", None)
    marks["reload"] = time.perf_counter()
    window.member_panel.show_course(COURSE, reload=True)
    _wait(app, lambda: "loaded" in marks and not window.runner.busy, 300)
    _idle(app, 0.3)
    marks["reload_end"] = time.perf_counter()
    heartbeat.stop()
    if sampler:
        sampler.stop()
    shown = window.member_panel.model.rowCount()
    window.close()
    # The two halves of the worker's load alone, each in a plain thread with the collector
    # paused: how long this thread then waits for the interpreter lock is what each holds it
    # for in one go.
    holds = [
        lock_wait(lambda: service.members(COURSE, status="all")) for _ in range(params["holds"])
    ]
    rows = service.members(COURSE, status="all")
    sort = (Column.LAST_SEEN, True)
    build_holds = [
        lock_wait(lambda: PreparedRoster.build(rows, sort=sort)) for _ in range(params["holds"])
    ]
    service.close()
    if bugs:
        raise SystemExit(f"the window reported an error: {bugs[0]!r}")

    phases = {
        "idle": (marks["idle"], marks["sync"]),
        "sync": (marks["sync"], marks["synced"]),
        "load": (marks["synced"], marks["loaded_end"]),
        "sort": (marks["sort"], marks["sort_end"]),
        "reload": (marks["reload"], marks["reload_end"]),
    }
    out: dict[str, Any] = {"shown": shown, "phases": {}, "members_lock_hold": holds,
                           "build_lock_hold": build_holds}
    for phase, (start, end) in phases.items():
        gaps = heartbeat.gaps_within(start, end)
        gc_in = pauses.within(start, end)
        out["phases"][phase] = {
            "seconds": end - start,
            "ticks": len(gaps),
            "max": max(gaps, default=math.nan),
            "p99": percentile(gaps, 0.99),
            "over": sum(g > GAP_TARGET for g in gaps),
            "gc_count": len(gc_in),
            "gc_max": max((p[1] for p in gc_in), default=0.0),
            "gc_gen2": sum(1 for p in gc_in if p[2] == 2),
            "gui_take": max((t for at, t in taking if start <= at <= end), default=0.0),
        }
    if sampler:
        out["stalls"] = _summarise_stalls(sampler.samples, heartbeat, phases)
    return out


def lock_wait(job: Callable[[], object]) -> float:
    """Run ``job`` in another thread while this one wakes every millisecond; the longest
    wake-up gap is the longest stretch the job held the interpreter lock (collector paused, so
    a collection cannot stand in for it)."""
    import threading

    from rostergui.ui.runtime import collection_paused

    done = threading.Event()

    def run() -> None:
        try:
            job()
        finally:
            done.set()

    worst = 0.0
    with collection_paused():
        thread = threading.Thread(target=run, name="lock-holder")
        last = time.perf_counter()
        thread.start()
        while not done.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            worst, last = max(worst, now - last), now
        thread.join()
    return worst


def _summarise_stalls(
    samples: list[dict[str, Any]], heartbeat: Heartbeat, phases: dict[str, tuple[float, float]]
) -> list[dict[str, Any]]:
    """Group samples by the heartbeat gap they fell in; keep the longest stalls."""
    ticks = heartbeat.ticks
    by_gap: dict[float, list[dict[str, Any]]] = {}
    for sample in samples:
        by_gap.setdefault(sample["tick"], []).append(sample)
    stalls = []
    for tick, group in by_gap.items():
        index = ticks.index(tick)
        end = ticks[index + 1] if index + 1 < len(ticks) else group[-1]["at"]
        phase = next((p for p, (a, b) in phases.items() if a < end <= b), "?")
        stalls.append({"gap": end - tick, "phase": phase, "samples": [
            {"late": s["late"], "stacks": s["stacks"]} for s in group[:4]
        ]})
    stalls.sort(key=lambda s: s["gap"], reverse=True)
    return stalls[:6]


# --- child side: export --------------------------------------------------------------------


def _bare_csv(rows: list[Any], path: str) -> None:
    """The floor: the same twelve fields through a bare ``csv.writer``, same encoding and line
    ends, without the formula guard or the atomic rename."""
    import csv

    from rostergui.core.export import COLUMNS

    with open(path, "w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for r in rows:
            writer.writerow((r.user_id, r.name, r.given_name, r.family_name, r.email, r.role,
                             r.status, r.test_user, " ".join(r.lti_roles), r.first_seen_at,
                             r.last_seen_at, r.deactivated_at))


def child_export(params: dict[str, Any]) -> dict[str, Any]:
    import gc

    from rostergui.core.export import write_csv

    service = open_service(params["data_dir"])
    started = time.perf_counter()
    rows = service.members(COURSE, status="all")
    load = time.perf_counter() - started
    out_dir = Path(params["out_dir"])
    ours: list[float] = []
    bare: list[float] = []
    for repeat in range(params["repeats"]):
        jobs: list[tuple[list[float], Callable[[], object]]] = [
            (ours, lambda: write_csv(rows, out_dir / "roster.csv")),
            (bare, lambda: _bare_csv(rows, str(out_dir / "bare.csv"))),
        ]
        for times, job in jobs if repeat % 2 == 0 else reversed(jobs):
            gc.collect()
            started = time.perf_counter()
            job()
            times.append(time.perf_counter() - started)
    size = (out_dir / "roster.csv").stat().st_size
    service.close()
    return {"members": len(rows), "load": load, "ours": ours, "bare": bare, "bytes": size}


# --- start-up ------------------------------------------------------------------------------

#: Runs in a fresh interpreter: reports (on stdout) the monotonic clock when the first window
#: was exposed and the event loop then ran once. Shared by the app and the bare window, so both
#: pay the same for it. It polls every millisecond instead of filtering events: an application
#: event filter written in Python converts every event of every object into a Python object,
#: which costs a window with many widgets far more than a bare one (the first list view alone
#: took 40 ms more), so it measured the probe rather than the window.
_PROBE = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
def mark(name):  # one write per line: marks come from two threads
    sys.stdout.write(f"MARK {name} {time.monotonic()}\\n")
    sys.stdout.flush()
app = QApplication(sys.argv[:1])
quit_when_shown = True
def watch():
    if any(window.isExposed() for window in app.topLevelWindows()):
        watcher.stop()
        QTimer.singleShot(0, shown)
def shown():
    mark("shown")
    if quit_when_shown:
        app.closeAllWindows()
        app.quit()
watcher = QTimer()
watcher.timeout.connect(watch)
watcher.start(1)
"""

_BARE = _PROBE + """
from PySide6.QtWidgets import QMainWindow
window = QMainWindow()
window.resize(1280, 800)
window.show()
app.exec()
"""

_APP = _PROBE + """
from rostergui.cli import run
run(["--data-dir", sys.argv[1]])
"""

#: The app again, marking where the time goes (a separate run: the marks cost a little). It
#: runs on past "shown" until the courses are listed: the service is opened after the window
#: shows, on a background thread ("opening" to "open"), and attached on the GUI thread.
_APP_PHASES = _PROBE + """
quit_when_shown = False
mark("qt")
import rostergui.cli
mark("cli")
import rostergui.ui.app as ui_app
import rostergui.ui.main_window as main_window
mark("ui")
build_window = main_window.MainWindow.__init__
def timed_build(self, *args, **kwargs):
    mark("window-start")
    build_window(self, *args, **kwargs)
    mark("window")
main_window.MainWindow.__init__ = timed_build
start_session = ui_app.start_session
def timed_session(*args, **kwargs):
    mark("opening")
    return start_session(*args, **kwargs)
ui_app.start_session = timed_session
open_database = ui_app.open_database
def timed_open(*args, **kwargs):
    import rostergui.core.service
    mark("core")
    session = open_database(*args, **kwargs)
    mark("open")
    return session
ui_app.open_database = timed_open
courses_loaded = main_window.MainWindow._courses_loaded
def timed_courses(self, *args, **kwargs):
    courses_loaded(self, *args, **kwargs)
    mark("listed")
    app.closeAllWindows()
    app.quit()
main_window.MainWindow._courses_loaded = timed_courses
rostergui.cli.run(["--data-dir", sys.argv[1]])
"""

#: (label, from mark, to mark); "start" is the parent launching the interpreter.
_PHASES = (
    ("interpreter, PySide6, QApplication", "start", "qt"),
    ("import `rostergui.cli` (argparse only, no core)", "qt", "cli"),
    ("import the first window's modules", "cli", "ui"),
    ("parse the command line, application set-up", "ui", "window-start"),
    ("build the light `MainWindow` (frame, menus, toolbar, empty list)", "window-start", "window"),
    ("show until exposed, one event-loop turn", "window", "shown"),
)
#: After the window is shown; "opening" follows the first frame.
_PHASES_AFTER = (
    ("data directory, log, import the core (SQLAlchemy, httpx, keyring, alembic)", "opening",
     "core"),
    ("`RosterService.open` (create and migrate the database)", "core", "open"),
    ("attach the service to the window, list the courses", "open", "listed"),
    ("**from shown to the courses listed**", "shown", "listed"),
)


def _startup_env(config_dir: Path, cache_dir: Path) -> dict[str, str]:
    """The children's environment: a private config, and compiled modules cached (in the work
    directory) as an installation has them, even where ``PYTHONDONTWRITEBYTECODE`` is set;
    otherwise each start would compile the app's modules from source, and the bare window has
    none to compile."""
    env = child_env()
    env["XDG_CONFIG_HOME"] = str(config_dir)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache_dir)
    return env


def _start_once(code: str, data_dir: str, env: dict[str, str]) -> dict[str, float]:
    """Seconds from launching a fresh interpreter to each mark it printed."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code, data_dir], capture_output=True, text=True,
                          check=False, timeout=120, env=env)
    marks = {"start": 0.0}
    for line in done.stdout.splitlines():
        if line.startswith("MARK "):
            _mark, name, at = line.split()
            marks[name] = float(at) - started
    if done.returncode != 0 or "shown" not in marks:
        raise SystemExit(f"start-up probe failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return marks


def measure_startup(work: Path, repeats: int) -> dict[str, Any]:
    """Alternate bare window, first start on an empty data dir, and a start on an existing
    (course-less) database; each a cold interpreter."""
    config = work / "startup-config"
    kept = work / "startup-kept"
    config.mkdir()
    env = _startup_env(config, work / "startup-bytecode")
    _start_once(_BARE, str(kept), env)  # warm the OS file cache and the bytecode for both
    _start_once(_APP, str(kept), env)
    bare: list[float] = []
    empty: list[float] = []
    existing: list[float] = []
    for n in range(repeats):
        bare.append(_start_once(_BARE, str(work / f"bare-{n}"), env)["shown"])
        empty.append(_start_once(_APP, str(work / f"startup-empty-{n}"), env)["shown"])
        existing.append(_start_once(_APP, str(kept), env)["shown"])
    phase_runs = [_start_once(_APP_PHASES, str(work / f"startup-phases-{n}"), env)
                  for n in range(max(1, min(3, repeats)))]
    phases, after = (
        [(label, median([run[end] - run[begin] for run in phase_runs]))
         for label, begin, end in table]
        for table in (_PHASES, _PHASES_AFTER)
    )
    return {"bare": bare, "empty": empty, "existing": existing, "phases": phases,
            "after": after, "imports": import_profile(env)}


def import_profile(env: dict[str, str]) -> dict[str, list[tuple[str, float]]]:
    """``python -X importtime`` of what ``rostergui`` imports before its window can show, and
    of the bare window's imports: each module's own time, summed per package."""
    out: dict[str, list[tuple[str, float]]] = {}
    for who, code in (
        ("app", "import rostergui.cli, rostergui.ui.app, rostergui.ui.main_window"),
        ("bare", "from PySide6.QtWidgets import QApplication, QMainWindow"),
    ):
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                              capture_output=True, text=True, check=False, timeout=120, env=env)
        totals: dict[str, float] = {}
        for line in done.stderr.splitlines():
            if not line.startswith("import time:"):
                continue
            own, _cumulative, name = line[len("import time:"):].split("|")
            if not own.strip().isdigit():
                continue  # the header line
            totals[_package(name.strip())] = totals.get(_package(name.strip()), 0.0) + int(
                own) / 1e6
        out[who] = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)
    return out


def _package(module: str) -> str:
    """The group a module's import time is counted under."""
    top = module.split(".", maxsplit=1)[0]
    if top == "rostergui":
        return ".".join(module.split(".")[:2])
    if top in ("PySide6", "shiboken6", "shibokensupport"):
        return "PySide6 + shiboken6"
    if top in sys.stdlib_module_names or top.startswith("_"):
        return "standard library"
    return top


# --- parent side ---------------------------------------------------------------------------


class Report:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def say(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)


def report_table(say: Callable[..., None], data: dict[str, Any], quick: bool) -> None:
    ours, base = data["results"]["RosterSync"], data["results"]["baseline"]
    members = data["members"]
    say(f"### Member table ({members:,} members)")
    say()
    say("Rows synced from the simulator into SQLite and loaded with "
        "`RosterService.members(name, status=\"all\")`; both tables in the same process, "
        "alternating, each in a shown 1100×760 window (offscreen). Baseline: a "
        "`QStandardItemModel` (7 columns) behind a `QSortFilterProxyModel` filtering natively "
        "on a folded name + e-mail + user id role. Every time includes the event loop running "
        "once and the visible rows being painted.")
    say()
    say("| measurement | baseline | RosterSync | ratio | target | |")
    say("|---|---:|---:|---:|---|---|")
    load = median(ours["load"])
    say(f"| load from the database (worker thread, before showing) | — | {fmt(load)} | | "
        "reported | |")
    show, show_base = median(ours["show"]), median(base["show"])
    say(f"| show: prepare + set model + paint | {fmt(show_base)} | {fmt(show)} | "
        f"{ratio(show, show_base)} | ≤ 300 ms | {verdict(show <= SHOW_TARGET)} |")
    say(f"| … of which prepare (worker thread in the app) | {fmt(median(base['prepare']))} | "
        f"{fmt(median(ours['prepare']))} | | | |")
    say(f"| … of which on the GUI thread | {fmt(median(base['gui']))} | "
        f"{fmt(median(ours['gui']))} | | | |")
    keys, keys_base = ours["keys"], base["keys"]
    k50, k50b = median(keys), median(keys_base)
    k95, k95b = percentile(keys, 0.95), percentile(keys_base, 0.95)
    say(f"| filter keystroke, median ({len(keys)} keystrokes) | {fmt(k50b)} | {fmt(k50)} | "
        f"{ratio(k50, k50b)} | ≤ 30 ms | {verdict(k50 <= KEY_MEDIAN_TARGET)} |")
    say(f"| filter keystroke, 95th percentile | {fmt(k95b)} | {fmt(k95)} | {ratio(k95, k95b)} | "
        f"≤ 60 ms | {verdict(k95 <= KEY_P95_TARGET)} |")
    say(f"| filter keystroke, slowest | {fmt(max(keys_base))} | {fmt(max(keys))} | | | |")
    clear, clear_base = median(ours["clear"]), median(base["clear"])
    say(f"| clear the filter (every row back) | {fmt(clear_base)} | {fmt(clear)} | "
        f"{ratio(clear, clear_base)} | | |")
    for label, _column, _descending in SORTS:
        ours_sort, base_sort = median(ours[label]), median(base[label])
        say(f"| sort by {label} | {fmt(base_sort)} | {fmt(ours_sort)} | "
            f"{ratio(ours_sort, base_sort)} | ≤ 200 ms | {verdict(ours_sort <= SORT_TARGET)} |")
    say()
    say(f"Queries typed letter by letter: {', '.join(f'“{q}”' for q in QUERIES)}. Medians of "
        f"{len(ours['show'])} run(s).")
    if data["mismatches"]:
        say(f"**The two tables disagreed on rows shown:** {'; '.join(data['mismatches'])}")
    else:
        say("Both tables showed the same number of rows after every keystroke.")
    if quick:
        say("*(quick mode: small sizes; this checks that the benchmark runs, not the targets)*")
    say()


_PHASE_TITLES = {
    "idle": "idle, before the sync (noise floor)",
    "sync": "syncing (simulator in another process)",
    "load": "loading the synced roster into the table",
    "sort": "the admin sorts by last seen (a click)",
    "reload": "loading it again, sorted by last seen",
}


def report_responsive(say: Callable[..., None], data: dict[str, Any], quick: bool) -> None:
    say(f"### Responsiveness during a sync ({data['members']:,} members)")
    say()
    say(f"The real `MainWindow` (offscreen) syncs the course from a simulator running in another "
        f"process; a {HEARTBEAT_MS} ms `QTimer` on the GUI thread records the gap between its "
        "ticks (a gap is how long the window could not react). Once the window is built, what "
        "start-up made is frozen out of the collector's sight, as `rostergui` does.")
    say()
    say("| phase | duration | ticks | longest gap | 99th pct gap | gaps > 50 ms | GC runs "
        "(gen 2) / longest | GUI thread taking the roster | target | |")
    say("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for phase, row in data["phases"].items():
        limit = {"idle": math.nan, "sort": SORT_TARGET}.get(phase, GAP_TARGET)
        target = "" if math.isnan(limit) else f"≤ {limit * 1000:.0f} ms"
        met = "" if math.isnan(limit) else verdict(row["max"] <= limit)
        take = fmt(row["gui_take"]) if phase in ("load", "reload") else ""
        say(f"| {_PHASE_TITLES[phase]} | {fmt(row['seconds'])} | {row['ticks']} | "
            f"{fmt(row['max'])} | {fmt(row['p99'])} | {row['over']} | {row['gc_count']} "
            f"({row['gc_gen2']}) / {fmt(row['gc_max'])} | {take} | {target} | {met} |")
    say()
    holds, build_holds = data["members_lock_hold"], data["build_lock_hold"]
    say("A collection holds the interpreter lock throughout, so a GC run on any thread is a gap "
        "on the GUI thread; so is C code that never lets go of the lock. The longest single "
        "stretch each half of the roster load holds the lock, run alone in a worker thread with "
        f"the collector paused (median of {len(holds)} runs): "
        f"`RosterService.members(name, status=\"all\")` {fmt(median(holds))}, "
        f"`PreparedRoster.build` (sorted by last seen) {fmt(median(build_holds))}.")
    say()
    stalls = data.get("stalls")
    if stalls:
        say("Where the longest gaps went (a second run sampling every thread's Python stack "
            "while the heartbeat was late; innermost frame first). A thread that holds the "
            "lock in C code cannot be sampled until it lets go, so its stack is the line that "
            "ran the C code:")
        say()
        for stall in stalls[:4]:
            say(f"* {fmt(stall['gap'])} gap while {_PHASE_TITLES.get(stall['phase'], '?')}:")
            sample = stall["samples"][0]
            for thread, frames in sample["stacks"].items():
                if thread == "stall-sampler" or (thread != "GUI" and _idle_frame(frames[0])):
                    continue
                if thread == "GUI" and "app_bench.py" in frames[0]:
                    say("  * GUI: in the Qt event loop (C++ code, or waiting for the lock)")
                else:
                    say(f"  * {thread}: `{' ← '.join(frames[:5])}`")
        say()
    if quick:
        say("*(quick mode: small sizes; this checks that the benchmark runs, not the targets)*")
        say()


def _idle_frame(frame: str) -> bool:
    """A thread parked waiting for work, not running any."""
    return frame.endswith((" _release_forever", " wait", " get", " _wait_for_tstate_lock"))


def report_export(say: Callable[..., None], data: dict[str, Any], quick: bool) -> None:
    ours, bare = median(data["ours"]), median(data["bare"])
    say(f"### CSV export ({data['members']:,} members)")
    say()
    say("| measurement | bare `csv.writer` | `write_csv` | ratio | target | |")
    say("|---|---:|---:|---:|---|---|")
    met = ours <= EXPORT_TARGET and ours / bare <= EXPORT_RATIO_TARGET
    say(f"| write {data['members']:,} members ({data['bytes'] / 1e6:.1f} MB) | {fmt(bare)} | "
        f"{fmt(ours)} | {ratio(ours, bare)} | ≤ 1 s and ≤ 1.5× | {verdict(met)} |")
    say(f"| load the rows first (`RosterService.export` does both) | | {fmt(data['load'])} | | "
        "reported | |")
    say()
    say(f"Medians of {len(data['ours'])} alternating runs over the same loaded rows; the bare "
        "writer writes the same twelve fields with the same encoding and line ends, without "
        "the spreadsheet-formula guard, the date formatting or the atomic rename.")
    if quick:
        say("*(quick mode: small sizes; this checks that the benchmark runs, not the targets)*")
    say()


def report_startup(say: Callable[..., None], data: dict[str, Any], quick: bool) -> None:
    bare = median(data["bare"])
    empty, existing = median(data["empty"]), median(data["existing"])
    say("### Start-up")
    say()
    say("From launching a fresh interpreter to the first window exposed and the event loop run "
        f"once (offscreen, compiled modules cached); median of {len(data['bare'])} alternating "
        "runs. Baseline: `QApplication` + `QMainWindow().show()`. RosterSync's first window is "
        "its real main window, before the database is open (it says the courses are opening); "
        "the service is opened after the first frame, see below.")
    say()
    say("| measurement | bare PySide6 window | RosterSync | ratio | target | |")
    say("|---|---:|---:|---:|---|---|")
    say(f"| `rostergui` on an empty data directory | {fmt(bare)} | {fmt(empty)} | "
        f"{ratio(empty, bare)} | ≤ 1.5× | {verdict(empty / bare <= STARTUP_RATIO_TARGET)} |")
    say(f"| `rostergui` on an existing database | {fmt(bare)} | {fmt(existing)} | "
        f"{ratio(existing, bare)} | ≤ 1.5× | "
        f"{verdict(existing / bare <= STARTUP_RATIO_TARGET)} |")
    say()
    say("Where the start on an empty data directory goes (separate runs with marks, medians):")
    say()
    say("| until the window is shown | time |")
    say("|---|---:|")
    for label, seconds in data["phases"]:
        say(f"| {label} | {fmt(seconds)} |")
    say()
    say("| after the window is shown (background thread, then the GUI thread) | time |")
    say("|---|---:|")
    for label, seconds in data["after"]:
        say(f"| {label} | {fmt(seconds)} |")
    say()
    app_imports, bare_imports = data["imports"]["app"], data["imports"]["bare"]
    early = [name for name in ("sqlalchemy", "httpx", "keyring", "alembic")
             if name in dict(app_imports)]
    say("Imported before the window shows, of the core's dependencies: "
        f"{', '.join(f'`{name}`' for name in early) if early else 'none'}.")
    say()
    say("Import time by package (`python -X importtime`, each module's own time summed per "
        "package, one run):")
    say()
    say("| package | `rostergui` window | bare window |")
    say("|---|---:|---:|")
    bare_by = dict(bare_imports)
    for name, seconds in app_imports[:12]:
        say(f"| `{name}` | {fmt(seconds)} | {fmt(bare_by.get(name, math.nan))} |")
    say(f"| **total** | {fmt(sum(s for _n, s in app_imports))} | "
        f"{fmt(sum(s for _n, s in bare_imports))} |")
    if quick:
        say()
        say("*(quick mode: one run each; this checks that the benchmark runs, not the targets)*")
    say()


SECTIONS = ("table", "responsive", "export", "startup")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    parser.add_argument("--repeats", type=int, default=3, help="runs per table measurement")
    parser.add_argument("--members", type=int, help="roster size (default 100,000; 2,000 quick)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run, of: {', '.join(SECTIONS)}")
    parser.add_argument("--output", type=Path, help="write the Markdown tables here")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, params = args.child
        handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "prepare": child_prepare,
            "table": child_table,
            "responsive": child_responsive,
            "export": child_export,
        }
        print(json.dumps(handlers[mode](json.loads(params))), flush=True)
        return 0

    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    members = args.members or (2_000 if args.quick else 100_000)
    repeats = 1 if args.quick else args.repeats
    report = Report()
    say = report.say
    say(f"Window and export benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{'quick' if args.quick else 'full'} mode")
    say()
    work = Path(tempfile.mkdtemp(prefix="rostersync-bench-"))
    try:
        needs_sim = {"table", "responsive", "export"} & set(only)
        sim: SimProcess | None = start_sim([members], 0.0) if needs_sim else None
        try:
            sim_params: dict[str, Any] = {}
            if sim is not None:
                sim_params = {"base_url": sim.base_url, "api_key": sim.api_key,
                              "key": sim.keys[f"mooc-{members}"]}
            stored = str(work / "stored")
            if {"table", "export"} & set(only):
                run_child("prepare", {"data_dir": stored, "sim": sim_params})
            if "table" in only:
                data = run_child("table", {"data_dir": stored, "repeats": repeats,
                                           "settings_dir": str(work / "settings-table")})
                report_table(say, data, args.quick)
            if "responsive" in only:
                params = {"sim": sim_params, "idle": 0.3 if args.quick else 1.0,
                          "holds": 1 if args.quick else 3, "diagnose": False}
                data = run_child("responsive", {**params, "data_dir": str(work / "resp"),
                                                "settings_dir": str(work / "settings-resp")})
                data["members"] = members
                worst = max(data["phases"][p]["max"] for p in ("sync", "load", "reload"))
                if worst > GAP_TARGET or args.quick:
                    # Sample the stacks in a second run (in quick mode just to exercise it).
                    sampled = run_child("responsive", {
                        **params, "diagnose": True, "data_dir": str(work / "resp-sampled"),
                        "settings_dir": str(work / "settings-sampled")})
                    data["stalls"] = sampled.get("stalls", [])
                report_responsive(say, data, args.quick)
            if "export" in only:
                out_dir = work / "export"
                out_dir.mkdir()
                data = run_child("export", {"data_dir": stored, "out_dir": str(out_dir),
                                            "repeats": 1 if args.quick else 5})
                report_export(say, data, args.quick)
        finally:
            if sim is not None:
                sim.close()
        if "startup" in only:
            data = measure_startup(work, 1 if args.quick else 5)
            report_startup(say, data, args.quick)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("\n".join(report.lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

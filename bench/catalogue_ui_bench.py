"""Course list benchmark: 2,000 courses shown, then filtered letter by letter, next to the stock
Qt way measured in the same run.

* **RosterSync** — the real course panel of the main window (filter box, the header counting
  each group, the grouped list with its delegate): :meth:`CourseListModel.set_courses` with the
  courses already loaded, then each keystroke through the filter box.
* **Baseline** — ``QStandardItemModel`` (one item per course, with the same roles) under a
  ``QSortFilterProxyModel`` sorted by group and name, in the same kind of list with the same
  delegate. Its filter is as fast as Qt makes it: the folded name, title and hosts sit in a role
  and the proxy matches them natively (a fixed string for one word, look-aheads for several),
  with no Python per row. It has no counts header and no removed section: less work than ours.

Both sides are shown in the same offscreen window size and pay for painting their result
(``settle``). Sides alternate within each round so that drift on a shared machine hits both.

    python bench/catalogue_ui_bench.py            # 2,000 courses
    python bench/catalogue_ui_bench.py --quick    # 200 courses: checks that it runs
    python bench/catalogue_ui_bench.py --output FILE.md   # also write the tables there
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stats import median, percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHOW_TARGET = 0.300
KEY_MEDIAN_TARGET = 0.030
KEY_P95_TARGET = 0.060
#: Typed letter by letter, then cleared (Esc): a subject and a number, a word with its accent
#: left out, an LMS host, a course code.
QUERIES = ("intro bio 1", "economie", "moodle phys", "hist 2")
ROUNDS = 3


def fmt(seconds: float) -> str:
    if math.isnan(seconds):
        return "—"
    return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def ratio(ours: float, base: float) -> str:
    return f"{ours / base:.2f}×" if base > 0 else "—"


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def catalogue(count: int) -> list[Any]:
    """``count`` courses as the store returns them: most synced, some stale, failed, never
    synced, a few removed and one pair kept twice (the demo catalogue's names and LMSes)."""
    from rostergui.core.store.rows import Course
    from rostergui.demo_catalogue import catalogue_courses, course_name

    now = datetime.now(UTC).replace(tzinfo=None)
    courses = []
    for i, sim in enumerate(catalogue_courses(count=count)):
        synced = now - timedelta(minutes=5 + i % 50)
        status = "ok"
        if i % 97 == 3:
            status = "failed"
        elif i % 41 == 5:
            synced = now - timedelta(days=3)
        courses.append(
            Course(
                id=i + 1, uid=f"u{i}", name=course_name(sim),
                base_url="https://catalogue.ltiaas.example", platform_id=sim.platform_id,
                context_id=sim.context_id, title=sim.title, label=sim.label,
                resource_link_id=None, auth_scheme="service_key", roster_available=True,
                created_at=now - timedelta(days=90),
                last_synced_at=None if i % 60 == 11 else synced,
                last_status="never" if i % 60 == 11 else status,
                last_error="No roster service" if status == "failed" else None,
                archived_at=now - timedelta(days=10) if i % 50 == 17 else None,
                member_count=len(sim.roster), active_count=len(sim.roster),
            )
        )  # fmt: skip
    courses.append(replace(courses[0], id=count + 1, uid="twin", name=courses[0].name + " (2)"))
    return courses


class PaintCounter:
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


def settle(app: Any, viewport: Any, painted: PaintCounter) -> None:
    """Run the event loop once; when Qt painted nothing, paint the visible rows anyway, so
    both sides pay for showing their result."""
    before = painted.filter.count
    app.processEvents()
    if painted.filter.count == before:
        viewport.repaint()


@dataclass
class Side:
    name: str
    show: Callable[[list[Any]], float]
    type_text: Callable[[str], None]
    rows: Callable[[], int]
    keep: tuple[Any, ...]


def ours(app: Any) -> Side:
    from rostergui.ui.main_window import MainWindow

    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    panel, view = window.course_panel, window.course_view
    painted = PaintCounter(view.viewport())
    app.processEvents()

    def show(courses: list[Any]) -> float:
        window.course_model.set_courses([])
        app.processEvents()
        started = time.perf_counter()
        window.course_model.set_courses(courses)
        view.set_placeholder("")
        settle(app, view.viewport(), painted)
        return time.perf_counter() - started

    def type_text(text: str) -> None:
        panel.filter_box.setText(text)
        settle(app, view.viewport(), painted)

    return Side("RosterSync", show, type_text, window.course_model.rowCount, (window, painted))


def baseline(app: Any) -> Side:
    from PySide6.QtCore import QRegularExpression, QSortFilterProxyModel, Qt
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    from rostergui.core.filtering import SearchQuery
    from rostergui.ui.badges import badge_for
    from rostergui.ui.course_delegate import CourseDelegate
    from rostergui.ui.course_groups import group_of, haystack
    from rostergui.ui.course_list import CourseListView, subtitle
    from rostergui.ui.roles import BADGE_ROLE, COURSE_ROLE, TITLE_ROLE

    hay_role, sort_role = Qt.ItemDataRole.UserRole + 40, Qt.ItemDataRole.UserRole + 41
    host = QWidget()
    edit = QLineEdit(host)
    view = CourseListView(host)
    layout = QVBoxLayout(host)
    layout.addWidget(edit)
    layout.addWidget(view, 1)
    proxy = QSortFilterProxyModel(host)
    proxy.setFilterRole(hay_role)
    proxy.setSortRole(sort_role)
    holder: dict[str, Any] = {"model": QStandardItemModel()}
    proxy.setSourceModel(holder["model"])
    view.setModel(proxy)
    view.setItemDelegate(CourseDelegate(view))
    host.resize(300, 740)
    host.show()
    painted = PaintCounter(view.viewport())
    stale_after = timedelta(hours=24)

    def apply_filter(text: str) -> None:
        words = SearchQuery(text).words
        if len(words) <= 1:
            proxy.setFilterFixedString(words[0] if words else "")
        else:
            pattern = "^" + "".join(f"(?=.*{QRegularExpression.escape(w)})" for w in words)
            proxy.setFilterRegularExpression(
                QRegularExpression(pattern, QRegularExpression.PatternOption.DotMatchesEverythingOption)  # noqa: E501
            )

    edit.textChanged.connect(apply_filter)

    def show(courses: list[Any]) -> float:
        started = time.perf_counter()
        now = datetime.now(UTC).replace(tzinfo=None)
        model = QStandardItemModel()
        for course in courses:
            item = QStandardItem(course.name)
            item.setData(course, COURSE_ROLE)
            item.setData(subtitle(course), TITLE_ROLE)
            item.setData(badge_for(course, now, stale_after), BADGE_ROLE)
            item.setData(haystack(course), hay_role)
            group = group_of(course, now, stale_after, None)
            item.setData(f"{int(group)}{course.name.casefold()}", sort_role)
            item.setEditable(False)
            model.appendRow(item)
        holder["old"], holder["model"] = holder["model"], model
        proxy.setSourceModel(model)
        proxy.sort(0)
        apply_filter(edit.text())
        settle(app, view.viewport(), painted)
        return time.perf_counter() - started

    def type_text(text: str) -> None:
        edit.setText(text)
        settle(app, view.viewport(), painted)

    return Side("baseline", show, type_text, proxy.rowCount, (host, proxy, painted, holder))


# --- Find person ------------------------------------------------------------------------------

#: Typed letter by letter into Find person: a name without its accents, a family name and a given
#: name in the wrong order, a user id, a word that occurs everywhere with one that occurs nowhere
#: (the worst case: every hit of the first word is checked and none kept).
PEOPLE_QUERIES = ("jose gar", "smith ana", "u0042", "an zzq")
PEOPLE_KEY_MEDIAN_TARGET = 0.050
PEOPLE_KEY_P95_TARGET = 0.100
GAP_TARGET = 0.050


def people_index(courses: int, memberships: int) -> Any:
    """A :class:`PeopleIndex` of ``memberships`` over ``courses`` (about four courses a person),
    built from the rows the store would give it."""
    import random

    from rostergui.core.people import PeopleIndex
    from rostergui.core.store.people import CourseRef
    from rostergui.simulator.members import LEARNER, MemberSource

    now = datetime.now(UTC).replace(tzinfo=None)
    refs = {pk: CourseRef(f"Course {pk:04d}", now, pk % 50 == 17) for pk in range(1, courses + 1)}
    people = max(1, memberships // 4)
    pool = MemberSource(salt="bench:people", email_domain="students.bench.example")
    people_rows = []
    for pk in range(1, people + 1):
        m = pool.new_member(pk, (LEARNER,))
        row = (pk, "https://lms.bench.example", m.user_id, m.name, m.given_name, m.family_name)
        people_rows.append((*row, m.email))
    rng = random.Random(5)
    membership_rows = [
        (pk, rng.randint(1, courses), "Learner", "active", None)
        for pk in range(1, people + 1)
        for _ in range(4 + (1 if pk <= memberships - 4 * people else 0))
    ]
    return PeopleIndex(refs, people_rows, membership_rows)


class Heartbeat:
    """A 5 ms timer on the GUI thread; the longest gap between its ticks is the longest time
    the GUI thread could not react."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = time.perf_counter()
        self.longest = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def start(self) -> None:
        self.last, self.longest = time.perf_counter(), 0.0
        self.timer.start()


def find_person(app: Any, index: Any) -> dict[str, dict[str, Any]]:
    """Keystroke to results in the real Find person window (searching off the GUI thread),
    next to the same window searching on the GUI thread, with the longest GUI stall of each."""
    from rostergui.ui.find_person import LIMIT, FindPersonWindow
    from rostergui.ui.main_window import MainWindow
    from rostergui.ui.operation import Operations

    window = MainWindow()
    window.runner = Operations(window)
    found = FindPersonWindow(window)
    found.index = index
    found.show()
    heartbeat = Heartbeat()
    out: dict[str, dict[str, Any]] = {}
    for side in ("baseline", "RosterSync"):
        times: list[float] = []
        heartbeat.start()
        for query in PEOPLE_QUERIES:
            for end in [*range(1, len(query) + 1), 0]:
                text = query[:end]
                started = time.perf_counter()
                if side == "baseline":  # what a search on the GUI thread would cost it
                    found.search_box.blockSignals(True)
                    found.search_box.setText(text)
                    found.search_box.blockSignals(False)
                    found.model.set_people(index.search(text, LIMIT) if text.strip() else [])
                else:
                    found.search_box.setText(text)
                    while found._searching or found._shown_text != text:
                        app.processEvents()
                        time.sleep(0.001)
                app.processEvents()
                found.table.viewport().repaint()
                times.append(time.perf_counter() - started)
                for _ in range(3):  # a moment between keystrokes, for the heartbeat
                    app.processEvents()
                    time.sleep(0.005)
        heartbeat.timer.stop()
        out[side] = {"times": times, "gap": heartbeat.longest}
    found.close()
    window.close()
    return out


def keystrokes(side: Side) -> list[float]:
    times = []
    for query in QUERIES:
        for end in [*range(1, len(query) + 1), 0]:
            started = time.perf_counter()
            side.type_text(query[:end])
            times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 courses: checks that it runs")
    parser.add_argument("--output", type=Path, help="also write the Markdown tables here")
    args = parser.parse_args()
    count = 200 if args.quick else 2_000
    lines: list[str] = []

    def say(text: str) -> None:
        """A line of the tables: printed, and kept for ``--output``."""
        print(text, flush=True)
        lines.append(text)

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, f"/tmp/catalogue-bench-{os.getpid()}"
    )
    app = QApplication.instance() or QApplication([])
    courses = catalogue(count)
    sides = [ours(app), baseline(app)]
    shows: dict[str, list[float]] = {s.name: [] for s in sides}
    keys: dict[str, list[float]] = {s.name: [] for s in sides}
    shown: dict[str, dict[str, int]] = {s.name: {} for s in sides}
    for _ in range(ROUNDS):
        for side in sides:
            side.type_text("")
            shows[side.name].append(side.show(courses))
            keys[side.name].extend(keystrokes(side))
            for query in QUERIES:
                side.type_text(query)
                shown[side.name][query] = side.rows()
            side.type_text("")
    # Both must keep the same courses (ours adds the removed section's header row).
    for query in QUERIES:
        print(f"  '{query}': RosterSync {shown['RosterSync'][query]} rows, "
              f"baseline {shown['baseline'][query]} rows")  # fmt: skip

    base, mine = "baseline", "RosterSync"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    mode = "quick mode" if args.quick else "full mode"
    say(
        f"Course list benchmark — {stamp}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {mode}: {len(courses):,} courses, {ROUNDS} rounds, "
        f"{len(keys[mine]) // ROUNDS} keystrokes a round"
    )
    say("")
    say("| measurement | baseline | RosterSync | ratio | target | |")
    say("|---|---:|---:|---:|---|---|")
    show_b, show_o = median(shows[base]), median(shows[mine])
    say(f"| shown after loading (median of {ROUNDS}) | {fmt(show_b)} | {fmt(show_o)} | "
        f"{ratio(show_o, show_b)} | ≤ {fmt(SHOW_TARGET)} | {verdict(show_o <= SHOW_TARGET)} |")
    key_b, key_o = median(keys[base]), median(keys[mine])
    say(f"| filter keystroke, median | {fmt(key_b)} | {fmt(key_o)} | {ratio(key_o, key_b)} | "
        f"≤ {fmt(KEY_MEDIAN_TARGET)} | {verdict(key_o <= KEY_MEDIAN_TARGET)} |")
    p95_b, p95_o = percentile(keys[base], 0.95), percentile(keys[mine], 0.95)
    say(f"| filter keystroke, p95 | {fmt(p95_b)} | {fmt(p95_o)} | {ratio(p95_o, p95_b)} | "
        f"≤ {fmt(KEY_P95_TARGET)} | {verdict(p95_o <= KEY_P95_TARGET)} |")
    worst_b, worst_o = max(keys[base]), max(keys[mine])
    say(f"| filter keystroke, slowest | {fmt(worst_b)} | {fmt(worst_o)} | "
        f"{ratio(worst_o, worst_b)} | | |")  # fmt: skip
    for side in sides:
        for widget in side.keep[:1]:
            widget.close()

    memberships = 20_000 if args.quick else 500_000
    started = time.perf_counter()
    index = people_index(count, memberships)
    built = time.perf_counter() - started
    people = find_person(app, index)
    say("")
    say(
        f"Find person — {len(index):,} people, {index.membership_count:,} memberships in "
        f"{count:,} courses (index built in {built:.1f} s); "
        f"{len(people[mine]['times'])} keystrokes"
    )
    say("")
    say("| measurement | search on the GUI thread | RosterSync | ratio | target | |")
    say("|---|---:|---:|---:|---|---|")
    pb, po = people[base]["times"], people[mine]["times"]
    target = PEOPLE_KEY_MEDIAN_TARGET
    say(f"| keystroke to results, median | {fmt(median(pb))} | {fmt(median(po))} | "
        f"{ratio(median(po), median(pb))} | ≤ {fmt(target)} | {verdict(median(po) <= target)} |")
    target = PEOPLE_KEY_P95_TARGET
    b95, o95 = percentile(pb, 0.95), percentile(po, 0.95)
    say(f"| keystroke to results, p95 | {fmt(b95)} | {fmt(o95)} | {ratio(o95, b95)} | "
        f"≤ {fmt(target)} | {verdict(o95 <= target)} |")
    gb, go = people[base]["gap"], people[mine]["gap"]
    say(f"| longest GUI-thread stall | {fmt(gb)} | {fmt(go)} | {ratio(go, gb)} | "
        f"≤ {fmt(GAP_TARGET)} | {verdict(go <= GAP_TARGET)} |")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

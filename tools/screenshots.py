"""Render the documentation screenshots from the built-in demo.

    .venv/bin/python tools/screenshots.py [--output docs/screenshots] [--only NAME ...]

Runs offscreen by default (no display needed); set QT_QPA_PLATFORM=xcb under Xvfb to render
with a real window system instead. CJK names need a CJK font (Debian: fonts-wqy-zenhei).

Each scene drives the real window against the simulator: a synced roster, a filtered view, a
sync in progress, a failed sync with the button that fixes it, filters that hide every row, the
history of a course, the add-course dialog after "Test connection", the mass-drop confirmation,
the main window in two dark palettes (one with pure white text, as Windows and Fusion dark
have), at 900×600, and at scale 2 on a 1600×1000 screen (rendered by a second run of this
script with QT_SCALE_FACTOR=2). Some courses' last-sync times are moved back in the
throw-away demo database so the freshness badges show every colour.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory, QWidget

from rostergui.core.secrets import MemoryKeyring, SecretStore
from rostergui.core.service import RosterService
from rostergui.core.states import Trigger
from rostergui.core.store import repo
from rostergui.core.store.schema import memberships, sync_runs
from rostergui.demo import Demo, start_demo
from rostergui.simulator import DEFAULT_API_KEY
from rostergui.ui import icons
from rostergui.ui.course_dialog import CourseDialog
from rostergui.ui.main_window import MainWindow
from rostergui.ui.mass_drop import MassDropDialog
from rostergui.ui.roster_index import Column
from rostergui.ui.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
import catalogue_shots

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1280, 800)
SCENES = (
    "main-window",
    "filtered",
    "syncing",
    "failed",
    "history",
    "add-course",
    "mass-drop",
    "large",
    "empty",
    "opening",
    "main-window-dark",
    "dark-white-text",
    "filters-hide-all",
    "small",
    "scale-2",
    *catalogue_shots.SCENES,
)


def spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the window did not reach the expected state in time")
        QApplication.processEvents()
        time.sleep(0.01)


def idle(window: MainWindow) -> None:
    wait_until(lambda: not window.sync.busy and not window.runner.busy, timeout=120)
    spin(0.2)


def save(widget: QWidget, output: Path, name: str) -> None:
    path = output / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def prepare_demo(demo: Demo) -> None:
    """Sync a few more courses and age some, so the list shows every kind of badge."""
    service = demo.service
    for name in ("Chimie générale", "World History", "Psychology (all sections)"):
        service.sync(name, trigger=Trigger.DEMO)
    # Later syncs of Biology after people joined and left give its history some content.
    sim = demo.simulator
    sim.enroll("canvas-bio", count=4)
    sim.drop("canvas-bio", count=2)
    service.sync("Biology 101", trigger=Trigger.DEMO)
    sim.enroll("canvas-bio", count=2, role="TeachingAssistant")
    service.sync("Biology 101", trigger=Trigger.DEMO)
    ages = {
        "Chimie générale": timedelta(hours=3),
        "World History": timedelta(days=2),
        "Psychology (all sections)": timedelta(days=5),
    }
    now = repo.utcnow()
    with service.engine.begin() as conn:
        for name, age in ages.items():
            # Age the whole course consistently: its last sync, its history and when its
            # members were first and last seen.
            course = repo.get_course(conn, name)
            repo.update_course(conn, course.id, last_synced_at=now - age)
            for table, key, columns in (
                (memberships, "person_id", ("first_seen_at", "last_seen_at")),
                (sync_runs, "id", ("started_at", "finished_at")),
            ):
                rows = conn.execute(
                    select(table.c[key], *(table.c[c] for c in columns)).where(
                        table.c.context_pk == course.id
                    )
                ).all()
                for row in rows:
                    conn.execute(
                        update(table)
                        .where(table.c.context_pk == course.id, table.c[key] == row[0])
                        .values({c: v - age for c, v in zip(columns, row[1:], strict=True) if v})
                    )


def open_window(demo: Demo) -> MainWindow:
    window = MainWindow(demo.service, Settings(), title_note="demo (simulated LTIAAS)")
    window.resize(*SIZE)
    window.show()
    wait_until(lambda: window.course_model.loaded)
    idle(window)
    return window


def show_course(window: MainWindow, name: str) -> None:
    window.select_course(name)
    idle(window)


def scene_main(window: MainWindow, demo: Demo, output: Path) -> None:
    show_course(window, "Biology 101")
    demo.simulator.enroll("canvas-bio", count=3)
    demo.simulator.drop("canvas-bio", count=1)
    window.sync_selected()
    idle(window)
    panel = window.member_panel
    model = panel.model
    for row in range(model.rowCount()):
        if model.member(row).test_user:
            panel.table.selectRow(row)
            panel.table.scrollTo(model.index(row, 0))
            break
    spin(0.2)
    save(window, output, "main-window")


def scene_filtered(window: MainWindow, output: Path) -> None:
    show_course(window, "Psychology (all sections)")
    panel = window.member_panel
    panel.filter_edit.setText("mar")
    panel.status_combo.setCurrentIndex(panel.status_combo.findData("all"))
    panel.flush_filters()
    spin(0.3)
    save(window, output, "filtered")
    panel.filter_edit.clear()
    panel.status_combo.setCurrentIndex(panel.status_combo.findData("active"))
    panel.flush_filters()


def scene_syncing(window: MainWindow, demo: Demo, output: Path) -> None:
    name = "Python for Everyone (100k)"
    show_course(window, "World History")
    demo.simulator.latency = 0.05
    window.sync.sync(name)
    model = window.course_model
    wait_until(lambda: getattr(model.activity(name), "pages", 0) >= 12, timeout=120)
    spin(0.15)
    save(window, output, "syncing")
    window.syncing.cancel_sync()
    idle(window)
    demo.simulator.latency = 0.005


def scene_large(window: MainWindow, output: Path) -> None:
    """The 100,000-member course after a full sync, filtered to learners."""
    name = "Python for Everyone (100k)"
    show_course(window, name)
    window.sync_selected()
    wait_until(lambda: not window.sync.busy, timeout=300)
    wait_until(lambda: not window.member_panel.loading and window.member_panel.model.total > 0)
    idle(window)
    save(window, output, "large")


def scene_empty(output: Path) -> None:
    """A first start: no course yet."""
    with tempfile.TemporaryDirectory(prefix="rostersync-shots-empty-") as directory:
        service = RosterService.open(
            data_directory=directory, secrets=SecretStore(MemoryKeyring())
        )
        window = MainWindow(service, Settings())
        window.resize(*SIZE)
        window.show()
        wait_until(lambda: window.course_model.loaded)
        idle(window)
        save(window, output, "empty")
        window.close()
        service.close()


def scene_opening(output: Path) -> None:
    """The first frame, shown while the database is still being opened."""
    window = MainWindow(settings=Settings())
    window.resize(*SIZE)
    window.show()
    spin(0.2)
    save(window, output, "opening")
    window.close()


def scene_failed(window: MainWindow, output: Path) -> None:
    # Synced in this window, so the message bar knows the key was refused and offers the fix.
    show_course(window, "Physics Lab (revoked key)")
    window.sync_selected()
    idle(window)
    save(window, output, "failed")


def scene_filters_hide_all(window: MainWindow, output: Path) -> None:
    show_course(window, "Biology 101")
    panel = window.member_panel
    panel.filter_edit.setText("kierkegaard")  # inactive: hidden by the Active filter
    panel.flush_filters()
    spin(0.2)
    save(window, output, "filters-hide-all")
    panel.filter_edit.clear()
    panel.flush_filters()


def scene_small(window: MainWindow, output: Path) -> None:
    show_course(window, "Biology 101")
    window.resize(900, 600)
    spin(0.3)
    save(window, output, "small")
    window.resize(*SIZE)
    spin(0.1)


def scene_scale_2(output: Path) -> None:
    """The window as a first start opens it at scale 2 on a 1600×1000 screen: a second run of
    this script, since the scale is fixed when the application starts."""
    with tempfile.TemporaryDirectory(prefix="rostersync-shots-scale-") as directory:
        config = Path(directory) / "screens.json"
        screen = {"name": "shots", "x": 0, "y": 0, "width": 1600, "height": 1000}
        screen.update({"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1})
        config.write_text(json.dumps({"screens": [screen]}), encoding="utf-8")
        env = dict(
            os.environ,
            QT_QPA_PLATFORM=f"offscreen:configfile={config}",
            QT_SCALE_FACTOR="2",
            ROSTERSYNC_SHOTS_SCALED="1",
        )
        command = [sys.executable, __file__, "--output", str(output), "--only", "scale-2"]
        subprocess.run(command, env=env, check=True, timeout=600)  # noqa: S603 (this script)


def scene_scale_2_here(demo: Demo, output: Path) -> None:
    window = MainWindow(demo.service, Settings(), title_note="demo (simulated LTIAAS)")
    window.show()  # the first geometry, fitted to the screen
    wait_until(lambda: window.course_model.loaded)
    idle(window)
    show_course(window, "Biology 101")
    save(window, output, "scale-2")
    window.close()


def scene_history(window: MainWindow, output: Path) -> None:
    show_course(window, "Biology 101")
    window.history_action.trigger()
    history = window.history_panel
    wait_until(lambda: history.runs_model.rowCount() >= 3)
    # The oldest run added everyone; pick the latest one with a few changes to show.
    for row in range(history.runs_model.rowCount()):
        run = history.runs_model.item(row)
        if run.outcome == "ok" and 0 < run.added + run.deactivated < 50:
            history.runs_view.selectRow(row)
            break
    idle(window)
    save(window, output, "history")
    window.history_action.trigger()


def scene_add_course(window: MainWindow, demo: Demo, output: Path) -> None:
    dialog = CourseDialog(
        demo.service, window.runner, base_url=demo.simulator.base_url, parent=window
    )
    dialog.show()
    wait_until(lambda: bool(dialog.api_key_edit.text()))
    dialog.secret_edit.setText(demo.simulator.course("edx-data").ltik)
    dialog.check_button.click()
    wait_until(lambda: dialog.check_label.isVisible() and not dialog.busy)
    dialog.name_edit.setText("Data Science (section 2)")
    spin(0.2)
    save(dialog, output, "add-course")
    dialog.reject()
    dialog.deleteLater()


def scene_mass_drop(window: MainWindow, demo: Demo, output: Path) -> None:
    service = demo.service
    demo.simulator.drop("canvas-bio", count=90)
    result = service.sync("Biology 101", trigger=Trigger.DEMO)
    if not result.held:
        raise RuntimeError("expected the demo sync to be held for confirmation")
    dialog = MassDropDialog(result, window)
    dialog.show()
    spin(0.2)
    save(dialog, output, "mass-drop")
    dialog.reject()
    dialog.deleteLater()


def dark_palette() -> QPalette:
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#17181a",
        QPalette.ColorRole.AlternateBase: "#232427",
        QPalette.ColorRole.ToolTipBase: "#2d2e31",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.Button: "#2d2e31",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.Highlight: "#2f6fbf",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: "#9aa0a6",
        QPalette.ColorRole.Link: "#8ab4f8",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7c8087"))
    return palette


def white_text_palette() -> QPalette:
    """Windows dark mode and Fusion dark: pure white text."""
    palette = dark_palette()
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.ToolTipText,
    ):
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            palette.setColor(group, role, QColor("#ffffff"))  # disabled text stays grey
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.Window, QColor("#202020"))
        palette.setColor(group, QPalette.ColorRole.Button, QColor("#2d2d2d"))
    return palette


def scene_dark(demo: Demo, output: Path, palette: QPalette | None = None) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setPalette(palette or dark_palette())
    icons.clear_cache()
    window = open_window(demo)
    show_course(window, "Biology 101")
    panel = window.member_panel
    panel.status_combo.setCurrentIndex(panel.status_combo.findData("all"))
    panel.flush_filters()
    # Inactive members (greyed, italic) first.
    panel.table.sortByColumn(Column.STATUS, Qt.SortOrder.DescendingOrder)
    spin(0.2)
    save(window, output, "dark-white-text" if palette is not None else "main-window-dark")
    window.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", nargs="*", choices=SCENES, help="render only these")
    parser.add_argument(
        "--font-points",
        type=int,
        help="render with the system font at this size (e.g. 20, to look for clipped text)",
    )
    args = parser.parse_args(argv)
    wanted = set(args.only or SCENES)
    output: Path = args.output
    output.mkdir(parents=True, exist_ok=True)

    settings_dir = tempfile.mkdtemp(prefix="rostersync-shots-settings-")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication(sys.argv[:1])
    app.setApplicationName("RosterSync")
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setWindowIcon(icons.app_icon())
    if args.font_points:
        font = app.font()
        font.setPointSize(args.font_points)
        app.setFont(font)

    if "scale-2" in wanted and not os.environ.get("ROSTERSYNC_SHOTS_SCALED"):
        scene_scale_2(output)
        wanted.discard("scale-2")
        if not wanted:
            return 0
    demo = start_demo(None)
    try:
        assert demo.simulator.api_key == DEFAULT_API_KEY
        prepare_demo(demo)
        if os.environ.get("ROSTERSYNC_SHOTS_SCALED"):
            scene_scale_2_here(demo, output)
            return 0
        window = open_window(demo)
        if "main-window" in wanted:
            scene_main(window, demo, output)
        if "filtered" in wanted:
            scene_filtered(window, output)
        if "failed" in wanted:
            scene_failed(window, output)
        if "filters-hide-all" in wanted:
            scene_filters_hide_all(window, output)
        if "small" in wanted:
            scene_small(window, output)
        if "history" in wanted:
            scene_history(window, output)
        if "syncing" in wanted:
            scene_syncing(window, demo, output)
        if "add-course" in wanted:
            scene_add_course(window, demo, output)
        if "mass-drop" in wanted:
            scene_mass_drop(window, demo, output)
        if "large" in wanted:
            scene_large(window, output)
        window.close()
        if "empty" in wanted:
            scene_empty(output)
        if "opening" in wanted:
            scene_opening(output)
        catalogue_shots.run(wanted, output, SIZE, wait_until, spin, save)
        if "main-window-dark" in wanted:
            scene_dark(demo, output)
        if "dark-white-text" in wanted:
            scene_dark(demo, output, white_text_palette())
    finally:
        demo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

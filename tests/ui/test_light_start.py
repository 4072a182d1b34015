"""The window shows before the database is open: nothing of the core is needed for its first
frame, it says that the courses are opening, and ``attach`` completes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import add_course, run_python, wait_idle
from pytestqt.qtbot import QtBot

from rostergui.core.service import RosterService
from rostergui.simulator import Simulator
from rostergui.ui import settings as opts
from rostergui.ui.main_window import OPENING_TEXT, MainWindow
from rostergui.ui.settings import Settings

#: Starts ``rostergui gui`` up to the moment the service would be opened (right after the first
#: frame), and lists what of the core was imported by then.
FIRST_WINDOW = r"""
import json, sys
from PySide6.QtWidgets import QApplication
import rostergui.ui.app as ui_app
from rostergui.cli import run
from rostergui.ui.main_window import MainWindow
found = {}
def first_frame(_opening):
    heavy = {"sqlalchemy", "httpx", "keyring", "alembic"}
    core = ("rostergui.core.service", "rostergui.core.store", "rostergui.core.sync",
            "rostergui.core.ltiaas", "rostergui.core.secrets", "rostergui.demo")
    found["packages"] = sorted(heavy & {name.split(".")[0] for name in sys.modules})
    found["core"] = sorted(name for name in sys.modules if name.startswith(core))
    found["shown"] = [
        w.isVisible() for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)
    ]
    QApplication.quit()
ui_app.Opening.start = first_frame
found["status"] = run(["--data-dir", sys.argv[1], "gui"])
print(json.dumps(found))
"""


def test_the_first_window_needs_nothing_of_the_core(tmp_path: Path) -> None:
    done = run_python(["-c", FIRST_WINDOW, str(tmp_path / "data")], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"packages": [], "core": [], "shown": [True], "status": 0}


def show_light(qtbot: QtBot, settings: Settings | None = None) -> MainWindow:
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_the_light_window_says_the_courses_are_opening(qtbot: QtBot) -> None:
    window = show_light(qtbot)
    assert not window.attached
    assert window.course_view.placeholder == OPENING_TEXT
    assert window.course_model.rowCount() == 0
    assert window.pages.currentWidget() is window.splitter
    for action in (
        window.add_action,
        window.sync_action,
        window.sync_all_action,
        window.export_action,
        window.settings_action,
        window.find_action,
    ):
        assert not action.isEnabled(), action.text()
    assert window.quit_action.isEnabled()
    assert window.about_action.isEnabled()
    window.close()


def test_attach_lists_the_courses(
    qtbot: QtBot, service: RosterService, sim: Simulator
) -> None:
    add_course(service, sim, "canvas-bio", "Biology 101")
    window = show_light(qtbot)
    window.attach(service)
    assert window.attached
    qtbot.waitUntil(lambda: window.course_model.loaded, timeout=5000)
    wait_idle(qtbot, window)
    assert window.course_view.placeholder == ""
    assert window.pages.currentWidget() is window.splitter
    assert window.selected_name() == "Biology 101"
    assert window.course_title.text() == "Biology 101"
    assert window.add_action.isEnabled() and window.sync_action.isEnabled()
    with pytest.raises(RuntimeError):
        window.attach(service)
    window.close()


def test_attach_without_courses_offers_to_add_one(qtbot: QtBot, service: RosterService) -> None:
    window = show_light(qtbot)
    window.attach(service)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.empty_page, timeout=5000)
    wait_idle(qtbot, window)
    assert window.empty_button.isVisible()
    window.close()


def test_closing_before_attach_keeps_what_it_never_showed(qtbot: QtBot) -> None:
    settings = Settings()
    settings.set(opts.LAST_COURSE, "History")
    window = show_light(qtbot, settings)
    window.close()
    assert window.closed
    again = Settings()
    assert again.get(opts.LAST_COURSE) == "History"
    assert again.get_bytes("window/geometry") is not None

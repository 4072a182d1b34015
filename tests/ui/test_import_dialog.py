"""Course → Import courses…: the preview shows each row's state before anything is saved, rows
can be left out, and the kept rows are imported in the background with each row's outcome."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rostergui.core.course_import import RowOutcome
from rostergui.core.service import RosterService
from rostergui.simulator import Simulator
from rostergui.ui.import_dialog import ImportDialog
from rostergui.ui.main_window import MainWindow


def open_dialog(window: MainWindow) -> ImportDialog:
    window.dialogs.import_action.trigger()
    dialog = window.findChild(ImportDialog)
    assert isinstance(dialog, ImportDialog)
    assert dialog.isVisible() and dialog.windowModality() == Qt.WindowModality.WindowModal
    return dialog


def states(dialog: ImportDialog) -> dict[str, str]:
    model = dialog.model
    return {model.index(r, 2).data(): model.index(r, 5).data() for r in range(model.rowCount())}


def test_preview_untick_and_import_a_csv_file(
    qtbot: QtBot, bio_window: MainWindow, service: RosterService, sim: Simulator, tmp_path: Path
) -> None:
    window = bio_window
    chem, hist, data = (sim.course(s) for s in ("moodle-chem", "bb-history", "edx-data"))
    csv = tmp_path / "courses.csv"
    csv.write_text(
        "\ufeffName;Base URL;Service key\n"
        f"Chemistry;{sim.base_url};{chem.service_key}\n"
        f"History;{sim.base_url};{hist.service_key}\n"
        f"Data;{sim.base_url};{data.service_key}\n"
        f"Biology 101;{sim.base_url};{sim.course('canvas-bio').service_key}\n"
        f"Spaced;{sim.base_url}; {data.service_key}\n"
        f"Insecure;http://ltiaas.example.com;{chem.service_key}x\n",
        encoding="utf-8",
    )
    dialog = open_dialog(window)
    dialog.read_file(str(csv))
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 6, timeout=5000)
    shown = states(dialog)
    assert shown["Chemistry"] == "ready"
    assert shown["Biology 101"].startswith("skipped: a course named 'Biology 101'")
    assert shown["Spaced"].startswith("invalid: the service key has spaces around it")
    assert shown["Insecure"].startswith("invalid:") and "https" in shown["Insecure"]
    assert "3 of 3 ready rows will be imported" in dialog.summary.text()
    assert not dialog.key_edits  # the simulator's API key is saved already
    # Nothing is saved before Import.
    assert {c.name for c in service.courses()} == {"Biology 101"}
    # Leave History out; an invalid row cannot be ticked.
    model = dialog.model
    history = model.index(1, 0)
    assert model.setData(history, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert not model.flags(model.index(4, 0)) & Qt.ItemFlag.ItemIsUserCheckable
    assert states(dialog)["History"] == "left out"
    assert dialog.import_button.text() == "Import 2 courses"
    dialog.import_button.click()
    qtbot.waitUntil(lambda: bool(model.outcomes), timeout=15_000)
    shown = states(dialog)
    assert shown["Chemistry"] == "imported" and shown["Data"] == "imported"
    assert shown["History"] == "left out"
    assert "2 imported" in dialog.summary.text() and "delete it" in dialog.summary.text()
    assert {c.name for c in service.courses()} == {"Biology 101", "Chemistry", "Data"}
    qtbot.waitUntil(lambda: window.course_model.row_of("Chemistry") >= 0)
    assert dialog.close_button.text() == "Close"
    dialog.close_button.click()
    assert QApplication.activeModalWidget() is None


def test_pasted_launch_tokens_are_named_after_their_course(
    qtbot: QtBot, bio_window: MainWindow, service: RosterService, sim: Simulator
) -> None:
    window = bio_window
    dialog = open_dialog(window)
    assert dialog.token_url.text() == sim.base_url  # the address the courses use
    tokens = [sim.course("moodle-chem").ltik, "not a token", sim.course("bb-history").ltik]
    dialog.tokens.setPlainText("\n".join(tokens))
    dialog.preview_tokens()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 3, timeout=5000)
    model = dialog.model
    assert [model.rows[r].state for r in range(3)] == [
        RowOutcome.READY,
        RowOutcome.INVALID,
        RowOutcome.READY,
    ]
    assert model.index(0, 2).data() == "(named after its course)"
    assert model.index(0, 4).data() == "launch token"  # never the token itself
    dialog.start_import()
    qtbot.waitUntil(lambda: bool(model.outcomes), timeout=15_000)
    names = {c.name for c in service.courses()} - {"Biology 101"}
    assert len(names) == 2
    assert model.index(0, 2).data() in names  # the row now shows the name it got
    assert "delete it" not in dialog.summary.text()  # no file to delete


def test_a_file_that_cannot_be_imported_says_what_to_fix(
    qtbot: QtBot, bio_window: MainWindow, tmp_path: Path
) -> None:
    dialog = open_dialog(bio_window)
    bad = tmp_path / "courses.csv"
    bad.write_text("name,url\nBiology,https://x.ltiaas.com\n", encoding="utf-8")
    dialog.read_file(str(bad))
    qtbot.waitUntil(lambda: "column" in dialog.summary.text(), timeout=5000)
    assert not dialog.import_button.isEnabled()
    dialog.read_file(str(tmp_path / "missing.csv"))
    qtbot.waitUntil(lambda: "not a file" in dialog.summary.text(), timeout=5000)


def test_checked_rows_show_the_same_lms_course_and_refused_keys(
    qtbot: QtBot, bio_window: MainWindow, service: RosterService, sim: Simulator, tmp_path: Path
) -> None:
    """With the check (the default), a row that is Biology under another name is skipped and
    names the course that holds it; a key LTIAAS refuses is refused; neither is saved."""
    csv = tmp_path / "courses.csv"
    csv.write_text(
        "name,base_url,service_key\n"
        f"Bio again,{sim.base_url},{sim.course('canvas-bio').service_key}\n"
        f"Wrong key,{sim.base_url},svc-not-a-real-key\n"
        f"History,{sim.base_url},{sim.course('bb-history').service_key}\n",
        encoding="utf-8",
    )
    dialog = open_dialog(bio_window)
    assert dialog.check_box.isChecked()
    dialog.read_file(str(csv))
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 3, timeout=5000)
    dialog.start_import()
    qtbot.waitUntil(lambda: bool(dialog.model.outcomes), timeout=15_000)
    shown = states(dialog)
    assert shown["Bio again"].startswith("skipped:") and "Biology 101" in shown["Bio again"]
    assert shown["Wrong key"].startswith("refused:")
    assert shown["History"] == "imported"
    assert {c.name for c in service.courses()} == {"Biology 101", "History"}


def test_esc_while_importing_stops_and_keeps_the_dialog_open(
    qtbot: QtBot, bio_window: MainWindow, sim: Simulator, tmp_path: Path
) -> None:
    rows = "".join(
        f"Course {n},{sim.base_url},{sim.course(slug).service_key}\n"
        for n, slug in enumerate(("moodle-chem", "bb-history", "edx-data"))
    )
    csv = tmp_path / "courses.csv"
    csv.write_text("name,base_url,service_key\n" + rows, encoding="utf-8")
    dialog = open_dialog(bio_window)
    dialog.read_file(str(csv))
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 3, timeout=5000)
    dialog.start_import()
    dialog.reject()  # Esc while the rows are being imported
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: bool(dialog.model.outcomes), timeout=15_000)
    # Every row says what became of it: imported before the stop, or not imported.
    outcomes = dialog.model.outcomes
    assert set(outcomes) == {2, 3, 4}
    for outcome in outcomes.values():
        assert outcome.outcome == RowOutcome.IMPORTED or "cancelled" in (outcome.reason or "")
    dialog.reject()
    assert not dialog.isVisible()

"""The History tab's models."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester

from rostergui.core.store.repo import Change, SyncRun
from rostergui.ui.history import ChangesModel, RunsModel, duration

START = datetime(2024, 5, 1, 12, 0, 0)


def run(run_id: int, outcome: str, error: str | None = None) -> SyncRun:
    return SyncRun(
        id=run_id,
        started_at=START,
        finished_at=START + timedelta(seconds=3.2),
        outcome=outcome,
        trigger="manual",
        pages=3,
        fetched=120,
        added=1200,
        updated=0,
        deactivated=2,
        reactivated=1,
        active_count=117,
        error=error,
    )


def test_runs_model(qtmodeltester: ModelTester) -> None:
    model = RunsModel()
    model.set_items([run(2, "failed", "The API key was refused"), run(1, "ok")])
    qtmodeltester.check(model)
    assert model.index(0, 1).data() == "Failed"
    assert model.index(0, 9).data() == "The API key was refused"
    assert model.index(0, 9).data(Qt.ItemDataRole.ToolTipRole) == "The API key was refused"
    assert model.index(1, 2).data() == "1,200"
    assert model.index(1, 8).data() == "button"
    assert model.index(1, 1).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert duration(run(1, "ok")) == "3.2 s"


def test_changes_model(qtmodeltester: ModelTester) -> None:
    model = ChangesModel()
    model.set_items(
        [
            Change("added", "u1", "Ana", "ana@x", None, "Learner"),
            Change("role_changed", "u2", "Bo", None, "Learner", "Teaching Assistant"),
            Change("deactivated", "u3", None, None, "Learner", None),
        ]
    )
    qtmodeltester.check(model)
    assert model.index(0, 0).data() == "Added"
    assert model.index(1, 4).data() == "Learner → Teaching Assistant"
    assert model.index(2, 0).data() == "Dropped"
    assert model.index(2, 4).data() == "Learner"


def test_a_held_run_says_once_what_it_would_have_done(qtmodeltester: ModelTester) -> None:
    model = RunsModel()
    model.set_items([run(1, "held", "Held")])
    qtmodeltester.check(model)
    shown = [model.index(0, c).data() for c in range(model.columnCount())]
    assert shown[1] == "Held"
    assert shown[2:6] == ["", "", "", ""]  # nothing was added, dropped, returned or updated
    assert shown[9] == "Held: 2 would have been dropped; nothing changed"
    assert sum("Held" in str(v) for v in shown) == 2  # the outcome and the one note

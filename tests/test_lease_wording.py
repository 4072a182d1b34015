"""How the window words a course it did not sync: busy elsewhere or synced recently is said
so, and never counted among the failures of a "Sync all"."""

from __future__ import annotations

from rostergui.core.states import Outcome
from rostergui.core.sync import SyncResult
from rostergui.ui import wording


def test_busy_and_skipped_are_said_and_not_failures() -> None:
    busy = SyncResult(name="Bio", outcome=Outcome.BUSY, error="being synced by db-worker-2:4711")
    skipped = SyncResult(name="Chem", outcome=Outcome.SKIPPED, error="synced 2 h ago")
    failed = SyncResult(name="Art", error="LTIAAS refused")
    assert wording.describe_result(busy) == (
        "Bio: not synced here — being synced by db-worker-2:4711."
    )
    assert wording.describe_result(skipped) == "Chem: not synced here — synced 2 h ago."
    batch = [SyncResult(name="Ok", outcome=Outcome.OK), busy, skipped, failed]
    assert wording.failed_names(batch) == ["Art"]
    assert wording.batch_summary(batch) == (
        "1 failed: Art — 1 synced, 2 being synced elsewhere or recently synced."
    )

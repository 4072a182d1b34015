"""A running sync sweeps the collector's youngest generation itself, since the round keeps
automatic collection paused for as long as its syncs overlap."""

from __future__ import annotations

import gc

from rostergui.ui import runtime
from rostergui.ui.sync_controller import YOUNG_SWEEP, sweep_young


def _cycles(count: int) -> None:
    for _ in range(count):
        a: list[object] = []
        a.append(a)


def test_sweep_collects_young_garbage_while_collection_is_paused() -> None:
    with runtime.collection_paused():
        gc.collect()
        _cycles(YOUNG_SWEEP // 4)
        sweep_young()  # below the limit: nothing collected
        assert gc.get_count()[0] >= YOUNG_SWEEP // 4
        _cycles(YOUNG_SWEEP * 2)
        assert gc.get_count()[0] > YOUNG_SWEEP
        sweep_young()
        assert gc.get_count()[0] < YOUNG_SWEEP // 4
        assert not gc.isenabled()

"""What a sync reports: its result, its progress, and when a sync is held for confirmation.

Kept apart from the engine (:mod:`rostergui.core.sync`, which re-exports every name here) so
the front ends' types do not grow the engine module past what one reader can hold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rostergui.core.staging import DroppedMember
from rostergui.core.states import Outcome, Phase


@dataclass(frozen=True, slots=True)
class MassDropPolicy:
    """Hold a sync that would deactivate more than ``share`` of at least ``minimum`` actives."""

    share: float = 0.25
    minimum: int = 20

    def holds(self, active_before: int, deactivating: int) -> bool:
        return active_before >= self.minimum and deactivating > self.share * active_before


@dataclass(frozen=True, slots=True)
class Progress:
    phase: Phase
    pages: int
    fetched: int


@dataclass(slots=True)
class SyncResult:
    """What happened (the command line's ``sync --json`` shape is made from it in
    :func:`rostergui.cli.output.sync_json`)."""

    name: str
    #: How it ended; FAILED until it is known to have ended otherwise.
    outcome: Outcome = Outcome.FAILED
    pages: int = 0
    fetched: int = 0
    added: int = 0
    updated: int = 0
    deactivated: int = 0
    reactivated: int = 0
    active_count: int = 0
    error: str | None = None
    error_kind: str | None = None
    seconds: float = 0.0
    #: Wall time spent fetching pages and applying them (for logs and benchmarks).
    fetch_seconds: float = 0.0
    apply_seconds: float = 0.0
    run_id: int | None = None
    #: Who a held sync would deactivate (empty otherwise).
    would_deactivate: list[DroppedMember] = field(default_factory=list)
    #: What the sync noticed and handled, for the admin to know (e.g. members listed twice).
    warnings: list[str] = field(default_factory=list)
    #: BUSY only: seconds until the holder's lease runs out unless renewed. A round that was
    #: given ``synced_since`` may ask again then: the course is SKIPPED if its holder finished,
    #: and taken over if its holder died.
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def held(self) -> bool:
        return self.outcome is Outcome.HELD

    @property
    def cancelled(self) -> bool:
        return self.outcome is Outcome.CANCELLED

    @property
    def skipped(self) -> bool:
        """Not run here, and not a failure: another process holds the course (BUSY), or it
        was synced recently enough (SKIPPED). ``error`` says which, in words."""
        return self.outcome in (Outcome.BUSY, Outcome.SKIPPED)


ProgressCallback = Callable[[Progress], None]

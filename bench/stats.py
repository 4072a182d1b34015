"""The two summaries every benchmark prints: the median and a nearest-rank percentile.

One definition, so that a "p95" means the same in every table of ``docs/PERFORMANCE.md``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    """The median, or NaN for no samples (a table shows it as missing, not as zero)."""
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: the value below which ``share`` of the samples fall."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]

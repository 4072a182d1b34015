"""A guard against a reference-counting defect in some PySide6 releases.

PySide6 6.12 on Python 3.11 returns ``None``, ``True`` and ``False`` without taking a
reference to them: every call of a method that returns nothing (``label.setText``,
``statusBar().showMessage``…), every ``Signal.emit()`` and ``disconnect()``, and every
``index.data()`` that has no value lowers one of their reference counts by one. After a few
thousand such calls the count reaches zero and the interpreter aborts ("deallocating None"),
or memory is corrupted first and threads stall. Python 3.12+ makes these objects immortal, so
the defect is harmless there. The probe runs only when PySide6 6.12 is installed.

``None``, ``True`` and ``False`` are static objects that are never freed; the only harm is the
count reaching zero. When the defect is detected at start-up, their counts are raised by a
margin no program run can use up. This is process-wide, costs nothing per call, and does
nothing on PySide releases or Python versions without the defect. The real fix is a PySide6
release without the defect (or Python 3.12+).
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)

#: Far more calls than any run makes (a million a second for 36,000 years).
_MARGIN = 1 << 60
_applied = False


def _leaks_singletons() -> bool:
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(8):
        probe.ping.emit()
        probe.setObjectName("probe")
    true_lost = true_before - sys.getrefcount(True)
    none_lost = none_before - sys.getrefcount(None)
    # Put back what the probe itself took.
    _add_references(True, true_lost)
    _add_references(None, none_lost)
    return true_lost >= 8 or none_lost >= 8


def _add_references(obj: object, count: int) -> None:
    if count <= 0:
        return
    import ctypes  # only where the defect is present: the check runs on every start

    refcount = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field
    refcount.value += count


#: The PySide6 release series known to have the defect; the probe runs only there.
AFFECTED = (6, 12)


def _affected_pyside() -> bool:
    import PySide6

    return tuple(PySide6.__version_info__[:2]) == AFFECTED


def apply() -> bool:
    """Apply the guard if this PySide/Python combination needs it; True when applied."""
    global _applied  # noqa: PLW0603 - once per process
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return _applied
    if not _affected_pyside():
        return False
    if _leaks_singletons():
        for singleton in (None, True, False):
            _add_references(singleton, _MARGIN)
        _applied = True
        log.debug("PySide signal reference guard applied")
    return _applied

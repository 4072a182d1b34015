"""Process-wide runtime policy for the window: the garbage collector and the switch interval.

Both are settings of the whole interpreter, so one module owns them and every other part of
the window asks here instead of calling :mod:`gc` or :func:`sys.setswitchinterval` itself.

*The collector.* CPython's cyclic collector walks every tracked object while holding the
interpreter lock, so a full collection stops every thread, the GUI thread included. With a
100,000-member roster in memory that is 0.1-0.2 s: a visibly frozen window. While a worker
builds such a roster, the rows it allocates also trigger several full collections, each walking
everything again. So a big load runs with automatic collection paused
(:func:`collection_paused`), and what it keeps is then moved out of the collector's sight for
good (:func:`exempt_from_collection`). Rows hold no reference cycles, so they are still freed
the ordinary way when the next load replaces them. Start-up pauses collection too
(:func:`start_up_paused`) and freezes what it built once the window is complete
(:func:`start_up_done`).

*Only on the GUI thread.* An automatic collection runs in whichever thread happens to
allocate, and a reference cycle that holds a Qt object (a closed dialog and the lambda
connected to its signal) is then destroyed there: a widget deleted from a worker thread while
the GUI thread paints crashes the process. So the window turns automatic collection off for
good (:func:`collect_on_gui_thread_only`) and collects from a timer on the GUI thread
(:func:`collect_tick`): the young generation every tick, older ones less often, and while a
load or a sync has collection paused only a young generation grown past
:data:`YOUNG_LIMIT`.

*The switch interval.* While a background thread does interpreter-heavy work that the window
must not feel (opening the database at start-up), the interpreter is handed back to the GUI
thread sooner than Python's default 5 ms (:func:`quick_switching`).

This module imports nothing but the standard library: it is used before the first frame.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: How soon (seconds) a busy background thread hands the interpreter back to the GUI thread
#: inside :func:`quick_switching`; Python's default is 5 ms, which the window would feel on
#: every repaint.
QUICK_SWITCH_INTERVAL = 0.001

_lock = threading.Lock()
_pausers = 0
_was_enabled = False
_start_up_pause = False
_switchers = 0
_switch_before = 0.0


def _pause() -> None:
    global _pausers, _was_enabled  # noqa: PLW0603 - process-wide by nature
    with _lock:
        if _pausers == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausers += 1


def _resume() -> None:
    global _pausers  # noqa: PLW0603 - process-wide by nature
    with _lock:
        _pausers -= 1
        if _pausers == 0 and _was_enabled and not _gui_only:
            gc.enable()


#: Set once the GUI thread alone collects (see :func:`collect_on_gui_thread_only`).
_gui_only = False
_ticks = 0
#: Objects in the youngest generation above which a tick sweeps it while collection is paused.
YOUNG_LIMIT = 2_000
#: Every how many ticks the middle and the oldest generation are collected.
MIDDLE_EVERY = 10
OLDEST_EVERY = 300


def is_paused() -> bool:
    """Whether a load or a sync has collection paused now."""
    with _lock:
        return _pausers > 0


def collect_on_gui_thread_only() -> None:
    """Turn automatic collection off for good; from now on :func:`collect_tick`, called by a
    timer on the GUI thread, is the only collector. Call it on the GUI thread."""
    global _gui_only  # noqa: PLW0603 - once per process
    with _lock:
        _gui_only = True
        gc.disable()


def collect_tick() -> int:
    """One collection step on the GUI thread; returns the generation collected, or -1.

    The young generation every tick (a few milliseconds: only what was made since the last
    tick), the middle one every :data:`MIDDLE_EVERY` ticks and everything every
    :data:`OLDEST_EVERY`; while collection is paused (a big load, a sync) only a young
    generation grown past :data:`YOUNG_LIMIT`, so a long round never leaves one big sweep.
    """
    global _ticks  # noqa: PLW0603 - process-wide by nature
    with _lock:
        _ticks += 1
        paused = _pausers > 0
        tick = _ticks
    if paused:
        if gc.get_count()[0] <= YOUNG_LIMIT:
            return -1
        generation = 0
    elif tick % OLDEST_EVERY == 0:
        generation = 2
    elif tick % MIDDLE_EVERY == 0:
        generation = 1
    else:
        generation = 0
    gc.collect(generation)
    return generation


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic cyclic collection while the block runs (in any thread: the collector is
    process-wide). Nests and overlaps across threads; collection resumes when the last block
    ends, if it was on before the first."""
    _pause()
    try:
        yield
    finally:
        _resume()


def exempt_from_collection() -> None:
    """Move every object alive now out of the cyclic collector's sight (``gc.freeze``): later
    collections skip them, and reference counting still frees them when they are dropped.

    Only for after a big load: an object frozen here that later ends up in a reference cycle
    is never collected.
    """
    gc.freeze()


def start_up_paused() -> None:
    """No cyclic collections until the window is complete: start-up creates objects that live
    as long as the app, and every collection would walk them all again."""
    global _start_up_pause  # noqa: PLW0603 - once per process
    if not _start_up_pause:
        _start_up_pause = True
        _pause()


def start_up_done(*, freeze: bool = True) -> None:
    """The window is complete (or start-up ended): with ``freeze``, everything built so far
    lives as long as the app, so it is taken out of the collector's sight, keeping a full
    collection during a sync (which stops every thread) short; then collection resumes."""
    global _start_up_pause  # noqa: PLW0603 - once per process
    if freeze:
        gc.freeze()
    if _start_up_pause:
        _start_up_pause = False
        _resume()


@contextmanager
def quick_switching() -> Iterator[None]:
    """Hand the interpreter back to other threads (the GUI thread) every millisecond while the
    block runs. Nests and overlaps across threads; the interval before the first block is
    restored when the last one ends."""
    global _switchers, _switch_before  # noqa: PLW0603 - process-wide by nature
    with _lock:
        if _switchers == 0:
            _switch_before = sys.getswitchinterval()
            sys.setswitchinterval(QUICK_SWITCH_INTERVAL)
        _switchers += 1
    try:
        yield
    finally:
        with _lock:
            _switchers -= 1
            if _switchers == 0:
                sys.setswitchinterval(_switch_before)

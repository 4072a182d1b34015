"""Telling assistive technology what just happened: a sync finished, failed or was held, an
export was written, a filter now shows so many members.

Those outcomes are painted in the status bar, which a screen reader does not watch: its user
would have to go and look. Qt 6.8 added announcement events (``QAccessibleAnnouncementEvent``,
sent over AT-SPI as ``object:announcement`` and to UI Automation as a notification), which a
screen reader speaks without moving the focus. On an older Qt the text becomes the accessible
description of ``source`` with a description-changed event instead: the "live region" of the
status bar, which screen readers read when asked for the status.

The window's status bar is an :class:`AnnouncingStatusBar`: every line the window shows there
(a sync's result, a round's summary, an export written) is announced, so each place that
words an outcome announces it without knowing about screen readers.

Every announcement is also emitted by :func:`announcer` (``announced``), so the window's tests
can check what was said; nothing else listens to it.
"""

from __future__ import annotations

import time

from PySide6 import QtGui
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAccessible, QAccessibleEvent
from PySide6.QtWidgets import QStatusBar, QWidget

#: Longest text announced: a screen reader reads all of it before the user can act.
MAX_CHARACTERS = 300
#: The same text again within this many seconds is not repeated (one sync's result reaches
#: the status bar as its own line and again as the summary of its round).
REPEAT_SECONDS = 2.0


class Announcer(QObject):
    """Emits every announcement made in this process (see the module)."""

    #: (the text, whether it interrupts what the screen reader is saying)
    announced = Signal(str, bool)

    def __init__(self) -> None:
        super().__init__()
        self.last = ""
        self.last_at = -REPEAT_SECONDS


_announcer: Announcer | None = None


def announcer() -> Announcer:
    global _announcer  # noqa: PLW0603 — one per process, made on first use
    if _announcer is None:
        _announcer = Announcer()
    return _announcer


def plain(text: str) -> str:
    """One line, without markup a screen reader would spell out, and not too long."""
    words = " ".join(text.replace("<br>", " ").split())
    if "<" in words:
        from PySide6.QtGui import QTextDocumentFragment

        words = QTextDocumentFragment.fromHtml(words).toPlainText()
    if len(words) > MAX_CHARACTERS:
        words = words[: MAX_CHARACTERS - 1].rstrip() + "…"
    return words


def announce(source: QWidget, text: str, *, assertive: bool = False) -> str:
    """Announce ``text`` on behalf of ``source`` (a widget of the window it concerns).

    ``assertive`` interrupts what the screen reader is saying: for failures that stop the
    user's work. Returns the text as announced ("" when there was nothing to say)."""
    words = plain(text)
    said = announcer()
    now = time.monotonic()
    if not words or (words == said.last and now - said.last_at < REPEAT_SECONDS):
        return ""
    said.last, said.last_at = words, now
    event_type = getattr(QtGui, "QAccessibleAnnouncementEvent", None)
    if event_type is not None:
        event = event_type(source, words)
        politeness = QAccessible.AnnouncementPoliteness
        event.setPoliteness(politeness.Assertive if assertive else politeness.Polite)
        QAccessible.updateAccessibility(event)
    else:  # Qt before 6.8: the source is a live region whose description changes
        source.setAccessibleDescription(words)
        QAccessible.updateAccessibility(
            QAccessibleEvent(source, QAccessible.Event.DescriptionChanged)
        )
    said.announced.emit(words, assertive)
    return words


class AnnouncingStatusBar(QStatusBar):
    """A status bar that announces each message the window shows in it.

    Only messages shown from Python are announced: Qt shows an action's status tip when the
    pointer rests on it from C++, which does not reach this override, so hovering over the
    toolbar says nothing more than the screen reader already does."""

    def showMessage(self, text: str, timeout: int | None = 0) -> None:
        super().showMessage(text, timeout or 0)
        announce(self, text)

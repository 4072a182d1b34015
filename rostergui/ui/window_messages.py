"""What the main window's message bar shows, in order of precedence: the summary of a finished
"Sync all" with each failed course one click away, then notes that stay until dismissed (the
last run crashed…), then the selected course's own message with the action that fixes it.

The words and the rules live in :mod:`rostergui.ui.wording`; this module only picks which
message applies and wires its buttons to the window.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from rostergui.ui import wording
from rostergui.ui.badges import Tone

if TYPE_CHECKING:
    from rostergui.ui.main_window import MainWindow


def update_message_bar(window: MainWindow) -> None:
    """Show on ``window``'s message bar what applies now (nothing before it is attached)."""
    if not window.attached:
        return
    if window.batch_failed and not window.notices:
        buttons: list[tuple[str, Callable[[], None]]] = [
            (f"Show {name}", partial(window.show_failed, name)) for name in window.batch_failed[:3]
        ]
        buttons.append(("Dismiss", window.dismiss_batch))
        window.message_bar.show_message(wording.html(window.batch_text), Tone.FAILED, buttons)
        return
    course = window.selected_course()
    message: wording.BarMessage | None
    if window.notices:
        message = wording.notice(window.notices[0])
    else:
        held = window.sync.held.get(course.name) if course is not None else None
        kind = window.error_kinds.get(course.name) if course is not None else None
        message = wording.course_message(course, held, window.course_model.now, kind)
    name = course.name if course is not None else ""
    window.message_bar.show_bar_message(
        message,
        {
            wording.BarAction.REVIEW: lambda: window.review(name),
            wording.BarAction.TRY_AGAIN: window.sync_selected,
            wording.BarAction.EDIT: window.edit_course,
            wording.BarAction.DISMISS: window.dismiss_notice,
        },
    )

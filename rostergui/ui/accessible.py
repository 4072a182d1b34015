"""Names for the controls Qt makes by itself, which a screen reader would read as "button".

Qt adds helpers that the code never creates: the clear button inside a line edit
(``setClearButtonEnabled``), the popup list of a combo box and the toolbar's overflow button.
They have no text, so over AT-SPI they are an unnamed push button, an unnamed list and an
unnamed check box. :func:`name_helper` names each after the control it belongs to. The
window's style calls it for every widget it polishes (before the widget first shows; see
:mod:`rostergui.ui.focus_style`), so a window or dialog added later is covered without
knowing about it; :func:`name_helpers` names what is under a widget at once. Only Qt here, so
the first frame can use it.

On Linux a combo box's accessible name is its current value (its label comes from the
"labelled by" relation of a buddy label), so a combo box without a visible label also gets a
description saying what it chooses.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QToolBar, QToolButton, QWidget

#: Qt's object name of a toolbar's overflow ("»") button.
TOOLBAR_EXTENSION = "qt_toolbar_ext_button"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def name_clear_button(edit: QLineEdit) -> None:
    """Name the line edit's clear button "Clear <the edit's name>"."""
    what = _lower_first(edit.accessibleName() or edit.placeholderText() or "the text")
    for button in edit.findChildren(QToolButton):
        if not button.accessibleName() and not button.text():
            button.setAccessibleName(f"Clear {what}")
            button.setToolTip(f"Clear {what}")


def name_popup(combo: QComboBox) -> None:
    """Name the combo box's popup list "<the combo's name> choices"."""
    view = combo.view()
    if not view.accessibleName():
        view.setAccessibleName(f"{combo.accessibleName() or 'Available'} choices")


def name_toolbar(toolbar: QToolBar) -> None:
    """Name the overflow button that shows the actions a narrow window cannot fit."""
    for button in toolbar.findChildren(QToolButton, TOOLBAR_EXTENSION):
        button.setAccessibleName("More toolbar actions")
        button.setToolTip("More toolbar actions")


def name_helper(widget: QWidget) -> None:
    """Name the helpers of ``widget`` itself if it is a line edit, combo box or toolbar."""
    if isinstance(widget, QLineEdit) and widget.isClearButtonEnabled():
        name_clear_button(widget)
    elif isinstance(widget, QComboBox):
        name_popup(widget)
    elif isinstance(widget, QToolBar):
        name_toolbar(widget)


def name_helpers(root: QWidget) -> None:
    """Name every helper control under ``root`` that has no name yet (see the module)."""
    for edit in root.findChildren(QLineEdit):
        if edit.isClearButtonEnabled():
            name_clear_button(edit)
    for combo in root.findChildren(QComboBox):
        name_popup(combo)
    for toolbar in root.findChildren(QToolBar):
        name_toolbar(toolbar)

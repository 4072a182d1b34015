"""WCAG AA contrast of the colours the window draws, on the light, a dark and the high-contrast
palettes: 4.5:1 for text, 3:1 for graphics (a badge's dot, the message bar's border, icons).

The ratios are computed from the functions the painters call (``tone_colour``, the message
bar's ``bar_colours``, the member and history models' foreground), not from a copy of the
colour table, so a colour changed anywhere is measured here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from fabricate import fabricate_members
from palettes import PALETTES
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rostergui.core.states import Outcome, StatusFilter, Trigger
from rostergui.core.store.repo import Change, SyncRun
from rostergui.ui import focus_style
from rostergui.ui.badges import Tone
from rostergui.ui.contrast import LARGE_RATIO, TEXT_RATIO, blend, luminance, ratio, readable
from rostergui.ui.focus_style import readable_selection
from rostergui.ui.history import ChangesModel, RunsModel
from rostergui.ui.member_model import MemberTableModel
from rostergui.ui.message_bar import bar_colours
from rostergui.ui.roles import backgrounds, muted_text, pill_alpha, tone_colour
from rostergui.ui.roster_index import Filters, PreparedRoster

Role = QPalette.ColorRole


@pytest.fixture(params=sorted(PALETTES))
def palette(request: pytest.FixtureRequest, qapp: QApplication) -> QPalette:
    make: Callable[[], QPalette] = PALETTES[request.param]
    return make()


@pytest.fixture
def app_palette(qapp: QApplication, palette: QPalette) -> Iterator[QPalette]:
    """``palette`` as the application's, for the models that read it themselves."""
    before = QGuiApplication.palette()
    QApplication.setPalette(palette)
    yield QGuiApplication.palette()
    QApplication.setPalette(before)


def test_the_ratio_is_wcags() -> None:
    assert ratio(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21.0)
    assert ratio(QColor("#777777"), QColor("#ffffff")) == pytest.approx(4.48, abs=0.01)
    assert luminance(QColor("#ffffff")) == pytest.approx(1.0)


def test_readable_darkens_or_lightens_until_it_reads() -> None:
    pale = QColor("#f0a0a0")  # a pink that is unreadable on white
    on_white = readable(pale, [QColor("#ffffff")])
    assert ratio(on_white, QColor("#ffffff")) >= TEXT_RATIO
    assert on_white.hslHue() == pytest.approx(pale.hslHue(), abs=2)  # still red
    deep = QColor("#400000")
    on_black = readable(deep, [QColor("#000000")])
    assert ratio(on_black, QColor("#000000")) >= TEXT_RATIO


@pytest.mark.parametrize("tone", list(Tone))
def test_tone_text_reads_on_every_background(palette: QPalette, tone: Tone) -> None:
    colour = tone_colour(tone, palette)
    for background in backgrounds(palette):
        assert ratio(colour, background) >= TEXT_RATIO, (tone, colour.name(), background.name())


@pytest.mark.parametrize("tone", list(Tone))
def test_badge_text_reads_on_its_pill(palette: QPalette, tone: Tone) -> None:
    """The course list's badge: the tone's text and dot on a tint of the tone."""
    colour = tone_colour(tone, palette)
    for background in backgrounds(palette):
        pill = blend(colour, background, pill_alpha(palette))
        assert ratio(colour, pill) >= TEXT_RATIO, (tone, colour.name(), pill.name())


@pytest.mark.parametrize("tone", list(Tone))
def test_message_bar_text_and_border(palette: QPalette, tone: Tone) -> None:
    background, border, text = bar_colours(tone, palette)
    assert ratio(text, background) >= TEXT_RATIO
    assert ratio(border, palette.color(Role.Window)) >= LARGE_RATIO


def test_inactive_members_are_quieter_but_readable(app_palette: QPalette) -> None:
    """Inactive rows are greyed (and italic, and their status says "inactive"): the palette's
    disabled grey was 1.9:1 on white; the colour used now reads."""
    members = fabricate_members(40, inactive_share=0.5)
    model = MemberTableModel()
    model.set_roster(PreparedRoster.build(members, sort=model.sort_order))
    model.set_filters(Filters(status=StatusFilter.ALL))
    drawn = [
        model.data(model.index(row, 0), Qt.ItemDataRole.ForegroundRole)
        for row in range(model.rowCount())
    ]
    colours = {c.name() for c in drawn if isinstance(c, QColor)}
    assert colours, "no inactive row is drawn differently"
    for colour in colours:
        for role in (Role.Base, Role.AlternateBase):
            assert ratio(QColor(colour), app_palette.color(role)) >= TEXT_RATIO
    assert colours == {muted_text(app_palette).name()}


def test_history_outcomes_and_changes_read(app_palette: QPalette) -> None:
    now = datetime(2026, 1, 5, 12, 0)
    runs = RunsModel()
    runs.set_items(
        [
            SyncRun(n, now, now, outcome, Trigger.MANUAL, 1, 10, 1, 0, 0, 0, 10, None)
            for n, outcome in enumerate(Outcome)
        ]
    )
    changes = ChangesModel()
    changes.set_items(
        [
            Change(kind, "u1", "Ana", "ana@example.edu", "Learner", "Learner")
            for kind in ("added", "deactivated", "reactivated", "role_changed")
        ]
    )
    drawn = [
        runs.data(runs.index(row, 1), Qt.ItemDataRole.ForegroundRole)
        for row in range(runs.rowCount())
    ] + [
        changes.data(changes.index(row, 0), Qt.ItemDataRole.ForegroundRole)
        for row in range(changes.rowCount())
    ]
    coloured = [c for c in drawn if isinstance(c, QColor)]
    assert len(coloured) >= 6
    for colour in coloured:
        for role in (Role.Base, Role.AlternateBase):
            assert ratio(colour, app_palette.color(role)) >= TEXT_RATIO


def test_the_palettes_own_text_and_icons(palette: QPalette) -> None:
    """What the window takes from the palette as it is: text, and icons tinted with the button
    text (3:1 for graphics)."""
    assert ratio(palette.color(Role.Text), palette.color(Role.Base)) >= TEXT_RATIO
    assert ratio(palette.color(Role.WindowText), palette.color(Role.Window)) >= TEXT_RATIO
    assert ratio(palette.color(Role.ButtonText), palette.color(Role.Window)) >= LARGE_RATIO


def test_selected_rows_read(palette: QPalette) -> None:
    """Selected text, and a selected course's badge, on the highlight the window uses."""
    fixed = readable_selection(palette)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        text = fixed.color(group, Role.HighlightedText)
        highlight = fixed.color(group, Role.Highlight)
        assert ratio(text, highlight) >= TEXT_RATIO
        pill = blend(text, highlight, pill_alpha(palette))
        assert ratio(text, pill) >= TEXT_RATIO
        before = palette.color(group, Role.Highlight)
        assert abs(highlight.hslHue() - before.hslHue()) <= 2  # the same blue, darker


def test_the_window_reads_its_selection(qapp: QApplication) -> None:
    """Installing the window's style leaves the application a readable selection."""
    focus_style.install()
    current = QGuiApplication.palette()
    assert ratio(current.color(Role.HighlightedText), current.color(Role.Highlight)) >= 4.5


def test_a_new_desktop_palette_gets_a_readable_selection(
    qtbot: QtBot, make_window: Callable[..., object]
) -> None:
    """The desktop switched to another palette while the window is open."""
    make_window()
    before = QGuiApplication.palette()

    def selection_ratio() -> float:
        current = QGuiApplication.palette()
        return ratio(current.color(Role.HighlightedText), current.color(Role.Highlight))

    try:
        QApplication.setPalette(PALETTES["light"]())  # Fusion's 3.7:1 blue again
        qtbot.waitUntil(lambda: selection_ratio() >= TEXT_RATIO, timeout=2000)
    finally:
        QApplication.setPalette(before)

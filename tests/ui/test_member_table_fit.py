"""Fitting the member table's columns to the first roster shown: the widths Qt's own
``resizeColumnsToContents`` gives, measured without asking the delegate about every cell."""

from __future__ import annotations

from dataclasses import replace

from fabricate import fabricate_members
from pytestqt.qtbot import QtBot

from rostergui.core.states import StatusFilter
from rostergui.core.store.repo import MemberRow
from rostergui.ui.member_model import MemberTableModel
from rostergui.ui.member_table import FIT_ROWS, MemberTable
from rostergui.ui.roster_index import Column, Filters, PreparedRoster


def _table(qtbot: QtBot, count: int) -> tuple[MemberTable, MemberTableModel]:
    rows = fabricate_members(count, inactive_share=0.3)
    if count > 3:
        # A test user with a long name: its icon widens the name column.
        rows[3] = replace(rows[3], name="Aaron Test Student With A Rather Long Name",
                          test_user=True)
    model = MemberTableModel()
    model.set_roster(PreparedRoster.build(rows))
    model.set_filters(Filters(status=StatusFilter.ALL))  # inactive rows are italic
    table = MemberTable()
    qtbot.addWidget(table)
    table.setModel(model)
    table.resize(1100, 600)
    table.show()
    qtbot.waitExposed(table)
    return table, model


def test_measured_widths_are_qts(qtbot: QtBot) -> None:
    table, model = _table(qtbot, 600)
    header = table.horizontalHeader()
    rows = [model.member(r) for r in range(FIT_ROWS)]
    assert any(r.test_user for r in rows)
    for column in Column:
        by_qt = max(table.sizeHintForColumn(column), header.sectionSizeHint(column))
        ours = max(table._content_width(model, rows, column), header.sectionSizeHint(column))
        assert ours == by_qt, column


def test_fit_columns_caps_the_wide_ones_and_shares_the_spare(qtbot: QtBot) -> None:
    table, _model = _table(qtbot, 600)
    header = table.horizontalHeader()
    table.resizeColumnsToContents()
    by_qt = {c: header.sectionSize(c) for c in Column}
    for column in Column:
        header.resizeSection(column, 30)
    table.fit_columns()
    for column in Column:
        if column in (Column.NAME, Column.EMAIL):
            assert header.sectionSize(column) >= min(by_qt[column], 320), column
        else:
            assert header.sectionSize(column) == by_qt[column], column
    assert header.length() >= table.viewport().width()


def test_fit_of_an_empty_roster_keeps_the_headers_readable(qtbot: QtBot) -> None:
    table, model = _table(qtbot, 0)
    assert model.rowCount() == 0
    table.fit_columns()
    header = table.horizontalHeader()
    for column in Column:
        assert header.sectionSize(column) >= header.sectionSizeHint(column), column
    assert header.resizeContentsPrecision() == FIT_ROWS


def test_a_small_roster_loads_with_the_collector_on() -> None:
    """The pause is process-wide: a small roster must not hold the syncs' garbage back."""
    from rostergui.ui import runtime
    from rostergui.ui.member_view import load_roster

    seen: list[bool] = []

    def fetch() -> list[MemberRow]:
        seen.append(runtime.is_paused())
        return fabricate_members(50)

    small = load_roster(fetch, (Column.NAME, False), large=False)
    big = load_roster(fetch, (Column.NAME, False))
    assert seen == [False, True]
    assert len(small.rows) == len(big.rows) == 50

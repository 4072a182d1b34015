"""The member table model: filtering, sorting, summary, copy, and its speed at 100,000 rows."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fabricate import fabricate_members
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from rostergui.core.filtering import SearchQuery
from rostergui.core.store.repo import member_haystack
from rostergui.ui.member_model import ROW_ROLE, MemberTableModel
from rostergui.ui.member_table import MemberTable
from rostergui.ui.roster_index import (
    COLUMN_TITLES,
    HIDDEN_BY_DEFAULT,
    Column,
    Filters,
    PreparedRoster,
    RosterIndex,
    text_key,
)


@pytest.fixture(scope="module")
def roster() -> PreparedRoster:
    return PreparedRoster.build(fabricate_members(3000))


def expected(
    roster: PreparedRoster, text: str, status: str = "active", role: str = ""
) -> list[str]:
    query = SearchQuery(text)
    return [
        r.user_id
        for r in sorted(roster.rows, key=lambda r: text_key(r.display_name))
        if query.matches(member_haystack(r))
        and (status == "all" or r.status == status)
        and (not role or r.role == role)
    ]


def shown_ids(index: RosterIndex) -> list[str]:
    return [r.user_id for r in index.shown_rows()]


def test_words_in_any_order_and_accents(roster: PreparedRoster) -> None:
    index = RosterIndex()
    index.load(roster)
    index.set_filters(Filters(text="garcia jose"))
    rows = index.shown_rows()
    assert rows
    assert all("José" in r.display_name and "García" in r.display_name for r in rows)
    assert shown_ids(index) == expected(roster, "garcia jose")
    index.set_filters(Filters(text="JOSÉ GARCÍA"))
    assert len(index.shown) == len(rows)


def test_typing_narrows_like_a_fresh_filter(roster: PreparedRoster) -> None:
    index = RosterIndex()
    index.load(roster)
    text = ""
    for ch in "ana no":
        text += ch
        index.set_filters(Filters(text=text, status="all"))
        assert shown_ids(index) == expected(roster, text, "all")
    for _ in range(3):  # deleting letters widens again
        text = text[:-1]
        index.set_filters(Filters(text=text, status="all"))
        assert shown_ids(index) == expected(roster, text, "all")


def test_status_and_role_filters(roster: PreparedRoster) -> None:
    index = RosterIndex()
    index.load(roster)
    assert all(r.status == "active" for r in index.shown_rows())
    index.set_filters(Filters(status="inactive"))
    assert shown_ids(index) == expected(roster, "", "inactive")
    index.set_filters(Filters(status="all", role="Teaching Assistant", text="a"))
    assert shown_ids(index) == expected(roster, "a", "all", "Teaching Assistant")
    assert len(index.shown) > 0


@pytest.mark.parametrize("column", list(Column))
def test_sort_every_column_both_ways(roster: PreparedRoster, column: Column) -> None:
    index = RosterIndex()
    index.load(roster)
    index.set_filters(Filters(status="all", text="e"))
    for descending in (False, True):
        index.sort(column, descending)
        rows = index.shown_rows()
        assert len(rows) == len(expected(roster, "e", "all"))
        keys = {
            Column.NAME: lambda r: text_key(r.display_name),
            Column.GIVEN_NAME: lambda r: text_key(r.given_name or ""),
            Column.FAMILY_NAME: lambda r: text_key(r.family_name or ""),
            Column.EMAIL: lambda r: (r.email or "").casefold(),
            Column.USER_ID: lambda r: int(r.user_id),
            Column.ROLE: lambda r: r.role != "Instructor",  # instructors first
            Column.STATUS: lambda r: r.status != "active",
            Column.FIRST_SEEN: lambda r: r.first_seen_at,
            Column.LAST_SEEN: lambda r: r.last_seen_at,
        }[column]
        values = [keys(r) for r in rows]
        if column is Column.ROLE:
            continue  # checked below by rank
        assert values == sorted(values, reverse=descending)
    index.sort(Column.ROLE, False)
    from rostergui.core.roles import ToolRole

    ranks = [ToolRole(r.role).rank for r in index.shown_rows()]
    assert ranks == sorted(ranks)


def test_sort_is_stable_by_name_within_equal_keys(roster: PreparedRoster) -> None:
    index = RosterIndex()
    index.load(roster)
    index.sort(Column.ROLE, True)
    learners = [text_key(r.display_name) for r in index.shown_rows() if r.role == "Learner"]
    assert learners == sorted(learners)


def test_names_sort_as_readers_expect_not_by_code_point() -> None:
    assert text_key("Jérôme") < text_key("José") < text_key("Julia")
    assert text_key("émile") < text_key("Fabian")
    assert text_key("Zoë") > text_key("Zoe") > text_key("yves")


def test_given_and_family_names_are_columns_hidden_until_chosen(qtbot: QtBot) -> None:
    model = MemberTableModel()
    view = MemberTable()
    qtbot.addWidget(view)
    view.setModel(model)
    rows = fabricate_members(20)
    model.set_roster(PreparedRoster.build(rows))
    model.set_filters(Filters(status="all"))
    assert model.headerData(Column.FAMILY_NAME, Qt.Orientation.Horizontal) == "Family name"
    assert model.index(0, Column.GIVEN_NAME).data() == (model.member(0).given_name or "")
    header = view.horizontalHeader()
    for column in HIDDEN_BY_DEFAULT:
        header.hideSection(column)
    menu = view.column_menu()
    family = next(a for a in menu.actions() if a.text() == "Family name")
    assert not family.isChecked()
    family.setChecked(True)
    assert not header.isSectionHidden(Column.FAMILY_NAME)
    menu.close()
    view.sortByColumn(Column.FAMILY_NAME, Qt.SortOrder.AscendingOrder)
    families = [text_key(model.member(r).family_name or "") for r in range(model.rowCount())]
    assert families == sorted(families)


def test_summary_counts_roles_of_what_is_shown(roster: PreparedRoster) -> None:
    index = RosterIndex()
    index.load(roster)
    index.set_filters(Filters(status="all"))
    assert index.summary().startswith(f"{len(roster.rows):,} shown: ")
    index.set_filters(Filters(status="all", role="Instructor"))
    n = len(index.shown)
    assert index.summary() == f"{n:,} of {len(roster.rows):,} shown: {n:,} Instructors"
    index.set_filters(Filters(status="all", text="nobody-matches-this"))
    assert index.summary() == f"0 of {len(roster.rows):,} shown"


def test_model_passes_qtmodeltester(qtmodeltester: ModelTester, roster: PreparedRoster) -> None:
    model = MemberTableModel()
    model.set_roster(PreparedRoster.build(list(roster.rows[:300])))
    qtmodeltester.check(model)
    model.set_filters(Filters(text="a", status="all"))
    model.sort(Column.LAST_SEEN, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model)


def test_model_roles(qtbot: QtBot, roster: PreparedRoster) -> None:
    rows = list(roster.rows[:50])
    rows[0] = replace(rows[0], status="inactive", test_user=True, name="Test Student")
    model = MemberTableModel()
    model.set_roster(PreparedRoster.build(rows))
    model.set_filters(Filters(status="all"))
    row = next(i for i in range(model.rowCount()) if model.member(i).name == "Test Student")
    name = model.index(row, Column.NAME)
    assert model.data(name) == "Test Student"
    assert model.data(name, Qt.ItemDataRole.FontRole).italic()
    assert model.data(name, Qt.ItemDataRole.ForegroundRole) is not None
    assert model.data(name, Qt.ItemDataRole.DecorationRole) is not None  # test-user icon
    assert "test user" in model.data(name, Qt.ItemDataRole.ToolTipRole)
    role_tip = model.data(model.index(row, Column.ROLE), Qt.ItemDataRole.ToolTipRole)
    assert "membership#" in role_tip
    assert model.data(name, ROW_ROLE) is model.member(row)
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Name"


def test_sort_keeps_the_selection(qtbot: QtBot, roster: PreparedRoster) -> None:
    model = MemberTableModel()
    view = MemberTable()
    qtbot.addWidget(view)
    view.setModel(model)
    model.set_roster(PreparedRoster.build(list(roster.rows[:200])))
    view.selectRow(3)
    chosen = model.member(3).user_id
    view.sortByColumn(Column.EMAIL, Qt.SortOrder.DescendingOrder)
    rows = view.selectionModel().selectedRows()
    assert [model.member(i.row()).user_id for i in rows] == [chosen]


def test_copy_selected_rows_as_tab_separated_text(qtbot: QtBot, roster: PreparedRoster) -> None:
    model = MemberTableModel()
    view = MemberTable()
    qtbot.addWidget(view)
    view.setModel(model)
    rows = list(roster.rows[:20])
    rows[1] = replace(rows[1], name="Line\nBreak\tName")
    model.set_roster(PreparedRoster.build(rows))
    model.set_filters(Filters(status="all"))
    selection = view.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    odd = next(r for r in range(model.rowCount()) if model.member(r).user_id == rows[1].user_id)
    for r in sorted({0, odd}):
        selection.select(model.index(r, 0), flags)
    view.copy_action.trigger()
    lines = QGuiApplication.clipboard().text().splitlines()
    assert len(lines) == 3
    assert lines[0].split("\t") == [COLUMN_TITLES[c] for c in Column]  # a header row first
    cells = lines[1].split("\t")
    assert len(cells) == len(Column)
    assert cells[0] == model.member(0).display_name
    assert cells[2] == model.member(0).user_id
    assert "Line Break Name" in QGuiApplication.clipboard().text()

    # The context menu copies one column of the selection, or exports it.
    texts = [a.text() for a in view.actions() if not a.isSeparator()]
    assert texts == ["Copy", "Copy e-mail addresses", "Copy user ids", "Export selection…"]
    assert view.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
    view.copy_ids_action.trigger()
    ids = [model.member(0).user_id, model.member(odd).user_id]
    assert QGuiApplication.clipboard().text().splitlines() == ids
    view.copy_emails_action.trigger()
    emails = [e for e in (model.member(0).email, model.member(odd).email) if e]
    assert QGuiApplication.clipboard().text().splitlines() == emails
    with qtbot.waitSignal(view.exportSelectionRequested, timeout=1000):
        view.export_selection_action.trigger()


def test_100k_rows_load_and_filter_incrementally(qtbot: QtBot) -> None:
    """Typing narrows 100,000 rows step by step and always shows exactly the matches.

    (How fast this is lives in bench/, not here: timings on a shared machine are noise.)
    """
    from fabricate import fabricate_members as make

    rows = make(100_000)
    prepared = PreparedRoster.build(rows)
    model = MemberTableModel()
    view = MemberTable()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(1000, 600)
    view.show()
    model.set_roster(prepared)
    QGuiApplication.processEvents()
    assert model.total == 100_000
    haystacks = [member_haystack(r) for r in rows]
    text = ""
    for ch in "jose garc":
        text += ch
        model.set_filters(Filters(text=text, status="all"))
        QGuiApplication.processEvents()
        query = SearchQuery(text)
        expected = sum(1 for h in haystacks if query.matches(h))
        assert model.rowCount() == expected
    assert model.rowCount() > 0


def test_a_screen_reader_hears_whose_row_each_cell_is(qtbot: QtBot) -> None:
    """Every cell's accessible description says the member's name, role and status (the
    name cell leaves the name out: it is its text), and an empty cell is not "blank"."""
    members = fabricate_members(30, inactive_share=0.5)
    members[0] = replace(members[0], email=None)
    model = MemberTableModel()
    model.set_roster(PreparedRoster.build(members, sort=model.sort_order))
    model.set_filters(Filters(status="all"))
    description = Qt.ItemDataRole.AccessibleDescriptionRole
    spoken = Qt.ItemDataRole.AccessibleTextRole
    seen_inactive = False
    for row in range(model.rowCount()):
        member = model.member(row)
        name_cell = model.index(row, Column.NAME)
        said = model.data(name_cell, description)
        assert said.startswith(f"{member.role}, {member.status}")
        assert model.data(model.index(row, Column.STATUS), description) == (
            f"{member.display_name}, {said}"
        )
        seen_inactive |= member.status == "inactive"
        if member.email is None:
            assert model.data(model.index(row, Column.EMAIL), spoken) == "no email"
        else:
            assert model.data(model.index(row, Column.EMAIL), spoken) == member.email
    assert seen_inactive

"""Names sort by the user's locale (Qt's collator): Jérôme before José, Å after Z in
Swedish, Ä with A in German, and the member table follows."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from fabricate import fabricate_members
from PySide6.QtCore import QLocale, Qt

from rostergui.core.store.rows import MemberRow
from rostergui.ui import roster_index
from rostergui.ui.member_model import MemberTableModel
from rostergui.ui.roster_index import (
    Column,
    Filters,
    PreparedRoster,
    RosterIndex,
    collation_ranks,
    text_key,
)


@pytest.fixture
def locale() -> Iterator[Callable[[str], None]]:
    """Sets the locale names sort by for one test, then gives the user's back."""

    def use(name: str) -> None:
        roster_index.set_collation_locale(QLocale(name))

    yield use
    roster_index.set_collation_locale(None)


def by_key(names: list[str]) -> list[str]:
    return sorted(names, key=text_key)


def by_rank(names: list[str]) -> list[str]:
    ranks = collation_ranks(names)
    return [names[i] for i in sorted(range(len(names)), key=ranks.__getitem__)]


NAMES = ["Zoe", "Åsa", "Ärla", "Anna", "Bo", "José", "Jérôme", "Julia", "Émile", "Emma",
         "Dora", "Fabian", "Eva", "Öberg", "Olof"]  # fmt: skip


def test_swedish_puts_a_ring_after_z(locale: Callable[[str], None]) -> None:
    locale("sv_SE")
    for order in (by_key(NAMES), by_rank(NAMES)):
        assert order[-4:] == ["Zoe", "Åsa", "Ärla", "Öberg"]


@pytest.mark.parametrize("name", ["en_US", "fr_FR"])
def test_english_and_french_fold_accents_first(locale: Callable[[str], None], name: str) -> None:
    locale(name)
    for order in (by_key(NAMES), by_rank(NAMES)):
        assert order.index("Jérôme") < order.index("José") < order.index("Julia")
        # Émile among the Es, not after Z
        es = order[order.index("Dora") + 1 : order.index("Fabian")]
        assert es == ["Émile", "Emma", "Eva"]
        assert order[:4] == ["Anna", "Ärla", "Åsa", "Bo"]
        assert order[-1] == "Zoe"


def test_german_sorts_a_umlaut_with_a(locale: Callable[[str], None]) -> None:
    locale("de_DE")
    names = ["Bernd", "Ärger", "Anna", "Azra", "Äbt"]
    assert by_key(names) == by_rank(names) == ["Äbt", "Anna", "Ärger", "Azra", "Bernd"]


def test_the_c_locale_sorts_as_readers_do_not_by_code_point(locale: Callable[[str], None]) -> None:
    roster_index.set_collation_locale(QLocale.c())
    assert by_rank(["José", "Jérôme", "Zoe", "Émile"]) == ["Émile", "Jérôme", "José", "Zoe"]


def test_case_and_accents_only_break_ties_and_every_order_is_deterministic(
    locale: Callable[[str], None],
) -> None:
    locale("en_US")
    composed = "José"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    names = ["alice b", "Alice a", "ALICE A", decomposed, composed, "jose", "Jose", composed]
    # Letters first: "Alice a" before "alice b" whatever the case.
    expected = by_key(names)
    assert expected.index("Alice a") < expected.index("alice b")
    assert expected.index("ALICE A") < expected.index("alice b")
    rng = random.Random(3)
    for _ in range(20):
        shuffled = names[:]
        rng.shuffle(shuffled)
        assert by_key(shuffled) == by_rank(shuffled) == expected
    ranks = collation_ranks(names)
    # The same text has one place; texts the collator finds equal are still told apart.
    assert ranks[4] == ranks[7]
    assert len(set(ranks)) == len(set(names))
    assert text_key(composed) != text_key(decomposed)
    assert text_key(composed) == text_key("José")


def members_named(names: list[str]) -> list[MemberRow]:
    rows = fabricate_members(len(names), inactive_share=0)
    return [
        replace(row, name=f"{name} Berg", given_name=name, family_name=f"{name}sson")
        for row, name in zip(rows, names, strict=True)
    ]


@pytest.mark.parametrize(
    ("name", "first", "last"), [("sv_SE", "Anna", "Öberg"), ("en_US", "Anna", "Zoe")]
)
@pytest.mark.parametrize("column", [Column.NAME, Column.GIVEN_NAME, Column.FAMILY_NAME])
def test_the_member_table_sorts_by_the_locale(
    locale: Callable[[str], None], name: str, first: str, last: str, column: Column
) -> None:
    locale(name)
    model = MemberTableModel()
    model.set_roster(PreparedRoster.build(members_named(NAMES), sort=model.sort_order))
    model.set_filters(Filters(status="all"))
    model.sort(column, Qt.SortOrder.AscendingOrder)
    shown = [model.member(r).given_name for r in range(model.rowCount())]
    assert shown == by_key(NAMES)
    assert (shown[0], shown[-1]) == (first, last)
    model.sort(column, Qt.SortOrder.DescendingOrder)
    assert [model.member(r).given_name for r in range(model.rowCount())] == shown[::-1]


def test_a_roster_opens_in_the_locale_order(locale: Callable[[str], None]) -> None:
    locale("sv_SE")
    roster = PreparedRoster.build(members_named(NAMES), sort=(Column.NAME, False))
    index = RosterIndex()
    index.load(roster)
    index.set_filters(Filters(status="all"))
    assert [r.given_name for r in index.shown_rows()][-4:] == ["Zoe", "Åsa", "Ärla", "Öberg"]

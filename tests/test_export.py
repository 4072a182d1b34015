"""CSV export: spreadsheets must read it right and never run a cell as a formula."""

from __future__ import annotations

import csv
import os
from datetime import datetime
from pathlib import Path

import pytest

from rostergui.core import errors
from rostergui.core.export import COLUMNS, default_file_name, neutralise, write_csv
from rostergui.core.store.repo import MemberRow

WHEN = datetime(2026, 11, 26, 9, 30, 0)


def row(uid: str, name: str | None, email: str | None = None) -> MemberRow:
    return MemberRow(
        uid, name, None, None, email, "Learner", ("Learner",), "active", False, WHEN, WHEN, None
    )


def read_back(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark for spreadsheets
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
        ("+1 Student", "'+1 Student"),
        ("-Dash", "'-Dash"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rReturn", "'\rReturn"),
        ("Zoë", "Zoë"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise(value: str, expected: str) -> None:
    assert neutralise(value) == expected


def test_round_trip_keeps_unicode_quotes_commas_and_newlines(tmp_path: Path) -> None:
    rows = [
        row("1", "王小明", "wang@example.cn"),
        row("2", "O'Brien, Pat"),
        row("3", 'Ann "the Great" Lee'),
        row("4", "Line\nBreak"),
        row("5", "=1+2"),
        row("007", "Zoë Ångström"),
    ]
    target = tmp_path / "out.csv"
    assert write_csv(rows, target) == 6
    data = read_back(target)
    assert data[0] == list(COLUMNS)
    names = [r[1] for r in data[1:]]
    assert names == [
        "王小明",
        "O'Brien, Pat",
        'Ann "the Great" Lee',
        "Line\nBreak",
        "'=1+2",
        "Zoë Ångström",
    ]
    assert data[6][0] == "007"  # ids stay text with their leading zeros
    assert data[1][9] == "2026-11-26T09:30:00Z"


def test_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"

    def rows():  # type: ignore[no-untyped-def]
        yield row("1", "A")
        raise OSError(28, "No space left on device")

    with pytest.raises(errors.DiskFullError, match="disk is full"):
        write_csv(rows(), target)
    assert not target.exists()
    assert os.listdir(tmp_path) == []


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigError, match="does not exist"):
        write_csv([], tmp_path / "nope" / "x.csv")


def test_default_file_name() -> None:
    assert (
        default_file_name("Bio 101: Intro/Lab", WHEN) == "Bio 101_ Intro_Lab-roster-2026-11-26.csv"
    )

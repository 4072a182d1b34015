"""Bulk import in the core: reading what spreadsheets write, rows independent of each other,
and a row that fails leaving neither a course nor a key (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import keyring.errors
import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from rostergui.core import errors
from rostergui.core.connection import ConnectionCheck
from rostergui.core.course_import import (
    RowOutcome,
    origins,
    parse_import_text,
    plan_import,
)
from rostergui.core.secrets import MemoryKeyring
from rostergui.core.service import RosterService
from rostergui.simulator import DEFAULT_API_KEY, Simulator
from tests.conftest import add_sim_course


def test_what_excel_writes_is_read() -> None:
    text = (
        "\ufeffNAME;Base-URL;Service Key\r\n"
        '"Biology; section A";https://Tool.LTIAAS.com/;key-1\r\n'
        '"Chemistry ""honours""";tool.ltiaas.com:443;key-2\r\n'
        ";;\r\n;;\r\n"  # the blank rows a spreadsheet leaves at the end
    )
    rows = plan_import(text.encode("utf-8"), ())
    assert [(r.row, r.name, r.base_url, r.state) for r in rows] == [
        (2, "Biology; section A", "https://tool.ltiaas.com", RowOutcome.READY),
        (3, 'Chemistry "honours"', "https://tool.ltiaas.com", RowOutcome.READY),
    ]
    assert rows[0].service_key == "key-1" and rows[1].service_key == "key-2"
    assert "key-1" not in repr(rows)
    assert origins(rows) == ["https://tool.ltiaas.com"]


def test_a_cell_without_a_header_and_a_key_with_a_line_break_are_invalid() -> None:
    rows = parse_import_text(
        'name,base_url,service_key\nA,https://x.example,k1,extra\nB,https://x.example,"k\n2"\n'
    )
    assert [r.state for r in rows] == [RowOutcome.INVALID, RowOutcome.INVALID]
    assert rows[0].reason is not None and "column without a header" in rows[0].reason
    assert rows[1].reason is not None and "spaces or control characters" in rows[1].reason


def test_pasted_launch_tokens_are_named_after_their_courses(
    service: RosterService, sim: Simulator
) -> None:
    chem, hist = sim.course("moodle-chem"), sim.course("bb-history")
    rows = service.plan_tokens(
        f"{chem.ltik}\n\n {hist.ltik} \n{chem.ltik}\nbad token\n", sim.base_url
    )
    assert [(r.row, r.state) for r in rows] == [
        (1, RowOutcome.READY),
        (3, RowOutcome.READY),
        (4, RowOutcome.SKIPPED),
        (5, RowOutcome.INVALID),
    ]
    seen: list[tuple[int, int]] = []
    outcomes = service.import_courses(
        rows, api_keys={sim.base_url: DEFAULT_API_KEY}, progress=lambda d, t: seen.append((d, t))
    )
    assert [o.outcome for o in outcomes] == [
        RowOutcome.IMPORTED,
        RowOutcome.IMPORTED,
        RowOutcome.SKIPPED,
        RowOutcome.INVALID,
    ]
    assert outcomes[0].name == "Chimie générale"
    assert {c.name for c in service.courses()} == {outcomes[0].name, outcomes[1].name}
    assert seen[-1] == (4, 4)  # two checks, two saves
    # The same tokens again: the courses are there, under their names already.
    again = service.import_courses(
        service.plan_tokens(chem.ltik, sim.base_url), api_keys={sim.base_url: DEFAULT_API_KEY}
    )
    assert again[0].outcome == RowOutcome.SKIPPED
    assert again[0].reason is not None and "same LMS course as 'Chimie générale'" in again[0].reason
    with pytest.raises(errors.ConfigError, match="plain http"):
        service.plan_tokens(chem.ltik, "http://lti.example.com")


def _accounts(memory_keyring: MemoryKeyring) -> dict[str, str]:
    return {account: value for (_service, account), value in memory_keyring._items.items()}


def test_a_keyring_failure_refuses_that_row_only_and_leaves_nothing(
    service: RosterService,
    sim: Simulator,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bio, chem = sim.course("canvas-bio"), sim.course("moodle-chem")
    csv = (
        "name,base_url,service_key\n"
        f"Bio,{sim.base_url},{bio.service_key}\n"
        f"Chem,{sim.base_url},{chem.service_key}\n"
    )
    rows = service.plan_import(csv.encode())
    original = memory_keyring.set_password

    def refuse_chem(service_name: str, username: str, password: str) -> None:
        if password == chem.service_key:
            raise keyring.errors.KeyringLocked("locked")
        original(service_name, username, password)

    monkeypatch.setattr(memory_keyring, "set_password", refuse_chem)
    outcomes = service.import_courses(rows, api_keys={sim.base_url: DEFAULT_API_KEY})
    assert [o.outcome for o in outcomes] == [RowOutcome.IMPORTED, RowOutcome.REFUSED]
    assert outcomes[1].reason is not None and "keyring is locked" in outcomes[1].reason
    assert [c.name for c in service.courses()] == ["Bio"]
    bio_uid = service.course("Bio").uid
    assert _accounts(memory_keyring) == {
        f"api-key:{sim.base_url}": DEFAULT_API_KEY,
        f"service_key:{bio_uid}": bio.service_key,
    }


def test_the_first_row_of_an_address_failing_does_not_leave_its_api_key(
    service: RosterService,
    sim: Simulator,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bio = sim.course("canvas-bio")
    rows = service.plan_import(
        f"name,base_url,service_key\nBio,{sim.base_url},{bio.service_key}\n".encode()
    )
    original = memory_keyring.set_password

    def refuse_course_keys(service_name: str, username: str, password: str) -> None:
        if username.startswith("service_key:"):
            raise keyring.errors.KeyringLocked("locked")
        original(service_name, username, password)

    monkeypatch.setattr(memory_keyring, "set_password", refuse_course_keys)
    (outcome,) = service.import_courses(rows, api_keys={sim.base_url: DEFAULT_API_KEY})
    assert outcome.outcome == RowOutcome.REFUSED
    assert _accounts(memory_keyring) == {} and service.courses() == []


def test_a_database_failure_puts_the_keys_back(
    service: RosterService, sim: Simulator, memory_keyring: MemoryKeyring
) -> None:
    add_sim_course(service, sim, "canvas-bio", "Bio")
    before = _accounts(memory_keyring)
    chem = sim.course("moodle-chem")
    rows = service.plan_import(
        f"name,base_url,service_key\nChem,{sim.base_url},{chem.service_key}\n".encode()
    )

    def refuse(_conn: Any) -> None:
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    event.listen(service.engine, "commit", refuse)
    try:
        (outcome,) = service.import_courses(rows, api_keys={sim.base_url: "a-new-api-key"})
    finally:
        event.remove(service.engine, "commit", refuse)
    assert outcome.outcome == RowOutcome.REFUSED
    assert _accounts(memory_keyring) == before  # the old API key is back, no course key left
    assert [c.name for c in service.courses()] == ["Bio"]


def test_a_cancelled_import_saves_no_further_row(service: RosterService, sim: Simulator) -> None:
    bio, chem = sim.course("canvas-bio"), sim.course("moodle-chem")
    rows = service.plan_import(
        (
            "name,base_url,service_key\n"
            f"Bio,{sim.base_url},{bio.service_key}\n"
            f"Chem,{sim.base_url},{chem.service_key}\n"
        ).encode()
    )
    cancel = threading.Event()

    def progress(done: int, _total: int) -> None:
        if done == 1:
            cancel.set()

    outcomes = service.import_courses(
        rows, api_keys={sim.base_url: DEFAULT_API_KEY}, progress=progress, cancel=cancel
    )
    assert [o.outcome for o in outcomes] == [RowOutcome.IMPORTED, RowOutcome.REFUSED]
    assert outcomes[1].reason == "not imported: the import was cancelled"


def test_adding_with_a_service_key_finds_the_course_stored_twice(
    service: RosterService, sim: Simulator
) -> None:
    add_sim_course(service, sim, "moodle-chem", "Chem")
    with pytest.raises(errors.DuplicateCourseError) as raised:
        add_sim_course(service, sim, "moodle-chem", "Chem again", ltik=True)
    assert raised.value.existing == "Chem" and raised.value.kind == "duplicate_course"
    assert str(raised.value).startswith("'Chem again' is the same LMS course as 'Chem'")
    assert [c.name for c in service.courses()] == ["Chem"]
    # Removed with its roster kept: the LMS course may be added again.
    service.remove_course("Chem", keep_roster=True)
    add_sim_course(service, sim, "moodle-chem", "Chem again", ltik=True)


def test_a_first_sync_that_learns_a_stored_course_is_reported_not_refused(
    service: RosterService, sim: Simulator
) -> None:
    add_sim_course(service, sim, "moodle-chem", "Chem")
    chem = service.course("Chem")
    # Saved before its course was known (as an import without --check saves it).
    unknown = ConnectionCheck(chem.platform_id, None, None, None, None, None, None)
    service.add_course(
        "Chem (copy)",
        sim.base_url,
        DEFAULT_API_KEY,
        service_key=sim.course("moodle-chem").service_key,
        check=unknown,
    )
    assert service.duplicate_courses() == {}
    result = service.sync("Chem (copy)")
    assert result.ok, result.error
    assert service.course("Chem (copy)").context_id == chem.context_id
    assert service.duplicate_courses() == {"Chem": "Chem (copy)", "Chem (copy)": "Chem"}


def test_blank_lines_around_the_table_are_not_rows() -> None:
    rows = parse_import_text("\r\n;;\r\nname;base_url;ltik\r\nBio;https://x.example;tok-1\r\n\r\n")
    assert [(r.row, r.name, r.state) for r in rows] == [(4, "Bio", RowOutcome.READY)]
    with pytest.raises(errors.ConfigError, match="The file has no values"):
        parse_import_text(",,,\r\n,,\r\n")

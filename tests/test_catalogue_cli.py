"""``contexts import`` and ``people search`` as an admin runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import update

from rostergui.core.secrets import MemoryKeyring, SecretStore
from rostergui.core.service import RosterService
from rostergui.core.store.schema import contexts
from rostergui.simulator import DEFAULT_API_KEY, Simulator
from tests.conftest import Cli, database_text

API = {"ROSTERGUI_API_KEY": DEFAULT_API_KEY}


def write_csv(path: Path, lines: list[str], *, bom: bool = False, end: str = "\r\n") -> str:
    path.write_bytes((("\ufeff" if bom else "") + end.join(lines) + end).encode("utf-8"))
    return str(path)


def accounts(memory_keyring: MemoryKeyring) -> set[str]:
    return {account for (_service, account) in memory_keyring._items}


def stored_names(cli: Cli) -> list[str]:
    code, out, err = cli("contexts", "list", "--json")
    assert code == 0, err
    return [c["name"] for c in json.loads(out)]


def test_import_with_check_resolves_launch_tokens_and_keeps_secrets_out_of_the_database(
    cli: Cli, sim: Simulator, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    bio, chem, hist = sim.course("canvas-bio"), sim.course("moodle-chem"), sim.course("bb-history")
    file = write_csv(
        tmp_path / "courses.csv",
        [
            "Name;Base URL;Service-Key;LTIK",  # Excel in a decimal-comma locale; any spelling
            f"Bio;{sim.base_url};{bio.service_key};",
            f"Chem;{sim.base_url};;{chem.ltik}",
            f"History;{sim.base_url};{hist.service_key};",
        ],
        bom=True,
    )
    code, out, err = cli("contexts", "import", file, "--check", "--json", env=API)
    assert code == 0, err
    assert json.loads(out) == [
        {"row": 2, "name": "Bio", "outcome": "imported", "reason": None},
        {"row": 3, "name": "Chem", "outcome": "imported", "reason": None},
        {"row": 4, "name": "History", "outcome": "imported", "reason": None},
    ]
    assert "holds secret keys; delete it" in err
    listed = {c["name"]: c for c in json.loads(cli("contexts", "list", "--json")[1])}
    assert listed["Chem"]["context_id"] == chem.context_id  # the launch token was resolved
    assert listed["Chem"]["title"] == "Chimie générale"
    code, _, err = cli("sync", "--all")
    assert code == 0, err
    engine_text = _database_text(cli)
    for secret in (bio.service_key, chem.ltik, hist.service_key, DEFAULT_API_KEY):
        assert secret not in engine_text and secret not in out and secret not in err
    # The Chem course syncs with the service key LTIAAS handed out, not the expiring token.
    assert len(accounts(memory_keyring)) == 1 + 3 + 1


def _database_text(cli: Cli) -> str:
    """Every stored value, from the database the command line used (ROSTERGUI_DB_URL or the
    data folder's file)."""
    service = RosterService.open(data_directory=cli.data_dir, secrets=SecretStore(MemoryKeyring()))
    try:
        return database_text(service.engine)
    finally:
        service.close()


def test_import_without_check_saves_service_key_rows_offline_and_is_idempotent(
    cli: Cli, sim: Simulator, tmp_path: Path
) -> None:
    bio, chem = sim.course("canvas-bio"), sim.course("moodle-chem")
    file = write_csv(
        tmp_path / "c.csv",
        [
            "name,base_url,service_key,ltik",
            f"Bio,{sim.base_url},{bio.service_key},",
            f"Chem,{sim.base_url},,{chem.ltik}",
        ],
        end="\n",
    )
    code, out, err = cli("contexts", "import", file, env=API)
    assert code == 0, err
    assert out.splitlines() == ["row 2 'Bio': imported", "row 3 'Chem': imported"]
    assert "2 imported, 0 skipped, 0 invalid, 0 refused" in err
    code, _, err = cli("sync", "--all")
    assert code == 0, err
    # Run again: everything is already there, nothing is added twice.
    code, out, err = cli("contexts", "import", file, "--json", env=API)
    assert code == 1
    assert [r["outcome"] for r in json.loads(out)] == ["skipped", "skipped"]
    assert "already stored" in json.loads(out)[0]["reason"]
    assert stored_names(cli) == ["Bio", "Chem"]


def test_the_api_key_comes_from_the_keyring_when_saved(
    cli: Cli, sim: Simulator, tmp_path: Path
) -> None:
    cli.add(sim, "canvas-bio", "Bio")
    hist = sim.course("bb-history")
    file = write_csv(
        tmp_path / "c.csv",
        ["name,base_url,service_key", f"History,{sim.base_url},{hist.service_key}"],
    )
    code, out, err = cli("contexts", "import", file, "--check")  # no ROSTERGUI_API_KEY at all
    assert code == 0, err
    assert "imported" in out


def test_no_api_key_refuses_the_rows_of_that_address_and_saves_nothing(
    cli: Cli, sim: Simulator, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    bio = sim.course("canvas-bio")
    file = write_csv(
        tmp_path / "c.csv", ["name,base_url,service_key", f"Bio,{sim.base_url},{bio.service_key}"]
    )
    code, out, err = cli("contexts", "import", file)
    assert code == 1
    assert f"no API key for {sim.base_url}" in err and "ROSTERGUI_API_KEY" in err
    assert "row 2 'Bio': refused — no LTIAAS API key was given" in out
    assert accounts(memory_keyring) == set()


def test_a_refused_key_refuses_only_its_row(
    cli: Cli, sim: Simulator, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    bio = sim.course("canvas-bio")
    file = write_csv(
        tmp_path / "c.csv",
        [
            "name,base_url,service_key",
            f"Bio,{sim.base_url},{bio.service_key}",
            f"Wrong,{sim.base_url},not-a-real-service-key",
        ],
    )
    code, out, _ = cli("contexts", "import", file, "--check", "--json", env=API)
    assert code == 1
    rows = json.loads(out)
    assert [r["outcome"] for r in rows] == ["imported", "refused"]
    assert rows[1]["reason"]
    assert stored_names(cli) == ["Bio"]
    assert not any("not-a-real" in value for value in memory_keyring._items.values())


# --- bad input: each names the row and what to fix, nothing is half-imported ---------------


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["name,service_key", "Bio,k"], "Row 1 (the header) has no 'base_url' column; add it"),
        (["name,base_url", "Bio,https://x.example"], "neither a 'service_key' nor an 'ltik'"),
        (
            ["name,base_url,service_key,notes", "Bio,https://x.example,k,hello"],
            "unknown column 'notes' (column 4); rename or delete it",
        ),
        (["name,base_url,service_key,Name", "a,b,c,d"], "the column 'name' twice"),
        (["name,base_url,service_key"], "has a header but no courses"),
    ],
)
def test_a_bad_header_refuses_the_file_in_one_line(
    cli: Cli, tmp_path: Path, lines: list[str], message: str, memory_keyring: MemoryKeyring
) -> None:
    code, out, err = cli("contexts", "import", write_csv(tmp_path / "c.csv", lines), env=API)
    assert code == 1 and out == ""
    errors_ = [line for line in err.splitlines() if "reminder" not in line]
    assert len(errors_) == 1 and message in errors_[0]
    assert "holds secret keys" in err
    assert stored_names(cli) == [] and accounts(memory_keyring) == set()


def test_bad_rows_are_named_with_what_to_fix_and_leave_nothing(
    cli: Cli, sim: Simulator, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    bio, chem = sim.course("canvas-bio"), sim.course("moodle-chem")
    base = sim.base_url
    file = write_csv(
        tmp_path / "c.csv",
        [
            "name,base_url,service_key,ltik",
            f"Bio,{base},{bio.service_key},",
            ",,,",
            f"Bio,{base},other-key,",
            "Plain,http://lti.example.com,key-1,",
            f"Spaces,{base}, {chem.service_key},",
            f"Quoted,{base},\"'{chem.service_key}'\",",
            f"Both,{base},key-2,token-2",
            f"Neither,{base},,",
            f"Again,{base},{bio.service_key},",
            f",{base},key-3,",
        ],
    )
    code, out, err = cli("contexts", "import", file, "--json", env=API)
    assert code == 1, err
    rows = {r["row"]: r for r in json.loads(out)}
    expected = {
        2: ("imported", None),
        3: ("invalid", "the row is empty; delete it"),
        4: ("invalid", "the name 'Bio' is also on row 2; give each course its own name"),
        5: ("invalid", "uses plain http; LTIAAS must be reached over https"),
        6: ("invalid", "the service key has spaces around it; remove them"),
        7: ("invalid", "the service key has quotes around it; remove them"),
        8: ("invalid", "give a service key or a launch token (ltik), not both"),
        9: ("invalid", "give the course's service key or a launch token (ltik)"),
        10: ("skipped", "the same key as row 2: the course is listed twice"),
        11: ("invalid", "the name is empty; give the course a name"),
    }
    for number, (outcome, reason) in expected.items():
        assert rows[number]["outcome"] == outcome, rows[number]
        if reason is None:
            assert rows[number]["reason"] is None
        else:
            assert reason in rows[number]["reason"], rows[number]
    assert stored_names(cli) == ["Bio"]
    kept = set(memory_keyring._items.values())
    assert kept == {DEFAULT_API_KEY, bio.service_key}  # nothing of the bad rows
    assert chem.service_key not in out + err
    # The text form names each row and the fix, one line per row.
    code, out, _ = cli("contexts", "import", file, env=API)
    assert "row 7 'Quoted': invalid — the service key has quotes around it; remove them" in out
    assert len(out.splitlines()) == 10


def test_a_50_mb_file_is_refused_before_it_is_read(
    cli: Cli, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    big = tmp_path / "huge.csv"
    with big.open("wb") as handle:
        handle.write(b"name,base_url,service_key\n")
        handle.truncate(50 * 1024 * 1024)
    code, out, err = cli("contexts", "import", str(big), env=API)
    assert code == 1 and out == ""
    assert "'huge.csv' is 50.0 MB; an import file is at most 4 MB (5,000 courses): split it" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00rest of a workbook", "spreadsheet workbook, not a CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text (CSV) file"),
        ("name,base_url\n".encode("utf-16"), "UTF-16 text; save it"),
        (b"name,base_url,service_key\nCaf\xe9,https://x.example,k\n", "Row 2 is not UTF-8"),
        (b"", "The file is empty"),
    ],
)
def test_a_file_that_is_not_csv_is_refused_in_one_line(
    cli: Cli, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(content)
    code, out, err = cli("contexts", "import", str(path), env=API)
    assert code == 1 and out == ""
    assert message in err
    assert "Traceback" not in err


def test_too_many_rows_are_refused(cli: Cli, tmp_path: Path) -> None:
    lines = ["name,base_url,service_key"] + [f"C{i},https://x.example,k{i}" for i in range(5001)]
    code, _, err = cli("contexts", "import", write_csv(tmp_path / "c.csv", lines), env=API)
    assert code == 1
    assert "5,001 rows; one import takes at most 5,000 courses: split it" in err


def test_a_missing_file_is_one_line(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("contexts", "import", str(tmp_path / "nope.csv"), env=API)
    assert code == 1 and "is not a file; give the CSV file to import" in err
    assert "reminder" not in err  # nothing was read, so there is nothing to delete


# --- no course twice --------------------------------------------------------------------------


def test_the_same_lms_course_is_refused_on_add_import_and_edit(
    cli: Cli, sim: Simulator, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    cli.add(sim, "moodle-chem", "Chem", ltik=True)
    before = set(memory_keyring._items)
    # Adding it again under another name (with its launch token again).
    code, out, err = cli.try_add(sim, "moodle-chem", "Chemistry again", ltik=True)
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert "'Chemistry again' is the same LMS course as 'Chem'" in err
    assert set(memory_keyring._items) == before
    # Importing it.
    chem = sim.course("moodle-chem")
    file = write_csv(
        tmp_path / "c.csv", ["name,base_url,ltik", f"Chimie,{sim.base_url},{chem.ltik}"]
    )
    code, out, err = cli("contexts", "import", file, "--json", env=API)
    assert code == 1
    (row,) = json.loads(out)
    assert row["outcome"] == "skipped"
    assert "'Chimie' is the same LMS course as 'Chem'" in row["reason"]
    assert set(memory_keyring._items) == before
    # Giving another course a launch token of the stored one.
    cli.add(sim, "bb-history", "History", ltik=True)
    code, _, err = cli(
        "contexts",
        "update",
        "History",
        env={"ROSTERGUI_API_KEY": DEFAULT_API_KEY, "ROSTERGUI_LTIK": chem.ltik},
    )
    assert code == 1
    assert "'History' is the same LMS course as 'Chem'" in err
    assert stored_names(cli) == ["Chem", "History"]


def test_two_rows_of_one_lms_course_import_once(cli: Cli, sim: Simulator, tmp_path: Path) -> None:
    chem = sim.course("moodle-chem")
    file = write_csv(
        tmp_path / "c.csv",
        [
            "name,base_url,service_key,ltik",
            f"Chem,{sim.base_url},,{chem.ltik}",
            f"Chemistry,{sim.base_url},{chem.service_key},",  # another key, the same course
        ],
    )
    code, out, _ = cli("contexts", "import", file, "--check", "--json", env=API)
    assert code == 1
    rows = json.loads(out)
    assert [r["outcome"] for r in rows] == ["imported", "skipped"]
    assert rows[1]["reason"] == (
        "'Chemistry' is the same LMS course as row 2 ('Chem'); keep one of the two rows"
    )
    assert stored_names(cli) == ["Chem"]


def test_old_duplicates_survive_and_are_reported_for_both(
    tmp_path: Path, db_url: str, sim: Simulator, secrets: SecretStore
) -> None:
    service = RosterService.open(data_directory=tmp_path, db_url=db_url, secrets=secrets)
    try:
        service.add_course(
            "Bio", sim.base_url, DEFAULT_API_KEY, service_key=sim.course("canvas-bio").service_key
        )
        service.add_course(
            "Chem", sim.base_url, DEFAULT_API_KEY, service_key=sim.course("moodle-chem").service_key
        )
        service.add_course(
            "History", sim.base_url, DEFAULT_API_KEY, ltik=sim.course("bb-history").ltik
        )
        bio = service.course("Bio")
        # As a database from before the check may hold them (no unique index refuses it).
        with service.engine.begin() as conn:
            conn.execute(
                update(contexts)
                .where(contexts.c.name == "Chem")
                .values(platform_id=bio.platform_id, context_id=bio.context_id)
            )
        assert service.duplicate_courses() == {"Bio": "Chem", "Chem": "Bio"}
        assert {c.name for c in service.courses()} == {"Bio", "Chem", "History"}
        # A removed course kept for reference is not a duplicate.
        service.remove_course("Chem", keep_roster=True)
        assert service.duplicate_courses() == {}
    finally:
        service.close()


# --- people search ----------------------------------------------------------------------------


def test_people_search_text_and_json_across_courses(cli: Cli, sim: Simulator) -> None:
    cli.add(sim, "canvas-bio", "Bio")
    cli.add(sim, "moodle-chem", "Chem", ltik=True)
    code, _, err = cli("sync", "--all")
    assert code == 0, err
    code, out, err = cli("people", "search", "nunez JOSÉ", "--json")
    assert code == 0, err
    people = json.loads(out)
    assert people and all("José Núñez" in p["name"] for p in people)
    person = people[0]
    assert set(person) == {"platform_id", "user_id", "name", "email", "courses"}
    assert set(person["courses"][0]) == {"course", "role", "status", "last_seen_at"}
    assert person["courses"][0]["last_seen_at"].endswith("Z")
    # Accents optional and words in any order give the same people.
    code, out2, _ = cli("people", "search", "José Núñez", "--json")
    assert json.loads(out2) == people
    code, text, err = cli("people", "search", "jose nunez")
    assert code == 0
    assert "José Núñez" in text and "Bio: Learner, active, last seen" in text
    assert f"{len(people)} people" in err
    # Nobody found is not a failure.
    code, out, err = cli("people", "search", "zzzz-nobody")
    assert code == 0 and out == "" and "Nobody in any stored course matches" in err
    # No words is a usage error.
    with pytest.raises(SystemExit) as exit_:
        cli("people", "search", "   ")
    assert exit_.value.code == 2


def test_one_hidden_prompt_per_ltiaas_address(
    cli: Cli, sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rostergui.cli import commands_catalogue

    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return DEFAULT_API_KEY

    monkeypatch.setattr(commands_catalogue, "ask_secret", ask)
    other = sim.base_url.replace("127.0.0.1", "localhost")  # another origin, the same server
    bio, chem, hist = sim.course("canvas-bio"), sim.course("moodle-chem"), sim.course("bb-history")
    file = write_csv(
        tmp_path / "c.csv",
        [
            "name,base_url,service_key",
            f"Bio,{sim.base_url},{bio.service_key}",
            f"Chem,{other},{chem.service_key}",
            f"History,{sim.base_url},{hist.service_key}",
        ],
    )
    code, _, err = cli("contexts", "import", file)
    assert code == 0, err
    assert prompts == [f"LTIAAS API key for {sim.base_url}: ", f"LTIAAS API key for {other}: "]
    # The keys are saved now: importing another course there asks nothing.
    prompts.clear()
    data = sim.course("edx-data")
    more = write_csv(
        tmp_path / "more.csv", ["name,base_url,service_key", f"Data,{other},{data.service_key}"]
    )
    code, out, err = cli("contexts", "import", more)
    assert code == 0, err
    assert prompts == [] and "row 2 'Data': imported" in out

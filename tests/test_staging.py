"""Staging: the JSON-in-SQL way in and the Python way in give the same rows, for every shape
of member an LMS sends."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Connection, create_engine

from rostergui.core import staging
from rostergui.core.errors import MalformedResponseError
from rostergui.core.nrps import JsonError, decode_json, parse_page, plain_members
from rostergui.core.roles import RoleMapping
from rostergui.core.secrets import SecretStore
from rostergui.core.service import RosterService
from rostergui.core.staging import StagedRoster
from rostergui.simulator import Simulator
from tests.conftest import add_sim_course

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


def plain(uid: str, **extra: Any) -> dict[str, Any]:
    return {
        "userId": uid,
        "roles": [M + "Learner"],
        "status": "Active",
        "name": f"Person {uid}",
        "givenName": "Person",
        "familyName": uid,
        "email": f"{uid}@example.edu",
        **extra,
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (plain("a"), True),
        ({**plain("a"), "status": None}, True),
        ({k: v for k, v in plain("a").items() if k not in ("name", "email", "status")}, True),
        ({**plain("a"), "roles": []}, True),
        ({**plain("a"), "userId": 42}, False),  # numeric ids are normalised to text
        ({**plain("a"), "userId": ""}, False),
        ({k: v for k, v in plain("a").items() if k != "userId"} | {"user_id": "a"}, False),
        ({k: v for k, v in plain("a").items() if k != "givenName"}, False),
        ({**plain("a"), "status": "Inactive"}, True),
        ({**plain("a"), "status": "Deleted"}, True),
        ({**plain("a"), "status": "inactive"}, False),
        ({**plain("a"), "status": ""}, False),
        ({**plain("a"), "status": " active "}, False),
        ({**plain("a"), "roles": [M + "Learner", 7]}, False),
        ({**plain("a"), "roles": "Learner"}, False),
        ({**plain("a"), "name": 12}, False),
        ({**plain("a"), "email": ["x"]}, False),
        ("a", False),
        (None, False),
    ],
)
def test_plain_members_are_the_common_shape_only(raw: Any, expected: bool) -> None:
    assert plain_members([raw]) is expected
    assert plain_members([plain("x"), raw, plain("y")]) is expected


def page_of(members: list[Any], *, where: str = "page 1") -> Any:
    content = json.dumps({"members": members, "context": {"id": "c"}}).encode()
    return parse_page(decode_json(content), where, content)


def test_a_page_is_plain_only_when_every_member_is_and_no_nul_is_escaped() -> None:
    assert page_of([plain("a"), plain("b")]).plain
    assert not page_of([plain("a"), {**plain("b"), "userId": 2}]).plain
    assert not page_of([plain("a", name="cut\x00here")]).plain
    assert not parse_page({"members": [plain("a")]}, "page 1").plain  # no body to hand over


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[Connection]:
    engine = create_engine(f"sqlite:///{tmp_path / 'staging.db'}")
    with engine.connect() as connection:
        yield connection
    engine.dispose()


TRICKY = [
    plain("u1", name="Zoë 😀 O'Brien", familyName='Quote "x" \\ back'),
    plain("u2", name=None, email=None),
    {k: v for k, v in plain("u3").items() if k not in ("name", "email", "status")},
    plain(
        "u4", roles=[M + "Instructor", "http://purl.imsglobal.org/vocab/lti/system/person#TestUser"]
    ),
    plain("u5", roles=[]),
    plain("u1", name="Zoë again"),  # repeated within the page: the last copy wins
    plain("tab\tline\u2028sep", givenName="日本語"),
    plain("u6", status="Inactive"),
    plain("u7", status="Deleted"),
]


def staged_rows(conn: Connection, pages: list[Any], *, use_json: bool) -> list[tuple[Any, ...]]:
    staged = StagedRoster(conn, RoleMapping())
    staged.json = use_json
    for page in pages:
        staged.add_page(page)
    staged.finish()
    rows = conn.exec_driver_sql(
        "SELECT s.user_id, s.name, s.given_name, s.family_name, s.email, s.lms_status,"
        " s.status, r.lti_roles, r.role, r.test_user"
        " FROM rs_staging s JOIN rs_rolemap r ON r.roles_json = s.roles_json ORDER BY 1"
    ).all()
    for table in ("rs_staging", "rs_rolemap"):  # what closing the sync's connection does
        conn.exec_driver_sql(f"DROP TABLE {table}")
    conn.commit()
    return [tuple(row) for row in rows]


def test_every_way_in_stages_the_same_rows(conn: Connection) -> None:
    first, second = page_of(TRICKY), page_of([plain("u2", name="Back again")], where="page 2")
    assert first.plain and second.plain
    as_sent = staged_rows(conn, [first, second], use_json=True)
    normalised = staged_rows(
        conn, [dataclasses.replace(p, plain=False) for p in (first, second)], use_json=True
    )
    executemany = staged_rows(conn, [first, second], use_json=False)
    assert as_sent == normalised == executemany
    by_id = {row[0]: row for row in as_sent}
    assert len(as_sent) == 8
    assert by_id["u1"][1] == "Zoë again"  # last copy within a page
    assert by_id["u2"][1] == "Back again"  # last copy across pages
    assert by_id["u3"][1:5] == (None, "Person", "u3", None)
    assert by_id["u3"][5:7] == ("Active", "active")
    assert by_id["u4"][8:] == ("Instructor", 1)
    assert by_id["u5"][7:9] == ("", "Other")
    assert by_id["tab\tline\u2028sep"][2] == "日本語"
    assert [by_id[u][5:7] for u in ("u6", "u7")] == [
        ("Inactive", "inactive"),
        ("Deleted", "inactive"),
    ]


def test_normalised_members_keep_their_status_and_a_bad_member_is_refused(
    conn: Connection,
) -> None:
    moodle = {"user_id": 7, "roles": [M + "Learner"], "status": "inactive", "given_name": "A"}
    rows = staged_rows(conn, [page_of([moodle])], use_json=True)
    assert [(r[0], r[2], r[5], r[6]) for r in rows] == [("7", "A", "Inactive", "inactive")]
    staged = StagedRoster(conn, RoleMapping())
    with pytest.raises(MalformedResponseError, match="page 3"):
        staged.add_page(page_of([plain("ok"), {"roles": []}], where="page 3"))


def test_decoding_falls_back_to_the_standard_library_for_what_orjson_refuses() -> None:
    assert decode_json('{"a": "é"}'.encode("utf-16")) == {"a": "é"}
    assert decode_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": NaN}',
        b'{"a": -Infinity}',
        b"<html>Bad gateway</html>",
        b"[" * 100_000,
        b'{"a": "\xff\xfe"}',
        b"",
    ],
)
def test_what_no_json_reader_should_accept_is_refused(body: bytes) -> None:
    with pytest.raises(JsonError):
        decode_json(body)


def test_user_ids_beyond_64_bits_stay_exact() -> None:
    content = b'{"members": [{"userId": 123456789012345678901234567890, "roles": []}]}'
    assert type(orjson.loads(content)["members"][0]["userId"]) is float  # why the re-read
    page = parse_page(decode_json(content), "page 1", content)
    assert page.members[0].user_id == "123456789012345678901234567890"


def member_view(service: RosterService, name: str) -> list[tuple[Any, ...]]:
    return sorted(
        (
            r.user_id,
            r.name,
            r.given_name,
            r.family_name,
            r.email,
            r.role,
            r.lti_roles,
            r.status,
            r.test_user,
        )
        for r in service.members(name, status="all")
    )


def test_syncs_store_the_same_roster_with_or_without_sqlite_json(
    tmp_path: Path,
    sim: Simulator,
    secrets: SecretStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slugs = [c.slug for c in sim.courses.values() if c.nrps_available and len(c.roster) < 50_000]
    assert len(slugs) >= 4
    with_json = RosterService.open(data_directory=tmp_path / "json", secrets=secrets)
    for slug in slugs:
        assert with_json.sync(add_sim_course(with_json, sim, slug)).ok
    monkeypatch.setattr(staging, "sqlite_has_json", lambda _conn: False)
    without = RosterService.open(data_directory=tmp_path / "rows", secrets=secrets)
    for slug in slugs:
        assert without.sync(add_sim_course(without, sim, slug)).ok
    for slug in slugs:
        assert member_view(with_json, slug) == member_view(without, slug), slug
    with_json.close()
    without.close()


def test_the_sync_connection_leaves_no_temporary_table_or_setting_behind(
    service: RosterService, sim: Simulator
) -> None:
    name = add_sim_course(service, sim, "canvas-bio")
    assert service.sync(name).ok
    assert service.sync(name).ok
    sqlite = service.engine.dialect.name == "sqlite"
    with service.engine.connect() as a, service.engine.connect() as b:
        for conn in (a, b):
            if sqlite:
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                temp = "SELECT name FROM sqlite_temp_master WHERE type = 'table'"
            else:
                temp = (
                    "SELECT tablename FROM pg_tables"
                    " WHERE schemaname = pg_my_temp_schema()::regnamespace::text"
                )
            assert conn.exec_driver_sql(temp).all() == []

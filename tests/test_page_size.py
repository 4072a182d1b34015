"""Fewer pages: a sync asks the LMS for 1,000 members a page unless told otherwise, keeps
every rule about ``next`` and short pages, and the command line can change it."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rostergui.cli.parser import build_parser
from rostergui.core.limits import DEFAULT_PAGE_SIZE, checked_page_size
from rostergui.core.secrets import MemoryKeyring, SecretStore
from rostergui.core.service import ClientOptions, RosterService
from rostergui.core.sync import SyncEngine
from rostergui.simulator import Simulator, sample_courses
from rostergui.simulator.samples import mooc_course
from tests.conftest import FAST_RETRY, Cli, add_sim_course

MEMBERS = 2_500


@pytest.fixture
def lms_sim() -> Iterator[Simulator]:
    """An LMS that honours any ``limit`` (up to 10,000), Canvas (at most 50 a page) and one
    that ignores ``limit`` (37 a page)."""
    honours = dataclasses.replace(mooc_course(count=MEMBERS, slug="honours"), max_limit=10_000)
    samples = {c.slug: c for c in sample_courses(7)}
    canvas = dataclasses.replace(samples["canvas-large"], max_limit=50)
    with Simulator(courses=[honours, canvas, samples["edx-data"]]) as sim:
        yield sim


def open_service(tmp_path: Path, db_url: str, secrets: SecretStore, **options: Any) -> Any:
    return RosterService.open(
        data_directory=tmp_path,
        db_url=db_url,
        secrets=secrets,
        client_options=ClientOptions(timeout=5, retry=FAST_RETRY),
        **options,
    )


def first_limits(sim: Simulator, slug: str) -> list[str | None]:
    """The ``limit`` of every walk's first request for this course."""
    return [
        r.query.get("limit")
        for r in sim.requests
        if r.course == slug and r.path.startswith("/api/memberships") and "url" not in r.query
    ]


def test_a_sync_asks_for_large_pages_by_default(
    tmp_path: Path, db_url: str, secrets: SecretStore, lms_sim: Simulator
) -> None:
    assert DEFAULT_PAGE_SIZE == 1000
    service = open_service(tmp_path, db_url, secrets)
    try:
        name = add_sim_course(service, lms_sim, "honours")
        lms_sim.reset_log()  # adding a course asks for one member; the sync follows
        result = service.sync(name)
        assert result.ok, result.error
        assert result.added == MEMBERS
        assert result.pages == 3  # 1,000 + 1,000 + 500
        assert first_limits(lms_sim, "honours") == ["1000"]
        pages = [r for r in lms_sim.requests if r.course == "honours" and r.page]
        assert [r.page for r in pages] == [1, 2, 3]
    finally:
        service.close()


@pytest.mark.parametrize(
    ("slug", "per_page"),
    [("canvas-large", 50), ("edx-data", 37)],
    ids=["caps limit at 50", "ignores limit"],
)
def test_an_lms_that_sends_smaller_pages_is_walked_to_its_end(
    tmp_path: Path, db_url: str, secrets: SecretStore, lms_sim: Simulator, slug: str,
    per_page: int,
) -> None:
    """Short pages never end a roster: only a missing ``next`` does, at any page size."""
    members = len(lms_sim.course(slug).roster)
    for page_size in (DEFAULT_PAGE_SIZE, 100):
        service = open_service(tmp_path / str(page_size), db_url, secrets, page_size=page_size)
        try:
            name = add_sim_course(service, lms_sim, slug, f"{slug}-{page_size}")
            lms_sim.reset_log()
            result = service.sync(name)
            assert result.ok, result.error
            assert result.pages == math.ceil(members / per_page)
            assert result.added == members
            assert first_limits(lms_sim, slug) == [str(page_size)]
            service.remove_course(name)  # one LMS course is stored once: make room
        finally:
            service.close()


def test_the_page_size_is_the_first_requests_limit(
    tmp_path: Path, db_url: str, secrets: SecretStore, lms_sim: Simulator
) -> None:
    for page_size, pages in ((100, 25), (2_500, 1), (None, 25)):  # None: the LMS's default
        service = open_service(tmp_path / str(page_size), db_url, secrets, page_size=page_size)
        try:
            name = add_sim_course(service, lms_sim, "honours", f"honours-{page_size}")
            lms_sim.reset_log()
            result = service.sync(name)
            assert result.ok, result.error
            assert (result.pages, result.added) == (pages, MEMBERS)
            expected = None if page_size is None else str(page_size)
            assert first_limits(lms_sim, "honours") == [expected]
            service.remove_course(name)  # one LMS course is stored once: make room
        finally:
            service.close()


@pytest.mark.parametrize("size", [0, -1, 10_001, 10**9])
def test_page_sizes_out_of_range_are_refused(size: int) -> None:
    with pytest.raises(ValueError, match="page_size must be between 1 and 10,000"):
        checked_page_size(size)


@pytest.mark.parametrize("size", [True, 100.0, "100"])
def test_page_sizes_must_be_whole_numbers(size: Any) -> None:
    with pytest.raises(TypeError):
        checked_page_size(size)


def test_the_service_checks_its_page_size(tmp_path: Path) -> None:
    assert checked_page_size(1) == 1
    assert checked_page_size(10_000) == 10_000
    with pytest.raises(ValueError):
        RosterService.open(
            data_directory=tmp_path, secrets=SecretStore(MemoryKeyring()), page_size=0
        )
    service = RosterService.open(data_directory=tmp_path, secrets=SecretStore(MemoryKeyring()))
    try:
        assert service.sync_engine.page_size == DEFAULT_PAGE_SIZE
        assert SyncEngine(service.engine, page_size=None).page_size is None
    finally:
        service.close()


# ------------------------------------------------------------------ the command line


def test_sync_page_size_option(cli: Cli, lms_sim: Simulator) -> None:
    cli.add(lms_sim, "honours", "Honours")
    lms_sim.reset_log()
    code, _out, err = cli("sync", "Honours", "--page-size", "250", "--json")
    assert code == 0, err
    assert first_limits(lms_sim, "honours") == ["250"]
    lms_sim.reset_log()
    code, out, err = cli("sync", "Honours", "--json")
    assert code == 0, err
    assert first_limits(lms_sim, "honours") == ["1000"]
    assert '"pages": 3' in out


def test_sync_page_size_default_and_range() -> None:
    parser = build_parser()
    assert parser.parse_args(["sync", "--all"]).page_size == 1000
    assert parser.parse_args(["sync", "A", "--page-size", "1"]).page_size == 1
    assert parser.parse_args(["sync", "A", "--page-size", "10000"]).page_size == 10_000


@pytest.mark.parametrize("value", ["0", "10001", "-5", "many", "1.5", ""])
def test_sync_page_size_out_of_range_is_a_usage_error(
    bare_cli: Cli, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        bare_cli("sync", "A", "--page-size", value)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "--page-size" in err

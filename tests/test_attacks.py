"""Hostile servers: every attack the simulator knows, over real HTTP, through the command line.

Each sync test adds a course, syncs it cleanly, injects one attack and syncs again through
``rostergui.cli.run`` (the path a cron job takes), then checks what a trustworthy tool must do:

* a sync that cannot be trusted fails with one clear line (no "Unexpected error", no "this is a
  bug", no traceback) and leaves the stored roster exactly as it was, and the history says so;
* data that is odd but well-defined (control characters, float ids, duplicates) is stored
  exactly, and terminal output never carries raw control characters;
* every sync returns within a bound: each runs on a thread of its own, and one that overruns is
  ended by stopping the simulator and reported as a failure;
* no secret (API key, service key, raw or percent-encoded) reaches the result, the JSON output,
  the history, the database or the log.

The client's limits are small here (2 s per request, 1 MB per page, 300 pages, 8 s per roster;
two attempts in 3 s), so that every bound is reached quickly and each server-side trickle is
short.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

import httpx
import pytest
from sqlalchemy import create_engine

from rostergui.cli import run
from rostergui.core.limits import Limits, RetryPolicy
from rostergui.core.secrets import MemoryKeyring
from rostergui.core.service import ClientOptions, RosterService
from rostergui.simulator import (
    ATTACK_NAMES,
    DEFAULT_API_KEY,
    Attack,
    Simulator,
    parse_attack,
    sample_courses,
)
from rostergui.simulator.attacks import ATTACKS
from rostergui.simulator.hostile_bodies import gzip_bomb
from rostergui.simulator.hostile_rosters import (
    CONTROL_FAMILY,
    CONTROL_GIVEN,
    CONTROL_IDS,
    CONTROL_NAME,
    CONTROL_ROLE,
    DUPLICATE_ROLE,
)
from rostergui.simulator.members import LEARNER
from tests.conftest import database_text, simulator_process

REPO = Path(__file__).resolve().parents[1]
T = TypeVar("T")

#: A base64-style key: percent-encoding changes it, so an echo in either spelling is caught.
API_KEY = "SIM+ltiaas/Key0000=="
#: A key with URL punctuation in it, whose tail must not escape redaction either.
PUNCTUATED_KEY = "sim-key&tail-of-the-api-key"
COURSE = "Bio"
SLUGS = ("canvas-bio", "moodle-chem")

TIMEOUT = 2.0
LIMITS = Limits(page_bytes=1 << 20, request_seconds=2.0, roster_seconds=8.0, pages=300)
RETRY = RetryPolicy(attempts=2, total_seconds=3, base_delay=0.01, max_delay=0.05)
#: The most a sync may take: two attempts at the request bound, and slack.
BOUND = 2 * LIMITS.request_seconds + 4


def client_options() -> ClientOptions:
    return ClientOptions(timeout=TIMEOUT, retry=RETRY, limits=LIMITS)


def secret_spellings(*secrets: str) -> list[str]:
    spellings: set[str] = set()
    for secret in secrets:
        spellings |= {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
    return sorted(spellings)


# --- the harness ------------------------------------------------------------------------


@dataclass
class Synced:
    """One ``sync --json`` run: exit code, output, the course's result, and how long it took."""

    code: int
    out: str
    err: str
    seconds: float

    @property
    def result(self) -> dict[str, Any]:
        results = json.loads(self.out)
        assert isinstance(results, list) and len(results) == 1, self.out
        result = results[0]
        assert isinstance(result, dict)
        return result


def bounded(sim: Simulator, seconds: float, call: Callable[[], T]) -> tuple[T, float]:
    """``call()`` on a thread; if it overruns, stop the simulator (which ends every request)
    and fail. Returns the value and the seconds it took."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="bounded-sync", daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(seconds)
    elapsed = time.monotonic() - started
    if thread.is_alive():
        sim.stop()
        thread.join(30)
        still = ", and it still runs" if thread.is_alive() else ""
        pytest.fail(
            f"the sync did not return within {seconds:g} s; the simulator was stopped{still}"
        )
    if "error" in box:
        raise box["error"]
    return box["value"], elapsed


class Harness:
    """The command line on a private data folder, keyring and database, against ``sim``."""

    def __init__(
        self,
        sim: Simulator,
        data_dir: Path,
        db_url: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        self.sim = sim
        self.data_dir = data_dir
        self.db_url = db_url
        self.monkeypatch = monkeypatch
        self.slug = ""
        monkeypatch.setenv("ROSTERGUI_DB_URL", db_url)
        for key in ("ROSTERGUI_API_KEY", "ROSTERGUI_SERVICE_KEY", "ROSTERGUI_LTIK"):
            monkeypatch.delenv(key, raising=False)
        real_open = RosterService.open

        def open_with_small_limits(**kwargs: Any) -> RosterService:
            kwargs.setdefault("client_options", client_options())
            return real_open(**kwargs)

        monkeypatch.setattr(RosterService, "open", open_with_small_limits)

    def cli(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = run(["--data-dir", str(self.data_dir), "-v", *argv], out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    def add(self, slug: str) -> None:
        self.slug = slug
        course = self.sim.course(slug)
        self.monkeypatch.setenv("ROSTERGUI_API_KEY", self.sim.api_key)
        self.monkeypatch.setenv("ROSTERGUI_SERVICE_KEY", course.service_key)
        code, _, err = self.cli(
            "contexts", "add", "--name", COURSE, "--base-url", self.sim.base_url
        )
        self.monkeypatch.delenv("ROSTERGUI_API_KEY")
        self.monkeypatch.delenv("ROSTERGUI_SERVICE_KEY")
        assert code == 0, err

    def sync(self, within: float = BOUND) -> Synced:
        (code, out, err), seconds = bounded(
            self.sim, within, lambda: self.cli("sync", COURSE, "--json")
        )
        return Synced(code, out, err, seconds)

    def synced_course(self, slug: str) -> list[dict[str, Any]]:
        """Add the course, sync it cleanly, and return its stored roster."""
        self.add(slug)
        first = self.sync()
        assert first.code == 0 and first.result["ok"], first.out + first.err
        return self.members()

    def members(self) -> list[dict[str, Any]]:
        """The stored roster (every status), without the sync timestamps."""
        code, out, err = self.cli("members", COURSE, "--json", "--status", "all")
        assert code == 0, err
        rows = [
            {k: v for k, v in row.items() if k not in ("first_seen_at", "last_seen_at")}
            for row in json.loads(out)
        ]
        return sorted(rows, key=lambda row: str(row["user_id"]))

    def history(self) -> tuple[list[dict[str, Any]], str]:
        code, out, err = self.cli("history", COURSE, "--json", "--changes")
        assert code == 0, err
        runs = json.loads(out)
        assert isinstance(runs, list)
        return runs, out

    def leaked(self, *texts: str, extra: tuple[str, ...] = ()) -> list[str]:
        """Every secret spelling (and ``extra`` text) found in ``texts``, the log, the database
        or its files."""
        secrets = secret_spellings(self.sim.api_key, self.sim.course(self.slug).service_key)
        secrets += extra
        engine = create_engine(self.db_url)
        try:
            stored = database_text(engine)
        finally:
            engine.dispose()
        logs = "".join(
            p.read_text(encoding="utf-8", errors="replace")
            for p in self.data_dir.glob("rostersync.log*")
        )
        raw = b""
        if self.db_url.startswith("sqlite:///"):
            db_file = Path(self.db_url.removeprefix("sqlite:///"))
            raw = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
        places = {"output": "\n".join(texts), "log": logs, "database": stored}
        found = [f"{s!r} in the {where}" for s in secrets for where, t in places.items() if s in t]
        found += [f"{s!r} in the database file" for s in secrets if s.encode() in raw]
        return found


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    """The simulator with the courses these tests use; the API key may be parametrised."""
    courses = [c for c in sample_courses() if c.slug in SLUGS]
    with Simulator(api_key=getattr(request, "param", API_KEY), courses=courses) as sim:
        yield sim


@pytest.fixture
def harness(
    hostile: Simulator,
    tmp_path: Path,
    db_url: str,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Harness]:
    yield Harness(hostile, tmp_path / "data", db_url, monkeypatch)
    # Later tests must not see this test's logging handlers.
    from rostergui.core.logs import setup_logging

    setup_logging(None)


def one_clean_line(message: object) -> str:
    assert isinstance(message, str) and message.strip(), message
    assert message.isprintable(), f"not one printable line: {message!r}"
    assert len(message) <= 1000, f"{len(message)} characters"
    for bad in ("Unexpected error", "this is a bug", "Traceback"):
        assert bad not in message
    return message


def assert_failed_cleanly(h: Harness, synced: Synced, before: list[dict[str, Any]]) -> None:
    result = synced.result
    assert synced.code == 1, synced.out + synced.err
    assert not result["ok"] and not result["held"], result
    error = one_clean_line(result["error"])
    for bad in ("Unexpected error", "this is a bug", "Traceback"):
        assert bad not in synced.out + synced.err
    assert h.members() == before, "a failed sync changed the stored roster"
    runs, _ = h.history()
    assert runs[0]["outcome"] == "failed" and runs[0]["error"] == error


def assert_succeeded(synced: Synced) -> None:
    result = synced.result
    assert synced.code == 0 and result["ok"], synced.out + synced.err
    assert result["error"] is None
    assert "Traceback" not in synced.err


def assert_no_leak(h: Harness, synced: Synced, extra: tuple[str, ...] = ()) -> None:
    _, history = h.history()
    code, members, _ = h.cli("members", COURSE, "--json", "--status", "all")
    assert code == 0
    assert h.leaked(synced.out, synced.err, history, members, extra=extra) == []


# --- what each attack must lead to ------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """An attack on the course's second page (unless it says otherwise), and how long the
    sync may take."""

    attack: Attack
    within: float = BOUND

    def param(self) -> Any:
        return pytest.param(self, id=self.attack.name)


def on_page(name: str, page: int | None = 2, **options: Any) -> Attack:
    return Attack(name, course="canvas-bio", page=page, **options)


#: Answers that must fail the sync cleanly.
FAILING = [
    *(
        Case(on_page(name))
        for name in (
            "next_number",
            "next_object",
            "next_list",
            "next_empty",
            "next_whitespace",
            "next_not_url",
            "next_ftp",
            "next_huge",
            "members_missing",
            "members_object",
            "members_null",
            "paging_loop",
            "id_nul",
            "id_surrogate",
            "id_fraction",
            "id_nan",
            "id_bool",
            "id_object",
            "id_list",
            "id_too_long",
            "unknown_status",
            "deep_nesting",
            "truncated_json",
            "html_200",
            "echo_secret_401",
            "echo_secret_500",
        )
    ),
    Case(on_page("endless_next", page=None)),
    Case(on_page("paging_cycle", page=None)),
    Case(on_page("gzip_bomb")),
    Case(on_page("huge_body", size=64_000_000)),
    # The simulator trickles for longer than the sync may take.
    Case(on_page("trickle_body", interval=0.1, duration=3 * BOUND)),
    Case(on_page("trickle_headers", interval=0.1, duration=3 * BOUND)),
    Case(on_page("never_answer", duration=3 * BOUND)),
]

#: Answers a tool may read (exactly) or refuse (cleanly): the stored roster is unchanged both ways.
EITHER = [
    Case(on_page(name))
    for name in ("repeated_keys", "bom", "utf16", "nan_tokens", "wrong_content_type")
]

#: Attacks whose data is odd but well-defined: the sync stores it exactly (a role with control
#: characters may also be refused, see its test).
SUCCEEDING = (
    "id_controls",
    "name_controls",
    "role_controls",
    "id_float",
    "duplicate_on_page",
    "duplicate_across_pages",
)


def test_every_attack_has_an_expectation() -> None:
    covered = {c.attack.name for c in FAILING + EITHER} | set(SUCCEEDING)
    assert covered == set(ATTACK_NAMES)


@pytest.mark.parametrize("case", [c.param() for c in FAILING])
def test_an_attack_fails_the_sync_cleanly_and_changes_nothing(harness: Harness, case: Case) -> None:
    before = harness.synced_course("canvas-bio")
    harness.sim.inject(case.attack)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    synced = harness.sync(within=case.within)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert any(r.attack == case.attack.name for r in harness.sim.requests), "never served"
    assert_failed_cleanly(harness, synced, before)
    assert synced.seconds < case.within
    assert grown_mb < 300, f"the sync grew the process by {grown_mb:.0f} MB"
    assert_no_leak(harness, synced)


@pytest.mark.parametrize("case", [c.param() for c in EITHER])
def test_an_odd_but_readable_answer_is_read_exactly_or_refused(
    harness: Harness, case: Case
) -> None:
    before = harness.synced_course("canvas-bio")
    harness.sim.inject(case.attack)
    synced = harness.sync(within=case.within)
    assert any(r.attack == case.attack.name for r in harness.sim.requests), "never served"
    if synced.code == 0:
        assert_succeeded(synced)
        assert harness.members() == before, "the answer was misread"
        assert harness.history()[0][0]["outcome"] == "ok"
    else:
        assert_failed_cleanly(harness, synced, before)
    assert_no_leak(harness, synced)


@pytest.mark.parametrize("hostile", [PUNCTUATED_KEY], indirect=True)
@pytest.mark.parametrize("name", ["echo_secret_401", "echo_secret_500"])
def test_no_part_of_an_echoed_key_survives_whatever_characters_it_has(
    harness: Harness, name: str
) -> None:
    before = harness.synced_course("canvas-bio")
    harness.sim.inject(on_page(name))
    synced = harness.sync()
    assert_failed_cleanly(harness, synced, before)
    assert_no_leak(harness, synced, extra=(PUNCTUATED_KEY.partition("&")[2],))


# --- odd data that must be stored exactly -----------------------------------------------


def sync_with(harness: Harness, attack: Attack, slug: str = "canvas-bio") -> list[dict[str, Any]]:
    """A clean sync, then one with the attack: returns the roster stored before it."""
    before = harness.synced_course(slug)
    harness.sim.inject(attack)
    synced = harness.sync()
    assert any(r.attack == attack.name for r in harness.sim.requests), "never served"
    assert_succeeded(synced)
    assert_no_leak(harness, synced)
    return before


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["user_id"]: row for row in rows}


def test_control_characters_in_ids_are_stored_exactly(harness: Harness) -> None:
    before = sync_with(harness, on_page("id_controls"))
    after = by_id(harness.members())
    assert set(after) == set(by_id(before)) | set(CONTROL_IDS)
    assert [after[uid]["name"] for uid in CONTROL_IDS] == [
        f"Control id {i}" for i in range(1, len(CONTROL_IDS) + 1)
    ]
    assert {uid: row for uid, row in after.items() if uid not in CONTROL_IDS} == by_id(before)


def test_control_characters_in_names_are_stored_exactly(harness: Harness) -> None:
    before = sync_with(harness, on_page("name_controls"))
    after = by_id(harness.members())
    row = after.pop("name-controls")
    assert (row["name"], row["given_name"], row["family_name"]) == (
        CONTROL_NAME,
        CONTROL_GIVEN,
        CONTROL_FAMILY,
    )
    assert after == by_id(before)


def test_control_characters_in_roles_are_stored_exactly_or_refused(harness: Harness) -> None:
    """A role is an identifier, not text: refusing one with a line break in it is as good as
    keeping it exactly. Splitting it in two, or cutting it, is not."""
    before = harness.synced_course("canvas-bio")
    attack = on_page("role_controls")
    harness.sim.inject(attack)
    synced = harness.sync()
    assert any(r.attack == attack.name for r in harness.sim.requests), "never served"
    if synced.code != 0:
        assert_failed_cleanly(harness, synced, before)
        return
    assert_succeeded(synced)
    after = by_id(harness.members())
    row = after.pop("role-controls")
    assert row["lti_roles"] == [LEARNER, CONTROL_ROLE]
    assert row["role"] == "Learner"
    assert after == by_id(before)
    assert_no_leak(harness, synced)


def test_terminal_output_never_carries_control_characters(harness: Harness) -> None:
    harness.synced_course("canvas-bio")
    # Roles with control characters are refused (see the test above); ids and names are kept.
    for page, name in enumerate(("id_controls", "name_controls"), start=1):
        harness.sim.inject(Attack(name, course="canvas-bio", page=page))
    assert_succeeded(harness.sync())
    for argv in (
        ("members", COURSE, "--status", "all"),
        ("history", COURSE, "--changes"),
        ("sync", COURSE),
    ):
        code, out, err = harness.cli(*argv)
        assert code == 0, err
        raw = sorted({repr(ch) for ch in out + err if ch != "\n" and not ch.isprintable()})
        assert raw == [], f"{' '.join(argv)} printed raw control characters {raw}"
        if argv[0] == "members":  # a heading, then one line per member
            assert len(out.splitlines()) == 1 + len(harness.members())


def test_float_ids_that_are_whole_numbers_are_the_same_people(harness: Harness) -> None:
    """Moodle sends numeric ids; 151.0 is user 151, not a newcomer."""
    before = sync_with(harness, Attack("id_float", course="moodle-chem", page=2), "moodle-chem")
    assert harness.members() == before
    latest = harness.history()[0][0]
    assert (latest["added"], latest["deactivated"], latest["updated"]) == (0, 0, 0)


@pytest.mark.parametrize("name", ["duplicate_on_page", "duplicate_across_pages"])
def test_a_member_listed_twice_is_stored_once_with_every_role(harness: Harness, name: str) -> None:
    course = harness.sim.course("canvas-bio")
    roster = course.roster
    position = course.page_size(100) if name == "duplicate_on_page" else 0  # page 2 or 1
    twice = roster.user_id_of(roster.entries[position])
    before = by_id(sync_with(harness, on_page(name)))
    after = by_id(harness.members())
    assert set(after) == set(before)
    merged = after.pop(twice)
    original = before.pop(twice)
    assert merged["lti_roles"] == [*original["lti_roles"], DUPLICATE_ROLE]
    assert merged["role"] == "Administrator"  # the highest of the roles
    assert after == before


# --- the simulator side: the attacks themselves -----------------------------------------


def auth(sim: Simulator, slug: str = "canvas-bio") -> dict[str, str]:
    return {"Authorization": f"SERVICE-AUTH-V1 {sim.api_key}:{sim.course(slug).service_key}"}


def test_every_attack_answers_over_http(hostile: Simulator) -> None:
    slow = {"gzip_bomb", "huge_body", "trickle_body", "trickle_headers", "never_answer"}
    with httpx.Client(base_url=hostile.base_url, timeout=5) as client:
        for name in ATTACK_NAMES:
            if name in slow:
                continue
            hostile.clear_faults()
            hostile.inject(Attack(name, course="canvas-bio"))
            response = client.get("/api/memberships", headers=auth(hostile))
            assert response.content, name
            assert hostile.requests[-1].attack == name
    hostile.clear_faults()


def test_attacks_are_targeted_like_faults(hostile: Simulator) -> None:
    hostile.inject(Attack("members_null", course="canvas-bio", page=2, times=1))
    with httpx.Client(base_url=hostile.base_url, timeout=5) as client:
        other = client.get("/api/memberships", headers=auth(hostile, "moodle-chem"))
        assert other.json()["members"]
        first = client.get("/api/memberships", headers=auth(hostile)).json()
        assert first["members"]
        second = client.get(
            "/api/memberships", params={"url": first["next"]}, headers=auth(hostile)
        )
        assert second.json()["members"] is None
        again = client.get("/api/memberships", params={"url": first["next"]}, headers=auth(hostile))
        assert again.json()["members"]  # times=1: used up
    assert hostile.faults == []


def test_roster_attacks_leave_the_id_token_alone(hostile: Simulator) -> None:
    hostile.inject(Attack("next_number"))
    hostile.inject(Attack("html_200", course="moodle-chem"))
    course = hostile.course("moodle-chem")
    header = {"Authorization": f"LTIK-AUTH-V2 {hostile.api_key}:{course.ltik}"}
    with httpx.Client(base_url=hostile.base_url, timeout=5) as client:
        response = client.get("/api/idtoken", headers=header)
    assert response.headers["content-type"].startswith("text/html")
    assert hostile.requests[-1].attack == "html_200"


def test_endless_and_cycling_links_never_repeat(hostile: Simulator) -> None:
    for name, size in (("endless_next", 60_000), ("paging_cycle", None)):
        hostile.clear_faults()
        hostile.inject(Attack(name, course="canvas-bio"))
        seen: set[str] = set()
        with httpx.Client(base_url=hostile.base_url, timeout=5) as client:
            page = client.get("/api/memberships", headers=auth(hostile)).json()
            for _ in range(8):
                link = page["next"]
                assert link not in seen
                if size is not None:
                    assert abs(len(link) - size) < 100
                seen.add(link)
                page = client.get(
                    "/api/memberships", params={"url": link}, headers=auth(hostile)
                ).json()
                assert page["members"]
    hostile.clear_faults()


def test_special_tokens_are_raw_in_the_body(hostile: Simulator) -> None:
    expected = {
        "id_nan": b'"userId":NaN',
        "id_surrogate": b'"userId":"\\ud800lone"',
        "id_nul": b'"userId":"nul\\u0000id"',
        "repeated_keys": b'{"userId":"decoy-repeated-key","userId":',
        "nan_tokens": b'"x_score":NaN,"x_weight":Infinity}',
        "bom": b"\xef\xbb\xbf{",
        "utf16": b"\xff\xfe{\x00",
        "deep_nesting": b"[" * 1000,
    }
    with httpx.Client(base_url=hostile.base_url, timeout=5) as client:
        for name, fragment in expected.items():
            hostile.clear_faults()
            hostile.inject(Attack(name, course="canvas-bio"))
            assert fragment in client.get("/api/memberships", headers=auth(hostile)).content, name
    hostile.clear_faults()


def test_secret_echo_repeats_every_spelling(hostile: Simulator) -> None:
    hostile.inject(Attack("echo_secret_401"))
    with httpx.Client(base_url=hostile.base_url, timeout=5) as client:
        response = client.get("/api/memberships", headers=auth(hostile))
    assert response.status_code == 401
    body = response.json()
    text = body["error"] + body["details"]["description"]
    service_key = hostile.course("canvas-bio").service_key
    for spelling in (API_KEY, quote(API_KEY, safe=""), quote_plus(API_KEY), service_key):
        assert spelling in text
    assert body["details"]["description"].index(service_key) < 300


def test_gzip_bomb_inflates_to_its_size_from_a_small_body() -> None:
    length, inflated, stream = gzip_bomb(20_000_000)
    body = b"".join(stream())
    assert len(body) == length < inflated // 500
    data = zlib.decompress(body, wbits=31)  # checks the CRC and length too
    assert len(data) == inflated >= 20_000_000
    page = json.loads(data)
    assert len(page["members"]) > 10


def test_gzip_bomb_over_http_is_announced_and_short(hostile: Simulator) -> None:
    hostile.inject(Attack("gzip_bomb", size=5_000_000))
    with (
        httpx.Client(base_url=hostile.base_url, timeout=5) as client,
        client.stream("GET", "/api/memberships", headers=auth(hostile)) as response,
    ):
        assert response.headers["content-encoding"] == "gzip"
        raw = b"".join(response.iter_raw())
    assert int(response.headers["content-length"]) == len(raw) < 20_000
    assert len(zlib.decompress(raw, wbits=31)) >= 5_000_000


def test_huge_body_is_streamed_valid_json(hostile: Simulator) -> None:
    hostile.inject(Attack("huge_body", size=3_000_000))
    with httpx.Client(base_url=hostile.base_url, timeout=5) as client:
        response = client.get("/api/memberships", headers=auth(hostile))
    assert len(response.content) == 3_000_000
    assert response.json()["members"]


def test_trickles_send_a_byte_per_interval_and_stop_at_their_duration(
    hostile: Simulator,
) -> None:
    with httpx.Client(base_url=hostile.base_url, timeout=5) as client:
        hostile.inject(Attack("trickle_body", interval=0.02, duration=0.5, times=1))
        started = time.monotonic()
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/api/memberships", headers=auth(hostile))
        assert 0.4 < time.monotonic() - started < 3
        hostile.inject(Attack("trickle_headers", interval=0.001, duration=10, times=1))
        response = client.get("/api/memberships", headers=auth(hostile))
        assert response.status_code == 200 and response.json()["members"]


def test_stopping_the_simulator_ends_hanging_and_trickling_answers() -> None:
    sim = Simulator(courses=[c for c in sample_courses() if c.slug == "canvas-bio"])
    sim.start()
    header = auth(sim)
    url = sim.base_url + "/api/memberships"
    sim.inject(Attack("never_answer", duration=60, times=1))
    sim.inject(Attack("trickle_body", interval=1, duration=60, times=1))
    outcomes: list[str] = []

    def call() -> None:
        try:
            httpx.get(url, headers=header, timeout=60)
            outcomes.append("answered")
        except httpx.HTTPError as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    sim.stop()
    for thread in threads:
        thread.join(10)
    assert time.monotonic() - started < 5
    assert len(outcomes) == 2 and "answered" not in outcomes


def test_normal_answers_are_untouched_once_attacks_are_cleared(hostile: Simulator) -> None:
    hostile.inject(Attack("html_200"))
    hostile.clear_faults()
    with httpx.Client(base_url=hostile.base_url, timeout=5) as client:
        response = client.get("/api/memberships", headers=auth(hostile))
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers.get("connection") != "close"
    assert hostile.requests[-1].attack is None


def test_attack_specs_parse() -> None:
    assert parse_attack("gzip_bomb") == Attack("gzip_bomb")
    assert parse_attack("next_number:canvas-bio") == Attack("next_number", course="canvas-bio")
    assert parse_attack("html_200::2") == Attack("html_200", page=2)
    assert parse_attack("trickle_body:*:3,interval=0.5,duration=20,times=2") == Attack(
        "trickle_body", page=3, interval=0.5, duration=20, times=2
    )
    assert parse_attack("huge_body:moodle-chem,size=1000").size == 1000
    assert Attack("next_huge", course="x", page=2).describe() == "next_huge:x:2"
    for bad in ("nope", "html_200:x:two", "html_200,speed=3", "html_200,size=big"):
        with pytest.raises(ValueError):
            parse_attack(bad)


def test_attack_validation(hostile: Simulator) -> None:
    invalid: list[dict[str, Any]] = [
        {"times": 0},
        {"page": 0},
        {"interval": 0},
        {"duration": -1},
        {"size": 0},
    ]
    for kwargs in invalid:
        with pytest.raises(ValueError):
            Attack("html_200", **kwargs)
    with pytest.raises(ValueError, match="unknown attack"):
        Attack("explode")
    with pytest.raises(KeyError):
        hostile.inject(Attack("html_200", course="nope"))
    assert all(spec.summary and spec.category for spec in ATTACKS.values())


def test_python_m_simulator_lists_attacks_and_refuses_unknown_ones() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "rostergui.simulator", "--list-attacks"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(ATTACK_NAMES)
    refused = subprocess.run(
        [sys.executable, "-m", "rostergui.simulator", "--attack", "explode"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2 and "unknown attack" in refused.stderr


def test_python_m_simulator_serves_its_attacks() -> None:
    argv = [
        *(sys.executable, "-m", "rostergui.simulator", "--port", "0"),
        *("--attack", "html_200:canvas-bio", "--attack", "never_answer:*:3,duration=1"),
    ]
    with simulator_process(argv) as (proc, text):
        assert "Attacks  : html_200:canvas-bio, never_answer::3" in text
        base_url = next(ln.split()[-1] for ln in text.splitlines() if "Base URL" in ln)
        course = next(c for c in sample_courses() if c.slug == "canvas-bio")
        header = {"Authorization": f"SERVICE-AUTH-V1 {DEFAULT_API_KEY}:{course.service_key}"}
        response = httpx.get(base_url + "/api/memberships", headers=header, timeout=10)
        assert response.headers["content-type"].startswith("text/html")
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_sync_all_goes_on_to_the_next_course_after_one_that_never_answers(
    harness: Harness,
) -> None:
    harness.synced_course("canvas-bio")
    harness.monkeypatch.setenv("ROSTERGUI_API_KEY", harness.sim.api_key)
    harness.monkeypatch.setenv(
        "ROSTERGUI_SERVICE_KEY", harness.sim.course("moodle-chem").service_key
    )
    code, _, err = harness.cli(
        "contexts", "add", "--name", "Chem", "--base-url", harness.sim.base_url
    )
    assert code == 0, err
    harness.sim.inject(Attack("never_answer", course="canvas-bio", duration=30))
    (code, out, err), _seconds = bounded(
        harness.sim, 2 * BOUND, lambda: harness.cli("sync", "--all", "--json")
    )
    results = json.loads(out)
    assert [r["name"] for r in results] == ["Bio", "Chem"]
    error = results[0]["error"]
    assert not results[0]["ok"] and ("did not answer" in error or "took longer" in error)
    assert results[1]["ok"], results[1]["error"]
    assert code == 1

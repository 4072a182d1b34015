"""Catalogue benchmark: ``contexts import`` of 2,000 rows, and Find person over 2,000 courses
and 500,000 memberships, each next to a baseline measured in the same run.

* Import: the real command (``rostergui contexts import FILE.csv``, in-process, without
  ``--check``) on a fresh SQLite database, with the time split into reading and checking the
  file, the database, and the keyring. Run once with the in-memory keyring and once with
  keyrings.alt's plain file keyring (a real keyring backend writing a file, as a desktop
  keyring writes its store). The floor beside it: the same rows written with one bare
  ``INSERT`` each in one transaction, and one bare keyring write each.
* Find person: :class:`~rostergui.core.people.PeopleIndex` loaded from the database, then a
  name typed letter by letter (every keystroke a search for up to 200 people); the baseline is
  a linear scan of every membership row's pre-folded text with the same matching rules.

    python bench/catalogue_bench.py [--quick] [--output FILE.md]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from stats import percentile

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import keyring  # noqa: E402
import keyring.backend  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from rostergui.cli import run  # noqa: E402
from rostergui.core import course_import, import_run  # noqa: E402
from rostergui.core.filtering import SearchQuery, fold  # noqa: E402
from rostergui.core.secrets import MemoryKeyring, SecretStore  # noqa: E402
from rostergui.core.service import RosterService  # noqa: E402
from rostergui.core.states import AuthScheme, CourseStatus, MemberStatus  # noqa: E402
from rostergui.core.store import repo  # noqa: E402
from rostergui.core.store.schema import contexts, memberships, people  # noqa: E402

BASE_URL = "https://tool.ltiaas.example"
#: Bare writes to the session's keyring timed for the floor (then scaled to every row).
FLOOR_WRITES = 300
API_KEY = "bench-api-key-0123456789"

GIVEN = [
    "José",
    "Ana",
    "María",
    "Zoë",
    "Liam",
    "Noah",
    "Øystein",
    "Chloé",
    "Mateo",
    "Aiko",
    "Ingrid",
    "Björn",
    "Léa",
    "Omar",
    "Fatima",
    "Yusuf",
    "Sofía",
    "Émile",
    "Nora",
    "Ravi",
]
FAMILY = [
    "Núñez",
    "López",
    "Ångström",
    "Müller",
    "García",
    "Smith",
    "Nguyen",
    "Kowalski",
    "O'Brien",
    "Dubois",
    "Rossi",
    "Tanaka",
    "Novák",
    "Jensen",
    "Silva",
    "Haddad",
]


# --- import ------------------------------------------------------------------------------------


class TimedBackend(keyring.backend.KeyringBackend):
    """Another backend, with the time spent in it added up."""

    priority = 0

    def __init__(self, inner: keyring.backend.KeyringBackend) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.inner, self.seconds, self.calls = inner, 0.0, 0

    def _timed(self, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return call()
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1

    def get_password(self, service: str, username: str) -> str | None:
        return self._timed(lambda: self.inner.get_password(service, username))  # type: ignore[no-any-return]

    def set_password(self, service: str, username: str, password: str) -> None:
        self._timed(lambda: self.inner.set_password(service, username, password))

    def delete_password(self, service: str, username: str) -> None:
        self._timed(lambda: self.inner.delete_password(service, username))


def file_keyring(directory: Path) -> keyring.backend.KeyringBackend:
    from keyrings.alt.file import PlaintextKeyring

    backend: keyring.backend.KeyringBackend = PlaintextKeyring()
    backend.file_path = str(directory / "keyring.cfg")  # type: ignore[attr-defined]
    return backend


def import_file(directory: Path, rows: int) -> Path:
    path = directory / "catalogue.csv"
    lines = ["name,base_url,service_key"]
    lines += [
        f"Course {i:05d},{BASE_URL},svc-{uuid.uuid4().hex}{uuid.uuid4().hex}" for i in range(rows)
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


@contextmanager
def timing(target: Any, name: str, totals: dict[str, float]) -> Iterator[None]:
    """Add up the time spent in ``target.name`` under ``totals[name]``."""
    original = getattr(target, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - started

    setattr(target, name, timed)
    try:
        yield
    finally:
        setattr(target, name, original)


def backend_for(which: str, directory: Path) -> keyring.backend.KeyringBackend:
    if which == "memory":
        return MemoryKeyring()
    if which == "file":
        return file_keyring(directory)
    return keyring.get_keyring()  # the system's: run under a desktop session or dbus-run-session


def system_keyring_name() -> str:
    chosen = keyring.get_keyring()
    inner = getattr(chosen, "backends", None) or [chosen]
    return " + ".join(f"`{type(b).__module__.split('.')[-1]}.{type(b).__name__}`" for b in inner)


def bench_import(rows: int, which: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        inner = backend_for(which, directory)
        backend = TimedBackend(inner)
        path = import_file(directory, rows)
        previous = keyring.get_keyring()
        keyring.set_keyring(backend)
        os.environ["ROSTERGUI_API_KEY"] = API_KEY
        totals: dict[str, float] = {}
        out, err = io.StringIO(), io.StringIO()
        try:
            with (
                timing(course_import, "plan_import", totals),
                timing(import_run, "import_courses", totals),
            ):
                started = time.perf_counter()
                code = run(
                    ["--data-dir", str(directory / "data"), "contexts", "import", str(path)],
                    out=out,
                    err=err,
                )
                total = time.perf_counter() - started
        finally:
            keyring.set_keyring(previous)
            os.environ.pop("ROSTERGUI_API_KEY", None)
        assert code == 0, err.getvalue()[-500:]
        assert out.getvalue().count(": imported") == rows
        keyring_s = backend.seconds
        save = totals["import_courses"]
        return {
            "total": total,
            "validation": totals["plan_import"],
            "database": save - keyring_s,
            "keyring": keyring_s,
            "keyring_calls": backend.calls,
            "other": total - totals["plan_import"] - save,
        }


def bench_import_floor(rows: int, which: str) -> dict[str, float]:
    """One bare INSERT per row in one transaction, one bare keyring write per row."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        backend = backend_for(which, directory)
        service = RosterService.open(data_directory=directory, secrets=SecretStore(backend))
        try:
            now = repo.utcnow()
            values = [
                {
                    "uid": str(uuid.uuid4()),
                    "name": f"Course {i:05d}",
                    "base_url": BASE_URL,
                    "platform_id": BASE_URL,
                    "auth_scheme": AuthScheme.SERVICE_KEY,
                    "created_at": now,
                    "last_status": CourseStatus.NEVER,
                }
                for i in range(rows)
            ]
            started = time.perf_counter()
            with service.engine.begin() as conn:
                for value in values:
                    conn.execute(insert(contexts).values(**value))
            database = time.perf_counter() - started
            # The session's keyring: FLOOR_WRITES bare writes, scaled to every row (a desktop
            # keyring may take many minutes for thousands, growing slower with every entry).
            sample = values[:FLOOR_WRITES] if which == "system" else values
            started = time.perf_counter()
            for value in sample:
                backend.set_password("RosterSync", f"floor:{value['uid']}", "x" * 64)
            keyring_s = (time.perf_counter() - started) * len(values) / len(sample)
        finally:
            service.close()
        return {"database": database, "keyring": keyring_s, "total": database + keyring_s}


# --- find person -------------------------------------------------------------------------------


def build_catalogue(directory: Path, courses: int, members: int) -> tuple[RosterService, list[str]]:
    """A database of ``courses`` courses and ``members`` memberships: people in one to four
    courses each, some inactive. Returns the service and a few full names to type."""
    rng = random.Random(12)
    service = RosterService.open(data_directory=directory, secrets=SecretStore(MemoryKeyring()))
    now = repo.utcnow()
    with service.engine.begin() as conn:
        conn.execute(
            insert(contexts),
            [
                {
                    "uid": str(uuid.uuid4()),
                    "name": f"Course {i:05d}",
                    "base_url": BASE_URL,
                    "platform_id": f"https://lms{i % 3}.example",
                    "context_id": f"ctx-{i}",
                    "auth_scheme": AuthScheme.SERVICE_KEY,
                    "created_at": now,
                    "last_synced_at": now,
                    "last_status": CourseStatus.OK,
                }
                for i in range(courses)
            ],
        )
        person_rows: list[dict[str, Any]] = []
        member_rows: list[dict[str, Any]] = []
        names: list[str] = []
        person_id, made = 0, 0
        while made < members:
            person_id += 1
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            name = f"{given} {family}"
            if len(names) < 40 and rng.random() < 0.01:
                names.append(name)
            person_rows.append(
                {
                    "id": person_id,
                    "platform_id": f"https://lms{person_id % 3}.example",
                    "user_id": f"{rng.getrandbits(40):x}",
                    "name": name,
                    "given_name": given,
                    "family_name": family,
                    "email": f"{fold(given)}.{fold(family)}{person_id}@uni.example".replace(
                        "'", ""
                    ),
                }
            )
            for course in rng.sample(range(1, courses + 1), min(courses, rng.randint(1, 3))):
                if made >= members:
                    break
                active = rng.random() < 0.9
                member_rows.append(
                    {
                        "context_pk": course,
                        "person_id": person_id,
                        "lti_roles": "Learner",
                        "role": "Learner",
                        "status": MemberStatus.ACTIVE if active else MemberStatus.INACTIVE,
                        "present": active,
                        "first_seen_at": now - timedelta(days=90),
                        "last_seen_at": now if active else now - timedelta(days=rng.randint(1, 80)),
                    }
                )
                made += 1
        for start in range(0, len(person_rows), 50_000):
            conn.execute(insert(people), person_rows[start : start + 50_000])
        for start in range(0, len(member_rows), 50_000):
            conn.execute(insert(memberships), member_rows[start : start + 50_000])
    return service, names


def keystrokes(names: list[str]) -> list[str]:
    """Each name typed letter by letter, as an admin types it (lower case, no accents)."""
    typed = []
    for name in names:
        text = fold(name)
        typed += [text[:i] for i in range(1, len(text) + 1)]
    return typed


def naive_search(rows: list[tuple[str, int]], text: str, limit: int) -> list[int]:
    """The baseline: every membership row's folded text tested, people collected in row order."""
    query = SearchQuery(text)
    found: dict[int, None] = {}
    for haystack, person in rows:
        if query.matches(haystack):
            found[person] = None
    return list(found)[:limit]


def bench_people(courses: int, members: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        service, names = build_catalogue(Path(tmp), courses, members)
        built = time.perf_counter() - started
        try:
            started = time.perf_counter()
            index = service.people_index()
            load = time.perf_counter() - started
            # The baseline's rows: one per membership, read once (not timed per keystroke).
            with service.engine.connect() as conn:
                from sqlalchemy import select

                query = select(
                    people.c.name, people.c.email, people.c.user_id, memberships.c.person_id
                ).join(memberships, memberships.c.person_id == people.c.id)
                rows = [
                    (f"{fold(n or '')}\x1f{fold(e or '')}\x1f{fold(u)}", pid)
                    for n, e, u, pid in conn.execute(query)
                ]
        finally:
            service.close()
    typed = keystrokes(names[:10])
    fast, slow = [], []
    for text in typed:
        started = time.perf_counter()
        index.search(text, 200)
        fast.append(time.perf_counter() - started)
    for text in typed[:: max(1, len(typed) // 40)]:  # the baseline is slow: a sample of keys
        started = time.perf_counter()
        naive_search(rows, text, 200)
        slow.append(time.perf_counter() - started)
    return {
        "built": built,
        "load": load,
        "people": len(index),
        "memberships": index.membership_count,
        "keys": len(typed),
        "median": statistics.median(fast),
        "p95": percentile(fast, 0.95),
        "max": max(fast),
        "naive_keys": len(slow),
        "naive_median": statistics.median(slow),
        "naive_p95": percentile(slow, 0.95),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    parser.add_argument("--output", type=Path, help="also write the Markdown here")
    parser.add_argument(
        "--keyrings",
        default="memory,file",
        help="keyrings to import into: memory, file (keyrings.alt), system (the session's, "
        "e.g. GNOME Keyring under dbus-run-session); default memory,file",
    )
    parser.add_argument("--skip-people", action="store_true", help="only the import")
    args = parser.parse_args()
    rows = 200 if args.quick else 2_000
    courses, members = (200, 20_000) if args.quick else (2_000, 500_000)
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say(
        f"Catalogue benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{'quick' if args.quick else 'full'} mode, SQLite"
    )
    say()
    say(f"`contexts import` of {rows:,} service-key rows without `--check`:")
    say()
    say(
        "| keyring | total | validation | database | keyring | other | floor: a bare INSERT "
        f"and a bare keyring write per row (the session's keyring: {FLOOR_WRITES} writes, "
        "scaled) | "
        "target |"
    )
    say("|---|---:|---:|---:|---:|---:|---|---|")
    labels = {"memory": "in-memory", "file": "keyrings.alt plain file"}
    for which in args.keyrings.split(","):
        got, floor = bench_import(rows, which), bench_import_floor(rows, which)
        label = labels.get(which) or f"the session's: {system_keyring_name()}"
        say(
            f"| {label} | {got['total']:.2f} s | {got['validation']:.2f} s | "
            f"{got['database']:.2f} s | {got['keyring']:.2f} s ({got['keyring_calls']:,.0f} "
            f"calls, {got['keyring'] / got['keyring_calls'] * 1000:.2f} ms each) | "
            f"{got['other']:.2f} s | {floor['total']:.2f} s (database "
            f"{floor['database']:.2f} + keyring {floor['keyring']:.2f}) | ≤ 10 s |"
        )
    say()
    if args.skip_people:
        return 0
    found = bench_people(courses, members)
    say(
        f"Find person over {courses:,} courses and {found['memberships']:,} memberships "
        f"({found['people']:,} people); {found['keys']} keystrokes typing 10 names letter by "
        f"letter, up to 200 people per answer (building the database: {found['built']:.1f} s):"
    )
    say()
    say("| measurement | linear scan of every membership | PeopleIndex | ratio | target |")
    say("|---|---:|---:|---:|---|")
    say(f"| load from the database | — | {found['load']:.2f} s | | |")
    say(
        f"| keystroke, median | {found['naive_median'] * 1000:.1f} ms | "
        f"{found['median'] * 1000:.2f} ms | {found['naive_median'] / found['median']:.0f}× | "
        "≤ 50 ms |"
    )
    say(
        f"| keystroke, p95 | {found['naive_p95'] * 1000:.1f} ms | {found['p95'] * 1000:.2f} ms | "
        f"{found['naive_p95'] / found['p95']:.0f}× | ≤ 100 ms |"
    )
    say(f"| keystroke, slowest | | {found['max'] * 1000:.2f} ms | | |")
    say()
    say(f"(The baseline was timed on {found['naive_keys']} of the keystrokes.)")
    if args.output:
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

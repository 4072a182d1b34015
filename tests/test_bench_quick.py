"""The benchmark suite runs end to end in quick mode and writes every section's table.

Only that it runs: how fast is what ``python bench/run_all.py`` measures and records in
docs/PERFORMANCE.md. Timings on a shared machine are noise, so nothing here asserts one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Each section's heading and the header row of a table in it, as the benchmarks write them.
SECTIONS = (
    ("## Sync", "| measurement | members | bare loop | RosterSync | ratio | target |"),
    ("## Fewer pages", "| LMS | members | pages at limit 100 | pages at limit 1,000 |"),
    ("## Many courses at once", "| measurement | courses | one after another | 4 at once |"),
    ("### Member table", "| measurement | baseline | RosterSync | ratio | target | |"),
    ("### Responsiveness during a sync", "| phase | duration | ticks | longest gap |"),
    ("### CSV export", "| measurement | bare `csv.writer` | `write_csv` | ratio | target | |"),
    ("### Start-up", "| measurement | bare PySide6 window | RosterSync | ratio | target | |"),
    ("## A course list for 2,000 courses", "| measurement | baseline | RosterSync | ratio |"),
    ("## A course list for 2,000 courses", "| measurement | search on the GUI thread |"),
    ("## Importing a catalogue", "| keyring | total | validation | database | keyring |"),
    ("## Importing a catalogue", "| measurement | linear scan of every membership |"),
)
#: Needs PostgreSQL's server programs; without them run_all says it skipped it, and why.
SEVERAL_MACHINES = (
    "## Several machines sharing one round",
    "| workers | round | workers' CPU | courses synced | successful runs | target |",
)


def postgres_installed() -> bool:
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


def assert_table(text: str, heading: str, table_header: str) -> None:
    assert heading in text, heading
    section = text[text.index(heading) :]
    section = section[: section.find("\n## ", 1) + 1 or len(section)]
    assert table_header in section, f"{heading}: no table {table_header}"
    # A header row, its separator and at least one row of figures.
    lines = section[section.index(table_header) :].splitlines()
    assert lines[1].startswith("|---"), heading
    assert lines[2].startswith("| "), heading


def run_bench(
    script: str, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``bench/<script>`` as a user would; it must succeed (its output tells why not)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_quick_benchmarks_write_every_table(tmp_path: Path) -> None:
    output = tmp_path / "PERFORMANCE.md"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run_bench("run_all.py", "--quick", "--output", str(output), env=env, timeout=600)
    text = output.read_text(encoding="utf-8")
    assert "bench/run_all.py --quick" in text  # the command that produced it
    for heading, table_header in SECTIONS:
        assert_table(text, heading, table_header)
    if postgres_installed():
        assert_table(text, *SEVERAL_MACHINES)
    else:
        heading = SEVERAL_MACHINES[0]
        assert "*Skipped in this run: PostgreSQL" in text[text.index(heading) :], text
    assert "This benchmark failed" not in text, text
    assert "exit status" not in text, text


def test_page_size_bench_counts_pages(tmp_path: Path) -> None:
    """The page-size benchmark in quick mode (a few seconds): the page counts it reports do
    not depend on the machine, so they are checked here."""
    figures = tmp_path / "pages.json"
    done = run_bench("page_size_bench.py", "--quick", "--json", str(figures))
    pages = {
        lms: {size: run["pages"] for size, run in runs.items()}
        for lms, runs in json.loads(figures.read_text(encoding="utf-8")).items()
    }
    assert pages == {"honours": {"100": 50, "1000": 5}, "canvas": {"100": 100, "1000": 100}}
    assert "| LMS | members | pages at limit 100 |" in done.stdout


def test_parallel_bench_runs_every_round(tmp_path: Path) -> None:
    """The parallel-sync benchmark in quick mode (a few seconds): every round syncs every
    member with no failed course, and the origin limited to 4 requests never sees more."""
    figures = tmp_path / "parallel.json"
    done = run_bench("parallel_bench.py", "--quick", "--json", str(figures))
    data = json.loads(figures.read_text(encoding="utf-8"))
    for run in ("sequential", "parallel", "limited"):
        assert data[run]["failed"] == [] and data[run]["members"] == 6 * 300, data[run]
    assert data["limited_counts"]["peak"] <= 4
    assert data["open_counts"]["peak"] == 4  # the round ran 4 at once
    assert "| measurement | courses | one after another | 4 at once |" in done.stdout

"""Page-size benchmark: a roster sync asking for 100 members a page next to one asking for 1,000.

A roster page is a round trip through LTIAAS to the LMS (100–500 ms on a real one), and the next
page is known only when the last one has arrived, so a sync's fetch takes about pages × latency
however fast the rest is. Asking for larger pages is the lever, where the LMS honours ``limit``;
an LMS that caps it (Canvas: 50) sends the same pages either way. Both are measured here on a
5,000-member course, the simulator in its own process with a fixed latency on every page, each
sync on a fresh database, the two page sizes alternating; every time is a median.

    python bench/page_size_bench.py           # 100 ms a page, median of 3 (about 1.5 min)
    python bench/page_size_bench.py --quick   # 5 ms a page, one run: checks that it runs
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from sync_bench import SimProcess, bench_service, start_sim_with  # noqa: E402

MEMBERS = 5_000
SMALL, LARGE = 100, 1_000
#: The simulated LMSes: slug, how they are described, their cap on ``limit``.
LMSES = (
    ("honours", "honours `limit` (up to 10,000)", 10_000),
    ("canvas", "caps `limit` at 50 (Canvas)", 50),
)
MAX_PAGES_HONOURED = 10


def _courses() -> list[Any]:
    import dataclasses

    from rostergui.simulator.model import PagingStyle
    from rostergui.simulator.samples import mooc_course

    courses = []
    for slug, _about, cap in LMSES:
        course = dataclasses.replace(mooc_course(count=MEMBERS, slug=slug), max_limit=cap)
        if slug == "canvas":  # Canvas pages by number, 10 a page unless asked
            course = dataclasses.replace(
                course, paging=PagingStyle("page", "page", "per_page"), default_limit=10
            )
        courses.append(course)
    return courses


def start_sim(latency: float) -> SimProcess:
    return start_sim_with(_courses, latency)


def one_sync(sim: SimProcess, slug: str, page_size: int) -> dict[str, float]:
    """A first sync of the course on a fresh database, asking for ``page_size`` a page."""
    with tempfile.TemporaryDirectory() as directory:
        service = bench_service(directory, sim.base_url, sim.api_key, sim.keys[slug],
                                page_size=page_size)
        try:
            result = service.sync("bench")
        finally:
            service.close()
    if not result.ok or result.added != MEMBERS:
        raise SystemExit(f"sync of {slug} at {page_size} failed: {result.error}")
    return {"pages": result.pages, "seconds": result.seconds, "fetch": result.fetch_seconds}


def measure(sim: SimProcess, repeats: int) -> dict[str, dict[int, dict[str, float]]]:
    """Every LMS at both page sizes, alternating, so drift hits both alike."""
    runs: dict[str, dict[int, list[dict[str, float]]]] = {
        slug: {SMALL: [], LARGE: []} for slug, _about, _cap in LMSES
    }
    for repeat in range(repeats):
        for slug, _about, _cap in LMSES:
            sizes = (SMALL, LARGE) if repeat % 2 == 0 else (LARGE, SMALL)
            for size in sizes:
                runs[slug][size].append(one_sync(sim, slug, size))
    results: dict[str, dict[int, dict[str, float]]] = {}
    for slug, by_size in runs.items():
        results[slug] = {}
        for size, samples in by_size.items():
            pages = {s["pages"] for s in samples}
            if len(pages) != 1:
                raise SystemExit(f"{slug} at {size}: page counts differ between runs: {pages}")
            results[slug][size] = {
                "pages": pages.pop(),
                "seconds": statistics.median(s["seconds"] for s in samples),
                "fetch": statistics.median(s["fetch"] for s in samples),
            }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 ms a page, one run, for CI")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, help="per page (default: 100, quick: 5)")
    parser.add_argument("--output", type=Path, help="write the Markdown table here")
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    latency_ms = args.latency_ms if args.latency_ms is not None else (5 if args.quick else 100)
    repeats = 1 if args.quick else args.repeats
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"Page-size benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{'quick' if args.quick else 'full'} mode, {latency_ms:g} ms a page, "
        f"median of {repeats}")
    say()
    sim = start_sim(latency_ms / 1000)
    try:
        results = measure(sim, repeats)
    finally:
        sim.close()

    say(f"| LMS | members | pages at limit {SMALL} | pages at limit {LARGE:,} | "
        f"sync at limit {SMALL} | sync at limit {LARGE:,} | ratio | target |")
    say("|---|---:|---:|---:|---:|---:|---:|---|")
    missed = []
    for slug, about, _cap in LMSES:
        small, large = results[slug][SMALL], results[slug][LARGE]
        if slug == "honours":
            target = f"≤ {MAX_PAGES_HONOURED} pages at {LARGE:,}"
            met = large["pages"] <= MAX_PAGES_HONOURED
        else:
            target = "the same pages either way"
            met = large["pages"] == small["pages"]
        if not met:
            missed.append(slug)
        say(f"| {about} | {MEMBERS:,} | {small['pages']:.0f} | {large['pages']:.0f} | "
            f"{small['seconds']:.2f} s (fetch {small['fetch']:.2f}) | "
            f"{large['seconds']:.2f} s (fetch {large['fetch']:.2f}) | "
            f"{large['seconds'] / small['seconds']:.2f}× | {target}: "
            f"{'met' if met else 'MISSED'} |")
    say()
    say(f"Each page is one round trip of at least {latency_ms:g} ms; the ratio is the sync at "
        f"limit {LARGE:,} over the sync at limit {SMALL}, on the same LMS in the same run.")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.json:
        figures = {slug: {str(size): values for size, values in by_size.items()}
                   for slug, by_size in results.items()}
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if missed:
        print(f"Missed the page target on: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

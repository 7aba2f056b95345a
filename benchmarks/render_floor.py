"""How long drawing alone takes for the charts of one report (issue 15's floor; not a test).

    .venv/bin/python benchmarks/render_floor.py [--year 2025] [--workers 2]

1. Makes the report of ``--year`` from the workspace's warehouse in this process (render
   workers off, no chart cache) and keeps every spec it draws, with its formats and scale.
2. Draws those specs again in ``--workers`` spawn processes that have imported vl-convert,
   registered the font and drawn one small chart first (none of that is timed), one chart
   a task as the report's workers take them.
3. Prints the drawing seconds summed over the charts and the wall time they took, beside
   ``python -c "import altair, vl_convert"``: the wall figure is the least a report drawn
   from scratch can take on this many cores, whatever else it does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

Job = tuple[dict[str, Any], tuple[str, ...], float]


def capture_jobs(year: int | None) -> tuple[list[Job], dict[str, Any]]:
    """Every (spec, formats, scale) one ``write_report`` draws, and vl-convert's options."""
    from ebpm import render
    from ebpm.charts.export import render_kwargs
    from ebpm.report import write_report

    jobs: list[Job] = []
    real = render.convert

    def keep(spec: dict[str, Any], formats: Any, scale: float, kwargs: dict[str, Any]) -> Any:
        jobs.append((spec, tuple(formats), scale))
        return real(spec, formats, scale, kwargs)

    os.environ[render.WORKERS_ENV] = "0"
    render.convert = keep  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as out:
            write_report(out, fiscal_year=year, cache=False)
    finally:
        render.convert = real  # type: ignore[assignment]
    return jobs, render_kwargs()


_KWARGS: dict[str, Any] = {}


def warm_up(kwargs: dict[str, Any], font_dir: str | None) -> None:
    """A drawing process: vl-convert imported, the font registered, one small chart drawn."""
    import vl_convert as vlc

    from ebpm.render import convert

    _KWARGS.update(kwargs)
    if font_dir:
        vlc.register_font_directory(font_dir)
    warm = {
        "mark": "text",
        "data": {"values": [{"t": "大船渡"}]},
        "encoding": {"text": {"field": "t"}},
    }
    convert(warm, ("svg", "png", "pdf"), 1.0, _KWARGS)


def draw_one(job: Job) -> float:
    """Seconds to draw one chart in its formats."""
    from ebpm.render import convert

    spec, formats, scale = job
    start = time.perf_counter()
    convert(spec, formats, scale, _KWARGS)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--year", type=int, default=None, help="fiscal year (default: latest)")
    parser.add_argument("--workers", type=int, default=2, help="drawing processes")
    args = parser.parse_args()

    import multiprocessing

    from ebpm.charts.theme import register_japanese_font

    jobs, kwargs = capture_jobs(args.year)
    font = register_japanese_font()
    font_dir = str(font) if font else None
    pool = multiprocessing.get_context("spawn").Pool(
        args.workers, initializer=warm_up, initargs=(kwargs, font_dir)
    )
    with pool:
        pool.map(time.sleep, [0.5] * args.workers * 4, chunksize=1)  # every process warmed up
        # one chart a task, the biggest first, as the report's workers take them
        order = sorted(jobs, key=lambda job: -len(str(job[0])))
        start = time.perf_counter()
        times = pool.map(draw_one, order, chunksize=1)
        wall = time.perf_counter() - start
    floors = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import altair, vl_convert"], check=True)
        floors.append(time.perf_counter() - start)
    floor = statistics.median(floors)
    formats = sorted({f for _, fs, _ in jobs for f in fs})
    print(f"charts drawn by one report: {len(jobs)} (formats: {', '.join(formats)})")
    print(
        f"drawing: {sum(times):.2f} s in all, {wall:.2f} s of wall time in {args.workers} processes"
    )
    print(f'python -c "import altair, vl_convert": {floor:.2f} s (median of 3)')
    print(f"drawing alone = {wall / floor:.1f} × that import (issue 15's target: ≤ 4 ×)")


if __name__ == "__main__":
    main()

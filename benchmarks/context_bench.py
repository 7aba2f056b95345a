"""What the national context section adds to `ebpm report`, printed as figures (not a test).

    .venv/bin/python benchmarks/context_bench.py [--runs 3]

Needs a built warehouse (`ebpm build`). Each step runs in a fresh process (imports and
the Japanese font registration included), ``--runs`` times; the median and the best run
are printed, with the peak memory (max RSS) of the slowest step.

Steps: reading the section's data from one snapshot; planning and drawing the seven charts
(no rendering); rendering and writing them as PNG/SVG/PDF (what `ebpm report` does).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench import run  # the same fresh-interpreter probe as benchmarks/bench.py

READ = """
from ebpm.warehouse import Warehouse
from ebpm.report.context import read_context
with Warehouse() as wh:
    data = read_context(wh)
"""
PLAN = (
    READ
    + """
from ebpm.report.context import _charts
charts = [draw(plan) for _, draw, plan, _ in _charts(data)]
"""
)
RENDER = (
    READ
    + """
from pathlib import Path
from ebpm.report.context import context_section
context_section(data, Path({out!r}), ("png", "svg", "pdf"))
"""
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs of each step")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="ebpm-context-"))
    steps = {
        "read (one snapshot)": READ,
        "read + plan + draw 7 charts (no rendering)": PLAN,
        "read + render 7 charts × PNG/SVG/PDF": RENDER.format(out=str(out)),
    }
    print(f"{'step':<46} {'median s':>9} {'best s':>7} {'peak MiB':>9}")
    for name, code in steps.items():
        runs = [run(code) for _ in range(args.runs)]
        seconds = [r["seconds"] for r in runs]
        peak = max(r["rss_mib"] for r in runs)
        print(f"{name:<46} {statistics.median(seconds):>9.2f} {min(seconds):>7.2f} {peak:>9.0f}")
    files = sorted((out / "context").iterdir())
    size = sum(f.stat().st_size for f in files) / 1024
    print(f"{len(files)} files written, {size:,.0f} KiB ({out / 'context'})")


if __name__ == "__main__":
    main()

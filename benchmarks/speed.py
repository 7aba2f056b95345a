"""Issue 15's figures beside their floors, as ratios measured in one run (not a test).

    .venv/bin/python benchmarks/speed.py [--runs 3]

Every command runs as users run it, in a fresh process; each round runs a figure right after
its floor, and the table shows the medians of ``--runs`` rounds and their ratio:

* ``ebpm report`` (page, both chart sets, xlsx, docx, pptx) with the chart cache emptied
  first (every chart drawn) and kept (the report made again: charts whose spec did not change
  come from ``data/processed/cache/charts``) against ``python -c "import altair, vl_convert"``
  (target ≤ 4 ×);
* ``ebpm build`` with the national table cache emptied first (cold) and kept (warm) against
  ``python -c "import great_expectations"`` (target ≤ 1.1 ×);
* ``import ebpm`` and ``ebpm --help`` in seconds (target ≤ 0.3 s each).

``--only build`` runs just the figures whose name contains ``build`` (and their floor).
The test suite's time (target ≤ 120 s) is ``time bash scripts/test.sh`` (see README).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NATIONAL_CACHE = ROOT / "data" / "processed" / "cache" / "national"
CHART_CACHE = ROOT / "data" / "processed" / "cache" / "charts"


def seconds(argv: list[str], before: Callable[[], None] | None = None) -> float:
    """Wall seconds of ``argv`` in a fresh process (``before`` runs first, untimed)."""
    if before is not None:
        before()
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="rounds (medians are printed)")
    parser.add_argument("--only", default="", help="only the figures whose name contains this")
    args = parser.parse_args()
    py = sys.executable
    tmp = Path(tempfile.mkdtemp(prefix="ebpm-speed-"))
    db = tmp / "ebpm.duckdb"
    ebpm = [py, "-m", "ebpm"]

    def cold() -> None:
        shutil.rmtree(NATIONAL_CACHE, ignore_errors=True)

    def redraw() -> None:
        shutil.rmtree(CHART_CACHE, ignore_errors=True)

    floors = {
        "import great_expectations": [py, "-c", "import great_expectations"],
        "import altair, vl_convert": [py, "-c", "import altair, vl_convert"],
    }
    # figure: (command, what runs first untimed, its floor or None, target ratio or seconds)
    figures: dict[str, tuple[list[str], Callable[[], None] | None, str | None, float]] = {
        "ebpm build (national cache cold)": (
            [*ebpm, "build", "--db", str(db)],
            cold,
            "import great_expectations",
            1.1,
        ),
        "ebpm build (national cache warm)": (
            [*ebpm, "build", "--db", str(db)],
            None,
            "import great_expectations",
            1.1,
        ),
        "ebpm report (chart cache empty)": (
            [*ebpm, "report", "--db", str(db), "--out", str(tmp / "report")],
            redraw,
            "import altair, vl_convert",
            4.0,
        ),
        "ebpm report (chart cache kept)": (
            [*ebpm, "report", "--db", str(db), "--out", str(tmp / "report")],
            None,
            "import altair, vl_convert",
            4.0,
        ),
        "import ebpm": ([py, "-c", "import ebpm"], None, None, 0.3),
        "ebpm --help": ([*ebpm, "--help"], None, None, 0.3),
    }
    figures = {name: figure for name, figure in figures.items() if args.only in name}
    floors = {
        name: argv for name, argv in floors.items() if any(f[2] == name for f in figures.values())
    }
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None  # not Windows
    seconds([*ebpm, "build", "--db", str(db)])  # the report's warehouse, and warm disk caches
    times: dict[str, list[float]] = {name: [] for name in [*floors, *figures]}
    for round_ in range(args.runs):  # a round runs every floor and figure once, side by side
        for name, argv in floors.items():
            times[name].append(seconds(argv))
        for name, (argv, before, _, _) in figures.items():
            times[name].append(seconds(argv, before))
        print(f"round {round_ + 1}/{args.runs} done", file=sys.stderr, flush=True)
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"{'figure':<46} {'s':>6}  {'floor':<26} {'s':>6} {'ratio':>6} {'target':>8}")
    for name, (_, _, floor, target) in figures.items():
        if floor is not None:
            ratio = median[name] / median[floor]
            line = f"{floor:<26} {median[floor]:>6.2f} {ratio:>5.2f}× {f'≤ {target}×':>8}"
        else:
            line = f"{'-':<26} {'':>6} {'':>6} {f'≤ {target} s':>8}"
        print(f"{name:<46} {median[name]:>6.2f}  {line}", flush=True)
    if load_before is not None:  # the ratios need a free core: say how busy the machine was
        print(f"load average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

"""What the national data adds to ``ebpm build``, printed as figures (not a test).

    .venv/bin/python benchmarks/national_bench.py [--repeat 3]

Each run is a fresh process (import costs are real). Compared, in alternation so that a
busy machine affects both alike:

* ``build without national files``: data/raw with only kpi/, sample/ and the two extracts;
* ``build, national cache cold``: all of data/raw, the table cache emptied first;
* ``build, national cache warm``: all of data/raw, the cache from the previous build;
* ``read_tables only, cold`` / ``warm``: the national reading and checks alone.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


def run(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True)
    return time.perf_counter() - start


def base_raw(target: Path) -> Path:
    """data/raw without the national public files (the state before they were added)."""
    for folder in ("kpi", "sample"):
        shutil.copytree(RAW / folder, target / folder)
    (target / "national").mkdir()
    for name in ("municipalities.csv", "population_census.csv"):
        shutil.copy(RAW / "national" / name, target / "national" / name)
    sources = (RAW / "national" / "SOURCES.toml").read_text(encoding="utf-8")
    (target / "national" / "SOURCES.toml").write_text(
        sources.split('["peers.toml"]')[0], encoding="utf-8"
    )
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ebpm-national-bench-"))
    cache = tmp / "cache"
    base = base_raw(tmp / "base")
    db = tmp / "ebpm.duckdb"
    setup = (
        "import os; from pathlib import Path; from ebpm.national.cache import TableCache;"
        "from ebpm.national import tables;"
    )
    jobs = {
        "build without national files": f"from ebpm.warehouse import build; build({str(base)!r}, {str(db)!r})",
        "build, national cache cold": (
            f"import shutil; shutil.rmtree({str(cache)!r}, ignore_errors=True);"
            "import ebpm.national.cache as c; from pathlib import Path;"
            f"c.TableCache.default = classmethod(lambda cls: cls(Path({str(cache)!r})));"
            f"from ebpm.warehouse import build; build({str(RAW)!r}, {str(db)!r})"
        ),
        "build, national cache warm": (
            "import ebpm.national.cache as c; from pathlib import Path;"
            f"c.TableCache.default = classmethod(lambda cls: cls(Path({str(cache)!r})));"
            f"from ebpm.warehouse import build; build({str(RAW)!r}, {str(db)!r})"
        ),
        "read_tables only, cold": setup
        + f"tables.read_tables(Path({str(RAW)!r}), cache=TableCache(None))",
        "read_tables only, warm": setup
        + f"tables.read_tables(Path({str(RAW)!r}), cache=TableCache(Path({str(cache)!r})))",
    }
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(args.repeat):
        for name, code in jobs.items():
            times[name].append(run(code))
    for name, values in times.items():
        print(
            f"{name:32s} median {statistics.median(values):6.2f} s  (runs: {', '.join(f'{v:.2f}' for v in values)})"
        )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

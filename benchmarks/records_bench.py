"""Ingest of a large overtime export vs plain DuckDB, printed as figures (not a test).

    .venv/bin/python benchmarks/records_bench.py [--rows 10000000] [--runs 3] [--workdir DIR]

1. Generates N per-employee daily records (one fiscal year of working days, as many
   employees as needed) as a system export: UTF-8 CSV, then the same file in CP932.
2. Runs, alternately and each in a fresh process (so peak memory is real):
   - plain DuckDB: ``read_csv`` of the UTF-8 file + the same monthly aggregation the
     ingest stores (per employee, department and month: hours, days recorded, days
     with overtime), into a polars frame;
   - the ebpm ingest of the UTF-8 file: mapping, encoding sniffing, date and h/min
     parsing, every check (dates in the period, non-negative, per-day and per-month
     limits, duplicates per employee and day, departments), HMAC pseudonyms, the
     same monthly aggregation, Parquet partitions;
   - the same ingest of the CP932 file.
3. Prints medians of wall time (the work only, after imports) and peak RSS, and the
   ratios against the targets of issue 11: ingest ≤ 1.3× the wall time and ≤ 1.5× the
   peak memory of plain DuckDB; CP932 ≤ 2× the UTF-8 time.

Run it when nothing else heavy runs on the machine; the figures are noisy otherwise.
The ratios of the medians are the targets' figures; the CPU-time ratio and the ratio of
the best runs are printed too, as they vary much less when other work shares the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKING_DAYS = 243  # Monday–Friday of FY2024 without 12/29–1/3 (checked by the generator)
DEPARTMENTS = [
    f"{prefix}{suffix}"
    for prefix in ("総務", "企画", "財政", "税務", "市民", "保健", "福祉", "農林", "水産", "建設")
    for suffix in ("課", "室", "センター", "事務所")
]

MAPPING = """
[[layout]]
files = "*.csv"
employee_id = "職員番号"
department = "所属"
date = "勤務日"
date_unit = "day"
overtime = "時間外勤務時間（分）"
overtime_unit = "minutes"

[period]
first_fiscal_year = 2024
last_fiscal_year = 2024

[checks]
max_hours_per_day = 16
max_hours_per_month = 300
departments = {departments}
"""

# The same monthly aggregation the ingest stores: per employee, department and month, the
# hours, the days recorded and the days with overtime.
PLAIN = """
import duckdb
con = duckdb.connect()
start, cpu = time.perf_counter(), time.process_time()
monthly = con.sql(
    "SELECT 職員番号, 所属, date_trunc('month', 勤務日) AS month,"
    " sum(\\"時間外勤務時間（分）\\") / 60 AS hours, count(*) AS record_days,"
    " count_if(\\"時間外勤務時間（分）\\" > 0) AS overtime_days"
    " FROM read_csv({path!r}) GROUP BY ALL"
).pl()
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
check = {{"groups": monthly.height, "hours": round(float(monthly["hours"].sum()), 3)}}
"""

INGEST = """
import datetime as dt, os, tempfile
from pathlib import Path
from ebpm.records.attach import export_files
from ebpm.records.mapping import load_mapping
from ebpm.records.overtime import ingest_overtime
from ebpm.records.pseudonym import Pseudonymizer
folder = Path({folder!r})
start, cpu = time.perf_counter(), time.process_time()
mapping = load_mapping(folder / "mapping.toml", "overtime", "mapping.toml")
files, errors = export_files(folder, mapping, folder, {{}})
assert not errors, errors
with tempfile.TemporaryDirectory() as stage, tempfile.TemporaryDirectory() as work:
    result = ingest_overtime(mapping, files, Pseudonymizer(os.urandom(32)), Path(stage), Path(work), dt.date(2026, 1, 1))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    import duckdb
    parts = [str(p) for p in result.partitions.values()]
    groups, hours = duckdb.sql(f"SELECT count(*), sum(hours) FROM read_parquet({{parts}})").fetchall()[0]
check = {{"groups": groups, "hours": round(hours, 3)}}
"""


def generate(folder: Path, rows: int) -> tuple[Path, Path]:
    """N daily records of FY2024 (seeded by a hash of employee and day), UTF-8 and CP932."""
    import duckdb

    staff = -(-rows // WORKING_DAYS)
    utf8 = folder / "utf8" / "勤務実績_R6.csv"
    cp932 = folder / "cp932" / "勤務実績_R6.csv"
    marker = folder / "generated.json"
    if marker.exists() and json.loads(marker.read_text()) == {"rows": rows} and cp932.exists():
        return utf8, cp932  # the same files as last time (--workdir reused)
    for path in (utf8, cp932):
        path.parent.mkdir(parents=True, exist_ok=True)
        mapping = MAPPING.format(departments=json.dumps(DEPARTMENTS, ensure_ascii=False))
        (path.parent / "mapping.toml").write_text(mapping, encoding="utf-8")
    with duckdb.connect() as con:
        con.execute(
            f"""
            COPY (
                WITH days AS (
                    SELECT d::DATE AS day FROM range(DATE '2024-04-01', DATE '2025-04-01', INTERVAL 1 DAY) t(d)
                    WHERE dayofweek(d) BETWEEN 1 AND 5
                      AND NOT ((month(d) = 12 AND day(d) >= 29) OR (month(d) = 1 AND day(d) <= 3))
                ),
                staff AS (
                    SELECT i, 'S' || lpad(i::VARCHAR, 7, '0') AS id, '職員' || i AS name,
                        {DEPARTMENTS}[1 + i % {len(DEPARTMENTS)}] AS department
                    FROM range({staff}) r(i)
                )
                SELECT strftime(day, '%Y/%m/%d') AS "勤務日", id AS "職員番号", name AS "氏名",
                    department AS "所属",
                    CASE WHEN hash(i, day, 20250201) % 5 < 3 THEN 0
                         ELSE 6 * (hash(day, i, 20250201) % 40)::INTEGER END AS "時間外勤務時間（分）"
                FROM staff, days ORDER BY day, i LIMIT {rows}
            ) TO '{utf8}' (HEADER)
            """
        )
        days = con.sql(
            "SELECT count(DISTINCT 勤務日) FROM read_csv(?)", params=[str(utf8)]
        ).fetchall()[0][0]
    assert days == WORKING_DAYS or rows < staff * WORKING_DAYS, days
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    with utf8.open("rb") as source, cp932.open("wb") as target:
        while block := source.read(1 << 24):
            target.write(decoder.decode(block).encode("cp932"))
    marker.write_text(json.dumps({"rows": rows}))
    return utf8, cp932


# Peak resident memory of this process only. On Linux ru_maxrss also counts the parent's
# memory at fork time (exec records the old address space's high-water mark), so the
# child reads VmHWM, which belongs to its own address space.
PEAK = """
try:
    with open("/proc/self/status") as status:
        peak = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024
except OSError:  # not Linux
    try:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except ImportError:  # Windows: no portable peak-memory reading in the standard library
        peak = float("nan")
print(json.dumps({"seconds": seconds, "cpu": cpu, "check": check, "rss_mib": peak}))
"""


def run(code: str) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; it sets ``seconds`` and ``check``."""
    probe = "import time, json\n" + textwrap.dedent(code) + PEAK
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000, help="daily records to generate")
    parser.add_argument("--runs", type=int, default=3, help="runs of each job (median is printed)")
    parser.add_argument(
        "--workdir", type=Path, help="folder for the generated files (default: a temp folder)"
    )
    args = parser.parse_args()
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="ebpm-records-bench-"))
    start = time.perf_counter()
    reused = (folder / "generated.json").exists()
    utf8, cp932 = generate(folder, args.rows)
    size = utf8.stat().st_size / 2**20
    verb = "reused" if reused and time.perf_counter() - start < 1 else "generated"
    print(f"{verb} {args.rows:,} daily records ({time.perf_counter() - start:.1f} s): {folder}")
    print(f"  UTF-8 {size:,.0f} MiB, CP932 {cp932.stat().st_size / 2**20:,.0f} MiB")
    jobs = {
        "plain DuckDB (UTF-8)": PLAIN.format(path=str(utf8)),
        "ebpm ingest (UTF-8)": INGEST.format(folder=str(utf8.parent)),
        "ebpm ingest (CP932)": INGEST.format(folder=str(cp932.parent)),
    }
    results: dict[str, list[dict[str, object]]] = {name: [] for name in jobs}
    for _ in range(args.runs):
        for name, code in jobs.items():
            results[name].append(run(code))
    print(f"\n{'job':<24} {'seconds':>8} {'best':>6} {'CPU s':>7} {'peak MiB':>9}   runs (s)")
    median: dict[str, tuple[float, float, float, float]] = {}
    for name, runs in results.items():
        seconds, cpu, rss = (
            statistics.median(float(r[key]) for r in runs)  # type: ignore[arg-type]
            for key in ("seconds", "cpu", "rss_mib")
        )
        best = min(float(r["seconds"]) for r in runs)  # type: ignore[arg-type]
        median[name] = (seconds, rss, cpu, best)
        shown = ", ".join(f"{float(r['seconds']):.2f}" for r in runs)  # type: ignore[arg-type]
        print(f"{name:<24} {seconds:>8.2f} {best:>6.2f} {cpu:>7.2f} {rss:>9.0f}   {shown}")
    checks = {name: runs[0]["check"] for name, runs in results.items()}
    same = len({json.dumps(c, sort_keys=True) for c in checks.values()}) == 1
    print(f"\nsame employee-months and hours in all three: {same} {checks['plain DuckDB (UTF-8)']}")
    plain, utf, cp = (median[name] for name in jobs)
    print("\nratio                              measured  target")
    for label, value, target in (
        ("ingest UTF-8 / plain, wall", utf[0] / plain[0], 1.3),
        ("ingest UTF-8 / plain, peak memory", utf[1] / plain[1], 1.5),
        ("ingest CP932 / ingest UTF-8, wall", cp[0] / utf[0], 2.0),
        ("ingest UTF-8 / plain, CPU time", utf[2] / plain[2], None),
        ("ingest UTF-8 / plain, best wall", utf[3] / plain[3], None),
        ("ingest CP932 / UTF-8, best wall", cp[3] / utf[3], None),
        ("ingest CP932 / plain, peak memory", cp[1] / plain[1], None),
    ):
        verdict = "" if target is None else ("ok" if value <= target else "OVER")
        shown = "≤ " + format(target, "g") if target else ""
        print(f"{label:<34} {value:>8.2f}  {shown:<6} {verdict}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if load is not None:
        print(f"\nload average (1 min) at the end: {load:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

"""Speed and memory of the main jobs, printed as figures (not a test).

    .venv/bin/python benchmarks/bench.py [--rows 200000]

Each job runs in a fresh process so import costs and peak memory (max RSS) are real.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(code: str) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter; return wall seconds and peak RSS in MiB."""
    probe = textwrap.dedent(code) + textwrap.dedent("""
        import resource, json, sys
        print(json.dumps({"rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """)
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    seconds = time.perf_counter() - start
    return {"seconds": seconds, **json.loads(out.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--rows", type=int, default=200_000, help="rows of synthetic actuals to validate"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ebpm-bench-"))
    db = tmp / "ebpm.duckdb"
    jobs = {
        "import ebpm": "import ebpm",
        "ebpm --help (CLI start-up)": "from ebpm.cli import build_parser; build_parser().format_help()",
        "ebpm build (data/raw)": f"from ebpm.warehouse import build; build(db_path={str(db)!r})",
        "ebpm status (JSON)": f"from ebpm import status, warehouse; status.to_json(warehouse.progress_table(None, {str(db)!r}))",
        "ebpm report --no-documents (charts, page)": f"from ebpm.report import write_report; write_report({str(tmp / 'report0')!r}, {str(db)!r}, documents=False)",
        "ebpm report (+ xlsx, docx, pptx)": f"from ebpm.report import write_report; write_report({str(tmp / 'report')!r}, {str(db)!r})",
        f"GX validation of {args.rows:,} overtime rows": f"""
            import polars as pl
            from ebpm import paths, validation
            base = pl.read_csv(paths.RAW / "sample" / "overtime_monthly.csv")
            copies = -(-{args.rows} // base.height)
            big = pl.concat(
                [base.with_columns(pl.col("employee_id") + f"-{{i}}") for i in range(copies)]
            ).head({args.rows})
            errors = validation.validate(big, validation.sample_suites()["sample_overtime_monthly"])
            assert not errors, errors[:3]
            """,
        "kpi_progress (stored rows), all years": f"import duckdb; duckdb.connect({str(db)!r}, read_only=True).sql('SELECT * FROM kpi_progress').fetchall()",
    }
    print(f"{'job':<42} {'seconds':>8} {'peak MiB':>9}")
    for name, code in jobs.items():
        result = run(code)
        print(f"{name:<42} {result['seconds']:>8.2f} {result['rss_mib']:>9.0f}")


if __name__ == "__main__":
    main()

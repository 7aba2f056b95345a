"""Time and peak memory of refusing each hostile file of issue 14 (printed, not a test).

    .venv/bin/python benchmarks/hardening_bench.py

Each file is read by its real reader in a fresh process (the bytes are built by
tests/bad_inputs/corpus.py); the figure is the process's peak resident set (VmHWM), so it
includes Python, polars and the reader's imports. The baseline row reads a normal actuals
file the same way.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from bad_inputs import corpus  # noqa: E402

READ_TABLE = """
from pathlib import Path
from ebpm.readers import ACTUALS_COLUMNS, read_table
frame, errors = read_table(Path({path!r}), ACTUALS_COLUMNS, {label!r})
message = errors[0].message if errors else f"{{frame.height}} rows"
"""
READ_NATIONAL = """
from pathlib import Path
from ebpm.national.cells import read_sheet
sheet, errors = read_sheet(Path({path!r}), {label!r}, header_label="団体名")
message = errors[0].message if errors else "read"
"""
READ_ESTAT = """
from ebpm import estat
try:
    estat.parse_file({path!r})
    message = "read"
except estat.EStatError as error:
    message = str(error)
"""


def measure(reader: str, path: Path) -> tuple[float, float, str]:
    code = textwrap.dedent(reader.format(path=str(path), label=path.name)) + textwrap.dedent("""
        import json
        status = open("/proc/self/status").read()
        peak = int(next(l for l in status.splitlines() if l.startswith("VmHWM")).split()[1])
        print(json.dumps({"peak_kb": peak, "message": message}))
    """)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=900
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        return seconds, float("nan"), f"exit {done.returncode}: {done.stderr.strip()[-200:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return seconds, result["peak_kb"] / 1024, result["message"]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        normal = tmp / "normal.csv"
        normal.write_text(corpus.HEADER + "K01,2025,12,,,,true\n" * 60, encoding="utf-8")
        cases = [
            ("normal actuals CSV (baseline)", READ_TABLE, normal),
            ("xlsx A1 + XFD1048576", READ_TABLE, corpus.dimension_bomb_xlsx(tmp / "dim.xlsx")),
            (
                "xlsx declaring A1:XFD1048576",
                READ_TABLE,
                corpus.declared_dimension_xlsx(tmp / "d.xlsx"),
            ),
            ("xlsx 3 MB holding 1 GB of XML", READ_TABLE, corpus.zip_bomb_xlsx(tmp / "zip.xlsx")),
            (
                "xlsx part lying about its size",
                READ_TABLE,
                corpus.lying_size_xlsx(tmp / "lie.xlsx"),
            ),
            ("CSV of duplicates, 110 MB", READ_TABLE, corpus.duplicates_csv(tmp / "dup.csv")),
            ("CSV of 150,000 rows", READ_TABLE, corpus.many_rows_csv(tmp / "rows.csv")),
            (
                "national xlsx A1 + XFD1048576",
                READ_NATIONAL,
                corpus.dimension_bomb_xlsx(tmp / "n.xlsx"),
            ),
            ("e-Stat JSON, 70 MB", READ_ESTAT, corpus.big_estat_json(tmp / "big.json")),
        ]
        print(f"{'file':<34} {'size':>10} {'seconds':>8} {'peak MB':>8}  result")
        for name, reader, path in cases:
            seconds, peak, message = measure(reader, path)
            size = path.stat().st_size
            print(f"{name:<34} {size / 2**20:>8.1f}MB {seconds:>8.2f} {peak:>8.0f}  {message[:60]}")


if __name__ == "__main__":
    main()

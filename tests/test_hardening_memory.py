"""Issue 14 item 4: files built to exhaust the machine are refused early, each named, and the
whole build (all of them at once) peaks under 1 GB of memory, measured in a subprocess
(VmHWM, the peak resident set). benchmarks/hardening_bench.py prints the same per file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from bad_inputs import corpus

from ebpm import paths

GB = 1024**3
SOURCES = """
["*"]
title = "攻撃用のファイル"
publisher = "テスト"
licence = "テスト"
retrieved_at = 2026-11-26
is_sample = true
"""


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("bombs") / "raw"
    shutil.copytree(paths.RAW / "kpi", raw / "kpi")
    actuals = raw / "kpi" / "actuals"
    (actuals / "SOURCES.toml").write_text(SOURCES, encoding="utf-8")  # describes every file
    corpus.zip_bomb_xlsx(actuals / "zip_bomb.xlsx")  # 3 MB holding 1 GB of sheet XML
    corpus.dimension_bomb_xlsx(actuals / "a1_xfd1048576.xlsx")
    corpus.declared_dimension_xlsx(actuals / "declared.xlsx")
    corpus.lying_size_xlsx(actuals / "lying.xlsx")
    corpus.duplicates_csv(actuals / "duplicates_110mb.csv")
    corpus.many_rows_csv(actuals / "rows_150k.csv")
    national = raw / "national" / "fiscal"
    national.mkdir(parents=True)
    corpus.dimension_bomb_xlsx(national / "R9.xlsx")
    (national / "SOURCES.toml").write_text(SOURCES, encoding="utf-8")
    estat = raw / "estat" / "0000000001"
    estat.mkdir(parents=True)
    big = corpus.big_estat_json(estat / "getStatsData_20260101_00000000.json")
    (estat / (big.name + ".provenance.json")).write_text(
        json.dumps(
            {
                "title": "攻撃用",
                "publisher": "テスト",
                "licence": "テスト",
                "retrieved_at": "2026-11-26",
                "is_sample": True,
            }
        ),
        encoding="utf-8",
    )
    return raw


def test_every_bomb_is_refused_by_name_under_one_gigabyte(bombs, tmp_path):
    script = textwrap.dedent(f"""
        import json
        from ebpm.readers import BuildError
        from ebpm.warehouse import build
        try:
            build({str(bombs)!r}, {str(tmp_path / "ebpm.duckdb")!r})
            messages = []
        except BuildError as error:
            messages = error.messages
        status = open("/proc/self/status").read()
        peak_kb = int(next(l for l in status.splitlines() if l.startswith("VmHWM")).split()[1])
        print(json.dumps({{"messages": messages, "peak": peak_kb * 1024}}))
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr  # no abort (exit 134), no MemoryError
    result = json.loads(done.stdout.splitlines()[-1])
    text = "\n".join(result["messages"])
    expected = {
        "kpi/actuals/zip_bomb.xlsx": "展開すると大きすぎる Excel ファイルです",
        "kpi/actuals/a1_xfd1048576.xlsx": "シートの範囲が大きすぎます",
        "kpi/actuals/declared.xlsx": "シートの範囲が A1:XFD1048576 と宣言されています",
        "kpi/actuals/lying.xlsx": "が壊れています",
        "kpi/actuals/duplicates_110mb.csv": "ファイルが大きすぎます",
        "kpi/actuals/rows_150k.csv": "行が多すぎます",
        "national/fiscal/R9.xlsx": "シートの範囲が大きすぎます",
        "getStatsData_20260101_00000000.json": "ファイルが大きすぎます",
    }
    for name, reason in expected.items():
        assert any(name in m and reason in m for m in result["messages"]), (name, text)
    assert not (tmp_path / "ebpm.duckdb").exists()
    print(f"peak memory of the build with every bomb: {result['peak'] / 2**20:,.0f} MB")
    assert result["peak"] < GB

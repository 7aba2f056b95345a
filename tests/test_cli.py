"""The `ebpm` command as users run it."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from conftest import run_ebpm

from ebpm import paths
from ebpm.kpi import KPI, evaluate
from ebpm.warehouse import load_kpis, progress_table

DEFINITIONS = paths.RAW / "kpi" / "kpi_definitions.csv"


def ebpm(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in this process (see ``run_ebpm``); the entry point has its own test below."""
    return run_ebpm(*args)


def python_m_ebpm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ebpm", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def published() -> list[dict[str, str]]:
    with DEFINITIONS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_status_json_lists_all_15_kpis_as_published(built_db, published):
    result = ebpm("status", "--db", str(built_db), "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 15
    for row, source in zip(rows, published, strict=True):
        assert row["kpi_id"] == source["kpi_id"]
        assert row["name"] == source["name"]
        assert row["unit"] == source["unit"]
        assert (
            row["aggregation"] == {"単": "single_year", "累": "cumulative"}[source["aggregation"]]
        )
        assert row["direction"] == source["direction"]
        assert (row["base_fy"], row["base_value"]) == (
            int(source["base_fy"]),
            float(source["base_value"]),
        )
        assert (row["target_fy"], row["target_value"]) == (
            int(source["target_fy"]),
            float(source["target_value"]),
        )
        assert row["fiscal_year"] == 2025  # the latest year with actuals
        assert row["is_sample"] is True


def test_published_facts(built_db):
    rows = {r["kpi_id"]: r for r in progress_table(2025, built_db).to_dicts()}
    assert rows["K09"]["name"] == "コピー用紙購入枚数" and rows["K09"]["base_value"] == 5_216_000
    assert (
        rows["K10"]["target_basis"] == "period_average"
        and rows["K10"]["target_note"] == "※推進期間の平均"
    )
    assert rows["K11"]["base_fy"] == 2024 and rows["K11"]["base_note"] == "※R6.5月時点"
    assert (rows["K14"]["unit"], rows["K14"]["unit_corrected"]) == ("人", "回")
    assert rows["K07"]["direction"] == "maintain"
    assert sum(r["aggregation"] == "cumulative" for r in rows.values()) == 7


@pytest.mark.parametrize("fiscal_year", [2024, 2025, 2026])
def test_view_agrees_with_pure_functions(built_db, fiscal_year):
    """The stored kpi_progress rows are ebpm.kpi.evaluate on the warehouse's own definitions and
    actuals (the build wires the rule to the right rows: revisions, names, years)."""
    from ebpm.warehouse import query

    kpis: dict[str, KPI] = {k.kpi_id: k for k in load_kpis(built_db)}
    actuals = query(
        "SELECT kpi_id, fiscal_year, value, sample_size, value_decimals FROM kpi_actual", built_db
    )
    table = progress_table(fiscal_year, built_db)
    assert table.height == 15
    for row in table.iter_rows(named=True):
        rows = actuals.filter(actuals["kpi_id"] == row["kpi_id"]).iter_rows(named=True)
        own = {r["fiscal_year"]: r for r in rows}
        expected = evaluate(
            kpis[row["kpi_id"]],
            {y: r["value"] for y, r in own.items()},
            fiscal_year,
            sample_sizes={y: r["sample_size"] for y, r in own.items()},
            decimals={y: r["value_decimals"] for y, r in own.items()},
        )
        assert row["grade"] == expected.grade, row["kpi_id"]
        assert row["formula_grade"] == expected.formula_grade, row["kpi_id"]
        assert row["reason"] == expected.reason, row["kpi_id"]
        keys = ("actual", "expected", "progress", "pace", "elapsed", "period_average")
        for key in (*keys, "ci_lower", "ci_upper", "survey_margin"):
            want = getattr(expected, key)
            assert (row[key] is None) == (want is None), (row["kpi_id"], key)
            if want is not None:
                assert row[key] == pytest.approx(want, rel=1e-12), (row["kpi_id"], key)


def test_status_grades_for_sample_year(built_db):
    grades = dict(progress_table(2025, built_db).select("kpi_id", "grade").iter_rows())
    assert grades == {
        "K01": "概ね順調",
        "K02": "変化なし（誤差の範囲）",  # formula: 遅れ; +1.9 points is within ±4.9
        "K03": "順調",
        "K04": "順調",
        "K05": "順調",
        "K06": "変化なし（誤差の範囲）",  # formula: 悪化; −0.7 points is within ±4.9
        "K07": "遅れ",
        "K08": "変化なし（誤差の範囲）",  # formula: 概ね順調; +2.8 points is within ±4.6
        "K09": "概ね順調",
        "K10": "遅れ",  # 120 h against 109.7 h on the path whose FY2025–27 mean is 100 h
        "K11": "順調",
        "K12": "概ね順調",
        "K13": "順調",
        "K14": "概ね順調",
        "K15": "遅れ",
    }


def test_status_table_and_csv(built_db):
    table = ebpm("status", "--db", str(built_db), "--fy", "令和6年度")
    assert table.returncode == 0
    assert (
        "2024年度の評価" in table.stdout
        and "順調 ペース≧1.0、概ね順調 0.6≦ペース<1.0" in table.stdout
    )
    assert "コピー用紙購入枚数" in table.stdout and "研修用サンプルデータ" in table.stdout
    out = ebpm("status", "--db", str(built_db), "--fy", "R8", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == 15
    # FY2026 has no actual of its own: every KPI, the period-average one too, is 評価不能.
    assert {r["評価"] for r in rows} == {"評価不能"}
    overtime = next(r for r in rows if r["指標ID"] == "K10")
    assert (overtime["実績値"], overtime["期間平均"], overtime["判定に使った値の種類"]) == (
        "",
        "",
        "実績なし",
    )
    assert rows[0]["評価年度"] == "令和8年度（2026年度）"


def test_status_csv_file_opens_in_japanese_excel(built_db, tmp_path):
    target = tmp_path / "進捗.csv"
    out = ebpm(
        "status", "--db", str(built_db), "--fy", "2025", "--format", "csv", "-o", str(target)
    )
    assert out.returncode == 0 and "書き出しました" in out.stdout
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0])[:4] == ["指標ID", "指標名", "分野", "戦略"]
    k09 = next(r for r in rows if r["指標ID"] == "K09")
    # rounded as printed, no binary noise, no separators Excel could misread
    # derived values (期待値) get one decimal: the CSV shows what the table shows
    assert (k09["基準値"], k09["実績値"], k09["期待値"]) == ("5216000", "4500000", "4434000.0")
    assert (k09["進捗率"], k09["ペース"], k09["評価"]) == ("45.8%", "0.92", "概ね順調")
    # half-up on the decimal value: -0.175 is -0.18, and stays a number
    assert next(r for r in rows if r["指標ID"] == "K06")["ペース"] == "-0.18"


def test_status_output_named_csv_writes_csv_without_format(built_db, tmp_path):
    # a planner types `ebpm status -o 進捗.csv`: the suffix asks for the Excel CSV, not the table
    target = tmp_path / "進捗.csv"
    out = ebpm("status", "--db", str(built_db), "--fy", "2025", "-o", str(target))
    assert out.returncode == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[:4] == ["指標ID", "指標名", "分野", "戦略"]


def test_status_output_named_txt_keeps_the_table(built_db, tmp_path):
    target = tmp_path / "進捗.txt"
    assert ebpm("status", "--db", str(built_db), "--fy", "2025", "-o", str(target)).returncode == 0
    text = target.read_text(encoding="utf-8")
    assert not text.startswith("\ufeff") and text.split()[0] == "ID"


def test_status_csv_neutralises_text_that_excel_would_run(built_db):
    import polars as pl

    from ebpm import status
    from ebpm.warehouse import progress_table

    table = progress_table(2025, built_db).with_columns(
        pl.when(pl.col("kpi_id") == "K01")
        .then(pl.lit("=cmd|' /C calc'!A0"))
        .otherwise(pl.col("name"))
        .alias("name")
    )
    rows = list(csv.DictReader(io.StringIO(status.to_csv(table))))
    k01 = next(r for r in rows if r["指標ID"] == "K01")
    assert k01["指標名"] == "'=cmd|' /C calc'!A0"


def test_status_without_warehouse(tmp_path):
    result = ebpm("status", "--db", str(tmp_path / "none.duckdb"))
    assert result.returncode == 1
    assert "先に `ebpm build` を実行してください" in result.stderr


def test_build_failure_exit_code_and_message(tmp_path, raw):
    (raw / "kpi" / "actuals" / "sample_fy2024_fy2025.csv").write_bytes(b"")
    db = tmp_path / "wh.duckdb"
    result = ebpm("build", "--raw", str(raw), "--db", str(db))
    assert result.returncode == 1
    assert "ウェアハウスは更新していません" in result.stderr
    assert "kpi/actuals/sample_fy2024_fy2025.csv: ファイルが空です" in result.stderr
    assert not db.exists()


def test_template_command(tmp_path):
    out = tmp_path / "入力.xlsx"
    assert ebpm("template", str(out)).returncode == 0
    import polars as pl

    assert pl.read_excel(out, sheet_name="実績").columns == [
        "指標ID",
        "年度",
        "実績値",
        "標本数",
        "出典",
        "備考",
        "サンプル",
    ]
    again = ebpm("template", str(out))
    assert again.returncode != 0


def test_shipped_template_lists_current_kpis(tmp_path):
    import polars as pl

    from ebpm.template import TEMPLATE, make_actuals_template

    fresh = make_actuals_template(tmp_path / "t.xlsx")
    for sheet in ("実績", "入力方法", "指標一覧"):
        assert pl.read_excel(TEMPLATE, sheet_name=sheet).equals(
            pl.read_excel(fresh, sheet_name=sheet)
        ), sheet


def test_help_lists_commands():
    result = python_m_ebpm("--help")  # the installed entry point, in a fresh interpreter
    for command in ("init", "build", "status", "report", "template", "samples", "estat", "lab"):
        assert command in result.stdout


def test_help_documents_the_exit_codes():
    from ebpm.cli import EXIT_CODES

    result = ebpm("--help")
    assert "終了コード:" in result.stdout
    for code, meaning in EXIT_CODES.items():
        assert f"  {code:<4} {meaning}" in result.stdout


def test_usage_errors_exit_with_2():
    assert ebpm("status", "--fy", "来年").returncode == 2
    assert ebpm("no-such-command").returncode == 2


def test_jupyterlab_is_configured_in_japanese(tmp_path):
    import importlib.util
    import json

    from ebpm.cli import configure_jupyterlab

    assert importlib.util.find_spec("jupyterlab_language_pack_ja_JP") is not None
    overrides = configure_jupyterlab(tmp_path)
    configure_jupyterlab(tmp_path)  # idempotent
    assert json.loads(overrides.read_text(encoding="utf-8")) == {
        "@jupyterlab/translation-extension:plugin": {"locale": "ja_JP"},
        "@jupyterlab/apputils-extension:notification": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyterlab/extensionmanager-extension:plugin": {"enabled": False},
    }


def test_lab_configure_only_on_a_read_only_environment_says_so(monkeypatch):
    from ebpm import cli

    def refuse(prefix=None):
        raise PermissionError(13, "Permission denied", "/opt/ebpm/share/jupyter/lab/settings")

    monkeypatch.setattr(cli, "configure_jupyterlab", refuse)
    done = ebpm("lab", "--configure-only")
    assert done.returncode == 1
    assert "JupyterLab の設定を書き込めませんでした" in done.stderr
    assert "/opt/ebpm/share/jupyter/lab/settings" in done.stderr

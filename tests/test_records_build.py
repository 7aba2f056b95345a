"""`ebpm build` with records: the sample exports give the sample KPI actuals, no clear employee
id reaches the warehouse, Parquet, messages or notebooks, a failed build changes nothing, a
rebuilt year leaves the others alone, and a derived K09/K10 counts only when the steward says so."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import sha256

from ebpm import paths, records
from ebpm.readers import BuildError
from ebpm.records.pseudonym import KEY_ENV, Pseudonymizer, load_key
from ebpm.records.store import records_root
from ebpm.warehouse import build

SAMPLE_RECORDS = paths.RAW / "sample" / "records"

# --- the committed samples (warehouse built once per session by conftest) ----------------


def sample_actuals() -> dict[tuple[str, int], float]:
    actuals = pl.read_csv(paths.RAW / "kpi" / "actuals" / "sample_fy2024_fy2025.csv")
    rows = (
        actuals.filter(pl.col("kpi_id").is_in(["K09", "K10"]))
        .select("kpi_id", "fiscal_year", "value")
        .rows()
    )
    return {(k, fy): v for k, fy, v in rows}


def test_k09_k10_derived_from_the_sample_exports_equal_the_sample_actuals(built_db):
    derived = records.derived_actuals(built_db)
    values = {
        (r["kpi_id"], r["fiscal_year"]): r["derived_value"] for r in derived.iter_rows(named=True)
    }
    assert {key: values[key] for key in sample_actuals()} == sample_actuals()
    assert (values[("K09", 2023)], values[("K10", 2023)]) == (
        5_216_000,
        129.0,
    )  # the strategy's base values
    statuses = (
        derived.filter(pl.col("fiscal_year") >= 2023)
        .select("kpi_id", "fiscal_year", "status")
        .rows()
    )
    assert statuses == [
        ("K09", 2023, "基準値と一致"),
        ("K09", 2024, "一致"),
        ("K09", 2025, "一致"),
        ("K10", 2023, "基準値と一致"),
        ("K10", 2024, "一致"),
        ("K10", 2025, "一致"),
    ]


def test_overtime_records_are_the_monthly_sample_under_pseudonyms(built_db):
    con = duckdb.connect(str(built_db), read_only=True)
    sample = con.sql(
        "SELECT employee_id, department, fiscal_year, month, hours FROM sample_overtime_monthly"
    ).pl()
    recorded = records.overtime_monthly(built_db)
    assert recorded.height == sample.height
    pairs = sample.join(recorded, on=["department", "fiscal_year", "month", "hours"], how="inner")
    # every sample person corresponds to exactly one pseudonym: the join of identical rows pairs them
    by_person = pairs.group_by("employee_id").agg(pl.col("employee_id_right").mode().first())
    relabelled = sample.join(by_person, on="employee_id").select(
        pl.col("employee_id_right").alias("employee_id"),
        "department",
        "fiscal_year",
        "month",
        "hours",
    )
    key = ["employee_id", "fiscal_year", "month"]
    assert relabelled.sort(key).equals(recorded.select(relabelled.columns).sort(key))
    assert by_person["employee_id_right"].n_unique() == by_person.height


def test_paper_records_give_the_monthly_sample_and_its_staff(built_db):
    con = duckdb.connect(str(built_db), read_only=True)
    sample = con.sql(
        "SELECT fiscal_year, month, sheets, staff FROM sample_copy_paper_monthly ORDER BY 1, 2"
    ).pl()
    recorded = (
        records.paper_monthly(built_db)
        .select("fiscal_year", "month", "sheets", "staff")
        .sort("fiscal_year", "month")
    )
    assert recorded.with_columns(pl.col("staff").cast(pl.Int64)).equals(sample)


def sample_clear_values() -> set[str]:
    """Every clear employee id and name written in the sample exports."""
    monthly = pl.read_csv(
        SAMPLE_RECORDS / "overtime" / "時間外勤務月報_H31-R6.csv",
        encoding="cp932",
        infer_schema=False,
    )
    daily = pl.read_csv(SAMPLE_RECORDS / "overtime" / "勤務実績_R7.csv", infer_schema=False)
    names = set(monthly["氏名"])
    for path in sorted((SAMPLE_RECORDS / "paper").glob("*.xlsx")):
        names |= set(pl.read_excel(path)["担当者"])
    return set(monthly["職員番号"]) | set(daily["職員番号"]) | names


def clear_values_in(text: str, clear: set[str]) -> list[str]:
    """The values of ``clear`` that occur in ``text`` (sorted).

    One scan with an alternation of all values finds a match whenever any value occurs (40 MB
    of warehouse text × 488 values searched one by one took seconds); only then is each value
    looked up, for the message.
    """
    pattern = re.compile("|".join(re.escape(v) for v in sorted(clear)))
    return sorted(v for v in clear if v in text) if pattern.search(text) else []


def test_clear_values_in_finds_each_value_also_inside_a_longer_one():
    clear = {"S102771", "試験\u3000花", "試験\u3000花子"}
    assert clear_values_in("('x', 'S1027710')", clear) == ["S102771"]
    assert clear_values_in("('試験\u3000花子',)", clear) == ["試験\u3000花", "試験\u3000花子"]
    assert clear_values_in("('S10277', '試験', '花子')", clear) == []


def test_no_clear_employee_id_or_name_in_any_warehouse_table_or_view(built_db):
    clear = sample_clear_values()
    assert len(clear) > 400  # 448 ids and the fake names
    con = duckdb.connect(str(built_db), read_only=True)
    names = [r[0] for r in con.sql("SELECT table_name FROM information_schema.tables").fetchall()]
    assert {"record_overtime", "record_paper", "derived_actual", "record_notice"} <= set(names)
    found = []
    for name in names:
        text = str(con.sql(f'SELECT COLUMNS(*)::VARCHAR FROM "{name}"').fetchall())
        found += clear_values_in(text, clear)
    assert found == []


def test_no_clear_employee_id_in_any_parquet_file(built_db):
    clear = sample_clear_values()
    files = sorted(records_root(built_db).rglob("*.parquet"))
    assert len(files) == 14  # 7 fiscal years × overtime and paper
    found = []
    for path in files:
        text = duckdb.sql(f"SELECT * FROM read_parquet('{path}')").pl().cast(pl.String).write_csv()
        meta = (
            duckdb.sql(f"SELECT * FROM parquet_kv_metadata('{path}')")
            .pl()
            .cast(pl.String)
            .write_csv()
        )
        raw = path.read_bytes().decode("latin-1")
        found += [(path.name, v) for v in clear if v in text or v in meta or v in raw]
    assert found == []


def test_no_clear_employee_id_in_any_notebook_output():
    clear = sample_clear_values()
    found = []
    for notebook in sorted(paths.NOTEBOOKS.rglob("*.ipynb")):
        outputs = [
            cell.get("outputs", [])
            for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        ]
        text = json.dumps(outputs, ensure_ascii=False)
        found += [(notebook.name, v) for v in clear if v in text]
    assert found == []


def test_views_find_their_parquet_from_any_working_directory(built_db, tmp_path):
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True);"
        "print(con.sql('SELECT count(*) FROM record_overtime').fetchall()[0][0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(built_db)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "29400"


def test_partitions_are_hive_folders_readable_without_the_warehouse(built_db):
    folder = records_root(built_db) / "overtime"
    assert sorted(p.name for p in folder.iterdir()) == [
        f"fiscal_year={fy}" for fy in range(2019, 2026)
    ]
    counted = duckdb.sql(
        f"SELECT fiscal_year, count(*) FROM read_parquet('{folder}/*/*.parquet', hive_partitioning = true)"
        " GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert counted[-1] == (2025, 341 * 12)


# --- the city's records (small exports, a private key) -----------------------------------

OVERTIME_MAPPING = """
[[layout]]
files = "*.csv"
employee_id = "職員番号"
department = "所属"
date = "勤務日"
date_unit = "day"
overtime = "時間外（分）"
overtime_unit = "minutes"

[period]
first_fiscal_year = 2024
last_fiscal_year = 2025
"""
PAPER_MAPPING = """
[[layout]]
files = "*.csv"
date = "購入日"
date_unit = "day"
department = "所属"
paper_size = "規格"
quantity = "数量"
unit_value = "箱"
sheets_per_box = 2500

[period]
first_fiscal_year = 2024
last_fiscal_year = 2025
"""
SOURCE = """
["{name}"]
title = "テスト用の書き出し"
publisher = "テスト課"
licence = "庁内"
retrieved_at = 2026-11-27
is_sample = false
"""
HEADER = "勤務日,職員番号,氏名,所属,時間外（分）\n"
FY2024 = HEADER + "2024/06/03,C1001,市役所 一郎,総務課,30\n"
# 480 minutes for 2 people in FY2025 → K10 = 4.0 h
FY2025 = HEADER + (
    "2025/04/01,C1001,市役所 一郎,総務課,120\n"
    "2025/04/02,C1001,市役所 一郎,総務課,60\n"
    "2025/04/01,C1002,市役所 花子,財政課,0\n"
    "2025/05/07,C1002,市役所 花子,財政課,300\n"
)


def write_export(raw: Path, kind: str, name: str, content: str) -> Path:
    folder = raw / "records" / kind
    path = folder / name
    path.write_text(content, encoding="utf-8")
    with (folder / "SOURCES.toml").open("a", encoding="utf-8") as handle:
        handle.write(SOURCE.format(name=name))
    return path


def settings(raw: Path, k09: str = "typed", k10: str = "typed") -> None:
    text = f'source = "city"\n[actuals]\nK09 = "{k09}"\nK10 = "{k10}"\n'
    (raw / "records" / "settings.toml").write_text(text, encoding="utf-8")


@pytest.fixture
def city(raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """data/raw/kpi plus the city's records: overtime FY2024 and FY2025, one paper purchase."""
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "home" / ".config" / "ebpm" / "pseudonym.key"))
    for kind, mapping in (("overtime", OVERTIME_MAPPING), ("paper", PAPER_MAPPING)):
        (raw / "records" / kind).mkdir(parents=True)
        (raw / "records" / kind / "mapping.toml").write_text(mapping, encoding="utf-8")
    settings(raw)
    write_export(raw, "overtime", "r6.csv", FY2024)
    write_export(raw, "overtime", "r7.csv", FY2025)
    write_export(raw, "paper", "p.csv", "購入日,所属,規格,数量\n2025/04/10,総務課,A4,2\n")
    return raw


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "processed" / "ebpm.duckdb"


def parquet_state(db: Path) -> dict[str, str]:
    root = records_root(db)
    return {
        p.relative_to(root).as_posix(): sha256(p) for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_city_records_use_a_private_key_created_outside_the_repository(city, db, tmp_path):
    build(city, db)
    key_file = tmp_path / "home" / ".config" / "ebpm" / "pseudonym.key"
    if os.name != "nt":
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    pseudonym = Pseudonymizer(load_key(key_file))
    assert records.records_setting(db)["key_kind"] == "city"
    assert sorted(records.overtime_monthly(db)["employee_id"].unique()) == sorted(
        [pseudonym("C1001"), pseudonym("C1002")]
    )


def test_typed_actual_counts_by_default_and_the_difference_is_announced(city, db, caplog):
    with caplog.at_level(logging.WARNING, logger="ebpm.records"):
        build(city, db)
    con = duckdb.connect(str(db), read_only=True)
    assert con.sql(
        "SELECT value FROM kpi_actual WHERE kpi_id = 'K10' AND fiscal_year = 2025"
    ).fetchall() == [(120.0,)]
    row = (
        records.derived_actuals(db)
        .filter((pl.col("kpi_id") == "K10") & (pl.col("fiscal_year") == 2025))
        .row(0, named=True)
    )
    assert (row["derived_value"], row["typed_value"], row["status"], row["used"]) == (
        4.0,
        120.0,
        "不一致",
        "typed",
    )
    assert (
        "お知らせ: K10 2025年度: 入力された実績 120 と記録から求めた値 4 が違います（評価には入力された実績を使っています。"
        'もう一方を使うには records/settings.toml の [actuals] を K10 = "derived" にします）'
    ) in caplog.messages
    assert not [m for m in caplog.messages if "C100" in m or "市役所" in m]


def test_derived_value_counts_when_the_steward_says_so(city, db):
    settings(city, k09="derived", k10="derived")
    build(city, db)
    con = duckdb.connect(str(db), read_only=True)
    actuals = con.sql(
        "SELECT kpi_id, value, source, source_file FROM kpi_actual WHERE fiscal_year = 2025 AND kpi_id IN ('K09', 'K10') ORDER BY 1"
    ).fetchall()
    assert actuals == [
        ("K09", 5000.0, "記録から算出", "records/paper/p.csv"),
        ("K10", 4.0, "記録から算出", "records/overtime/r7.csv"),
    ]
    progress = con.sql(
        "SELECT actual FROM kpi_progress WHERE kpi_id = 'K10' AND fiscal_year = 2025"
    ).fetchall()
    assert progress == [(4.0,)]


def test_bad_record_fails_the_build_and_leaves_warehouse_and_parquet_as_they_were(city, db):
    build(city, db)
    before_db, before_parquet = sha256(db), parquet_state(db)
    path = write_export(
        city, "overtime", "r7b.csv", HEADER + "2025/06/01,C1001,市役所 一郎,総務課,-15\n"
    )
    path.write_text(HEADER + "2025/06/01,C1001,市役所 一郎,総務課,-15\n", encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(city, db)
    assert caught.value.messages == [
        f"records/overtime/r7b.csv 2行目 時間外（分）列: 職員（仮名 {Pseudonymizer(load_key())('C1001')}）"
        "の時間外勤務が負の値です（0 以上にしてください）"
    ]
    assert sha256(db) == before_db
    assert parquet_state(db) == before_parquet
    assert not [p for p in records_root(db).rglob("*") if p.name.startswith(".staging")]


def test_rebuilding_one_year_does_not_rewrite_the_others(city, db):
    build(city, db)
    root = records_root(db) / "overtime"
    [old_2024] = (root / "fiscal_year=2024").iterdir()
    [old_2025] = (root / "fiscal_year=2025").iterdir()
    stamp = old_2024.stat().st_mtime_ns
    (city / "records" / "overtime" / "r7.csv").write_text(
        FY2025.replace(",300\n", ",330\n"), encoding="utf-8"
    )
    build(city, db)
    assert list((root / "fiscal_year=2024").iterdir()) == [old_2024]
    assert old_2024.stat().st_mtime_ns == stamp
    [new_2025] = (root / "fiscal_year=2025").iterdir()
    assert new_2025 != old_2025 and not old_2025.exists()
    assert records.derived_actuals(db).filter(pl.col("kpi_id") == "K10")[
        "derived_value"
    ].to_list() == [0.5, 4.3]


def test_sample_source_refuses_a_file_not_flagged_as_sample(city, db):
    (city / "records" / "settings.toml").write_text('source = "sample"\n', encoding="utf-8")
    folder = city / "sample" / "records" / "overtime"
    folder.mkdir(parents=True)
    shutil.copy(city / "records" / "overtime" / "mapping.toml", folder / "mapping.toml")
    (folder / "r7.csv").write_text(FY2025, encoding="utf-8")
    (folder / "SOURCES.toml").write_text(SOURCE.format(name="r7.csv"), encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(city, db)
    assert caught.value.messages[0].startswith(
        "sample/records/overtime/r7.csv: 研修用サンプルのフォルダに is_sample = false のファイルがあります"
    )


def test_lessons_read_the_same_columns_from_samples_and_city_records(city, db, built_db):
    build(city, db)
    assert records.overtime_monthly(db).schema == records.overtime_monthly(built_db).schema
    assert records.paper_monthly(db).schema == records.paper_monthly(built_db).schema


def test_a_warehouse_without_records_says_how_to_get_them(raw, db):
    build(raw, db)
    with pytest.raises(records.RecordsMissingError, match=r"settings\.toml を確かめて"):
        records.overtime_monthly(db)


def test_a_kind_without_exports_is_skipped_and_its_blank_template_is_not_read(city, db, caplog):
    paper = city / "records" / "paper"
    (paper / "p.csv").unlink()
    shutil.copy(paths.RAW / "records" / "paper" / "mapping.toml", paper / "mapping.toml")
    with caplog.at_level(logging.WARNING, logger="ebpm.records"):
        build(city, db)
    assert records.paper_purchases(db).height == 0
    assert "お知らせ: records/paper: 書き出しファイルがありません" in caplog.messages

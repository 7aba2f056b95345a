"""The parts of the records ingest on their own: date spellings, the pseudonym key and HMAC,
the K09/K10 comparison, content-addressed partitions, the settings file and the samples."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import stat
from pathlib import Path

import polars as pl
import pytest

from ebpm import paths
from ebpm.records import dates
from ebpm.records.derive import compare, derive, round_half_up
from ebpm.records.mapping import MappingError
from ebpm.records.pseudonym import KEY_ENV, Pseudonymizer, PseudonymKeyError, load_key
from ebpm.records.settings import RecordSettings, load_settings
from ebpm.records.store import collect_garbage, promote

# --- dates --------------------------------------------------------------------------------


def test_every_spelling_of_every_day_reads_back_as_that_day():
    table = dates.spellings(dt.date(2019, 3, 25), dt.date(2019, 5, 10), "day")
    wrong = {text: day for text, day in table.items() if dates.parse_date(text) != day}
    assert wrong == {}


def test_every_month_spelling_reads_back_as_the_first_of_that_month():
    table = dates.spellings(dt.date(2019, 3, 1), dt.date(2019, 6, 30), "month")
    months = {
        text: day for text, day in table.items() if dates.parse_date(text).day == 1 and day.day == 1
    }
    assert {"H31.4", "R1.5", "令和元年6月", "2019/03"} <= set(months)
    assert {t: d for t, d in months.items() if dates.parse_date(t) != d} == {}


def test_the_accepted_spellings_of_one_day():
    assert sorted(dates.spellings(dt.date(2025, 4, 1), dt.date(2025, 4, 1), "day")) == [
        "2025-04-01", "2025-4-1", "2025.04.01", "2025.4.1", "2025/04/01", "2025/4/1", "20250401",
        "2025年04月01日", "2025年4月1日",
        "R07-04-01", "R07-4-1", "R07.04.01", "R07.4.1", "R07/04/01", "R07/4/1",
        "R7-04-01", "R7-4-1", "R7.04.01", "R7.4.1", "R7/04/01", "R7/4/1",
        "令和07年04月01日", "令和07年4月1日", "令和7年04月01日", "令和7年4月1日",
    ]  # fmt: skip


def test_month_spellings_and_day_spellings_both_give_the_first_of_the_month():
    table = dates.spellings(dt.date(2024, 4, 1), dt.date(2024, 4, 30), "month")
    assert {
        table[t] for t in ("2024-04", "2024/4", "202404", "令和6年4月", "R06.04", "2024/04/17")
    } == {dt.date(2024, 4, 1)}


def test_the_era_must_be_the_one_in_force_on_that_date():
    assert dates.parse_date("平成31年4月30日") == dt.date(2019, 4, 30)
    assert dates.parse_date("令和元年5月1日") == dt.date(2019, 5, 1)
    with pytest.raises(ValueError, match="元号と日付が合いません"):
        dates.parse_date("令和元年4月1日")
    table = dates.spellings(dt.date(2019, 4, 1), dt.date(2019, 5, 31), "day")
    assert "令和元年4月1日" not in table and "R1.5.1" in table and "H31.4.30" in table


def test_a_refused_date_is_explained():
    first, last = dt.date(2024, 4, 1), dt.date(2026, 3, 31)
    assert dates.explain_refusal("2023/4/1", first, last) == (
        "「2023/4/1」は対象期間（2024年04月01日〜2026年03月31日）の外です"
        "（日付を確かめるか、mapping.toml の期間を直してください）"
    )
    assert dates.explain_refusal("２０２５/４/１", first, last).startswith(
        "「２０２５/４/１」はこの書き方では読めません"
    )
    assert dates.explain_refusal("来週", first, last).startswith("「来週」は日付として読めません")
    assert dates.explain_refusal(None, first, last) == "日付が空欄です（日付を入力してください）"


# --- pseudonyms ------------------------------------------------------------------------


def test_pseudonym_is_hmac_sha256_of_the_normalised_id():
    key = bytes(range(32))
    expected = hmac.new(key, b"ebpm:employee:v1:S000123", hashlib.sha256).hexdigest()[:16]
    assert Pseudonymizer(key)(" Ｓ０００１２３") == expected


def test_a_different_key_gives_different_pseudonyms():
    assert Pseudonymizer(b"a" * 32)("S000123") != Pseudonymizer(b"b" * 32)("S000123")


def test_the_key_is_created_on_first_use_with_0600_and_reused(tmp_path, monkeypatch):
    path = tmp_path / "conf" / "ebpm" / "pseudonym.key"
    monkeypatch.setenv(KEY_ENV, str(path))
    first = load_key()
    assert len(first) == 32 and load_key() == first
    if os.name != "nt":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_a_key_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "pseudonym.key"
    path.write_text("00" * 32)
    path.chmod(0o644)
    with pytest.raises(PseudonymKeyError, match="chmod 600"):
        load_key(path)


def test_a_key_inside_the_project_is_refused(monkeypatch):
    monkeypatch.setenv(KEY_ENV, str(paths.ROOT / "data" / "pseudonym.key"))
    with pytest.raises(PseudonymKeyError, match="プロジェクトのフォルダの中にあります"):
        load_key()
    assert not (paths.ROOT / "data" / "pseudonym.key").exists()


def test_a_malformed_key_is_refused(tmp_path):
    path = tmp_path / "pseudonym.key"
    path.write_text("not hex")
    path.chmod(0o600)
    with pytest.raises(PseudonymKeyError, match="中身が正しくありません"):
        load_key(path)


# --- K09/K10 comparison -----------------------------------------------------------------

DEFINITIONS = pl.DataFrame(
    {
        "kpi_id": ["K09", "K10"],
        "base_fy": [2023, 2023],
        "base_value": [5_216_000.0, 129.0],
        "target_fy": [2027, 2027],
    },
    schema={
        "kpi_id": pl.String,
        "base_fy": pl.Int32,
        "base_value": pl.Float64,
        "target_fy": pl.Int32,
    },
)


def derived_k10(minutes_by_year: dict[int, float], headcount: int = 2) -> pl.DataFrame:
    totals = pl.DataFrame(
        {
            "fiscal_year": list(minutes_by_year),
            "minutes": list(minutes_by_year.values()),
            "headcount": [headcount] * len(minutes_by_year),
            "person_months": [headcount * 12] * len(minutes_by_year),
            "is_sample": [False] * len(minutes_by_year),
        }
    )
    return derive(totals, None, "headcount")


def typed(rows: list[tuple[str, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(k, fy, v, "kpi/actuals/a.csv") for k, fy, v in rows],
        schema={
            "kpi_id": pl.String,
            "fiscal_year": pl.Int32,
            "value": pl.Float64,
            "source_file": pl.String,
        },
        orient="row",
    )


SOURCES = pl.DataFrame(
    {
        "kpi_id": ["K10", "K10", "K10"],
        "fiscal_year": [2023, 2024, 2025],
        "source_file": ["r/a.csv"] * 3,
    },
    schema={"kpi_id": pl.String, "fiscal_year": pl.Int32, "source_file": pl.String},
)


def test_k10_is_hours_over_staff_rounded_half_up_to_a_tenth():
    # 2 people, 15,174 min = 252.9 h → 126.45 h each → 126.5 (half up, not to even)
    assert derived_k10({2024: 15_174.0})["derived_value"].to_list() == [126.5]
    assert round_half_up(126.45, 1) == 126.5


def test_typed_value_is_used_and_a_difference_is_announced():
    result = compare(
        derived_k10({2024: 15_174.0}),
        typed([("K10", 2024, 126.4)]),
        DEFINITIONS,
        SOURCES,
        RecordSettings(),
    )
    row = result.table.row(0, named=True)
    assert (row["status"], row["used"], row["typed_value"], row["derived_value"]) == (
        "不一致",
        "typed",
        126.4,
        126.5,
    )
    assert result.replacements.height == 0
    assert result.notices == [
        "K10 2024年度: 入力された実績 126.4 と記録から求めた値 126.5 が違います（評価には入力された実績を使っています。"
        'もう一方を使うには records/settings.toml の [actuals] を K10 = "derived" にします）'
    ]


def test_derived_value_replaces_the_typed_one_only_when_the_steward_says_so():
    settings = RecordSettings(actuals={"K09": "typed", "K10": "derived"})
    result = compare(
        derived_k10({2024: 15_174.0}), typed([("K10", 2024, 126.4)]), DEFINITIONS, SOURCES, settings
    )
    assert result.replacements.select(
        "kpi_id", "fiscal_year", "value", "source", "source_file"
    ).rows() == [("K10", 2024, 126.5, "記録から算出", "r/a.csv")]
    assert result.table["used"].to_list() == ["derived"]


def test_equal_values_base_year_and_years_outside_the_plan():
    derived = derived_k10({2022: 240.0, 2023: 258 * 60.0, 2024: 252.8 * 60})
    result = compare(
        derived,
        typed([("K10", 2024, 126.4), ("K10", 2025, 120.0)]),
        DEFINITIONS,
        SOURCES,
        RecordSettings(),
    )
    assert result.table.select("fiscal_year", "status", "used").rows() == [
        (2022, "計画期間外", None),
        (2023, "基準値と一致", None),
        (2024, "一致", "typed"),
        (2025, "入力のみ", "typed"),
    ]
    assert result.notices == []


def test_a_derived_year_without_a_typed_actual_is_announced_not_used():
    result = compare(
        derived_k10({2025: 14_400.0}), typed([]), DEFINITIONS, SOURCES, RecordSettings()
    )
    assert result.table.select("status", "used").row(0) == ("記録のみ", None)
    assert result.notices[0].startswith(
        "K10 2025年度: 記録から求めた値 120 がありますが、実績は入力されていません"
    )


# --- partitions ------------------------------------------------------------------------


def staged(tmp_path: Path, contents: dict[int, str]) -> dict[int, Path]:
    out = {}
    for year, name in contents.items():
        path = tmp_path / "stage" / f"fiscal_year={year}" / f"part-{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())
        out[year] = path
    return out


def test_an_unchanged_year_keeps_its_file_and_a_changed_year_gets_a_new_one(tmp_path):
    root = tmp_path / "records"
    first, new = promote(staged(tmp_path, {2024: "a", 2025: "b"}), root, "overtime")
    assert sorted(p.name for p in new) == sorted(p.name for p in first.values())
    kept = first[2024].stat()
    second, new = promote(staged(tmp_path, {2024: "a", 2025: "c"}), root, "overtime")
    assert second[2024] == first[2024] and first[2024].stat().st_mtime_ns == kept.st_mtime_ns
    assert second[2025] != first[2025] and new == [second[2025]]
    assert first[2025].exists()  # the previous warehouse may still read it
    assert collect_garbage(root, set(second.values())) == [first[2025]]
    assert sorted(p.parent.name for p in root.rglob("*.parquet")) == [
        "fiscal_year=2024",
        "fiscal_year=2025",
    ]


def test_partition_names_depend_on_the_rows_not_their_order(tmp_path):
    import duckdb

    from ebpm.records.overtime import write_partitions

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES (2024, 'a', 1), (2024, 'b', 2), (2025, 'c', 3)) v(fiscal_year, x, y)"
    )
    con.execute("CREATE TABLE r AS SELECT * FROM t ORDER BY x DESC")
    con.execute(
        "CREATE TABLE changed AS SELECT fiscal_year, x, CASE WHEN x = 'c' THEN 4 ELSE y END AS y FROM t"
    )
    one, rows = write_partitions(con, "t", ["x", "y"], tmp_path / "one")
    two, _ = write_partitions(con, "r", ["x", "y"], tmp_path / "two")
    three, _ = write_partitions(con, "changed", ["x", "y"], tmp_path / "three")
    assert rows == {2024: 2, 2025: 1}
    assert [p.name for p in one.values()] == [p.name for p in two.values()]
    assert one[2024].name == three[2024].name and one[2025].name != three[2025].name


# --- settings and samples -----------------------------------------------------------------


def test_settings_are_optional_and_checked(tmp_path):
    assert load_settings(tmp_path) is None
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "settings.toml").write_text(
        'source = "town"\n[actuals]\nK11 = "derived"\nK10 = "yes"\n'
    )
    with pytest.raises(MappingError) as caught:
        load_settings(tmp_path)
    assert caught.value.messages == [
        'records/settings.toml: source「town」は使えません（"sample" か "city" を書いてください）',
        "records/settings.toml: [actuals] の「K11」は記録から求められません（K09、K10 だけです）",
        'records/settings.toml: [actuals] K10「yes」は使えません（"typed"＝入力した実績、"derived"＝記録から求めた値）',
    ]


def test_the_shipped_settings_read_the_samples_and_keep_typed_actuals():
    assert load_settings(paths.RAW) == RecordSettings(
        source="sample", actuals={"K09": "typed", "K10": "typed"}
    )


def test_export_shaped_samples_are_rebuilt_byte_for_byte(tmp_path):
    from ebpm import samples

    written = samples.write_record_samples(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == list(
        samples.RECORD_SAMPLE_FILES
    )
    for path in written:
        committed = paths.RAW / "sample" / "records" / path.relative_to(tmp_path)
        assert path.read_bytes() == committed.read_bytes(), path.name


def test_the_citys_exports_are_never_committed():
    import shutil
    import subprocess

    if shutil.which("git") is None or not (paths.ROOT / ".git").exists():
        pytest.skip("git がないため省略")

    def ignored(relative: str) -> bool:
        result = subprocess.run(
            ["git", "check-ignore", "-q", relative], cwd=paths.ROOT, check=False
        )
        return result.returncode == 0

    assert ignored("data/raw/records/overtime/勤務実績_R7.csv")
    assert ignored("data/raw/records/paper/物品購入_R7.xlsx")
    assert not ignored("data/raw/records/overtime/mapping.toml")
    assert not ignored("data/raw/records/settings.toml")


def test_the_sql_pseudonym_is_the_same_hmac():
    import duckdb

    ids = ["S000123", "A-9", "x" * 40]
    for key in (bytes(range(32)), bytes(range(100))):  # below and above the 64-byte block
        pseudonymize = Pseudonymizer(key)
        expression, params = pseudonymize.sql("id")
        con = duckdb.connect()
        con.execute("CREATE TABLE ids AS SELECT unnest($ids) AS id", {"ids": ids})
        got = dict(con.sql(f"SELECT id, {expression} FROM ids", params=params).fetchall())
        assert got == {
            i: hmac.new(key, b"ebpm:employee:v1:" + i.encode(), hashlib.sha256).hexdigest()[:16]
            for i in ids
        }
        assert got == {i: pseudonymize(i) for i in ids}

"""`ebpm build`: every class of bad input gets a clear Japanese message and the
previous warehouse stays byte-for-byte unchanged; good inputs in every accepted form load."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from conftest import sha256

from ebpm.readers import BuildError
from ebpm.warehouse import build

HEADER = "kpi_id,fiscal_year,value,sample_size,source,note,is_sample\n"
SOURCES_ENTRY = """
["{name}"]
title = "テスト用の実績"
publisher = "テスト課"
licence = "庁内"
retrieved_at = 2026-11-26
is_sample = true
"""


def add_actuals(raw: Path, name: str, content: bytes | str, encoding: str = "utf-8") -> Path:
    folder = raw / "kpi" / "actuals"
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    with (folder / "SOURCES.toml").open("a", encoding="utf-8") as handle:
        handle.write(SOURCES_ENTRY.format(name=name))
    return path


@pytest.fixture
def warehouse(raw: Path, tmp_path: Path, kpi_warehouse: Path) -> Path:
    """The previous warehouse: a build of ``raw`` as it is (copied, not built again)."""
    db = tmp_path / "processed" / "ebpm.duckdb"
    db.parent.mkdir()
    shutil.copy(kpi_warehouse, db)
    return db


def failing_build(raw: Path, db: Path) -> list[str]:
    before = sha256(db)
    with pytest.raises(BuildError) as caught:
        build(raw, db)
    assert sha256(db) == before, "the previous warehouse must be unchanged"
    assert not [p for p in db.parent.iterdir() if p.name != db.name], "no temp file may be left"
    return caught.value.messages


# --- bad input: one test per class ------------------------------------------------------


def test_undecodable_encoding(raw, warehouse):
    # 0x81 starts a two-byte CP932 character, and 0x20 cannot end one; not UTF-8 either.
    add_actuals(raw, "bad.csv", HEADER.encode() + b"K01,2025,\x81\x20,,,,\n")
    [message] = failing_build(raw, warehouse)
    assert message.startswith("kpi/actuals/bad.csv: 文字コードを判別できません")
    assert "UTF-8 か Shift_JIS（CP932）で保存し直してください" in message


def test_unknown_kpi(raw, warehouse):
    add_actuals(raw, "x.csv", HEADER + "K99,2025,5,,,,true\n")
    [message] = failing_build(raw, warehouse)
    assert message == (
        "kpi/actuals/x.csv 2行目 指標ID（kpi_id）列: 「K99」は登録されていない指標です"
        "（指標ID（K01〜K15）か公表どおりの指標名を入力してください）"
    )


def test_unparseable_year(raw, warehouse):
    add_actuals(raw, "x.csv", HEADER + "K01,2025,5,,,,true\nK01,来年,6,,,,true\n")
    [message] = failing_build(raw, warehouse)
    assert message.startswith(
        "kpi/actuals/x.csv 3行目 fiscal_year列: 「来年」は年度として解釈できません"
    )


def test_year_outside_plan(raw, warehouse):
    add_actuals(raw, "x.csv", HEADER + "K01,令和12年度,30,,,,true\n")
    [message] = failing_build(raw, warehouse)
    assert message == (
        "kpi/actuals/x.csv 2行目 年度（fiscal_year）列: 2030年度は計画の期間外です"
        "（2023〜2027年度の実績を入力してください）"
    )


def test_non_numeric_value(raw, warehouse):
    add_actuals(raw, "x.csv", HEADER + 'K09,2026,"５，２１６，０００枚",,,,true\n')
    [message] = failing_build(raw, warehouse)
    assert message == (
        "kpi/actuals/x.csv 2行目 value列: 「５，２１６，０００枚」を数値に変換できません"
        "（単位や文字は書かずに数値だけを入力してください）"
    )


def test_percentage_out_of_range(raw, warehouse):
    add_actuals(raw, "x.csv", HEADER + "K02,2026,480,795,,,true\n")
    [message] = failing_build(raw, warehouse)
    assert message == (
        "kpi/actuals/x.csv 2行目 実績値（value）列: 割合「480.0」が 0〜100 の範囲外です"
        "（% の指標は 0〜100 の数値で入力してください）"
    )


def test_duplicate_row_across_files(raw, warehouse):
    # FY2025 of K09 is already in the sample file: a second value is ambiguous.
    add_actuals(raw, "x.csv", HEADER + "K09,2025,4600000,,,,true\n")
    messages = failing_build(raw, warehouse)
    assert (
        "kpi/actuals/x.csv 2行目 指標ID（kpi_id）列: 指標「K09」の同じ年度の実績が複数あります（1指標・1年度につき1行にしてください）"
        in messages
    )
    assert any(m.startswith("kpi/actuals/sample_fy2024_fy2025.csv 19行目") for m in messages)


def test_missing_column(raw, warehouse):
    add_actuals(raw, "x.csv", "kpi_id,value\nK01,5\n")
    [message] = failing_build(raw, warehouse)
    assert message.startswith("kpi/actuals/x.csv: 必要な列「fiscal_year」か「年度」がありません")
    assert "今ある列: kpi_id, value" in message


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf\r\n"])
def test_empty_file(raw, warehouse, content):
    add_actuals(raw, "x.csv", content)
    assert failing_build(raw, warehouse) == [
        "kpi/actuals/x.csv: ファイルが空です（見出し行とデータ行を入力してください）"
    ]


def test_header_only_file(raw, warehouse):
    add_actuals(raw, "x.csv", HEADER)
    assert failing_build(raw, warehouse) == [
        "kpi/actuals/x.csv: データ行がありません（見出しの下に1行以上入力してください）"
    ]


def test_fraction_of_a_count(raw, warehouse):
    add_actuals(raw, "x.csv", HEADER + "K03,2026,40.5,,,,true\n")
    [message] = failing_build(raw, warehouse)
    assert (
        message
        == "kpi/actuals/x.csv 2行目 実績値（value）列: 件数・人数・回数・枚数は 0 以上の整数で入力してください"
    )


def test_file_without_provenance(raw, warehouse):
    (raw / "kpi" / "actuals" / "unlisted.csv").write_text(HEADER + "K01,2026,20,,,,true\n")
    [message] = failing_build(raw, warehouse)
    assert message.startswith("出典情報のないファイルがあります: kpi/actuals/unlisted.csv")


def test_every_error_is_reported_at_once(raw, warehouse):
    add_actuals(
        raw, "x.csv", HEADER + "K99,2026,1,,,,true\nK01,来年,1,,,,true\nK02,2026,abc,,,,true\n"
    )
    messages = failing_build(raw, warehouse)
    # Cell errors are all listed; content checks (the unknown K99) run once cells parse.
    assert [m.split(":")[0] for m in messages] == [
        "kpi/actuals/x.csv 3行目 fiscal_year列",
        "kpi/actuals/x.csv 4行目 value列",
    ]


def test_broken_definition_keeps_warehouse(raw, warehouse):
    definitions = raw / "kpi" / "kpi_definitions.csv"
    definitions.write_text(
        definitions.read_text().replace(",maintain,", ",keep,"), encoding="utf-8"
    )
    [message] = failing_build(raw, warehouse)
    assert message == (
        "kpi/kpi_definitions.csv 8行目 direction列: 「keep」は目標の方向ではありません"
        "（increase・decrease・maintain のいずれかを入力してください）"
    )


# --- good input in every accepted form ---------------------------------------------------


def actual(db: Path, kpi_id: str, fy: int) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(
            "SELECT value, sample_size, is_sample, source_file, source_row FROM kpi_actual "
            "WHERE kpi_id = $k AND fiscal_year = $fy",
            params={"k": kpi_id, "fy": fy},
        ).fetchall()[0]


def test_cp932_file_with_japanese_headers_and_forms(raw, tmp_path):
    text = (
        "指標ID,年度,実績値,回答者数,出典,備考,サンプル\n"
        'K09,令和８年度,"４，１００，０００",,総務課,髙橋 ①,FALSE\n'
        "1人あたり時間外勤務等年間平均時間数,FY2026,１１２.５,,総務課,,\n"
        "K02,R08,49.1,780,市民意識調査,,はい\n"
    )
    add_actuals(raw, "総務課_2026.csv", text, encoding="cp932")
    db = tmp_path / "wh.duckdb"
    build(raw, db)
    assert actual(db, "K09", 2026) == (4_100_000.0, None, False, "kpi/actuals/総務課_2026.csv", 2)
    assert actual(db, "K10", 2026)[0] == 112.5
    assert actual(db, "K02", 2026)[:3] == (49.1, 780, True)


def test_utf8_bom_and_xlsx(raw, tmp_path):
    from openpyxl import load_workbook

    from ebpm.template import TEMPLATE

    add_actuals(raw, "bom.csv", "\ufeff" + HEADER + "K05,2026,1700,,,,true\n")
    book = load_workbook(TEMPLATE)
    sheet = book["実績"]
    sheet.append(["K13", "2026年度", 101, None, "人事課", None, True])
    sheet.append(["K01", 2026, "19", None, None, None, None])
    xlsx = raw / "kpi" / "actuals" / "人事課.xlsx"
    book.save(xlsx)
    add_actuals(raw, "dummy.csv", HEADER + "K04,2026,15,,,,true\n")
    with (raw / "kpi" / "actuals" / "SOURCES.toml").open("a", encoding="utf-8") as handle:
        handle.write(SOURCES_ENTRY.format(name="*.xlsx"))
    db = tmp_path / "wh.duckdb"
    build(raw, db)
    assert actual(db, "K05", 2026)[0] == 1700
    assert actual(db, "K13", 2026)[:3] == (101.0, None, True)
    assert actual(db, "K01", 2026)[:3] == (19.0, None, False)


def test_provenance_recorded_for_every_raw_file(built_db):
    with duckdb.connect(str(built_db), read_only=True) as con:
        rows = con.sql(
            "SELECT path, sha256, size_bytes, title, publisher, licence, retrieved_at, is_sample FROM provenance"
        ).pl()
    assert "kpi/kpi_definitions.csv" in rows["path"].to_list()
    assert rows["sha256"].str.len_chars().eq(64).all()
    assert (
        rows.filter(rows["path"] == "kpi/actuals/sample_fy2024_fy2025.csv")["is_sample"].item()
        is True
    )
    assert rows.filter(rows["path"] == "kpi/kpi_definitions.csv")["is_sample"].item() is False
    assert (
        rows.null_count()
        .select("title", "publisher", "licence", "retrieved_at")
        .sum_horizontal()
        .item()
        == 0
    )


def test_definitions_keep_history(raw, tmp_path):
    # A later revision must not erase the earlier one; the current one is used.
    definitions = raw / "kpi" / "kpi_definitions.csv"
    lines = definitions.read_text(encoding="utf-8").splitlines()
    revised = (
        next(line for line in lines if line.startswith("K05,"))
        .replace("K05,1,2025-02-01", "K05,2,2026-04-01")
        .replace(",2000,", ",2500,")
    )
    future = next(line for line in lines if line.startswith("K06,")).replace(
        "K06,1,2025-02-01", "K06,2,2099-04-01"
    )
    definitions.write_text("\n".join([*lines, revised, future]) + "\n", encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    build(raw, db)
    with duckdb.connect(str(db), read_only=True) as con:
        history = con.sql(
            "SELECT kpi_id, revision, target_value, is_current FROM kpi_definition WHERE kpi_id IN ('K05','K06') ORDER BY ALL"
        ).fetchall()
        current = con.sql(
            "SELECT target_value FROM kpi_progress WHERE kpi_id = 'K05' AND fiscal_year = 2025"
        ).fetchall()
    assert history == [
        ("K05", 1, 2000.0, False),
        ("K05", 2, 2500.0, True),
        ("K06", 1, 56.9, True),
        ("K06", 2, 56.9, False),
    ]
    assert current == [(2500.0,)]


def test_concurrent_readers_during_rebuild(raw, tmp_path, kpi_warehouse):
    db = tmp_path / "wh.duckdb"
    shutil.copy(kpi_warehouse, db)  # the previous build of these files
    done = tmp_path / "rebuilt"
    # Each reader says when it has read once, then reads until the rebuild is over.
    reader = textwrap.dedent(f"""
        import pathlib, time, duckdb
        n = 0
        while n < 6 or not pathlib.Path({str(done)!r}).exists():
            con = duckdb.connect({str(db)!r}, read_only=True)
            assert con.sql("SELECT count(*) FROM kpi_progress").fetchall()[0][0] > 0
            con.close()
            n += 1
            if n == 1:
                print("reading", flush=True)
            time.sleep(0.01)  # leave the cores to the build
        print(n)
    """)
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", reader],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for proc in readers:
            assert proc.stdout is not None and proc.stdout.readline() == "reading\n"
        build(raw, db)  # this process writes while both readers keep reading
    finally:
        done.touch()
    results = [r.communicate(timeout=60) for r in readers]
    for (out, err), proc in zip(results, readers, strict=True):
        assert proc.returncode == 0, err
        assert int(out) > 5


def test_stale_files_after_a_raw_edit(raw, warehouse):
    from ebpm.warehouse import stale_files

    assert stale_files(warehouse, raw) == []
    add_actuals(raw, "new.csv", HEADER + "K01,2026,20,,,,true\n")
    (raw / "kpi" / "tactics.csv").unlink()
    assert stale_files(warehouse, raw) == [
        "kpi/actuals/new.csv",
        "kpi/tactics.csv",
    ]


def test_band_edges_reach_the_view(raw, tmp_path):
    from ebpm.kpi import GradeBands
    from ebpm.warehouse import progress_table

    db = tmp_path / "strict.duckdb"
    build(raw, db, bands=GradeBands(on_track=1.2, mostly=0.95))
    k09 = progress_table(2025, db).filter(kpi_id="K09").row(0, named=True)
    assert (k09["band_on_track"], k09["band_mostly"]) == (1.2, 0.95)
    assert k09["grade"] == "遅れ"  # pace 0.92 < 0.95; 概ね順調 with the default edges
    assert "0.95" in k09["reason"]

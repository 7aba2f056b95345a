"""Issue 14, hostile and careless input: every case through `ebpm build`, asserting the exit
code, a Japanese message naming the file (and row/column where there is one) and the
previous warehouse byte for byte unchanged. The files are in tests/bad_inputs/ (large
and binary ones built by tests/bad_inputs/corpus.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from bad_inputs import corpus
from conftest import sha256

from ebpm import paths
from ebpm.cli import main

BAD = Path(__file__).parent / "bad_inputs"
HEADER = corpus.HEADER
SOURCES_ENTRY = """
["{name}"]
title = "テスト用の実績"
publisher = "テスト課"
licence = "庁内"
retrieved_at = 2026-11-26
is_sample = true
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """data/raw/kpi and data/raw/sample of the repository, and a warehouse built from them."""
    from ebpm.warehouse import build

    root = tmp_path_factory.mktemp("base")
    shutil.copytree(paths.RAW / "kpi", root / "raw" / "kpi")
    shutil.copytree(paths.RAW / "sample", root / "raw" / "sample")
    build(root / "raw", root / "processed" / "ebpm.duckdb")
    return root / "raw", root / "processed" / "ebpm.duckdb"


@pytest.fixture
def ws(base: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the raw folder and of its warehouse."""
    raw, db = base
    shutil.copytree(raw, tmp_path / "raw")
    (tmp_path / "processed").mkdir()
    shutil.copy(db, tmp_path / "processed" / db.name)
    return tmp_path / "raw", tmp_path / "processed" / db.name


def describe(folder: Path, name: str) -> None:
    with (folder / "SOURCES.toml").open("a", encoding="utf-8") as handle:
        handle.write(SOURCES_ENTRY.format(name=name))


def put(raw: Path, name: str, source: Path | bytes | str) -> Path:
    """A file in kpi/actuals/, described in its SOURCES.toml."""
    folder = raw / "kpi" / "actuals"
    target = folder / name
    if isinstance(source, Path):
        shutil.copy(source, target)
    else:
        target.write_bytes(source if isinstance(source, bytes) else source.encode("utf-8"))
    describe(folder, name)
    return target


def refused(ws: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> str:
    """Run `ebpm build`; it must fail with exit 1 and leave the warehouse as it was."""
    raw, db = ws
    before = sha256(db)
    code = main(["build", "--raw", str(raw), "--db", str(db)])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert err.startswith("エラー: 入力データに問題があるため、ウェアハウスは更新していません")
    assert sha256(db) == before, "the previous warehouse must be unchanged"
    assert [p.name for p in db.parent.iterdir()] == [db.name], "no temporary file may remain"
    return err


def built(ws: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> Path:
    raw, db = ws
    code = main(["build", "--raw", str(raw), "--db", str(db)])
    assert code == 0, capsys.readouterr().err
    return db


def actual(db: Path, kpi_id: str, fiscal_year: int) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(
            "SELECT value, is_sample, source_file, source_row FROM kpi_actual"
            " WHERE kpi_id = $k AND fiscal_year = $fy",
            params={"k": kpi_id, "fy": fiscal_year},
        ).fetchall()


def edit_definitions(raw: Path, old: str, new: str) -> None:
    path = raw / "kpi" / "kpi_definitions.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append_definition(raw: Path, line: str) -> None:
    path = raw / "kpi" / "kpi_definitions.csv"
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")


# --- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "first", "second"),
    [
        ("header_doubled.csv", "value（3列目）", "value（4列目）"),
        ("header_alias.csv", "value（3列目）", "実績値（4列目）"),
        ("header_nfkc.csv", "value（3列目）", "ｖａｌｕｅ（4列目）"),
    ],
)
def test_two_headers_for_one_column_are_refused(ws, capsys, file, first, second):
    put(ws[0], "x.csv", BAD / file)
    err = refused(ws, capsys)
    assert (
        f"kpi/actuals/x.csv 1行目: 見出し「{first}」と「{second}」はどちらも実績値（value）の列です"
        in err
    )


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("file", "text"), [("value_inf.csv", "inf"), ("value_1e400.csv", "1e400")])
def test_an_infinite_actual_is_refused(ws, capsys, file, text):
    put(ws[0], "x.csv", BAD / file)
    err = refused(ws, capsys)
    assert f"kpi/actuals/x.csv 2行目 value列: 「{text}」は有限の数値ではありません" in err


def test_nan_is_refused_as_not_finite_not_as_negative(ws, capsys):
    put(ws[0], "x.csv", BAD / "value_nan.csv")
    err = refused(ws, capsys)
    assert "kpi/actuals/x.csv 2行目 value列: 「nan」は有限の数値ではありません" in err
    assert "負の値" not in err


def test_an_infinite_target_is_refused(ws, capsys):
    edit_definitions(ws[0], ",1020,,2027,2000,", ",1020,,2027,1e400,")
    err = refused(ws, capsys)
    assert (
        "kpi/kpi_definitions.csv 6行目 target_value列: 「1e400」は有限の数値ではありません" in err
    )


def test_target_equal_to_base_on_an_increase_kpi_is_refused(ws, capsys):
    edit_definitions(ws[0], ",1020,,2027,2000,", ",1020,,2027,1020,")
    err = refused(ws, capsys)
    assert "kpi/kpi_definitions.csv 6行目 target_value列: 目標値が基準値と同じです" in err


def test_a_decrease_kpi_with_its_target_above_the_base_is_refused(ws, capsys):
    edit_definitions(ws[0], ",decrease,2023,129,,2027,100,", ",decrease,2023,129,,2027,140,")
    err = refused(ws, capsys)
    assert "kpi/kpi_definitions.csv 11行目 target_value列: 目標値が direction と逆の向きです" in err


# --- ids ---------------------------------------------------------------------------------------


def test_a_full_width_id_colliding_with_an_existing_one_is_refused(ws, capsys):
    raw = ws[0]
    row = (raw / "kpi" / "kpi_definitions.csv").read_text(encoding="utf-8").splitlines()[5]
    append_definition(raw, row.replace("K05,1,", "Ｋ０５,2,"))
    err = refused(ws, capsys)
    assert (
        "kpi/kpi_definitions.csv 17行目 kpi_id列: 「Ｋ０５」は半角にすると「K05」になり、"
        "6行目の「K05」と同じIDになります"
    ) in err
    with duckdb.connect(str(ws[1]), read_only=True) as con:  # no 16th KPI
        assert con.sql("SELECT count(*) FROM kpi_current").fetchall() == [(15,)]


def test_a_full_width_id_alone_is_read_as_its_half_width_form(ws, capsys):
    raw = ws[0]
    edit_definitions(raw, "K15,1,", "Ｋ１５,1,")
    db = built(ws, capsys)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("SELECT kpi_id FROM kpi_current WHERE kpi_id LIKE '%15'").fetchall() == [
            ("K15",)
        ]


@pytest.mark.parametrize(
    "kpi_id", ["K16<img src=x onerror=alert(1)>", "../../x", "/tmp/abs", "K 16"]
)
def test_a_kpi_id_that_could_become_markup_or_a_path_is_refused(ws, capsys, kpi_id):
    raw = ws[0]
    row = (raw / "kpi" / "kpi_definitions.csv").read_text(encoding="utf-8").splitlines()[5]
    append_definition(raw, row.replace("K05,1,", f'"{kpi_id}",1,'))
    err = refused(ws, capsys)
    assert "kpi/kpi_definitions.csv 17行目 kpi_id列" in err
    assert "指標IDは英数字で始まり" in err


def test_a_strategy_id_outside_the_pattern_is_refused(ws, capsys):
    raw = ws[0]
    path = raw / "kpi" / "strategies.csv"
    path.write_text(
        path.read_text(encoding="utf-8") + '"3-4<b>",3,4,架空の戦略\n', encoding="utf-8"
    )
    err = refused(ws, capsys)
    assert (
        "kpi/strategies.csv 9行目 strategy_id列: 「3-4<b>」: 戦略番号は「分野番号-戦略番号」の形"
        in err
    )


def test_a_strategy_under_another_field_is_refused(ws, capsys):
    raw = ws[0]
    path = raw / "kpi" / "strategies.csv"
    path.write_text(path.read_text(encoding="utf-8") + "3-4,1,4,架空の戦略\n", encoding="utf-8")
    err = refused(ws, capsys)
    assert "kpi/strategies.csv 9行目 strategy_id列: 戦略番号の先頭が field_id と合いません" in err


# --- revisions ---------------------------------------------------------------------------------


def test_a_target_edited_in_place_is_refused(ws, capsys):
    edit_definitions(ws[0], ",1020,,2027,2000,", ",1020,,2027,2500,")
    err = refused(ws, capsys)
    assert (
        "kpi/kpi_definitions.csv 6行目 target_value列: 指標 K05 の改訂1の目標値（target_value）が、"
        "前回のビルドの「2000」から「2500」に書き換えられています"
    ) in err
    assert "revision を 2 にして" in err


def test_a_new_revision_with_the_new_target_is_accepted(ws, capsys):
    raw = ws[0]
    row = (raw / "kpi" / "kpi_definitions.csv").read_text(encoding="utf-8").splitlines()[5]
    append_definition(
        raw, row.replace("K05,1,2025-02-01", "K05,2,2026-04-01").replace(",2000,", ",2500,")
    )
    db = built(ws, capsys)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.sql(
            "SELECT revision, target_value FROM kpi_definition WHERE kpi_id = 'K05' ORDER BY 1"
        ).fetchall()
    assert rows == [(1, 2000.0), (2, 2500.0)]


def test_a_removed_revision_is_refused(ws, capsys):
    raw = ws[0]
    row = (raw / "kpi" / "kpi_definitions.csv").read_text(encoding="utf-8").splitlines()[5]
    append_definition(raw, row.replace("K05,1,2025-02-01", "K05,2,2026-04-01"))
    built(ws, capsys)
    edit_definitions(raw, row + "\n", "")
    edit_definitions(raw, "K05,2,2026-04-01", "K05,2,2025-02-01")
    err = refused(ws, capsys)
    assert "kpi/kpi_definitions.csv: 前回のビルドにあった指標 K05 の改訂1がなくなっています" in err


# --- file formats ------------------------------------------------------------------------------


def test_an_xls_file_is_loaded_not_ignored(ws, capsys):
    put(ws[0], "情報政策課.xls", BAD / "actuals_excel97.xls")
    db = built(ws, capsys)
    assert actual(db, "K05", 2026) == [(1800.0, True, "kpi/actuals/情報政策課.xls", 2)]
    assert actual(db, "K11", 2026) == [(47.5, False, "kpi/actuals/情報政策課.xls", 3)]


def test_an_xls_cell_far_away_is_refused_by_its_size(ws, capsys):
    put(ws[0], "x.xls", BAD / "xls_far_cell.xls")
    err = refused(ws, capsys)
    assert "kpi/actuals/x.xls: 列が多すぎます（256列。上限 200列）" in err


def test_a_file_no_reader_loads_is_refused(ws, capsys):
    put(ws[0], "メモ.txt", "実績は来月")
    err = refused(ws, capsys)
    assert "kpi/actuals/メモ.txt: ebpm が読まないファイルです" in err


def test_a_file_in_a_subfolder_of_actuals_is_refused(ws, capsys):
    folder = ws[0] / "kpi" / "actuals" / "2026"
    folder.mkdir()
    (folder / "x.csv").write_text(HEADER + "K01,2026,20,,,,true\n", encoding="utf-8")
    describe(folder, "x.csv")
    err = refused(ws, capsys)
    assert "kpi/actuals/2026/x.csv: ebpm が読まないファイルです（kpi/actuals/ の直下" in err


def test_a_folder_named_like_a_csv_is_refused(ws, capsys):
    (ws[0] / "kpi" / "actuals" / "x.csv").mkdir()
    err = refused(ws, capsys)
    assert "kpi/actuals/x.csv: ファイルではなくフォルダです" in err


def test_a_csv_saved_as_xlsx_is_refused(ws, capsys):
    put(ws[0], "x.xlsx", BAD / "not_excel.xlsx")
    err = refused(ws, capsys)
    assert "kpi/actuals/x.xlsx: Excel（.xlsx）形式のファイルではありません" in err


def test_a_nul_byte_is_named_with_its_line(ws, capsys):
    put(ws[0], "x.csv", BAD / "nul_byte.csv")
    err = refused(ws, capsys)
    assert "kpi/actuals/x.csv 3行目: NUL 文字（0x00）が含まれています" in err


def test_a_utf16_csv_is_told_how_to_save(ws, capsys):
    put(ws[0], "x.csv", BAD / "utf16.csv")
    err = refused(ws, capsys)
    assert "kpi/actuals/x.csv: UTF-16（Unicode テキスト）で保存されています" in err


def test_a_ragged_csv_gets_a_japanese_fix(ws, capsys):
    put(ws[0], "x.csv", BAD / "ragged.csv")
    err = refused(ws, capsys)
    assert "kpi/actuals/x.csv: CSV として読めません。列の数がそろっているか" in err


def test_a_formula_without_a_cached_value_is_named_by_its_cell(ws, capsys, tmp_path):
    put(ws[0], "x.xlsx", corpus.formula_without_value_xlsx(tmp_path / "f.xlsx"))
    err = refused(ws, capsys)
    assert ("kpi/actuals/x.xlsx 3行目 C列: C3セルは数式ですが、計算結果が保存されていません") in err


def test_a_sample_file_with_a_nul_byte_says_so(ws, capsys):
    path = ws[0] / "sample" / "copy_paper_monthly.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2][:5] + b"\x00" + lines[2][5:]
    path.write_bytes(b"\n".join(lines))
    err = refused(ws, capsys)
    assert "sample/copy_paper_monthly.csv 3行目: NUL 文字（0x00）が含まれていて" in err
    assert "is_sample" not in err


# --- resource limits -----------------------------------------------------------------------------


def test_a_sheet_spanning_a1_to_xfd1048576_is_refused(ws, capsys, tmp_path):
    put(ws[0], "x.xlsx", corpus.dimension_bomb_xlsx(tmp_path / "bomb.xlsx"))
    err = refused(ws, capsys)
    assert "kpi/actuals/x.xlsx: シートの範囲が大きすぎます" in err


def test_a_declared_dimension_of_the_whole_sheet_is_refused(ws, capsys, tmp_path):
    put(ws[0], "x.xlsx", corpus.declared_dimension_xlsx(tmp_path / "dim.xlsx"))
    err = refused(ws, capsys)
    assert "kpi/actuals/x.xlsx: シートの範囲が A1:XFD1048576 と宣言されています" in err


def test_an_xlsx_inflating_beyond_the_limit_is_refused(ws, capsys, tmp_path):
    put(ws[0], "x.xlsx", corpus.zip_bomb_xlsx(tmp_path / "zip.xlsx", 150 * 1024 * 1024))
    err = refused(ws, capsys)
    assert (
        "kpi/actuals/x.xlsx: 展開すると大きすぎる Excel ファイルです（展開後 150.8MB。上限 100.0MB）"
        in err
    )


def test_an_xlsx_part_lying_about_its_size_is_refused(ws, capsys, tmp_path):
    put(ws[0], "x.xlsx", corpus.lying_size_xlsx(tmp_path / "lie.xlsx"))
    err = refused(ws, capsys)
    assert "kpi/actuals/x.xlsx: Excel ファイルの中の xl/worksheets/sheet1.xml が壊れています" in err


def test_a_csv_larger_than_the_limit_is_refused_before_reading(ws, capsys, tmp_path):
    big = corpus.duplicates_csv(tmp_path / "dup.csv")
    put(ws[0], "x.csv", b"")
    (ws[0] / "kpi" / "actuals" / "x.csv").unlink()
    shutil.move(big, ws[0] / "kpi" / "actuals" / "x.csv")
    err = refused(ws, capsys)
    assert "kpi/actuals/x.csv: ファイルが大きすぎます（110.6MB。上限 20.0MB）" in err


def test_a_csv_with_too_many_rows_is_refused(ws, capsys, tmp_path):
    put(ws[0], "x.csv", corpus.many_rows_csv(tmp_path / "rows.csv"))
    err = refused(ws, capsys)
    assert "kpi/actuals/x.csv: 行が多すぎます（150,001行。上限 100,000行）" in err


# --- SOURCES.toml and sidecars -------------------------------------------------------------------


def sources_case(raw: Path, file: str) -> None:
    folder = raw / "kpi" / "actuals"
    (folder / "x.csv").write_text(HEADER + "K01,2026,20,,,,true\n", encoding="utf-8")
    shutil.copy(BAD / file, folder / "SOURCES.toml")
    (folder / "sample_fy2024_fy2025.csv").unlink()  # its entry was in the replaced file


def test_a_cp932_sources_toml_is_named_with_the_fix(ws, capsys):
    sources_case(ws[0], "sources_cp932.toml")
    err = refused(ws, capsys)
    assert "kpi/actuals/SOURCES.toml: 文字コードが UTF-8 ではありません" in err


def test_a_sources_toml_with_a_bom_is_read(ws, capsys):
    sources_case(ws[0], "sources_bom.toml")
    db = built(ws, capsys)
    assert actual(db, "K01", 2026) == [(20.0, True, "kpi/actuals/x.csv", 2)]


def test_a_sources_entry_that_is_not_a_table_is_refused(ws, capsys):
    sources_case(ws[0], "sources_not_table.toml")
    err = refused(ws, capsys)
    assert "kpi/actuals/SOURCES.toml: 「x.csv」が表になっていません" in err


def test_a_sources_toml_syntax_error_names_line_and_column(ws, capsys):
    sources_case(ws[0], "sources_bad_syntax.toml")
    err = refused(ws, capsys)
    assert "kpi/actuals/SOURCES.toml 2行目 9文字目: TOML の書式が正しくありません" in err


def test_a_broken_sidecar_names_both_files_to_remove(ws, capsys):
    folder = ws[0] / "estat" / "0000000001"
    folder.mkdir(parents=True)
    (folder / "getStatsData_20260101_deadbeef.json").write_text("{}", encoding="utf-8")
    shutil.copy(
        BAD / "sidecar_empty.json", folder / "getStatsData_20260101_deadbeef.json.provenance.json"
    )
    err = refused(ws, capsys)
    assert (
        "estat/0000000001/getStatsData_20260101_deadbeef.json.provenance.json: "
        "出典情報の JSON が壊れています。この出典情報と、それが説明するデータファイル "
        "getStatsData_20260101_deadbeef.json の2つを削除し"
    ) in err


def test_a_file_name_that_is_not_utf8_is_shown_and_refused(ws, capsys):
    folder = ws[0] / "kpi" / "actuals"
    name = "実績.csv".encode("cp932")
    with open(bytes(folder) + b"/" + name, "wb") as handle:
        handle.write((HEADER + "K01,2026,20,,,,true\n").encode())
    err = refused(ws, capsys)
    assert "kpi/actuals/実績.csv: ファイル名の文字コードが UTF-8 ではありません" in err

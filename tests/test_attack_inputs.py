"""The attacker and the careless steward, beyond issue 14: text that breaks the documents,
Excel layouts that read as blanks, CSVs saved the wrong way, links out of data/raw and bad
provenance. Each case goes through `ebpm build` and asserts the exit code, the Japanese
message naming the file (row, column) and the previous warehouse unchanged."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
from test_hardening_inputs import BAD, actual, base, built, describe, put, refused, ws

from ebpm.readers import MAX_CELL_TEXT

__all__ = ["base", "ws"]  # fixtures shared with test_hardening_inputs

HEADER = ["kpi_id", "fiscal_year", "value", "sample_size", "source", "note", "is_sample"]


def put_commentary(raw: Path, name: str, source: Path) -> None:
    folder = raw / "kpi" / "commentary"
    (folder / name).write_bytes(source.read_bytes())
    describe(folder, name)


def put_workbook(raw: Path, fill) -> None:
    book = openpyxl.Workbook()
    fill(book)
    book.save(raw / "kpi" / "actuals" / "x.xlsx")
    describe(raw / "kpi" / "actuals", "x.xlsx")


# --- text that XML (xlsx, docx, pptx) cannot hold, or that reads differently ---------------


def test_a_control_character_in_commentary_is_refused(ws, capsys):
    # The workbook writer raised IllegalCharacterError on it: `ebpm report` crashed.
    put_commentary(ws[0], "c.csv", BAD / "commentary_control.csv")
    err = refused(ws, capsys)
    assert "kpi/commentary/c.csv 2行目 取組状況列: 目に見えない制御文字（U+0007、3文字目）" in err


def test_a_bidi_override_in_a_note_is_refused(ws, capsys):
    put(ws[0], "x.csv", BAD / "note_bidi.csv")
    err = refused(ws, capsys)
    assert "kpi/actuals/x.csv 2行目 note列: 目に見えない制御文字（U+202E、1文字目）" in err


def test_a_commentary_of_only_a_zero_width_space_is_refused(ws, capsys):
    put_commentary(ws[0], "c.csv", BAD / "commentary_zero_width.csv")
    err = refused(ws, capsys)
    assert "kpi/commentary/c.csv 2行目 要因分析列: 目に見えない制御文字（U+200B、1文字目）" in err


def test_a_cell_longer_than_the_limit_is_refused(ws, capsys):
    note = "あ" * (MAX_CELL_TEXT + 1)
    put(ws[0], "x.csv", ",".join(HEADER) + f"\nK01,2026,15,,総務課,{note},\n")
    err = refused(ws, capsys)
    assert (
        "kpi/actuals/x.csv 2行目 note列: 文字が多すぎます（1,001字。1つのセルは1,000字以内です）"
        in err
    )


# --- Excel layouts that read as blanks -----------------------------------------------------


def test_an_excel_error_cell_is_named_with_its_error(ws, capsys):
    def fill(book):
        sheet = book.active
        sheet.append(HEADER)
        sheet.append(["K01", 2026, "#DIV/0!"])
        sheet["C2"].data_type = "e"

    put_workbook(ws[0], fill)
    err = refused(ws, capsys)
    assert "kpi/actuals/x.xlsx 2行目 C列: C2セルは Excel のエラー（#DIV/0!）です" in err


def test_merged_cells_are_refused(ws, capsys):
    def fill(book):
        sheet = book.active
        sheet.append(HEADER)
        sheet.append(["K01", 2026, 15, None, "総務課"])
        sheet.append(["K03", 2026, 40])
        sheet.merge_cells("E2:E3")

    put_workbook(ws[0], fill)
    err = refused(ws, capsys)
    assert "kpi/actuals/x.xlsx: E2:E3 は結合されたセルです" in err


def test_a_title_row_above_the_header_is_named(ws, capsys):
    def fill(book):
        sheet = book.active
        sheet.append(["令和8年度 実績報告（総務課）"])
        sheet.append(HEADER)
        sheet.append(["K01", 2026, 15])

    put_workbook(ws[0], fill)
    err = refused(ws, capsys)
    assert "kpi/actuals/x.xlsx 1行目: 見出しが2行目にあります" in err


def test_data_on_another_sheet_is_named(ws, capsys):
    def fill(book):
        book.active.title = "入力方法"
        book.active.append(["説明"])
        sheet = book.create_sheet("実績")
        sheet.append(HEADER)
        sheet.append(["K01", 2026, 15])

    put_workbook(ws[0], fill)
    err = refused(ws, capsys)
    assert "ebpm は最初のシート「入力方法」だけを読みます" in err
    assert "（このファイルのシート: 入力方法、実績）" in err


# --- CSVs saved the wrong way --------------------------------------------------------------


def test_a_tab_separated_file_is_named(ws, capsys):
    put(ws[0], "x.csv", BAD / "tab_separated.csv")
    err = refused(ws, capsys)
    assert "kpi/actuals/x.csv 1行目: 列がタブで区切られています" in err


def test_old_mac_line_ends_are_read(ws, capsys):
    put(ws[0], "x.csv", BAD / "mac_cr.csv")
    db = built(ws, capsys)
    assert actual(db, "K01", 2026) == [(15.0, False, "kpi/actuals/x.csv", 2)]


# --- links and provenance ------------------------------------------------------------------


def test_a_link_to_a_file_outside_data_raw_is_refused(ws, capsys, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text(",".join(HEADER) + "\nK01,2026,15,,総務課,,\n", encoding="utf-8")
    link = ws[0] / "kpi" / "actuals" / "link.csv"
    os.symlink(outside, link)
    describe(link.parent, "link.csv")
    err = refused(ws, capsys)
    assert f"kpi/actuals/link.csv: data/raw の外（{outside.resolve()}）を指すリンクです" in err


def test_a_dangling_link_is_refused(ws, capsys, tmp_path):
    link = ws[0] / "kpi" / "actuals" / "gone.csv"
    os.symlink(tmp_path / "nowhere.csv", link)
    describe(link.parent, "gone.csv")
    err = refused(ws, capsys)
    assert "kpi/actuals/gone.csv: リンク（ショートカット）の先のファイルがありません" in err


def test_a_provenance_url_that_is_not_a_web_address_is_refused(ws, capsys):
    path = ws[0] / "kpi" / "actuals" / "SOURCES.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "is_sample = true", 'is_sample = true\nurl = "javascript:alert(1)"', 1
        ),
        encoding="utf-8",
    )
    err = refused(ws, capsys)
    assert "url「javascript:alert(1)」は Web のアドレスではありません" in err


def test_a_control_character_in_provenance_is_refused(ws, capsys):
    path = ws[0] / "kpi" / "actuals" / "SOURCES.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('title = "', 'title = "\\u0007', 1),
        encoding="utf-8",
    )
    err = refused(ws, capsys)
    assert "出典情報の title に制御文字" in err


# --- a file saved while the build runs -----------------------------------------------------


def test_a_file_changed_during_the_build_is_refused(ws, capsys, monkeypatch):
    # The steward saves the actuals after the build hashed them and before it swaps in.
    from ebpm.warehouse import sources

    path = put(ws[0], "x.csv", ",".join(HEADER) + "\nK01,2026,15,,総務課,,\n")
    read_strategy = sources.read_strategy

    def save_meanwhile(raw_dir, today):
        path.write_text(",".join(HEADER) + "\nK01,2026,16,,総務課,,\n", encoding="utf-8")
        return read_strategy(raw_dir, today)

    monkeypatch.setattr(sources, "read_strategy", save_meanwhile)
    err = refused(ws, capsys)
    assert "kpi/actuals/x.csv: ビルドの途中でファイルが変更（または削除）されました" in err

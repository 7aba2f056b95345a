"""Record exports through mapping.toml: every accepted shape reads to the same hand-computed
monthly hours, and every class of bad record or mapping is refused with file, row and column
named — by pseudonym, never by the clear employee id — and nothing written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ebpm.readers import BuildError
from ebpm.records.attach import export_files
from ebpm.records.mapping import MappingError, load_mapping
from ebpm.records.overtime import ingest_overtime
from ebpm.records.paper import ingest_paper
from ebpm.records.pseudonym import SAMPLE_KEY, Pseudonymizer

TODAY = dt.date(2026, 11, 27)
PSEUDONYM = Pseudonymizer(SAMPLE_KEY)

DAILY = """
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

[checks]
max_hours_per_day = 10
max_hours_per_month = 20
departments = ["総務課", "財政課"]
"""

HEADER = "勤務日,職員番号,氏名,所属,時間外（分）\n"
# S001: 120 + 60 min in April 2025, 300 min in May; S002: 0 min in April, 600 min in May.
GOOD = HEADER + (
    "2025/04/01,S001,架空 一郎,総務課,120\n"
    "2025/04/02,S001,架空 一郎,総務課,60\n"
    "2025/04/01,S002,架空 花子,財政課,0\n"
    "2025/05/07,S001,架空 一郎,総務課,300\n"
    "2025/05/07,S002,架空 花子,財政課,600\n"
)


def folder_with(
    tmp_path: Path, mapping: str, files: dict[str, bytes | str], name: str = "overtime"
) -> Path:
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mapping.toml").write_text(mapping, encoding="utf-8")
    for file_name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / file_name).write_bytes(data)
    return folder


def ingest(folder: Path, tmp_path: Path, kind: str = "overtime"):
    mapping = load_mapping(folder / "mapping.toml", kind, f"{folder.name}/mapping.toml")  # type: ignore[arg-type]
    files, errors = export_files(folder, mapping, folder.parent, {})
    if errors:
        raise BuildError(errors)
    stage = tmp_path / "stage"
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    if kind == "paper":
        return ingest_paper(mapping, files, stage, TODAY)
    return ingest_overtime(mapping, files, PSEUDONYM, stage, work, TODAY)


def monthly(result) -> pl.DataFrame:
    files = [str(p) for p in result.partitions.values()]
    return duckdb.sql(f"SELECT * FROM read_parquet({files}) ORDER BY employee_id, month").pl()


def refused(folder: Path, tmp_path: Path, kind: str = "overtime") -> list[str]:
    with pytest.raises(BuildError) as caught:
        ingest(folder, tmp_path, kind)
    assert not (tmp_path / "stage").exists() or not list((tmp_path / "stage").rglob("*.parquet"))
    return caught.value.messages


# --- accepted shapes -------------------------------------------------------------------


def test_daily_minutes_become_monthly_hours_per_employee(tmp_path):
    result = ingest(folder_with(tmp_path, DAILY, {"r.csv": GOOD}), tmp_path)
    table = monthly(result)
    expected = {
        (PSEUDONYM("S001"), 4): (3.0, 2, 2),
        (PSEUDONYM("S001"), 5): (5.0, 1, 1),
        (PSEUDONYM("S002"), 4): (0.0, 1, 0),
        (PSEUDONYM("S002"), 5): (10.0, 1, 1),
    }
    got = {
        (r["employee_id"], r["month"]): (r["hours"], r["record_days"], r["overtime_days"])
        for r in table.iter_rows(named=True)
    }
    assert got == expected


def test_yearly_totals_give_headcount_and_hours(tmp_path):
    result = ingest(folder_with(tmp_path, DAILY, {"r.csv": GOOD}), tmp_path)
    row = result.totals.row(0, named=True)
    assert (row["fiscal_year"], row["minutes"], row["headcount"], row["person_months"]) == (
        2025,
        1080.0,
        2,
        4,
    )


def test_cp932_export_reads_like_utf8_and_departments_come_back_as_text(tmp_path):
    utf8 = monthly(ingest(folder_with(tmp_path / "a", DAILY, {"r.csv": GOOD}), tmp_path / "a"))
    cp932 = monthly(
        ingest(folder_with(tmp_path / "b", DAILY, {"r.csv": GOOD.encode("cp932")}), tmp_path / "b")
    )
    assert cp932.equals(utf8)
    assert sorted(cp932["department"].unique()) == ["総務課", "財政課"]


def test_bom_and_crlf_export(tmp_path):
    data = b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode("utf-8")
    table = monthly(ingest(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path))
    assert table["hours"].sum() == 18.0


def test_wareki_month_export_adds_up_hour_columns(tmp_path):
    mapping = DAILY.replace(
        'date = "勤務日"\ndate_unit = "day"', 'date = "対象年月"\ndate_unit = "month"'
    ).replace(
        'overtime = "時間外（分）"\novertime_unit = "minutes"',
        'overtime = ["時間外", "休日"]\novertime_unit = "hours"',
    )
    data = "対象年月,職員番号,所属,時間外,休日\n令和7年4月,S001,総務課,12.5,2.6\nR7.5,S001,総務課,0.0,0\n"
    table = monthly(
        ingest(folder_with(tmp_path, mapping, {"m.csv": data.encode("cp932")}), tmp_path)
    )
    assert table.select("month", "hours", "record_days").rows() == [(4, 15.1, None), (5, 0.0, None)]


def test_hours_and_minutes_as_h_mm(tmp_path):
    mapping = DAILY.replace('overtime_unit = "minutes"', 'overtime_unit = "h:mm"')
    data = (
        HEADER
        + "2025/04/01,S001,,総務課,1:30\n2025/04/02,S001,,総務課,0:45:00\n2025/04/03,S001,,総務課,0:00\n"
    )
    table = monthly(ingest(folder_with(tmp_path, mapping, {"r.csv": data}), tmp_path))
    assert table.select("hours", "record_days", "overtime_days").row(0) == (2.25, 3, 2)


def test_xlsx_export_with_a_title_row_and_named_sheet(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "表紙"
    sheet = book.create_sheet("実績")
    sheet.append(["時間外勤務実績（令和7年度）"])
    sheet.append(["勤務日", "職員番号", "所属", "時間外（分）"])
    sheet.append([dt.datetime(2025, 4, 1), "S001", "総務課", 90])
    sheet.append([None, None, None, None])
    sheet.append([dt.datetime(2025, 4, 2), "S001", "総務課", 30])
    folder = tmp_path / "overtime"
    folder.mkdir()
    book.save(folder / "r.xlsx")
    mapping = DAILY.replace('files = "*.csv"', 'files = "*.xlsx"\nsheet = "実績"\nheader_row = 2')
    (folder / "mapping.toml").write_text(mapping, encoding="utf-8")
    table = monthly(ingest(folder, tmp_path))
    assert table.select("hours", "record_days").row(0) == (2.0, 2)


def test_a_mapped_column_may_have_spaces_and_full_width_letters_in_the_header(tmp_path):
    data = GOOD.replace("職員番号", " 職員番号 ").replace("時間外（分）", "時間外(分)")
    table = monthly(ingest(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path))
    assert table["hours"].sum() == 18.0


# --- bad records: one test per class -----------------------------------------------------


def test_unreadable_date_is_refused_with_its_row(tmp_path):
    data = GOOD + "2025/13/45,S001,,総務課,10\n"
    [message] = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert message.startswith("overtime/r.csv 7行目 勤務日列: 「2025/13/45」はありえない日付です")


def test_mixed_date_spellings_are_read_when_the_sample_shows_them(tmp_path):
    data = GOOD + "R7.4.3,S001,,総務課,10\n"
    table = monthly(ingest(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path))
    assert table.filter(pl.col("month") == 4)["record_days"].to_list() == [3, 1]


def test_a_date_written_unlike_the_first_rows_is_named(tmp_path):
    # the first 2,000 dates decide the file's format; a later one in another spelling is refused
    rows = "".join(f"2025/04/{1 + i % 28:02d},T{i:05d},,総務課,0\n" for i in range(2100))
    data = HEADER + rows + "R7.4.3,S001,,総務課,10\n"
    [message] = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert message == (
        "overtime/r.csv 2102行目 勤務日列: 「R7.4.3」はこのファイルのほかの行と違う書き方です（2025/04/01 の形にそろえてください）"
    )


def test_date_outside_the_fiscal_years_is_refused(tmp_path):
    data = GOOD + "2023/04/03,S001,,総務課,10\n"
    [message] = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert (
        "7行目 勤務日列" in message and "対象期間（2024年04月01日〜2026年03月31日）の外" in message
    )


def test_a_date_after_today_is_refused(tmp_path):
    mapping = DAILY.replace("last_fiscal_year = 2025", "last_fiscal_year = 2026")
    data = GOOD + "2026/11/28,S001,,総務課,10\n"
    [message] = refused(folder_with(tmp_path, mapping, {"r.csv": data}), tmp_path)
    assert message.startswith(
        "overtime/r.csv 7行目 勤務日列: 「2026/11/28」は対象期間（2024年04月01日〜2026年11月27日）の外です"
    )


def test_negative_overtime_is_refused_naming_the_pseudonym_not_the_id(tmp_path):
    data = GOOD + "2025/04/03,S001,,総務課,-30\n"
    [message] = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert message == (
        f"overtime/r.csv 7行目 時間外（分）列: 職員（仮名 {PSEUDONYM('S001')}）の時間外勤務が負の値です（0 以上にしてください）"
    )
    assert "S001" not in message


def test_unreadable_overtime_value_is_refused(tmp_path):
    data = GOOD + "2025/04/03,S001,,総務課,1時間\n2025/04/04,S001,,総務課,\n"
    messages = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert [m.split(":")[0] for m in messages] == [
        "overtime/r.csv 7行目 時間外（分）列",
        "overtime/r.csv 8行目 時間外（分）列",
    ]
    assert "「1時間」は時間外勤務の分数として読めません" in messages[0]
    assert (
        "空欄は時間外勤務の分数として読めません" in messages[1] and "blank_as_zero" in messages[1]
    )


def test_blank_overtime_is_zero_when_the_mapping_says_so(tmp_path):
    mapping = DAILY.replace(
        'overtime_unit = "minutes"', 'overtime_unit = "minutes"\nblank_as_zero = true'
    )
    data = GOOD + "2025/04/03,S001,,総務課,\n"
    table = monthly(ingest(folder_with(tmp_path, mapping, {"r.csv": data}), tmp_path))
    assert table.filter(pl.col("month") == 4)["record_days"].to_list() == [3, 1]


def test_more_than_the_daily_maximum_is_refused(tmp_path):
    data = GOOD + "2025/04/03,S001,,総務課,660\n"
    [message] = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert "7行目" in message and "1日の時間外勤務 11.0 時間は多すぎます（上限 10 時間" in message


def test_more_than_the_monthly_maximum_is_refused_for_that_employee_and_month(tmp_path):
    data = GOOD + "".join(f"2025/05/{d:02d},S002,,財政課,300\n" for d in (8, 9, 12))
    [message] = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert message == (
        f"overtime/r.csv 時間外（分）列: 職員（仮名 {PSEUDONYM('S002')}）の 2025年05月 の時間外勤務が合計 25.0 時間で、"
        "上限 20 時間を超えています（記録を確かめるか、mapping.toml の [checks] max_hours_per_month を見直してください）"
    )


def test_duplicate_employee_day_names_both_rows(tmp_path):
    data = GOOD + "2025/04/02,S001,,総務課,15\n"
    [message] = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert message == (
        f"overtime/r.csv 7行目 勤務日列: 職員（仮名 {PSEUDONYM('S001')}）の 2025年04月02日 の行が重複しています"
        "（overtime/r.csv 3行目と同じです。1人1日1行にしてください）"
    )


def test_the_same_day_in_two_files_is_a_duplicate(tmp_path):
    second = HEADER + "2025/04/01,S002,,財政課,30\n"
    messages = refused(folder_with(tmp_path, DAILY, {"a.csv": GOOD, "b.csv": second}), tmp_path)
    assert messages == [
        f"overtime/b.csv 2行目 勤務日列: 職員（仮名 {PSEUDONYM('S002')}）の 2025年04月01日 の行が重複しています"
        "（overtime/a.csv 4行目と同じです。1人1日1行にしてください）"
    ]


def test_a_month_in_both_a_daily_and_a_monthly_export_is_refused(tmp_path):
    monthly_layout = (
        '\n[[layout]]\nfiles = "m_*.csv"\nemployee_id = "職員番号"\ndepartment = "所属"\n'
        'date = "年月"\ndate_unit = "month"\novertime = "時間"\novertime_unit = "hours"\n'
    )
    mapping = DAILY.replace('files = "*.csv"', 'files = "d_*.csv"').replace(
        "[period]", monthly_layout + "\n[period]"
    )
    report = "年月,職員番号,所属,時間\n2025年4月,S002,財政課,0.0\n2025年6月,S002,財政課,1.0\n"
    messages = refused(
        folder_with(tmp_path, mapping, {"d_1.csv": GOOD, "m_1.csv": report}), tmp_path
    )
    assert messages == [
        f"overtime/m_1.csv 2行目 年月列: 職員（仮名 {PSEUDONYM('S002')}）の 2025年04月 は、日ごとの記録にもあります"
        "（同じ月を二重に数えないよう、どちらか一方にしてください）"
    ]


def test_ids_that_differ_only_by_spaces_or_width_are_one_person(tmp_path):
    data = GOOD + "2025/04/02,Ｓ００１ ,,総務課,15\n"
    [message] = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert "の行が重複しています" in message and "7行目" in message


def test_blank_employee_id_is_refused(tmp_path):
    data = GOOD + "2025/04/03,,,総務課,10\n"
    [message] = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert (
        message == "overtime/r.csv 7行目 職員番号列: 職員番号が空欄です（職員番号を入れてください）"
    )


def test_unknown_department_is_a_notice_by_default(tmp_path):
    data = GOOD + "2025/04/03,S003,,観光課,10\n"
    result = ingest(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert (
        "所属「観光課」（1行）は mapping.toml の [checks] departments の一覧にありません"
        in "\n".join(result.notices)
    )


def test_unknown_department_is_an_error_when_the_mapping_says_so(tmp_path):
    mapping = DAILY.replace("[checks]", '[checks]\nunknown_departments = "error"')
    data = GOOD + "2025/04/03,S003,,観光課,10\n"
    [message] = refused(folder_with(tmp_path, mapping, {"r.csv": data}), tmp_path)
    assert message.startswith("overtime/r.csv: 所属「観光課」（1行）は")


def test_many_errors_are_capped_with_a_count(tmp_path):
    data = GOOD + "".join(f"2025/04/{d:02d},S009,,総務課,-1\n" for d in range(3, 28))
    messages = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert len(messages) == 21
    assert (
        messages[-1]
        == "overtime/r.csv: 同じ種類の誤りがほかに 5 行あります（上の例と同じように直してください）"
    )


def test_ragged_csv_is_refused_without_echoing_its_content(tmp_path):
    data = GOOD + "2025/04/03,S777,秘密 太郎,総務課\n"
    [message] = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert message == (
        'overtime/r.csv 7行目: 列の数が見出しより少ないです（区切り文字や " の閉じ忘れを確かめてください）'
    )
    assert "S777" not in message and "秘密" not in message


def test_clear_ids_and_names_never_appear_in_any_message(tmp_path):
    data = (
        GOOD
        + "2025/04/02,S001,架空 一郎,総務課,15\n2025/04/03,S001,架空 一郎,総務課,-1\n2025/04/04,S001,架空 一郎,総務課,x\n"
    )
    messages = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert len(messages) == 3
    assert not [m for m in messages if "S001" in m or "架空" in m]


def test_a_problem_whose_row_cannot_be_named_still_refuses_the_file(tmp_path, monkeypatch):
    from ebpm.records import overtime

    monkeypatch.setattr(overtime._Diagnosis, "row", lambda *args: None)
    data = GOOD + "2025/04/03,S001,,総務課,-30\n"
    [message] = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert message.startswith(
        "overtime/r.csv: 読み込みで問題が見つかりましたが、行を特定できませんでした"
    )


def test_a_refused_ingest_writes_no_parquet(tmp_path):
    data = GOOD + "2025/04/03,S001,,総務課,-30\n"
    refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert not list(tmp_path.rglob("*.parquet"))


# --- the mapping ------------------------------------------------------------------------


def test_a_mapped_column_missing_from_the_file_lists_the_headers(tmp_path):
    data = GOOD.replace("所属", "部署")
    with pytest.raises(BuildError) as caught:
        ingest(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert caught.value.messages == [
        "overtime/r.csv: mapping.toml の department に書いた列「所属」がありません（[[layout]] 1つ目 を直してください。"
        "このファイルの見出し: 勤務日、職員番号、氏名、部署、時間外（分））"
    ]


def test_mapping_with_unknown_key_and_bad_units_lists_every_problem(tmp_path):
    mapping = DAILY.replace(
        'overtime_unit = "minutes"', 'overtime_unit = "分"\nemployee = "x"'
    ).replace('date_unit = "day"', 'date_unit = "daily"')
    folder = folder_with(tmp_path, mapping, {})
    with pytest.raises(MappingError) as caught:
        load_mapping(folder / "mapping.toml", "overtime", "overtime/mapping.toml")
    assert caught.value.messages == [
        "overtime/mapping.toml [[layout]] 1つ目: 「employee」という項目はありません（使える項目: blank_as_zero, date, "
        "date_unit, delimiter, department, employee_id, files, header_row, overtime, overtime_unit, sheet）",
        'overtime/mapping.toml [[layout]] 1つ目: date_unit「daily」は使えません（"day"、"month" のどれかを書いてください）',
        'overtime/mapping.toml [[layout]] 1つ目: overtime_unit「分」は使えません（"hours"、"minutes"、"h:mm" のどれかを書いてください）',
    ]


def test_mapping_a_name_column_to_a_field_is_refused(tmp_path):
    mapping = DAILY.replace('department = "所属"', 'department = "氏名"')
    folder = folder_with(tmp_path, mapping, {})
    with pytest.raises(MappingError) as caught:
        load_mapping(folder / "mapping.toml", "overtime", "overtime/mapping.toml")
    assert caught.value.messages == [
        "overtime/mapping.toml [[layout]] 1つ目: department に「氏名」（個人を特定できる情報の列）が指定されています。正しい列を書いてください"
    ]


def test_the_blank_template_says_what_to_fill_in():
    from ebpm import paths

    with pytest.raises(MappingError) as caught:
        load_mapping(
            paths.RAW / "records" / "overtime" / "mapping.toml",
            "overtime",
            "records/overtime/mapping.toml",
        )
    assert caught.value.messages[:2] == [
        'records/overtime/mapping.toml [[layout]] 1つ目: files がありません（この形式のファイル名を "勤務実績_*.csv" のように書いてください）',
        "records/overtime/mapping.toml [[layout]] 1つ目: employee_id が空です（書き出しファイルの見出しを書いてください）",
    ]


def test_a_file_that_matches_no_layout_is_refused(tmp_path):
    folder = folder_with(tmp_path, DAILY, {"r.csv": GOOD, "r.txt": "x"})
    with pytest.raises(BuildError) as caught:
        ingest(folder, tmp_path)
    assert caught.value.messages == [
        "overtime/r.txt: どの [[layout]] の files（*.csv）にも当てはまりません（ファイル名を直すか、mapping.toml に形式を加えてください）"
    ]


def test_identifier_columns_are_dropped_with_a_notice_that_holds_no_value(tmp_path):
    result = ingest(folder_with(tmp_path, DAILY, {"r.csv": GOOD}), tmp_path)
    assert result.notices == [
        "overtime: 列「氏名」は個人を直接特定できる情報のため、読み込まずに除きました（[[layout]] 1つ目 の形式のファイル）"
    ]


# --- paper -------------------------------------------------------------------------------

PAPER = """
[[layout]]
files = "*.csv"
date = "購入日"
date_unit = "day"
department = "所属"
item = "品名"
item_keywords = ["コピー用紙"]
paper_size = "規格"
quantity = "数量"
unit = "単位"
sheets_per_box = { A4 = 2500, A3 = 1500 }

[period]
first_fiscal_year = 2024
last_fiscal_year = 2025
"""
PAPER_DATA = (
    "購入日,所属,品名,規格,数量,単位,担当者\n"
    "2025/04/10,総務課,コピー用紙,A4,2,箱,架空 一郎\n"
    "令和7年6月1日,財政課,コピー用紙,Ａ３,3,連,架空 花子\n"
    "2025/06/02,財政課,コピー用紙,A3,1,箱,架空 花子\n"
    "2025/06/03,財政課,トナー,,2,個,架空 花子\n"
    '2026/03/31,総務課,コピー用紙 B5,B5,"1,000",枚,架空 一郎\n'
)


def test_paper_units_become_sheets(tmp_path):
    result = ingest(folder_with(tmp_path, PAPER, {"p.csv": PAPER_DATA}, "paper"), tmp_path, "paper")
    files = [str(p) for p in result.partitions.values()]
    table = duckdb.sql(
        f"SELECT paper_size, unit, sheets, source_row FROM read_parquet({files}) ORDER BY source_row"
    ).fetchall()
    assert table == [
        ("A4", "箱", 5000, 2),
        ("A3", "連", 1500, 3),
        ("A3", "箱", 1500, 4),
        ("B5", "枚", 1000, 6),
    ]
    assert result.totals.rows() == [(2025, 9000, False)]


def test_paper_box_without_a_stated_size_is_refused(tmp_path):
    data = PAPER_DATA + "2025/07/01,総務課,コピー用紙,B4,1,箱,\n"
    [message] = refused(folder_with(tmp_path, PAPER, {"p.csv": data}, "paper"), tmp_path, "paper")
    assert message == (
        "paper/p.csv 7行目 単位列: B4 の1箱の枚数がわかりません（mapping.toml の sheets_per_box に B4 = 2500 のように書いてください）"
    )


def test_paper_negative_quantity_is_refused_by_the_gx_suite(tmp_path):
    data = PAPER_DATA + "2025/07/01,総務課,コピー用紙,A4,-1,連,\n"
    [message] = refused(folder_with(tmp_path, PAPER, {"p.csv": data}, "paper"), tmp_path, "paper")
    assert message.startswith("paper/p.csv 7行目 数量列: 数量「-1」が負の値です")


def test_paper_unknown_unit_is_refused(tmp_path):
    data = PAPER_DATA + "2025/07/01,総務課,コピー用紙,A4,1,冊,\n"
    [message] = refused(folder_with(tmp_path, PAPER, {"p.csv": data}, "paper"), tmp_path, "paper")
    assert message == "paper/p.csv 7行目 単位列: 単位「冊」は使えません（枚・連・箱のどれかです）"


@pytest.mark.parametrize(
    ("department", "code", "position"), [("総\a務課", "0007", 2), ("\u202e総務課", "202E", 1)]
)
def test_a_control_character_in_a_department_is_refused_with_its_row(
    tmp_path, department, code, position
):
    data = GOOD + f"2025/04/03,S003,,{department},10\n"
    [message] = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert message.startswith("overtime/r.csv 7行目 所属列: 職員")
    assert f"の所属に目に見えない制御文字（U+{code}、{position}文字目）が含まれています" in message
    assert "S003" not in message


def test_a_control_character_in_a_cp932_department_is_refused_with_its_row(tmp_path):
    data = (GOOD + "2025/04/03,S003,,財政\a課,10\n").encode("cp932")
    [message] = refused(folder_with(tmp_path, DAILY, {"r.csv": data}), tmp_path)
    assert message.startswith("overtime/r.csv 7行目 所属列: 職員")
    assert "の所属に目に見えない制御文字（U+0007、3文字目）" in message


def test_paper_a_control_character_in_a_department_is_refused(tmp_path):
    data = PAPER_DATA + "2025/07/01,総\u200b務課,コピー用紙,A4,1,連,\n"
    [message] = refused(folder_with(tmp_path, PAPER, {"p.csv": data}, "paper"), tmp_path, "paper")
    assert message.startswith(
        "paper/p.csv 7行目 所属列: 目に見えない制御文字（U+200B、2文字目）が含まれています"
    )

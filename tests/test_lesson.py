"""The lesson setup: how a trainee sees tables and errors."""

from __future__ import annotations

import re

import duckdb
import polars as pl
import pytest

from ebpm import lesson


@pytest.mark.parametrize(
    ("value", "plain", "shown"),
    [
        (5_216_000.0, False, "5,216,000"),
        (5_216_000, False, "5,216,000"),
        (2025, True, "2025"),
        (0.30000000000000004, False, "0.3"),
        (0.4578005115089514, False, "0.4578"),
        (1.5e-07, False, "0.00000015"),
        (None, False, "null"),
        (True, False, "true"),
        ([2025, 2026], True, "[2025, 2026]"),
    ],
)
def test_values_never_use_scientific_notation(value, plain, shown):
    assert lesson.format_value(value, plain_digits=plain) == shown


def test_a_table_gets_japanese_labels_separators_and_no_dtype_row():
    table = pl.DataFrame({"fiscal_year": [2024, 2025], "base_value": [5_216_000.0, 46.1]})
    text = lesson.table_text(table)
    assert text.startswith("2行 × 2列")
    assert "年度（fiscal_year）" in text and "基準値（base_value）" in text
    assert "5,216,000.0" in text and "46.1" in text and "2024" in text and "2,024" not in text
    assert "f64" not in text and "shape:" not in text


def test_a_float_column_shows_one_number_of_decimals():
    text = lesson.table_text(pl.DataFrame({"pace": [0.84, 1.0]}))
    assert "0.84" in text and "1.00" in text


def test_long_tables_show_their_first_and_last_rows():
    text = lesson.table_text(pl.DataFrame({"n": list(range(100))}))
    assert "100行 × 1列（最初の20行と最後の5行を表示）" in text
    assert "│ 19 " in text and "│ 95 " in text and "│ 50 " not in text


def test_html_escapes_text_and_right_aligns_numbers():
    page = lesson.table_html(pl.DataFrame({"name": ["<b>x</b>"], "value": [1]}))
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    assert re.search(r'text-align:right">1</td>', page)


def _error(action):
    try:
        action()
    except Exception as error:  # the errors are what is tested
        return error
    raise AssertionError("no error")


def test_a_missing_polars_column_is_explained_with_the_columns_there_are():
    error = _error(lambda: pl.DataFrame({"name": [1]}).select("nme"))
    lines = lesson.explain_error(error)
    assert lines[0] == "列「nme」がありません。"
    assert any("name" in line for line in lines[1:]) and "直し方" in lines[-1]


def test_and_between_conditions_without_parentheses_is_explained():
    frame = pl.DataFrame({"name": ["x回数"], "unit": ["人"]})
    error = _error(
        lambda: frame.filter(pl.col("name").str.ends_with("回数") & pl.col("unit") != "回")
    )
    assert "( )" in lesson.explain_error(error)[1]


def test_comparing_text_with_a_number_is_explained():
    error = _error(lambda: pl.DataFrame({"year": ["2025"]}).filter(pl.col("year") > 2024))
    assert "文字列の列と数値" in lesson.explain_error(error)[0]


def test_writing_to_the_read_only_warehouse_is_explained(tmp_path):
    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    con = duckdb.connect(str(path), read_only=True)
    error = _error(lambda: con.sql("CREATE TABLE t (x INTEGER)"))
    con.close()
    assert "読み取り専用" in lesson.explain_error(error)[0]


def test_a_name_not_defined_yet_and_a_key_error_are_explained():
    assert "上のセルを順番に" in lesson.explain_error(NameError("name 'x' is not defined"))[1]
    assert lesson.explain_error(KeyError("K99"))[0] == "「K99」という名前（キー）が見つかりません。"


def test_an_unknown_error_is_left_as_it_is():
    assert lesson.explain_error(ZeroDivisionError("division by zero")) is None


def test_the_short_traceback_names_the_line_of_the_cell():
    source = "x = 1\ny = {}['k']\n"
    try:
        exec(compile(source, "<cell>", "exec"), {})
    except KeyError as error:
        # in a kernel the first frame is IPython's run_code, which is skipped; here it is this test
        lines = lesson._short_traceback(type(error), error, error.__traceback__.tb_next)
    assert lines[0].startswith("エラー（KeyError）：")
    assert lines[-1] == "場所：このセルの2行目"


def test_setup_outside_jupyter_only_says_so(capsys):
    lesson.setup()
    assert "Jupyter の外" in capsys.readouterr().out


# --------------------------------------------------------------------------- phase 2 additions


def _syntax_error(source: str) -> SyntaxError:
    try:
        compile(source, "<cell>", "exec")
    except SyntaxError as error:
        return error
    raise AssertionError("no syntax error")


def test_a_full_width_character_is_named_with_what_was_meant():
    first = lesson.explain_error(_syntax_error("x = paper_base ー paper_target"))[0]
    assert (
        first
        == "全角の「ー」がコードに入っています（半角の -（引き算） のつもりではありませんか）。"
    )


def test_full_width_text_inside_a_string_is_not_blamed():
    assert lesson._full_width_in_code('label = "（注）" + note  # （コメント）') is None


def test_a_missing_indent_is_explained():
    error = _syntax_error("def f(x):\nreturn x")
    assert lesson.explain_error(error)[0] == "字下げ（行の頭の空白）が合っていません。"


def test_the_short_traceback_of_a_syntax_error_names_its_line():
    error = _syntax_error("a = 1\nb = （2）")
    lines = lesson._short_traceback(type(error), error, None)
    assert lines[-1] == "場所：このセルの2行目　b = （2）"


def test_too_many_positional_arguments_are_explained():
    from ebpm.survey import sample_size_per_wave

    error = _error(lambda: sample_size_per_wave(30.8, 33.8))
    first = lesson.explain_error(error)[0]
    assert first == (
        "関数「sample_size_per_wave」に、名前を付けずに渡した値が多すぎます（1個までのところに2個）。"
    )


def test_item_on_several_rows_is_explained():
    error = _error(lambda: pl.DataFrame({"population": [40737, 40737]})["population"].item())
    assert "2行あります" in lesson.explain_error(error)[0]


def test_reading_a_file_through_the_locked_warehouse_is_explained():
    import ebpm

    with ebpm.Warehouse() as wh:
        error = _error(lambda: wh.connection.sql("SELECT * FROM read_csv('x.csv')"))
    assert "ウェアハウスの表しか読めない" in lesson.explain_error(error)[0]


def test_a_polars_frame_named_in_warehouse_sql_is_explained():
    import ebpm

    with ebpm.Warehouse() as wh:
        error = _error(lambda: wh.connection.sql("SELECT * FROM paper_frame"))
    lines = lesson.explain_error(error)
    assert lines[0].startswith("表「paper_frame」はウェアハウスにありません。")
    assert "duckdb.sql" in lines[1]


def _k09():
    from ebpm.kpi.model import KPI

    return KPI("K09", "コピー用紙購入枚数", "3-1", "single_year", "枚", "decrease",
               2023, 5_216_000, 2027, 3_652_000)  # fmt: skip


def _k10():
    from ebpm.kpi.model import KPI

    return KPI("K10", "時間外", "3-1", "single_year", "時間", "decrease", 2023, 129, 2027, 100,
               target_basis="period_average", target_period_start_fy=2025,
               target_period_end_fy=2027)  # fmt: skip


def test_results_view_rounds_half_up_like_ebpm_status():
    import ebpm

    # (4,437,910 − 5,216,000) ÷ (3,652,000 − 5,216,000) = 0.4975 → 49.8 %; pace 0.995 → 1.00 順調
    row = lesson.results_view([ebpm.evaluate(_k09(), {2025: 4_437_910}, 2025)], _k09()).row(
        0, named=True
    )
    assert (row["進捗率"], row["ペース"], row["評価"]) == ("49.8%", "1.00", "○ 順調")


def test_results_view_shows_the_years_actual_beside_the_period_average():
    import ebpm

    # 2027: own actual 100; period average (114.5 + 107.25 + 100) ÷ 3 = 107.25 → 未達成
    history = {2025: 114.5, 2026: 107.25, 2027: 100.0}
    row = lesson.results_view([ebpm.evaluate(_k10(), history, 2027)], _k10()).row(0, named=True)
    assert (row["実績値"], row["期間平均"], row["評価"]) == ("100時間", "107.25時間", "× 未達成")


def test_progress_view_marks_rows_with_notes_and_keeps_the_published_precision():
    table = pl.DataFrame(
        [
            {"kpi_id": "K11", "short_name": "生成AI", "unit": "%", "base_value": 26.0,
             "base_decimals": 1, "target_value": 90.0, "target_decimals": 1, "actual": 52.0,
             "actual_decimals": 1, "expected": 47.3, "progress": 0.40625, "pace": 1.21875,
             "grade": "順調", "direction": "increase", "is_sample": True, "fiscal_year": 2025},
            {"kpi_id": "K14", "short_name": "セミナー", "unit": "人", "unit_corrected": "回",
             "base_value": 3.0, "target_value": 15.0, "actual": 8.0, "expected": 9.0,
             "progress": 0.4166, "pace": 0.8333, "grade": "概ね順調", "direction": "increase",
             "is_sample": False, "fiscal_year": 2025},
        ]
    )  # fmt: skip
    view = lesson.progress_view(table)
    assert view.row(0) == (
        "K11", "生成AI", "%", "26.0", "90.0", "52.0", "47.3", "40.6%", "1.22", "○ 順調（サンプル）",
    )  # fmt: skip
    assert view["実績値"][1] == "8※1" and view["単位"][1] == "回"
    assert lesson.progress_notes(table).startswith("※1 K14の単位は「回」で表示しています")


# --------------------------------------------------------------------------- phase 2: untested so far


def test_counts_keep_separators_while_codes_and_years_do_not():
    table = pl.DataFrame({"fiscal_year": [2025], "area_code": [3203], "n_by_code": [1742]})
    text = lesson.table_text(table)
    cells = [c.strip() for c in text.splitlines()[-2].strip("│").split("┆")]
    assert cells == ["2025", "3203", "1,742"]


def test_a_decimal_from_duckdb_is_shown_as_a_number():
    from decimal import Decimal

    assert lesson.format_value(Decimal("5216000")) == "5,216,000"
    assert lesson.format_value(Decimal("13196.50")) == "13,196.5"


def test_a_national_column_gets_its_japanese_label():
    text = lesson.table_text(pl.DataFrame({"fiscal_strength_index": [0.38]}))
    assert "財政力指数（fiscal_strength_index）" in text


def _first_line(action) -> str:
    return lesson.explain_error(_error(action))[0]


def test_a_missing_argument_is_named():
    from ebpm.survey import sample_size_per_wave

    first = _first_line(lambda: sample_size_per_wave())
    assert first == "関数「sample_size_per_wave」に必要な値 'change_points' が渡されていません。"


@pytest.mark.parametrize(
    "action", [lambda: "2027" > 2025, lambda: 2025 < "2027"], ids=["text-first", "number-first"]
)
def test_comparing_a_quoted_year_with_a_number_is_explained_either_way(action):
    assert (
        _first_line(action)
        == '文字列と数値を比べようとしています（"2027" と 2027 は別のものです）。'
    )


@pytest.mark.parametrize(
    "action", [lambda: "2027" + 1, lambda: 2027 - "2025"], ids=["concatenate", "operand"]
)
def test_arithmetic_with_a_quoted_number_is_explained(action):
    assert _first_line(action).startswith('文字列（" " で囲んだもの）と数値を')


def test_a_method_on_the_wrong_kind_of_value_names_that_kind():
    assert _first_line(lambda: (14).filter) == "整数の値には「.filter」がありません。"


def test_a_number_passed_where_a_dict_is_needed_is_explained():
    first = _first_line(lambda: 2025 in 14)
    assert (
        first == "関数に渡した値の種類が違います（整数を渡したところに、辞書やリストが必要です）。"
    )


def test_a_list_index_written_with_a_comma_is_explained():
    years = [2023, 2024, 2025]
    lines = lesson.explain_error(_error(lambda: years[0, 2]))
    assert lines[0] == "リストの番号の書き方が違います。" and "コロン :" in lines[1]


def test_calculating_with_none_asks_to_fill_in_the_exercise():
    lines = lesson.explain_error(_error(lambda: None * 100))
    assert lines[0].startswith("None（まだ何も入っていない値）") and "練習のセル" in lines[1]


def test_a_missing_warehouse_says_how_to_build_it(tmp_path):
    import ebpm

    error = _error(lambda: ebpm.Warehouse(tmp_path / "none.duckdb"))
    lines = lesson.explain_error(error)
    assert lines[0] == str(error) and "`ebpm build`" in lines[1]

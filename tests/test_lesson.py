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

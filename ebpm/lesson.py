"""One setup call for the training notebooks: readable tables, short Japanese errors, charts.

Every lesson starts with::

    from ebpm.lesson import setup
    setup()

instead of repeating ``pl.Config`` lines. :func:`setup` (idempotent) does four things in the
running IPython kernel:

1. **Tables.** A polars DataFrame shown as a cell's result gets thousands separators and never
   scientific notation (``5,216,000`` not ``5.216e6``); year, month, id and code columns keep
   plain digits (``2025``, ``03203``). Columns with a known English name get a Japanese label
   above the name used in code (``年度`` over ``fiscal_year``), and the dtype row and the
   English ``shape:`` line are replaced by 「15行 × 10列」. ``print(df)`` is left as polars
   prints it.
2. **Errors.** Tracebacks are cut to the error and the line of the cell that raised it; common
   beginner errors get a Japanese explanation and the fix (a column that does not exist, a
   ``KeyError``, ``&`` between conditions without parentheses, comparing text with numbers,
   a name not defined yet, full-width characters in code, a missing warehouse).
3. **Charts.** Altair charts are drawn offline through the renderer of :mod:`ebpm.charts`,
   enabled the first time a chart is shown (so lessons without charts do not import Altair).
   This is the one place that chooses the notebook renderer.
4. **Exercise checks.** Each executed cell is recorded (source, success) so that
   :func:`ebpm.exercises.check` can tell when an answer is left over from an earlier run.

Outside IPython (plain Python, pytest) :func:`setup` does nothing but report that.
"""

from __future__ import annotations

import datetime as dt
import decimal
import html
import math
import re
import traceback
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from ebpm.kpi import KPI, Progress

__all__ = [
    "LABELS",
    "explain_error",
    "format_value",
    "progress_notes",
    "progress_view",
    "results_view",
    "setup",
    "table_html",
    "table_text",
]

#: Japanese labels for the English column names a trainee meets in the lessons.
LABELS: Mapping[str, str] = {
    "kpi_id": "指標ID",
    "name": "名称",
    "short_name": "指標",
    "unit": "単位",
    "unit_corrected": "訂正後の単位",
    "aggregation_label": "単累",
    "direction": "方向",
    "strategy_id": "戦略",
    "field_id": "分野",
    "tactic_id": "戦術",
    "base_fy": "基準年度",
    "base_value": "基準値",
    "base_note": "基準値の注",
    "target_fy": "目標年度",
    "target_value": "目標値",
    "target_note": "目標値の注",
    "fiscal_year": "年度",
    "fiscal_month": "年度の月",
    "year": "年",
    "month": "月",
    "date": "日付",
    "value": "値",
    "actual": "実績値",
    "actual_years": "判定に使った年度",
    "actual_basis": "実績の基準",
    "expected": "期待値",
    "progress": "進捗率",
    "pace": "ペース",
    "grade": "評価",
    "reason": "理由",
    "elapsed": "経過割合",
    "is_sample": "サンプル",
    "is_survey": "アンケート",
    "sample_size": "回答数",
    "value_decimals": "小数の桁数",
    "source": "出典",
    "note": "備考",
    "notes": "備考",
    "department": "部署",
    "employee_id": "職員ID",
    "hours": "時間",
    "hours_mean": "時間の平均",
    "hours_sum": "時間の合計",
    "sheets": "枚数",
    "reams": "連数",
    "staff": "職員数",
    "sheets_per_staff": "1人あたり枚数",
    "bulk_purchase": "まとめ買い",
    "e_approval": "電子決裁後",
    "n_months": "月数",
    "n_people": "人数",
    "n_years": "年数",
    "complete": "12か月そろい",
    "total": "合計",
    "mean": "平均",
    "mean_per_person": "1人あたり平均",
    "previous": "前年度",
    "change": "増減",
    "change_pct": "増減率（%）",
    "seasonal_index": "季節指数",
    "suppressed": "秘匿",
    "suppression": "秘匿の種類",
    "observed": "実績",
    "fitted": "あてはめ",
    "counterfactual": "反事実",
    "path": "ファイル",
    "title": "資料名",
    "publisher": "作成者",
    "licence": "利用条件",
    "area_code": "団体コード",
    "lg_code": "団体コード（6桁）",
    "prefecture": "都道府県",
    "population": "人口",
    "marker": "記号",
    "marker_meaning": "記号の意味",
    "meaning": "意味",
    "table_name": "表の名前",
    "table_type": "種類",
    "on_track": "順調の境界",
    "mostly": "概ね順調の境界",
    "group": "群",
    "period": "期間",
    "n": "件数",
    "kind": "種類",
    "record_days": "記録の日数",
    "overtime_days": "時間外のあった日数",
    "derived_value": "記録から求めた値",
    "typed_value": "入力した実績",
    "status": "状態",
    "staff_count": "職員数",
    "formula_grade": "計算上の評価",
    "n_rows": "行数",
    "n_by_code": "団体コードで照合",
    "n_by_name": "都道府県名＋団体名で照合",
    "n_by_former": "旧市町村名で照合",
    "n_unmatched": "照合できず",
    "match_method": "照合の方法",
    "successor_code": "合併後の団体コード",
    "area_note": "区域の注",
    "fiscal_strength_index": "財政力指数",
    "cat01_label": "分類",
    "area_label": "地域",
    "time_code": "時間コード",
    "time_label": "時間",
    "period_kind": "時間の種類",
    "series": "系列",
    "boundary": "区域",
    "former_code": "旧市町村コード",
    "former_name": "旧市町村",
    "successor_name": "合併後の団体",
    "population_2010": "2010年の人口",
    "population_2015": "2015年の人口",
    "period_average": "期間平均",
    "survey_change": "差（ポイント）",
    "survey_margin": "誤差の範囲（±ポイント）",
}

#: Columns whose numbers are names, not quantities: no thousands separators.
_PLAIN_DIGITS = re.compile(
    r"(?i)(year|_fy$|^fy|_id$|^id$|code|month|年度|年$|^年|月$|^月|コード|番号|ID)"
)
_MAX_ROWS = 40
_HEAD, _TAIL = 20, 5

# ----------------------------------------------------------------------------- tables


def format_value(value: object, *, plain_digits: bool = False) -> str:
    """One cell as the lessons show it: separators, no scientific notation, ``null`` if missing.

    >>> format_value(5216000.0), format_value(0.30000000000000004), format_value(2025, plain_digits=True)
    ('5,216,000', '0.3', '2025')
    >>> format_value(0.4578005115089514), format_value(13196.54), format_value(None)
    ('0.4578', '13,196.54', 'null')
    >>> format_value(1.5e-07), format_value([2025, 2026], plain_digits=True)
    ('0.00000015', '[2025, 2026]')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if plain_digits else f"{value:,}"
    if isinstance(value, decimal.Decimal):
        if value == value.to_integral_value():
            return format_value(int(value), plain_digits=plain_digits)
        return format_value(float(value), plain_digits=plain_digits)
    if isinstance(value, float):
        return _format_float(value, plain_digits=plain_digits)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v, plain_digits=plain_digits) for v in value) + "]"
    return str(value)


def _format_float(value: float, *, plain_digits: bool) -> str:
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    # Never e-notation: 2 decimals from 1,000 up, 4 below, 4 significant digits under 1.
    decimals = 2 if magnitude >= 3 else 4 if magnitude >= 0 else 3 - magnitude
    text = f"{value:.{decimals}f}" if plain_digits else f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _header(column: str) -> tuple[str, str | None]:
    label = LABELS.get(column)
    return (label, column) if label else (column, None)


def _shown_rows(df: pl.DataFrame) -> tuple[list[dict[str, Any]], bool]:
    if df.height <= _MAX_ROWS:
        return df.rows(named=True), False
    return [*df.head(_HEAD).rows(named=True), *df.tail(_TAIL).rows(named=True)], True


def _is_numeric(df: pl.DataFrame, column: str) -> bool:
    return df.schema[column].is_numeric()


def _column_texts(values: list[Any], *, plain: bool, is_float: bool) -> list[str]:
    texts = [format_value(v, plain_digits=plain) for v in values]
    if not is_float:
        return texts
    # One number of decimals per column, as an Excel column format: 46.1 and 48.0, not 48.
    decimals = max(
        (len(t.partition(".")[2]) for t, v in zip(texts, values, strict=True) if _finite(v)),
        default=0,
    )
    return [
        (f"{v:.{decimals}f}" if plain else f"{v:,.{decimals}f}") if _finite(v) else t
        for t, v in zip(texts, values, strict=True)
    ]


def _finite(value: object) -> bool:
    return isinstance(value, float) and math.isfinite(value)


def _is_plain(column: str) -> bool:
    """Digits shown as written (2025, 03203), except counts (``n_…``: 1,742 rows)."""
    return not column.startswith("n_") and bool(_PLAIN_DIGITS.search(column))


def _cells(df: pl.DataFrame) -> tuple[list[list[str]], bool]:
    rows, cut = _shown_rows(df)
    columns = [
        _column_texts(
            [row[c] for row in rows],
            plain=_is_plain(c),
            is_float=df.schema[c].is_float(),
        )
        for c in df.columns
    ]
    return [list(cells) for cells in zip(*columns, strict=True)] if columns else [], cut


def _shape_line(df: pl.DataFrame, cut: bool) -> str:
    line = f"{df.height:,}行 × {df.width}列"
    if cut:
        line += f"（最初の{_HEAD}行と最後の{_TAIL}行を表示）"
    return line


def table_html(df: pl.DataFrame) -> str:
    """The HTML a lesson shows for a polars DataFrame (see the module docstring)."""
    cells, cut = _cells(df)
    numeric = [_is_numeric(df, c) for c in df.columns]
    head = []
    for column in df.columns:
        label, code = _header(column)
        sub = (
            f'<br><span style="font-weight:normal;color:#555">{html.escape(code)}</span>'
            if code
            else ""
        )
        head.append(f"<th>{html.escape(label)}{sub}</th>")
    body = []
    for index, row in enumerate(cells):
        if cut and index == _HEAD:
            body.append(f'<tr><td colspan="{df.width}" style="text-align:center">…</td></tr>')
        tds = [
            f'<td style="text-align:{"right" if num else "left"}">{html.escape(text)}</td>'
            for text, num in zip(row, numeric, strict=True)
        ]
        body.append("<tr>" + "".join(tds) + "</tr>")
    return (
        f'<div><p style="margin:0 0 4px;color:#555">{_shape_line(df, cut)}</p>'
        f"<table><thead><tr>{''.join(head)}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def table_text(df: pl.DataFrame) -> str:
    """The plain-text form of :func:`table_html` (box table, same labels and numbers)."""
    import polars as pl

    cells, cut = _cells(df)
    if cut:
        cells.insert(_HEAD, ["…"] * df.width)
    names = [f"{label}（{code}）" if code else label for label, code in map(_header, df.columns)]
    names = [n if names.count(n) == 1 else f"{n}_{i}" for i, n in enumerate(names)]
    frame = pl.DataFrame(cells, schema=dict.fromkeys(names, pl.String), orient="row")
    with pl.Config(
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_rows=-1,
        tbl_cols=-1,
        fmt_str_lengths=200,
        tbl_width_chars=400,
    ):
        return f"{_shape_line(df, cut)}\n{frame}"


# ----------------------------------------------------------------------------- progress


def _progress_cells(row: Mapping[str, Any], mark: str) -> dict[str, str]:
    from ebpm.kpi import format_progress

    text = format_progress(row)
    maintain = row.get("direction") == "maintain"
    return {
        "ID": str(row["kpi_id"]),
        "指標": str(row.get("short_name") or row.get("name") or ""),
        "単位": text.unit,
        "基準値": text.base,
        "目標値": text.target,
        "実績値": text.actual + mark,
        "期待値": text.expected,
        # a maintain KPI's 進捗率 is A÷T (04), so the column says which one it is
        "進捗率": text.progress + ("（目標比）" if maintain and text.actual != "−" else ""),
        "ペース": text.pace,
        "評価": text.grade_label + ("（サンプル）" if row.get("is_sample") else ""),
    }


def _noted_rows(table: pl.DataFrame) -> list[tuple[dict[str, Any], tuple[str, ...]]]:
    from ebpm.kpi import format_progress

    return [(row, format_progress(row).notes) for row in table.iter_rows(named=True)]


def progress_view(table: pl.DataFrame, *, with_year: bool = False) -> pl.DataFrame:
    """KPI progress rows (``kpi_progress``) as a lesson shows them, the same as ``ebpm status``.

    Every number is the text of :func:`ebpm.kpi.format_progress` — half-up rounding on the
    decimal value, fixed decimals per column, the published precision of base, target and
    actual — so a lesson never shows a number the status table or the report rounds
    differently. 実績値 is always the year's own actual; a ※n mark points to the note
    (:func:`progress_notes`) that says what the grade was judged on (a period average, a
    survey share with its sampling error, a corrected unit). ``with_year`` adds a first
    column 年度 (for the rows of several years).
    """
    import polars as pl

    rows: list[dict[str, str]] = []
    count = 0
    for row, notes in _noted_rows(table):
        mark = ""
        if notes:
            count += 1
            mark = f"※{count}"
        cells = _progress_cells(row, mark)
        rows.append({"年度": str(row["fiscal_year"])} | cells if with_year else cells)
    columns = [
        *(["年度"] if with_year else []),
        "ID",
        "指標",
        "単位",
        "基準値",
        "目標値",
        "実績値",
        "期待値",
        "進捗率",
        "ペース",
        "評価",
    ]
    return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String), orient="row")


def progress_notes(table: pl.DataFrame) -> str:
    """The ※n notes of :func:`progress_view` for the same rows, one line each ("" if none)."""
    lines: list[str] = []
    for _row, notes in _noted_rows(table):
        if notes:
            lines.append(f"※{len(lines) + 1} " + "".join(notes))
    return "\n".join(lines)


def results_view(results: Iterable[Progress], kpi: KPI | None = None) -> pl.DataFrame:
    """:func:`ebpm.evaluate` results as a table, numbers as ``ebpm status`` prints them.

    One row per result: 年度, 実績値 (the year's own actual), 期間平均 and 期待値の平均 (only
    when some result was judged on a period average), 期待値, 進捗率, ペース, 評価 and 理由.
    ``kpi`` adds the unit to the values.
    """
    import polars as pl

    from ebpm.jp import MISSING
    from ebpm.kpi import format_progress

    extra = {} if kpi is None else {"unit": kpi.unit, "unit_corrected": kpi.unit_corrected}
    rows = [r.as_dict() | extra for r in results]
    averaged = any(row["actual_basis"] == "period_average" for row in rows)
    out = []
    for row in rows:
        text = format_progress(row)

        def with_unit(value: str | None, unit: str = text.unit) -> str:
            return value + unit if value and value != MISSING else MISSING

        cells = {"年度": str(row["fiscal_year"]), "実績値": with_unit(text.actual)}
        if averaged:
            cells["期間平均"] = with_unit(text.period_average)
            cells["期待値の平均"] = with_unit(text.expected_period_average)
        cells |= {
            "期待値": with_unit(text.expected),
            "進捗率": text.progress,
            "ペース": text.pace,
            "評価": text.grade_label,
            "理由": str(row["reason"]),
        }
        out.append(cells)
    columns = list(out[0]) if out else ["年度", "評価"]
    return pl.DataFrame(out, schema=dict.fromkeys(columns, pl.String), orient="row")


# ----------------------------------------------------------------------------- errors

_FULL_WIDTH = re.compile(r"U\+(3000|FF0[0-9A-F]|FF[1-5][0-9A-F]|201[CD]|2018|2019)")


def _polars_columns(message: str) -> tuple[str | None, list[str], str | None]:
    missing = re.search(r'unable to find column "([^"]+)"|^"?([^"\n]+)"? not found', message)
    valid = re.search(r"valid columns: \[([^\]]*)\]", message)
    guess = re.search(r'Did you mean "([^"]+)"', message)
    name = next((g for g in missing.groups() if g), None) if missing else None
    columns = re.findall(r'"([^"]*)"', valid.group(1)) if valid else []
    return name, columns, guess.group(1) if guess else None


_TYPICAL_CALL = (
    'ebpm.evaluate なら (kpis["K01"], {2025: 14}, 2025)：定義・{年度: 実績} の辞書・年度 の順です'
)


def _indentation_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    if not (isinstance(error, IndentationError) and "indent" in error.msg):
        return None
    return [
        "字下げ（行の頭の空白）が合っていません。",
        "直し方：def・if・for の行の最後に : を付け、次の行からは行の頭に半角スペース4つを入れます"
        "（中身の行はすべて同じ深さにそろえます）。",
    ]


def _syntax_error_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    return _syntax_hint(error) if isinstance(error, SyntaxError) else None


def _too_many_arguments_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    too_many = re.search(
        r"(\w+)\(\) takes (\d+) positional arguments? but (\d+) (?:was|were) given", message
    )
    if not (kind == "TypeError" and too_many):
        return None
    function, takes, given = too_many.groups()
    return [
        f"関数「{function}」に、名前を付けずに渡した値が多すぎます（{takes}個までのところに{given}個）。",
        "直し方：2つめ以降の値は「名前=値」の形で渡します（例：base_percent=30.8）。"
        f"渡し方は help({function}) で確かめられます。",
    ]


def _missing_arguments_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    missing = re.search(
        r"(\w+)\(\) missing \d+ required (?:positional |keyword-only )?arguments?: (.+)", message
    )
    if not (kind == "TypeError" and missing):
        return None
    function, names = missing.groups()
    return [
        f"関数「{function}」に必要な値 {names} が渡されていません。",
        f"直し方：かっこの中に値を足します。渡し方は help({function}) で確かめられます。",
    ]


def _text_compared_with_number_hint(
    error: BaseException, kind: str, message: str
) -> list[str] | None:
    # "2027" > 2025 and 2025 < "2027" alike
    if not (
        kind == "TypeError" and re.search(r"not supported between instances of .*'str'", message)
    ):
        return None
    return [
        '文字列と数値を比べようとしています（"2027" と 2027 は別のものです）。',
        '直し方：年度などの数は " " で囲まずに書きます。',
    ]


def _missing_attribute_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    attribute = re.search(r"'(\w+)' object has no attribute '(\w+)'", message)
    if not (kind == "AttributeError" and attribute):
        return None
    held, name = attribute.groups()
    return [
        f"{_TYPE_NAMES.get(held, held)}の値には「.{name}」がありません。",
        f"直し方：自分で書いた .{name} ならつづりを確かめます。書いていなければ、関数に渡した値の"
        f"種類が違います（{_TYPICAL_CALL}）。",
    ]


def _not_iterable_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    iterable = re.search(
        r"argument of type '(\w+)' is not iterable|'(\w+)' object is not iterable", message
    )
    if not (kind == "TypeError" and iterable):
        return None
    held = iterable.group(1) or iterable.group(2)
    return [
        f"関数に渡した値の種類が違います（{_TYPE_NAMES.get(held, held)}を渡したところに、"
        "辞書やリストが必要です）。",
        f"直し方：例のとおりの形で渡します（{_TYPICAL_CALL}）。",
    ]


def _list_index_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    if not (kind == "TypeError" and "list indices must be integers or slices" in message):
        return None
    return [
        "リストの番号の書き方が違います。",
        "直し方：1つなら [0]、範囲なら [始め:終わり] のようにコロン : で書きます（コンマ , ではありません）。",
    ]


def _text_arithmetic_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    if not (
        kind == "TypeError"
        and re.search(r"can only concatenate str|unsupported operand type.*\bstr\b", message)
    ):
        return None
    return [
        '文字列（" " で囲んだもの）と数値を、+ や - で計算しようとしています。',
        '直し方：数値は " " で囲まずに書きます。文字と数を並べて表示するときは f"…{数}…"（f文字列）を使います。',
    ]


def _missing_column_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    if kind != "ColumnNotFoundError":
        return None
    name, columns, guess = _polars_columns(message)
    lines = [f"列「{name}」がありません。" if name else "指定した列がありません。"]
    if guess:
        lines.append(f"もしかして「{guess}」ですか？")
    if columns:
        lines.append("この表の列：" + "、".join(columns))
    lines.append(
        "直し方：列名のつづりを確かめてください。表の見出しの下の段（英語）がコードで使う名前です。"
    )
    return lines


def _missing_key_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    if kind != "KeyError":
        return None
    key = error.args[0] if error.args else ""
    return [
        f"「{key}」という名前（キー）が見つかりません。",
        '直し方：辞書や行（row["列名"]）のキーのつづりを確かめてください。'
        "表の列なら、見出しの下の段（英語）の名前を使います。",
    ]


def _unbracketed_condition_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    if not (kind == "InvalidOperationError" and re.search(r"bit(and|or)", message)):
        return None
    return [
        "& や | でつないだ条件の一部が、True/False ではなく文字列や数値になっています。",
        "直し方：条件をそれぞれ ( ) で囲みます。例："
        '(pl.col("name").str.ends_with("回数")) & (pl.col("unit") != "回")',
    ]


def _text_column_with_number_hint(
    error: BaseException, kind: str, message: str
) -> list[str] | None:
    if not (
        kind in {"ComputeError", "InvalidOperationError"}
        and re.search(
            r"compare string with numeric|cannot compare|arithmetic on dtypes str", message
        )
    ):
        return None
    return [
        "文字列の列と数値を、比べたり計算したりしようとしています。",
        '直し方：数値は " " で囲まずに書きます（"2025" ではなく 2025）。'
        "列が文字列のままなら、数値に変換してから使います。",
    ]


def _column_types_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    if not (kind == "SchemaError" and "cannot" in message):
        return None
    return [
        "列の型（数値・文字列など）が合っていません。",
        "直し方：比べる列どうし、つなぐ表どうしの型をそろえます（.cast(...)）。",
    ]


def _undefined_name_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    if kind != "NameError":
        return None
    match = re.search(r"name '([^']+)' is not defined", message)
    name = match.group(1) if match else "その名前"
    return [
        f"「{name}」はまだありません（定義されていません）。",
        "直し方：上のセルを順番に実行してください。カーネルを再起動したときは最初のセルから。"
        "つづり（大文字・小文字）も確かめてください。",
    ]


def _item_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    item = re.search(r"call .\.item\(\). .*(?:shape=\((\d+), (\d+)\)|length (\d+))", message)
    if not item:
        return None
    rows = int(item.group(1) or item.group(3))
    size = (
        "1列の表ではありません（列が複数あります）"
        if item.group(2) not in (None, "1")
        else ("条件に合う行が1つもありません" if rows == 0 else f"{rows}行あります")
    )
    return [
        f".item() は1つの値（1行1列）にしか使えませんが、{size}。",
        "直し方：filter の条件を見直して1行に絞るか（年度・指標などの条件を & で足す）、"
        '列を1つ選んでから .item() を使います（例：表["列名"].item()）。',
    ]


def _locked_warehouse_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    if not (kind == "PermissionException" and "disabled by configuration" in message):
        return None
    return [
        "ウェアハウスの接続（ebpm.connect・ebpm.Warehouse）は、ウェアハウスの表しか読めないように"
        "制限されています（ファイルを読み書きする SQL は使えません）。",
        "直し方：ファイルは pl.read_csv・ebpm.read_text・owndata.read_own_table で読みます。"
        'polars の表を SQL で使うときは duckdb.sql("…")（ウェアハウスとは別の、メモリ上の DuckDB）を使います。',
    ]


def _missing_table_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    if not (kind == "CatalogException" and "does not exist" in message):
        return None
    table = re.search(r"with name (\S+) does not exist", message)
    name = table.group(1) if table else "その表"
    suggested = re.search(r'Did you mean "([^"]+)"', message)
    # DuckDB also suggests its own catalog tables (pg_proc …), which only confuse
    similar = (
        suggested.group(1)
        if suggested and not suggested.group(1).startswith(("pg_", "duckdb_"))
        else None
    )
    return [
        f"表「{name}」はウェアハウスにありません。"
        + (f"もしかして「{similar}」ですか？" if similar else ""),
        "直し方：表の名前のつづりを確かめてください。Python の中の polars の表は、ウェアハウスの "
        'SQL からは見えません。duckdb.sql("…")（メモリ上の DuckDB）で使います。',
    ]


def _read_only_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    if not ("read-only mode" in message or message.startswith("読み取りの問い合わせ")):
        return None
    return [
        "ウェアハウスは読み取り専用で開いているので、書き換えられません（正しい動きです）。",
        "データを直すときは、data/raw/ の元のファイルを直してから `ebpm build` を実行します。",
    ]


def _missing_warehouse_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    if kind != "WarehouseMissingError":
        return None
    return [
        message,
        "直し方：ターミナルで `ebpm build` を実行するか、`ebpm lab` で開き直すとウェアハウスが作られます。",
    ]


def _none_value_hint(error: BaseException, kind: str, message: str) -> list[str] | None:
    if not (kind == "TypeError" and "NoneType" in message):
        return None
    return [
        "None（まだ何も入っていない値）を使って計算や呼び出しをしようとしています。",
        "直し方：練習のセルの None を式に書き換えて、そのセルを実行してから進みます。",
    ]


# Tried in this order, first answer wins: the order matters where patterns overlap
# (an IndentationError is a SyntaxError; "'NoneType' object is not iterable" is a not-iterable).
_ERROR_HINTS: tuple[Callable[[BaseException, str, str], list[str] | None], ...] = (
    _indentation_hint,
    _syntax_error_hint,
    _too_many_arguments_hint,
    _missing_arguments_hint,
    _text_compared_with_number_hint,
    _missing_attribute_hint,
    _not_iterable_hint,
    _list_index_hint,
    _text_arithmetic_hint,
    _missing_column_hint,
    _missing_key_hint,
    _unbracketed_condition_hint,
    _text_column_with_number_hint,
    _column_types_hint,
    _undefined_name_hint,
    _item_hint,
    _locked_warehouse_hint,
    _missing_table_hint,
    _read_only_hint,
    _missing_warehouse_hint,
    _none_value_hint,
)


def explain_error(error: BaseException) -> list[str] | None:
    """Japanese explanation and fix for a common beginner error, or None if not recognised.

    >>> explain_error(KeyError("年度"))[0]
    '「年度」という名前（キー）が見つかりません。'
    >>> explain_error(NameError("name 'answer' is not defined"))[0]
    '「answer」はまだありません（定義されていません）。'
    """
    kind = type(error).__name__
    message = str(error)
    for hint in _ERROR_HINTS:
        lines = hint(error, kind, message)
        if lines is not None:
            return lines
    return None


def _cell_line(tb: Any) -> str | None:
    """「このセルの3行目」 for the first frame that is not IPython itself."""
    for frame in traceback.extract_tb(tb):
        if "IPython" in frame.filename.replace("\\", "/").split("/"):
            continue
        code = (frame.line or "").strip()
        return f"場所：このセルの{frame.lineno}行目" + (f"　{code}" if code else "")
    return None


def _short_traceback(etype: type[BaseException], value: BaseException, tb: Any) -> list[str]:
    lines = [f"エラー（{etype.__name__}）：{value}".rstrip("：")]
    explained = explain_error(value)
    if explained:
        lines = [f"エラー（{etype.__name__}）：{explained[0]}", *explained[1:]]
    if isinstance(value, SyntaxError) and value.lineno:
        where: str | None = f"場所：このセルの{value.lineno}行目　{(value.text or '').strip()}"
    else:
        where = _cell_line(tb)
    if where:
        lines.append(where)
    return lines


def _exception_handler(shell: Any, etype: Any, value: Any, tb: Any, tb_offset: Any = None) -> None:
    shell._showtraceback(etype, value, _short_traceback(etype, value, tb))


#: Python's type names as a trainee knows them (lesson 00 and 01).
_TYPE_NAMES: Mapping[str, str] = {
    "int": "整数",
    "float": "小数",
    "str": "文字列",
    "list": "リスト",
    "tuple": "タプル",
    "dict": "辞書",
    "NoneType": "None",
    "bool": "True/False",
    "DataFrame": "表（DataFrame）",
}

#: Full-width characters typed by Japanese input where code needs ASCII, and what was meant.
_TYPED_FULL_WIDTH: Mapping[str, str] = {
    "ー": "-（引き算）",
    "−": "-（引き算）",
    "－": "-（引き算）",
    "（": "(",
    "）": ")",
    "＝": "=",
    "＋": "+",
    "＊": "*",
    "／": "/",
    "，": ",",
    "．": ".",
    "：": ":",
    "［": "[",
    "］": "]",
    "“": '"',
    "”": '"',
    "　": "半角スペース",
}


def _full_width_in_code(line: str) -> str | None:
    """The first full-width character of a code line outside strings and comments."""
    code = re.sub(r"\"[^\"]*\"|'[^']*'", "", line).split("#", 1)[0]
    return next(
        (ch for ch in code if ch in _TYPED_FULL_WIDTH or (ch.isdigit() and ord(ch) > 127)), None
    )


def _syntax_hint(value: BaseException) -> list[str]:
    text = str(value)
    typed = _full_width_in_code(getattr(value, "text", None) or "")
    if typed is not None:
        meant = _TYPED_FULL_WIDTH.get(typed) or unicodedata.normalize("NFKC", typed)
        return [
            f"全角の「{typed}」がコードに入っています（半角の {meant} のつもりではありませんか）。",
            '直し方：コードは半角で入力します（日本語は " " で囲んだ文字列とコメント # の中だけ）。',
        ]
    if _FULL_WIDTH.search(text) or "invalid character" in text:
        return [
            "全角の文字（（ ）や ＝、全角スペース、“ ” など）がコードに入っています。",
            '直し方：コードは半角で入力します（日本語は " " で囲んだ文字列とコメント # の中だけ）。',
        ]
    return [
        f"書き方（文法）の誤りです（{getattr(value, 'msg', text)}）。",
        '直し方：かっこや " " の閉じ忘れ、: の付け忘れ、演算子の後ろの書き忘れを確かめてください。',
    ]


def _install_syntax_hint(shell: Any) -> None:
    if getattr(shell, "_ebpm_syntax_hint", False):
        return
    original = shell.showsyntaxerror

    def showsyntaxerror(filename: Any = None, running_compiled_code: bool = False) -> None:
        etype, value, _ = shell._get_exc_info()
        if not isinstance(value, SyntaxError):
            original(filename, running_compiled_code)
            return
        line = f"場所：このセルの{value.lineno}行目　{(value.text or '').strip()}"
        stb = [f"エラー（{etype.__name__}）：{value.msg}", *_syntax_hint(value), line]
        shell._showtraceback(etype, value, stb)

    shell.showsyntaxerror = showsyntaxerror
    shell._ebpm_syntax_hint = True


# ----------------------------------------------------------------------------- setup


def _chart_bundle(chart: Any) -> Any:
    from ebpm import charts

    charts.enable_offline_renderer(png=True)  # the one place the notebook renderer is chosen
    return chart._repr_mimebundle_()


def _register_formatters(shell: Any) -> None:
    formatters = shell.display_formatter.formatters
    formatters["text/html"].for_type_by_name("polars.dataframe.frame", "DataFrame", table_html)
    formatters["text/plain"].for_type_by_name(
        "polars.dataframe.frame",
        "DataFrame",
        lambda df, printer, cycle: printer.text(table_text(df)),
    )
    shell.display_formatter.mimebundle_formatter.for_type_by_name(
        "altair.vegalite.v6.api", "TopLevelMixin", _chart_bundle
    )


def _warehouse_notice() -> str | None:
    from ebpm import paths

    if paths.WAREHOUSE.exists():
        return None
    return (
        "注意：データウェアハウス（data/processed/ebpm.duckdb）がまだありません。"
        "ターミナルで `ebpm build` を実行するか、`ebpm lab` で開き直してから、このセルを実行し直してください。"
    )


def setup(*, quiet: bool = False) -> None:
    """Prepare the running notebook for a lesson (see the module docstring); idempotent.

    Parameters
    ----------
    quiet
        Do not print the one-line confirmation.
    """
    from IPython import get_ipython

    from ebpm.exercises import install_recorder

    shell = get_ipython()
    if shell is None:
        if not quiet:
            print("Jupyter の外で実行されたため、表示の設定は行いませんでした。")
        return
    _register_formatters(shell)
    shell.InteractiveTB.set_mode(mode="Minimal")
    shell.set_custom_exc((Exception,), _exception_handler)
    _install_syntax_hint(shell)
    install_recorder(shell)
    notice = _warehouse_notice()
    if notice:
        print(notice)
    elif not quiet:
        print("準備ができました（表は桁区切りで表示、エラーは日本語で短く表示します）。")

"""Exercises of lesson 14 (data quality with Great Expectations)."""

from __future__ import annotations

from ebpm.exercises.core import Answers, Exercise, NotAnswerable, Wrong, as_list

#: Months tried against the trainee's rule: rows 2–7 as Excel numbers them.
PROBE_MONTHS = [1, 12, 0, 13, 6, -1]
BAD_ROWS = {4, 5, 7}


def _month_check(a: Answers) -> str | None:
    import polars as pl

    from ebpm.readers import ROW
    from ebpm.validation import Check, Suite, validate

    rule = a.value
    if not isinstance(rule, Check):
        raise NotAnswerable(
            "month_check には Check(期待を作る関数, 列名, メッセージを作る関数) を入れます。"
        )
    if rule.column != "月":
        return f"Check の2つめ（列名）が「{rule.column}」です。「月」の列を調べます。"
    probe = pl.DataFrame({"月": PROBE_MONTHS}).with_row_index(ROW, offset=2)
    try:
        found = validate(probe, Suite("month_probe", [rule]), "確認用.csv")
    except Exception as error:
        return f"ルールを実行するとエラーになりました（{type(error).__name__}: {error}）。期待の名前と引数を確かめてください。"
    if any(error.row is None for error in found):
        return f'ルールを実行できませんでした（{found[0].message}）。期待の名前と引数（column="月"）を確かめてください。'
    rows = {error.row for error in found if error.row is not None}
    if rows == BAD_ROWS:
        message = found[0].message
        if not isinstance(message, str) or not message.strip():
            return 'メッセージを作る関数が文字列を返していません。lambda v: f"「{v}」は…" の形にします。'
        return None
    if 4 not in rows and 5 in rows:
        return "0月を見逃しています。月は1から始まるので min_value=1 にします。"
    if 5 not in rows and 4 in rows:
        return "13月を見逃しています。max_value=12 にします。"
    if {3, 2} & rows:
        return "1月や12月（正しい月）まで誤りにしています。1〜12 を正しい範囲にします。"
    return f"見つかった行が {sorted(rows)} です（正しくは 0・13・−1 の行）。min_value と max_value を確かめてください。"


def _suspicious(a: Answers) -> str | None:
    values = as_list(a.value, what="suspicious")
    from ebpm.warehouse import load_kpis

    kpis = load_kpis()
    expected = sorted(k.kpi_id for k in kpis if k.unit_corrected is not None)
    if values == expected:
        return None
    all_counts = sorted(k.kpi_id for k in kpis if k.name.endswith("回数"))
    if values == all_counts:
        return '「回数」で終わる指標をすべて選んでいます。単位が「回」でないもの（!= "回"）に絞ります。'
    if sorted(values) == expected:
        return "ID の順に並べます（.sort()）。"
    return f"中身が違います（{values}）。名前が「回数」で終わり、単位が「回」でない指標です。"


EXERCISES = (
    Exercise(
        id="14-1",
        answers=("month_check",),
        stub="# 練習 14-1（None を式に書き換えて、このセルを実行します）\nmonth_check = None",
        solution=(
            "# 練習 14-1\n"
            "month_check = Check(\n"
            '    lambda gxe: gxe.ExpectColumnValuesToBeBetween(column="月", min_value=1, max_value=12),\n'
            '    "月",\n'
            '    lambda v: f"「{v}」は月として正しくありません（1〜12 で入力してください）",\n'
            ")\n"
            'validate(monthly, Suite("month", [month_check]), "時間外_練習.csv")'
        ),
        judge=_month_check,
        look="3「自分でルールを書く」の Check と ExpectColumnValuesToBeBetween",
        wrong=(
            Wrong(
                '# 練習 14-1\nmonth_check = Check(\n    lambda gxe: gxe.ExpectColumnValuesToBeBetween(column="月", '
                'min_value=0, max_value=12),\n    "月",\n    lambda v: f"「{v}」は月ではありません",\n)',
                "0月を見逃して",
            ),
            Wrong(
                '# 練習 14-1\nmonth_check = Check(\n    lambda gxe: gxe.ExpectColumnValuesToBeBetween(column="月", '
                'min_value=1, max_value=13),\n    "月",\n    lambda v: f"「{v}」は月ではありません",\n)',
                "13月を見逃して",
            ),
            Wrong(
                '# 練習 14-1\nmonth_check = Check(\n    lambda gxe: gxe.ExpectColumnValuesToBeBetween(column="月", '
                'min_value=1, max_value=12),\n    "時間外勤務時間",\n    lambda v: f"「{v}」は月ではありません",\n)',
                "列名",
            ),
        ),
        minutes=10,
        taught="01 の 4（lambda）、14 の 3（Check）",
    ),
    Exercise(
        id="14-2",
        answers=("suspicious",),
        stub="# 練習 14-2（None を式に書き換えて、このセルを実行します）\nsuspicious = None",
        solution=(
            "# 練習 14-2\n"
            "suspicious = (\n"
            '    definitions.filter(pl.col("name").str.ends_with("回数") & (pl.col("unit") != "回"))["kpi_id"]\n'
            "    .sort()\n"
            "    .to_list()\n"
            ")\n"
            "suspicious"
        ),
        judge=_suspicious,
        look="4「実際のデータ品質の指摘」と、02 の「条件を2つ以上つなぐ」",
        wrong=(
            Wrong(
                "# 練習 14-2\nsuspicious = (\n"
                '    definitions.filter(pl.col("name").str.ends_with("回数") & pl.col("unit") != "回")["kpi_id"]\n'
                "    .sort()\n    .to_list()\n)",
                "エラーで止まりました",
            ),
            Wrong(
                '# 練習 14-2\nsuspicious = definitions.filter(pl.col("name").str.ends_with("回数"))["kpi_id"].sort().to_list()',
                "すべて選んで",
            ),
            Wrong(
                '# 練習 14-2\nsuspicious = definitions.filter(pl.col("unit") != "回")',
                "表（DataFrame）のまま",
            ),
        ),
        also_right=(
            "# 練習 14-2\nsuspicious = wh.sql(\n"
            "    \"SELECT kpi_id FROM kpi_current WHERE name LIKE '%回数' AND unit <> '回' ORDER BY kpi_id\"\n"
            ')["kpi_id"].to_list()',
        ),
        minutes=8,
        taught="02 の 2（& と ( )）、14 の 4",
    ),
)

"""Exercises of lesson 02 (tables with polars and SQL, fiscal years)."""

from __future__ import annotations

from typing import Any

from ebpm.exercises.core import Answers, Exercise, NotAnswerable, Wrong, as_number, close_enough

PAPER = "sample_copy_paper_monthly"


def _year_sum(a: Answers, column: str, year: int, extra: str = "") -> float:
    rows = a.con.sql(f"SELECT sum(sheets) FROM {PAPER} WHERE {column} = {year} {extra}").fetchall()
    return float(rows[0][0])


def _numbers(row: tuple[Any, ...]) -> list[float]:
    out = []
    for cell in row:
        try:
            out.append(float(cell))
        except (TypeError, ValueError):
            continue
    return out


def _sql_2023(a: Answers) -> str | None:
    sql = a.value
    if not isinstance(sql, str):
        raise NotAnswerable(
            'sql_2023 には SQL の文を文字列で入れます（"SELECT … FROM … WHERE …" のように " " で囲む）。'
        )
    try:
        rows = a.con.sql(sql).fetchall()
    except Exception as error:
        message = str(error).splitlines()[0]
        return f"その SQL は実行できませんでした（{message}）。表の名前・列の名前・つづりを確かめてください。"
    expected = _year_sum(a, "fiscal_year", 2023)
    if not rows:
        return "SQL の結果が0行でした。WHERE の条件を確かめてください。"
    matching = [row for row in rows if any(close_enough(v, expected) for v in _numbers(row))]
    if matching and len(rows) == 1:
        return None
    if matching:
        return f"結果が {len(rows)} 行あります。WHERE fiscal_year = 2023 で2023年度だけに絞ってください。"
    first = _numbers(rows[0])
    if any(close_enough(v, _year_sum(a, "year", 2023)) for v in first):
        return "暦年（1〜12月、列 year）で合計しています。年度（4月〜翌3月）は列 fiscal_year です。"
    if any(close_enough(v, _year_sum(a, "fiscal_year", y)) for v in first for y in (2022, 2024)):
        return "年度が1年ずれています。令和5年度は2023年度です。"
    return f"結果（{rows[0]}）が2023年度の合計と違います。sum(sheets) を求めていますか。"


def _q4_2025(a: Answers) -> str | None:
    answer = as_number(a.value, what="q4_2025")
    expected = _year_sum(a, "fiscal_year", 2025, "AND month <= 3")
    if close_enough(answer, expected):
        return None
    if close_enough(answer, _year_sum(a, "year", 2025, "AND month <= 3")):
        return (
            "2025年1〜3月の合計です。1〜3月は前の年度（2024年度）に入ります。"
            "2025年度の1〜3月は2026年1〜3月です（fiscal_year で絞ります）。"
        )
    if close_enough(answer, _year_sum(a, "fiscal_year", 2025)):
        return "2025年度の12か月の合計です。1〜3月（年度の最後の3か月）だけに絞ります。"
    if close_enough(answer, _year_sum(a, "fiscal_year", 2025, "AND month >= 4")):
        return "4〜12月の合計になっています。1〜3月（month が 3 以下）を選びます。"
    if answer == 0:
        return (
            "0 になりました。& でつないだ条件をそれぞれ ( ) で囲んでいますか"
            "（囲まないと、思った条件になりません）。"
        )
    return f"値が違います（{answer:,.0f}）。2025年度の1〜3月の sheets の合計を求めます。"


EXERCISES = (
    Exercise(
        id="2-1",
        answers=("sql_2023",),
        stub="# 練習 2-1（None を SQL の文字列に書き換えて、このセルを実行します）\nsql_2023 = None",
        solution=(
            "# 練習 2-1\n"
            'sql_2023 = "SELECT sum(sheets) FROM sample_copy_paper_monthly WHERE fiscal_year = 2023"\n'
            "wh.sql(sql_2023)"
        ),
        judge=_sql_2023,
        look="2「小計（GROUP BY）」と 3 の暦年と年度の比較",
        wrong=(
            Wrong(
                '# 練習 2-1\nsql_2023 = "SELECT sum(sheets) FROM sample_copy_paper_monthly WHERE year = 2023"',
                "暦年",
            ),
            Wrong(
                '# 練習 2-1\nsql_2023 = "SELECT fiscal_year, sum(sheets) FROM sample_copy_paper_monthly '
                'GROUP BY fiscal_year"',
                "WHERE fiscal_year = 2023",
            ),
            Wrong(
                '# 練習 2-1\nsql_2023 = "SELECT sum(sheets) FROM sample_copy_paper_monthly '
                'WHERE fiscal_year = 2024"',
                "1年ずれて",
            ),
            Wrong(
                '# 練習 2-1\nsql_2023 = "SELECT sum(sheet) FROM sample_copy_paper_monthly WHERE fiscal_year = 2023"',
                "実行できませんでした",
            ),
            Wrong("# 練習 2-1\nsql_2023 = 5216000", "文字列"),
        ),
        also_right=(
            '# 練習 2-1\nsql_2023 = """\n    SELECT fiscal_year, sum(sheets) AS sheets\n'
            "    FROM sample_copy_paper_monthly\n    WHERE fiscal_year = 2023\n"
            '    GROUP BY fiscal_year\n"""',
        ),
        praise="5,216,000枚は、KPIの基準値（令和5年度）と同じです。",
        minutes=8,
        taught="02 の 2（SQL の GROUP BY・WHERE）",
    ),
    Exercise(
        id="2-2",
        answers=("q4_2025",),
        stub="# 練習 2-2（None を式に書き換えて、このセルを実行します）\nq4_2025 = None",
        solution=(
            "# 練習 2-2\n"
            "q4_2025 = (\n"
            '    paper.filter((pl.col("fiscal_year") == 2025) & (pl.col("month") <= 3))\n'
            '    .select(pl.col("sheets").sum())\n'
            "    .item()\n"
            ")\n"
            "q4_2025"
        ),
        judge=_q4_2025,
        look="2「条件を2つ以上つなぐ」「1つの値を取り出す」と、3「1〜3月は前の年度」",
        wrong=(
            Wrong(
                '# 練習 2-2\nq4_2025 = paper.filter((pl.col("year") == 2025) & (pl.col("month") <= 3))'
                '.select(pl.col("sheets").sum()).item()',
                "前の年度",
            ),
            Wrong(
                '# 練習 2-2\nq4_2025 = paper.filter(pl.col("fiscal_year") == 2025)'
                '.select(pl.col("sheets").sum()).item()',
                "12か月",
            ),
            Wrong(
                '# 練習 2-2\nq4_2025 = paper.filter(pl.col("fiscal_year") == 2025 & (pl.col("month") <= 3))'
                '.select(pl.col("sheets").sum()).item()',
                "( ) で囲んで",
            ),
            Wrong(
                '# 練習 2-2\nq4_2025 = paper.filter((pl.col("fiscal_year") == 2025) & (pl.col("month") <= 3))'
                '.select(pl.col("sheets").sum())',
                ".item()",
            ),
        ),
        also_right=(
            '# 練習 2-2\nq4_2025 = wh.sql("SELECT sum(sheets) FROM sample_copy_paper_monthly '
            'WHERE fiscal_year = 2025 AND month IN (1, 2, 3)").item()',
            '# 練習 2-2\nq4_2025 = paper.filter((pl.col("fiscal_year") == 2025) & (pl.col("fiscal_month") >= 10))'
            '["sheets"].sum()',
        ),
        minutes=8,
        taught="02 の 2（filter と &、.item()）と 3（年度）",
    ),
)

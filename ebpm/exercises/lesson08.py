"""Exercises of lesson 08 (overtime: disclosure and the outlook to the target)."""

from __future__ import annotations

from typing import Any

from ebpm.exercises import data
from ebpm.exercises.core import Answers, Exercise, Wrong, as_number


def _table(year: int, *, k: int = 10) -> Any:
    import polars as pl

    from ebpm import disclosure

    overtime = data.overtime().filter(pl.col("fiscal_year") == year)
    return disclosure.safe_aggregate(
        overtime, by=["department"], value="hours", person_col="employee_id", stats=("mean",), k=k
    )


def _hidden(year: int, *, k: int = 10) -> int:
    import polars as pl

    return _table(year, k=k).filter(pl.col("suppressed")).height


def _n_hidden_2023(a: Answers) -> str | None:
    # Without person_col the library refuses the table (the trainee sees that error), so
    # counting rows as people cannot produce an answer to recognise here.
    answer = as_number(a.value, what="n_hidden_2023")
    expected = _hidden(2023)
    if answer == expected:
        return None
    if answer == _hidden(2025) != expected:
        return "2025年度の表の数です。2023年度（fiscal_year == 2023）で作ります。"
    if answer == _hidden(2023, k=5) != expected:
        return "k=5 で数えています。この練習では k=10 です。"
    if answer == _table(2023).height:
        return (
            f"表のすべての部署（{answer:g} 行）を数えています。"
            'suppressed が true の行だけを数えます（.filter(pl.col("suppressed"))）。'
        )
    return f"{answer:g} 部署ではありません。suppressed 列が true の行を数えます。"


EXERCISES = (
    Exercise(
        id="8-1",
        answers=("n_hidden_2023",),
        stub="# 練習 8-1（None を式に書き換えて、このセルを実行します）\nn_hidden_2023 = None",
        solution=(
            "# 練習 8-1\n"
            "table_2023 = disclosure.safe_aggregate(\n"
            '    overtime.filter(pl.col("fiscal_year") == 2023),\n'
            '    by=["department"],\n'
            '    value="hours",\n'
            '    person_col="employee_id",\n'
            '    stats=("mean",),\n'
            "    k=10,\n"
            ")\n"
            'n_hidden_2023 = table_2023.filter(pl.col("suppressed")).height\n'
            "n_hidden_2023"
        ),
        judge=_n_hidden_2023,
        look="2「部署別の表と秘匿（x）」の safe_aggregate と person_col",
        wrong=(
            Wrong(
                '# 練習 8-1\nn_hidden_2023 = disclosure.safe_aggregate(\n    fy2025, by=["department"], '
                'value="hours", person_col="employee_id", stats=("mean",)\n).filter(pl.col("suppressed")).height',
                "2025年度",
            ),
            Wrong(
                '# 練習 8-1\ntable_2023 = disclosure.safe_aggregate(\n    overtime.filter(pl.col("fiscal_year") '
                '== 2023), by=["department"], value="hours", person_col="employee_id", stats=("mean",), k=5\n)\n'
                'n_hidden_2023 = table_2023.filter(pl.col("suppressed")).height',
                "k=5",
            ),
            Wrong(
                '# 練習 8-1\ntable_2023 = disclosure.safe_aggregate(\n    overtime.filter(pl.col("fiscal_year") '
                '== 2023), by=["department"], value="hours", person_col="employee_id", stats=("mean",)\n)\n'
                "n_hidden_2023 = len(table_2023)",
                "すべての部署",
            ),
            Wrong(
                '# 練習 8-1\nn_hidden_2023 = disclosure.safe_aggregate(\n    overtime.filter(pl.col("fiscal_year") '
                '== 2023), by=["department"], value="hours", stats=("mean",)\n)'
                '.filter(pl.col("suppressed")).height',
                "person_col",
            ),
        ),
        minutes=7,
        taught="02 の filter、08 の 2（safe_aggregate）",
    ),
)

"""Exercises of lesson 08 (overtime: disclosure and the outlook to the target)."""

from __future__ import annotations

from ebpm.exercises import data
from ebpm.exercises.core import Answers, Exercise, Wrong, as_number, known_wrong, number_hint


def _hidden(a: Answers, year: int, *, k: int = 10, by_person: bool = True) -> int:
    import polars as pl

    from ebpm import disclosure

    overtime = data.overtime().filter(pl.col("fiscal_year") == year)
    if not by_person:  # what counting rows as people would hide (the library refuses it)
        counts = overtime.group_by("department").len()
        return counts.filter(pl.col("len") < k).height
    table = disclosure.safe_aggregate(
        overtime, by=["department"], value="hours", person_col="employee_id", stats=("mean",), k=k
    )
    return table.filter(pl.col("suppressed")).height


def _n_hidden_2023(a: Answers) -> str | None:
    answer = as_number(a.value, what="n_hidden_2023")
    expected = _hidden(a, 2023)
    if answer == expected:
        return None
    if answer == _hidden(a, 2025) != expected:
        return "2025年度の表の数です。2023年度（fiscal_year == 2023）で作ります。"
    if answer == _hidden(a, 2023, by_person=False) != expected:
        return (
            "person_col を指定していないため、行の数（職員 × 月）を人数として数えています。"
            'person_col="employee_id" を指定します。'
        )
    if answer == _hidden(a, 2023, k=5) != expected:
        return "k=5 で数えています。この練習では k=10 です。"
    return f"{answer:g} 部署ではありません。suppressed 列が true の行を数えます。"


def _needed_95(a: Answers) -> str | None:
    answer = as_number(a.value, what="needed_95")
    hint = known_wrong(
        answer,
        {
            95 * 3 - 120: "2026・2027年度の合計になっています。2年度で割って平均にします。",
            (95 - 120)
            / 2: "式の組み立てが違います。3年度の合計（95 × 3）から2025年度の120を引き、2で割ります。",
            (100 * 3 - 120)
            / 2: "目標を100時間で計算しています。この練習では3年度の平均を95時間にします。",
        },
        min_decimals=1,
    )
    return hint or number_hint(answer, (95 * 3 - 120) / 2, min_decimals=1, percent=False)


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
                '# 練習 8-1\nn_hidden_2023 = disclosure.safe_aggregate(\n    overtime.filter(pl.col("fiscal_year") '
                '== 2023), by=["department"], value="hours", stats=("mean",)\n)'
                '.filter(pl.col("suppressed")).height',
                "person_col",
            ),
        ),
        minutes=7,
        taught="02 の filter、08 の 2（safe_aggregate）",
    ),
    Exercise(
        id="8-2",
        answers=("needed_95",),
        stub="# 練習 8-2（None を式に書き換えて、このセルを実行します）\nneeded_95 = None",
        solution="# 練習 8-2\nneeded_95 = (95 * 3 - 120) / 2\nneeded_95",
        judge=_needed_95,
        look="4「推進期間の平均と、2027年度までの予測」の逆算",
        wrong=(
            Wrong("# 練習 8-2\nneeded_95 = 95 * 3 - 120", "2年度で割って"),
            Wrong("# 練習 8-2\nneeded_95 = (100 * 3 - 120) / 2", "95時間"),
            Wrong("# 練習 8-2\nneeded_95 = 95 * 3 - 120 / 2", "値が違います"),
        ),
        minutes=5,
        taught="00 の 7（式）、08 の 4（逆算）",
    ),
)

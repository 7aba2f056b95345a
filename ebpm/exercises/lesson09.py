"""Exercises of lesson 09 (copy paper: per staff, before/after comparison)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ebpm.exercises import data
from ebpm.exercises.core import Answers, Exercise, Wrong, as_number, known_wrong, number_hint

START = data.E_APPROVAL_START


def _paper(a: Answers) -> Any:
    return data.paper_by_month()


def _per_staff(a: Answers) -> dict[int, float]:
    import polars as pl

    yearly = (
        _paper(a)
        .group_by("fiscal_year")
        .agg(pl.col("sheets").sum(), pl.col("staff").first())
        .with_columns((pl.col("sheets") / pl.col("staff")).alias("per_staff"))
    )
    return dict(zip(yearly["fiscal_year"], yearly["per_staff"], strict=True))


def _per_staff_2025(a: Answers) -> str | None:
    answer = as_number(a.value, what="per_staff_2025")
    per_staff = _per_staff(a)
    hint = known_wrong(
        answer,
        {
            4_500_000: "2025年度の合計枚数です。職員数で割って1人あたりにします。",
            per_staff[2025]
            / 12: "1か月あたりになっています。年間の枚数（12で割らない）を答えます。",
            per_staff[2024]: "2024年度の値です。2025年度（fiscal_year == 2025）の行を選びます。",
        },
        min_decimals=0,
    )
    return hint or number_hint(answer, per_staff[2025], min_decimals=1, percent=False)


def _mean_between(a: Answers, first: dt.date, last: dt.date) -> float:
    import polars as pl

    rows = _paper(a).filter((pl.col("date") >= first) & (pl.col("date") < last))
    return float(rows["sheets_per_staff"].mean())


def _change_2y(a: Answers) -> str | None:
    answer = as_number(a.value, what="change_2y")
    before = _mean_between(a, dt.date(2020, 10, 1), START)
    after = _mean_between(a, START, dt.date(2024, 10, 1))
    before_1y = _mean_between(a, dt.date(2021, 10, 1), START)
    after_1y = _mean_between(a, START, dt.date(2023, 10, 1))
    hint = known_wrong(
        answer,
        {
            (after_1y - before_1y)
            / before_1y: "前後1年ずつの増減率です。前後2年ずつ（2020年10月〜2024年9月）にします。",
            (after - before)
            / after: "割る数が後の期間の平均になっています。増減率は（後 − 前）÷ 前 です。",
            after - before: "差（枚）のままです。前の期間の平均で割って増減率にします。",
        },
        min_decimals=3,
    )
    return hint or number_hint(answer, (after - before) / before, min_decimals=3)


EXERCISES = (
    Exercise(
        id="9-1",
        answers=("per_staff_2025",),
        stub="# 練習 9-1（None を式に書き換えて、このセルを実行します）\nper_staff_2025 = None",
        solution=(
            "# 練習 9-1\n"
            'per_staff_2025 = per_staff_yearly.filter(pl.col("fiscal_year") == 2025)["sheets_per_staff"].item()\n'
            'print(f"{per_staff_2025:,.1f} 枚")'
        ),
        judge=_per_staff_2025,
        look="3「職員1人あたりで見る」",
        wrong=(
            Wrong("# 練習 9-1\nper_staff_2025 = 4_500_000", "職員数で割って"),
            Wrong(
                '# 練習 9-1\nper_staff_2025 = monthly.filter(pl.col("fiscal_year") == 2025)["sheets_per_staff"].mean()',
                "1か月あたり",
            ),
            Wrong(
                '# 練習 9-1\nper_staff_2025 = per_staff_yearly.filter(pl.col("fiscal_year") == 2024)'
                '["sheets_per_staff"].item()',
                "2024年度",
            ),
        ),
        also_right=("# 練習 9-1\nper_staff_2025 = 4_500_000 / 341",),
        minutes=5,
        taught="02 の filter と .item()、09 の 3（1人あたり）",
    ),
    Exercise(
        id="9-2",
        answers=("change_2y",),
        stub="# 練習 9-2（None を式に書き換えて、このセルを実行します）\nchange_2y = None",
        solution=(
            "# 練習 9-2\n"
            "before_2y = mean_between(dt.date(2020, 10, 1), start)\n"
            "after_2y = mean_between(start, dt.date(2024, 10, 1))\n"
            "change_2y = (after_2y - before_2y) / before_2y\n"
            'print(f"前後2年ずつ：{before_2y:,.1f} → {after_2y:,.1f}（{change_2y:+.1%}）")'
        ),
        judge=_change_2y,
        look="4「前後比較の落とし穴」の mean_between と増減率",
        wrong=(
            Wrong(
                "# 練習 9-2\nchange_2y = (a12 - b12) / b12",
                "前後1年ずつ",
            ),
            Wrong(
                "# 練習 9-2\nb = mean_between(dt.date(2020, 10, 1), start)\n"
                "a = mean_between(start, dt.date(2024, 10, 1))\nchange_2y = (a - b) / b * 100",
                "100倍",
            ),
            Wrong(
                "# 練習 9-2\nb = mean_between(dt.date(2020, 10, 1), start)\n"
                "a = mean_between(start, dt.date(2024, 10, 1))\nchange_2y = (a - b) / a",
                "割る数",
            ),
            Wrong(
                "# 練習 9-2\nb = mean_between(dt.date(2020, 10, 1), start)\n"
                "a = mean_between(start, dt.date(2024, 10, 1))\nchange_2y = (b - a) / b",
                "符号",
            ),
        ),
        also_right=(
            "# 練習 9-2\nb = mean_between(dt.date(2020, 10, 1), start)\n"
            "a = mean_between(start, dt.date(2024, 10, 1))\nchange_2y = round((a - b) / b, 3)",
        ),
        minutes=8,
        taught="01 の 4（関数を呼ぶ）、09 の 4（mean_between）",
    ),
)

"""Exercises of lesson 07 (overtime: fiscal-year totals and seasonality)."""

from __future__ import annotations

from typing import Any

from ebpm.exercises import data
from ebpm.exercises.core import Answers, Exercise, Wrong, as_number, known_wrong, number_hint


def _overtime(a: Answers) -> Any:
    return data.overtime()


def _mean_2024(a: Answers) -> str | None:
    import polars as pl

    from ebpm import analysis

    answer = as_number(a.value, what="mean_2024")
    overtime = _overtime(a)
    per_person = analysis.annual_mean_per_person(overtime)
    by_year = dict(zip(per_person["fiscal_year"], per_person["mean_per_person"], strict=True))
    totals = dict(zip(per_person["fiscal_year"], per_person["total"], strict=True))
    departments = analysis.annual_mean_per_person(overtime, by=["department"]).filter(
        pl.col("fiscal_year") == 2024
    )
    hint = known_wrong(
        answer,
        {
            departments.select(
                pl.col("mean_per_person").mean()
            ).item(): "部署ごとの平均を、さらに平均しています（平均の平均）。"
            "年度の合計時間 ÷ その年度の職員数 で求めます。",
            totals[2024]: "2024年度の合計時間です。職員1人あたり（合計 ÷ 人数）にします。",
            by_year[2023]: "2023年度の値です。2024年度（fiscal_year == 2024）の行を選びます。",
            by_year[2025]: "2025年度の値です。2024年度（fiscal_year == 2024）の行を選びます。",
            by_year[2024] / 12: "1か月あたりになっています。年間の値（割らない）を答えます。",
        },
        min_decimals=1,
    )
    return hint or number_hint(answer, by_year[2024], min_decimals=1, percent=False)


def _august_index(a: Answers) -> str | None:
    from ebpm import analysis

    answer = as_number(a.value, what="august_index")
    season = analysis.seasonality_by_fiscal_month(_overtime(a), "hours")
    by_month = dict(zip(season["month"], season["seasonal_index"], strict=True))
    by_fiscal = dict(zip(season["fiscal_month"], season["seasonal_index"], strict=True))
    means = dict(zip(season["month"], season["mean"], strict=True))
    hint = known_wrong(
        answer,
        {
            by_fiscal[
                8
            ]: "年度の8か月目（fiscal_month == 8）は11月です。8月は month == 8（年度の5か月目）です。",
            means[8]: "8月の平均の時間（mean）です。季節指数（seasonal_index）を答えます。",
        },
        min_decimals=0,
    )
    return hint or number_hint(answer, by_month[8], min_decimals=2, percent=False)


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
            95 * 3
            - 120
            / 2: "割り算が先に計算されています。(95 * 3 - 120) のようにかっこで囲んでから 2 で割ります。",
            (95 * 3 - 120)
            / 3: "3で割っています。2025年度の分を引いた残りは2026・2027年度の2年度分なので、2で割ります。",
        },
        min_decimals=1,
    )
    return hint or number_hint(answer, (95 * 3 - 120) / 2, min_decimals=1, percent=False)


EXERCISES = (
    Exercise(
        id="7-1",
        answers=("mean_2024",),
        stub="# 練習 7-1（None を式に書き換えて、このセルを実行します）\nmean_2024 = None",
        solution=(
            "# 練習 7-1\n"
            "mean_2024 = (\n"
            "    analysis.annual_mean_per_person(overtime)\n"
            '    .filter(pl.col("fiscal_year") == 2024)["mean_per_person"]\n'
            "    .item()\n"
            ")\n"
            "round(mean_2024, 1)"
        ),
        judge=_mean_2024,
        look="2「年度の集計と1人あたり年間平均時間数」と「落とし穴：平均の平均」",
        wrong=(
            Wrong(
                "# 練習 7-1\nmean_2024 = (\n"
                '    by_department.filter(pl.col("fiscal_year") == 2024)["mean_per_person"].mean()\n)',
                "平均の平均",
            ),
            Wrong(
                '# 練習 7-1\nmean_2024 = per_person.filter(pl.col("fiscal_year") == 2024)["total"].item()',
                "合計時間",
            ),
            Wrong(
                '# 練習 7-1\nmean_2024 = per_person.filter(pl.col("fiscal_year") == 2023)["mean_per_person"].item()',
                "2023年度",
            ),
            Wrong("# 練習 7-1\nmean_2024 = 126", "丸め方が粗すぎ"),
        ),
        also_right=("# 練習 7-1\nmean_2024 = 126.4",),
        minutes=6,
        taught="02 の filter と .item()、07 の 2（annual_mean_per_person）",
    ),
    Exercise(
        id="7-2",
        answers=("august_index",),
        stub="# 練習 7-2（None を式に書き換えて、このセルを実行します）\naugust_index = None",
        solution=(
            '# 練習 7-2\naugust_index = season.filter(pl.col("month") == 8)["seasonal_index"].item()\naugust_index'
        ),
        judge=_august_index,
        look="3「季節性」の表（fiscal_month と month）と、02 の 3「1〜3月は前の年度」",
        wrong=(
            Wrong(
                '# 練習 7-2\naugust_index = season.filter(pl.col("fiscal_month") == 8)["seasonal_index"].item()',
                "11月",
            ),
            Wrong(
                '# 練習 7-2\naugust_index = season.filter(pl.col("month") == 8)["mean"].item()',
                "mean",
            ),
            Wrong(
                '# 練習 7-2\naugust_index = season.filter(pl.col("month") == 8)["seasonal_index"]',
                "リストのまま",
            ),
        ),
        also_right=(
            '# 練習 7-2\naugust_index = season.filter(pl.col("fiscal_month") == 5)["seasonal_index"].item()',
        ),
        minutes=5,
        taught="02 の 3（年度の月）、07 の 3（季節指数）",
    ),
    Exercise(
        id="7-3",
        answers=("needed_95",),
        stub="# 練習 7-3（None を式に書き換えて、このセルを実行します）\nneeded_95 = None",
        solution="# 練習 7-3\nneeded_95 = (95 * 3 - 120) / 2\nneeded_95",
        judge=_needed_95,
        uses=("120",),
        look="4「推進期間の平均から逆算する」",
        wrong=(
            Wrong("# 練習 7-3\nneeded_95 = 95 * 3 - 120", "2年度で割って"),
            Wrong("# 練習 7-3\nneeded_95 = (100 * 3 - 120) / 2", "95時間"),
            Wrong("# 練習 7-3\nneeded_95 = 95 * 3 - 120 / 2", "割り算が先"),
            Wrong("# 練習 7-3\nneeded_95 = (95 * 3 - 120) / 3", "2で割ります"),
            Wrong("# 練習 7-3\nneeded_95 = 82.5", "直接書き込んで"),
        ),
        minutes=5,
        taught="00 の 7（式）、07 の 4（逆算）",
    ),
)

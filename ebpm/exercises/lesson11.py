"""Exercises of lesson 11 (difference-in-differences)."""

from __future__ import annotations

from typing import Any

from ebpm.exercises import data
from ebpm.exercises.core import Answers, Exercise, Wrong, as_number, known_wrong, number_hint

TREATED = ["防災管理室", "建設課", "上下水道課"]
PARTLY = ["総務課", "農林課", "水産課", "都市整備課"]


def _groups(a: Answers) -> Any:
    import polars as pl

    overtime = data.overtime().filter(pl.col("month").is_in([9, 10, 11]))
    return (
        overtime.group_by("department", "fiscal_year")
        .agg((pl.col("hours").sum() / pl.col("employee_id").n_unique() / 3).alias("hours_autumn"))
        .filter(~pl.col("department").is_in(PARTLY))
        .with_columns(pl.col("department").is_in(TREATED).alias("treated"))
    )


def _did(a: Answers, last_year: int, intervention: int) -> Any:
    import polars as pl

    from ebpm import analysis

    return analysis.difference_in_differences(
        _groups(a).filter(pl.col("fiscal_year") <= last_year),
        outcome_col="hours_autumn",
        treated_col="treated",
        time_col="fiscal_year",
        intervention=intervention,
    )


def _did_by_hand(a: Answers) -> str | None:
    answer = as_number(a.value, what="did_by_hand")
    result = _did(a, 2021, 2021)
    cell = {(r["group"], r["period"]): r["mean"] for r in result.means.iter_rows(named=True)}
    treated = cell[("処置群", "介入後")] - cell[("処置群", "介入前")]
    control = cell[("対照群", "介入後")] - cell[("対照群", "介入前")]
    hint = known_wrong(
        answer,
        {
            treated: "処置群の変化だけです。対照群の変化（介入後 − 介入前）も引きます。",
            treated + control: "対照群の変化を足しています。引きます。",
            cell[("処置群", "介入後")]
            - cell[
                ("対照群", "介入後")
            ]: "介入後の群の差だけです。介入前の群の差も引きます（差の差）。",
        },
        min_decimals=1,
    )
    return hint or number_hint(answer, treated - control, min_decimals=1, percent=False)


def _placebo_did(a: Answers) -> str | None:
    answer = as_number(a.value, what="placebo_did")
    hint = known_wrong(
        answer,
        {
            _did(
                a, 2021, 2021
            ).estimate: "本物の災害の年（2021年度）の推定値です。2019・2020年度だけを使い、intervention=2020 にします。",
            _did(
                a, 2021, 2020
            ).estimate: "2021年度（本物の災害）が入っています。fiscal_year <= 2020 に絞ります。",
        },
        min_decimals=1,
    )
    return hint or number_hint(answer, _did(a, 2020, 2020).estimate, min_decimals=1, percent=False)


EXERCISES = (
    Exercise(
        id="11-1",
        answers=("did_by_hand",),
        stub="# 練習 11-1（None を式に書き換えて、このセルを実行します）\ndid_by_hand = None",
        solution=(
            "# 練習 11-1\n"
            "def cell_mean(group, period):\n"
            '    rows = result.means.filter((pl.col("group") == group) & (pl.col("period") == period))\n'
            '    return rows["mean"].item()\n'
            "\n"
            "\n"
            'treated_change = cell_mean("処置群", "介入後") - cell_mean("処置群", "介入前")\n'
            'control_change = cell_mean("対照群", "介入後") - cell_mean("対照群", "介入前")\n'
            "did_by_hand = treated_change - control_change\n"
            'print(f"自分で計算 {did_by_hand:+.2f}、analysis の推定値 {result.estimate:+.2f}")'
        ),
        judge=_did_by_hand,
        look="4「差の差分析を行う」の result.means と、冒頭の式",
        wrong=(
            Wrong(
                "# 練習 11-1\nm = {(r['group'], r['period']): r['mean'] for r in result.means.iter_rows(named=True)}\n"
                "did_by_hand = m[('処置群', '介入後')] - m[('処置群', '介入前')]",
                "対照群の変化",
            ),
            Wrong(
                "# 練習 11-1\nm = {(r['group'], r['period']): r['mean'] for r in result.means.iter_rows(named=True)}\n"
                "did_by_hand = m[('処置群', '介入後')] - m[('対照群', '介入後')]",
                "介入前の群の差",
            ),
        ),
        also_right=("# 練習 11-1\ndid_by_hand = result.estimate",),
        minutes=8,
        taught="01 の 4（def）、02 の filter と .item()、11 の 4",
    ),
    Exercise(
        id="11-2",
        answers=("placebo_did",),
        stub="# 練習 11-2（None を式に書き換えて、このセルを実行します）\nplacebo_did = None",
        solution=(
            "# 練習 11-2\n"
            "placebo = analysis.difference_in_differences(\n"
            '    groups.filter(pl.col("fiscal_year") <= 2020),\n'
            '    outcome_col="hours_autumn",\n'
            '    treated_col="treated",\n'
            '    time_col="fiscal_year",\n'
            "    intervention=2020,\n"
            ")\n"
            "placebo_did = placebo.estimate\n"
            "print(placebo)"
        ),
        judge=_placebo_did,
        look="4「差の差分析を行う」と、10 の 3「プラセボ」",
        wrong=(
            Wrong("# 練習 11-2\nplacebo_did = result.estimate", "本物の災害の年"),
            Wrong(
                "# 練習 11-2\nplacebo_did = analysis.difference_in_differences(\n"
                '    did_data, outcome_col="hours_autumn", treated_col="treated", time_col="fiscal_year", '
                "intervention=2020\n).estimate",
                "fiscal_year <= 2020",
            ),
        ),
        minutes=6,
        taught="10 の 3（プラセボ）、11 の 4",
    ),
)

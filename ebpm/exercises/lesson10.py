"""Exercises of lesson 10 (copy paper: interrupted time series, placebo)."""

from __future__ import annotations

from typing import Any

from ebpm.exercises import data
from ebpm.exercises.core import (
    Answers,
    Exercise,
    NotAnswerable,
    Wrong,
    as_number,
    known_wrong,
    number_hint,
)

START = data.E_APPROVAL_START


def _its(value: Any, name: str) -> Any:
    if not all(hasattr(value, attr) for attr in ("intervention", "n_pre", "n_post", "seasonal")):
        raise NotAnswerable(f"{name} には analysis.interrupted_time_series(…) の結果を入れます。")
    return value


def _placebo_2020(a: Answers) -> str | None:
    result = _its(a.value, "placebo_2020")
    if result.intervention != "2020年10月":
        return (
            f"介入の時点が {result.intervention} です。intervention=dt.date(2020, 10, 1) にします。"
        )
    if result.n_post + result.n_pre > 42:
        return (
            f"全期間（{result.n_pre + result.n_post} か月）を使っています。本物の介入（電子決裁）が混ざらないよう、"
            "電子決裁の前の期間 before_only だけを使います。"
        )
    if not result.seasonal:
        return "季節性を調整していません。seasonal=True を付けます（まとめ買いの月の波を取り除くため）。"
    if (result.n_pre, result.n_post) != (18, 24):
        return f"介入前 {result.n_pre}・介入後 {result.n_post} か月です（期待は18か月と24か月）。before_only を使います。"
    return None


def _slope_p(a: Answers) -> str | None:

    from ebpm import analysis

    answer = as_number(a.value, what="slope_p")
    monthly = data.paper_by_month()
    options: dict[str, Any] = {
        "time_col": "date",
        "value_col": "sheets_per_staff",
        "intervention": START,
        "seasonal": True,
    }
    its = analysis.interrupted_time_series(monthly, **options)
    hac = analysis.interrupted_time_series(monthly, **options, hac_lags=3)
    hint = known_wrong(
        answer,
        {
            its.level_change_p: "水準の変化の p 値（level_change_p）です。傾きの変化の p 値は slope_change_p です。",
            hac.slope_change_p: "Newey–West（hac_lags=3）の分析の p 値です。2 の its（通常の標準誤差）から取り出します。",
            its.slope_change: "傾きの変化そのもの（推定値、枚）です。p 値は slope_change_p です。",
        },
        min_decimals=2,
    )
    return hint or number_hint(answer, its.slope_change_p, min_decimals=2, percent=False)


EXERCISES = (
    Exercise(
        id="10-1",
        answers=("placebo_2020",),
        stub="# 練習 10-1（None を式に書き換えて、このセルを実行します）\nplacebo_2020 = None",
        solution=(
            "# 練習 10-1\n"
            "placebo_2020 = analysis.interrupted_time_series(\n"
            "    before_only,\n"
            '    time_col="date",\n'
            '    value_col="sheets_per_staff",\n'
            "    intervention=dt.date(2020, 10, 1),\n"
            "    seasonal=True,\n"
            ")\n"
            "print(placebo_2020)"
        ),
        judge=_placebo_2020,
        look="3「プラセボ（偽の介入）で確かめる」",
        wrong=(
            Wrong(
                '# 練習 10-1\nplacebo_2020 = analysis.interrupted_time_series(\n    monthly, time_col="date", '
                'value_col="sheets_per_staff", intervention=dt.date(2020, 10, 1), seasonal=True\n)',
                "全期間",
            ),
            Wrong(
                '# 練習 10-1\nplacebo_2020 = analysis.interrupted_time_series(\n    before_only, time_col="date", '
                'value_col="sheets_per_staff", intervention=dt.date(2020, 10, 1)\n)',
                "seasonal=True",
            ),
            Wrong(
                '# 練習 10-1\nplacebo_2020 = analysis.interrupted_time_series(\n    before_only, time_col="date", '
                'value_col="sheets_per_staff", intervention=dt.date(2021, 4, 1), seasonal=True\n)',
                "2021年4月",
            ),
            Wrong(
                "# 練習 10-1\nplacebo_2020 = print(analysis.interrupted_time_series(\n    before_only, "
                'time_col="date", value_col="sheets_per_staff", intervention=dt.date(2020, 10, 1), seasonal=True\n))',
                "None",
            ),
        ),
        minutes=8,
        taught="10 の 3（プラセボ）",
    ),
    Exercise(
        id="10-2",
        answers=("slope_p",),
        stub="# 練習 10-2（None を式に書き換えて、このセルを実行します）\nslope_p = None",
        solution='# 練習 10-2\nslope_p = its.slope_change_p\nprint(f"p={slope_p:.3f}、0.05 未満か：{slope_p < 0.05}")',
        judge=_slope_p,
        look="2「分断時系列分析」の結果の読み方と、06 の p 値",
        wrong=(
            Wrong("# 練習 10-2\nslope_p = its.level_change_p", "水準の変化"),
            Wrong("# 練習 10-2\nslope_p = its.slope_change", "推定値"),
            Wrong(
                '# 練習 10-2\nslope_p = analysis.interrupted_time_series(\n    monthly, time_col="date", '
                'value_col="sheets_per_staff", intervention=start, seasonal=True, hac_lags=3\n).slope_change_p',
                "Newey–West",
            ),
        ),
        minutes=4,
        taught="06 の 4（p 値）、10 の 2（結果の読み方）",
    ),
)

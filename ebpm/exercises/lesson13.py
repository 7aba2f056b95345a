"""Exercises of lesson 13 (population and finances compared with other cities)."""

from __future__ import annotations

from typing import Any

from ebpm.exercises.core import Answers, Exercise, Wrong, as_number, known_wrong, number_hint


def _population(year: int, series: str) -> float:
    import polars as pl

    from ebpm.warehouse import Warehouse

    with Warehouse() as wh:
        rows = wh.census_population("03203")
    return float(
        rows.filter((pl.col("year") == year) & (pl.col("series") == series))["population"].item()
    )


def _change_rate(a: Answers) -> str | None:
    answer = as_number(a.value, what="change_rate_ofunato")
    p1970 = _population(1970, "census_1970_2010")
    ratio = _population(2015, "census_2015") / p1970
    expected = (ratio - 1) * 100
    preliminary = (_population(2020, "census_2020_preliminary") / p1970 - 1) * 100
    p2010 = (_population(2010, "census_1970_2010") / p1970 - 1) * 100
    hint = known_wrong(
        answer,
        {
            ratio - 1: "小数のままです。% の数字（100倍）で答えます（−0.22 なら −22.0）。",
            ratio * 100: "指数（1970年＝100）のままです。増減率は 指数 − 100 です。",
            -expected: "符号が逆です。減少はマイナスで答えます。",
            (p1970 / _population(2015, "census_2015") - 1)
            * 100: "割り算が逆です（1970年 ÷ 2015年）。2015年の人口 ÷ 1970年の人口 です。",
            preliminary: "2020年の値を使っています。2020年は速報値なので、この練習では確定値の2015年までで計算します。",
            p2010: "2010年までの増減率です。2015年の人口を使います。",
        },
        min_decimals=1,
    )
    return hint or number_hint(answer, expected, min_decimals=1, percent=False)


def _comparison_2021(indicator: str) -> dict[str, Any]:
    import polars as pl

    from ebpm.warehouse import Warehouse

    with Warehouse() as wh:
        rows = wh.fiscal_comparison()
    return rows.filter((pl.col("indicator_id") == indicator) & (pl.col("fiscal_year") == 2021)).row(
        0, named=True
    )


def _strength_gap(a: Answers) -> str | None:
    answer = as_number(a.value, what="strength_gap")
    row = _comparison_2021("fiscal_strength_index")
    expected = row["target_value"] - row["peer_median"]
    hint = known_wrong(
        answer,
        {
            row["target_value"] - row["prefecture_mean"]: (
                "岩手県の市町村平均（prefecture_mean）との差です。比較対象の市の中央値は peer_median です。"
            ),
            row["target_value"] - row["national_mean"]: (
                "全国の市町村平均（national_mean）との差です。比較対象の市の中央値は peer_median です。"
            ),
            row["peer_median"]
            - row["target_value"]: "引き算が逆です。大船渡市の値 − 中央値 です。",
            row["target_value"]: "大船渡市の値そのものです。中央値（peer_median）を引きます。",
        },
        min_decimals=2,
    )
    if hint:
        return hint
    other_years = {
        r["fiscal_year"]
        for r in _years("fiscal_strength_index")
        if abs(r["target_value"] - r["peer_median"] - answer) < 1e-9
    }
    if other_years and 2021 not in other_years and abs(expected - answer) > 1e-9:
        return "別の年度の差です。fiscal_year == 2021 の行を選びます。"
    return number_hint(answer, expected, min_decimals=2, percent=False)


def _years(indicator: str) -> list[dict[str, Any]]:
    import polars as pl

    from ebpm.warehouse import Warehouse

    with Warehouse() as wh:
        rows = wh.fiscal_comparison()
    return rows.filter(pl.col("indicator_id") == indicator).to_dicts()


EXERCISES = (
    Exercise(
        id="13-1",
        answers=("change_rate_ofunato",),
        stub="# 練習 13-1（None を式に書き換えて、このセルを実行します）\nchange_rate_ofunato = None",
        solution=(
            "# 練習 13-1\n"
            'p1970 = ofunato.filter(pl.col("year") == 1970)["population"].item()\n'
            'p2015 = ofunato.filter(pl.col("year") == 2015)["population"].item()\n'
            "change_rate_ofunato = (p2015 / p1970 - 1) * 100\n"
            'print(f"{change_rate_ofunato:.1f}%")'
        ),
        judge=_change_rate,
        look="2「国勢調査の人口」の表（year・status）と、3 の指数",
        wrong=(
            Wrong(
                "# 練習 13-1\n"
                'p1970 = ofunato.filter(pl.col("year") == 1970)["population"].item()\n'
                'p2020 = ofunato.filter(pl.col("year") == 2020)["population"].item()\n'
                "change_rate_ofunato = (p2020 / p1970 - 1) * 100",
                "速報値",
            ),
            Wrong(
                "# 練習 13-1\n"
                'p1970 = ofunato.filter(pl.col("year") == 1970)["population"].item()\n'
                'p2015 = ofunato.filter(pl.col("year") == 2015)["population"].item()\n'
                "change_rate_ofunato = p2015 / p1970 - 1",
                "小数のまま",
            ),
            Wrong(
                "# 練習 13-1\n"
                'p1970 = ofunato.filter(pl.col("year") == 1970)["population"].item()\n'
                'p2015 = ofunato.filter(pl.col("year") == 2015)["population"].item()\n'
                "change_rate_ofunato = (p1970 / p2015 - 1) * 100",
                "割り算が逆",
            ),
            Wrong(
                "# 練習 13-1\n"
                'p1970 = ofunato.filter(pl.col("year") == 1970)["population"].item()\n'
                'p2010 = ofunato.filter(pl.col("year") == 2010)["population"].item()\n'
                "change_rate_ofunato = (p2010 / p1970 - 1) * 100",
                "エラーで止まりました",
            ),
        ),
        also_right=("# 練習 13-1\nchange_rate_ofunato = (38058 / 48816 - 1) * 100",),
        minutes=7,
        taught="02 の filter と .item()、13 の 2（速報値と確定値）",
    ),
    Exercise(
        id="13-2",
        answers=("strength_gap",),
        stub="# 練習 13-2（None を式に書き換えて、このセルを実行します）\nstrength_gap = None",
        solution=(
            "# 練習 13-2\n"
            "row = comparison.filter(\n"
            '    (pl.col("indicator_id") == "fiscal_strength_index") & (pl.col("fiscal_year") == 2021)\n'
            ").row(0, named=True)\n"
            'strength_gap = row["target_value"] - row["peer_median"]\n'
            'print(f"大船渡市と比較対象の中央値の差：{strength_gap:+.2f}")'
        ),
        judge=_strength_gap,
        look="5「財政指標を、県平均・全国平均・比較対象の市と比べる」の表の列",
        wrong=(
            Wrong(
                "# 練習 13-2\nrow = comparison.filter(\n"
                '    (pl.col("indicator_id") == "fiscal_strength_index") & (pl.col("fiscal_year") == 2021)\n'
                ").row(0, named=True)\n"
                'strength_gap = row["target_value"] - row["prefecture_mean"]',
                "prefecture_mean",
            ),
            Wrong(
                "# 練習 13-2\nrow = comparison.filter(\n"
                '    (pl.col("indicator_id") == "fiscal_strength_index") & (pl.col("fiscal_year") == 2021)\n'
                ").row(0, named=True)\n"
                'strength_gap = row["peer_median"] - row["target_value"]',
                "引き算が逆",
            ),
            Wrong(
                "# 練習 13-2\nrow = comparison.filter(\n"
                '    (pl.col("indicator_id") == "fiscal_strength_index") & (pl.col("fiscal_year") == 2021)\n'
                ").row(0, named=True)\n"
                'strength_gap = row["target_value"] - row["national_mean"]',
                "national_mean",
            ),
        ),
        minutes=6,
        taught="02 の filter と &、05 の .row(0, named=True)、13 の 5",
    ),
)

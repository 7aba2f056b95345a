"""Exercises of lesson 13 (population compared with other cities)."""

from __future__ import annotations

from ebpm.exercises.core import Answers, Exercise, Wrong, as_number, known_wrong, number_hint


def _change_rate(a: Answers) -> str | None:
    answer = as_number(a.value, what="change_rate_ofunato")
    rows = dict(
        a.con.sql(
            "SELECT year, population FROM national_population WHERE area_code = '03203' AND year IN (1970, 2010)"
        ).fetchall()
    )
    ratio = rows[2010] / rows[1970]
    expected = (ratio - 1) * 100
    hint = known_wrong(
        answer,
        {
            ratio - 1: "小数のままです。% の数字（100倍）で答えます（−0.165 なら −16.5）。",
            ratio * 100: "指数（1970年＝100）のままです。増減率は 指数 − 100 です。",
            -expected: "符号が逆です。減少はマイナスで答えます。",
        },
        min_decimals=1,
    )
    return hint or number_hint(answer, expected, min_decimals=1, percent=False)


EXERCISES = (
    Exercise(
        id="13-1",
        answers=("change_rate_ofunato",),
        stub="# 練習 13-1（None を式に書き換えて、このセルを実行します）\nchange_rate_ofunato = None",
        solution=(
            "# 練習 13-1\n"
            'ofunato = population.filter(pl.col("area_code") == "03203")\n'
            'p1970 = ofunato.filter(pl.col("year") == 1970)["population"].item()\n'
            'p2010 = ofunato.filter(pl.col("year") == 2010)["population"].item()\n'
            "change_rate_ofunato = (p2010 / p1970 - 1) * 100\n"
            'print(f"{change_rate_ofunato:.1f}%")'
        ),
        judge=_change_rate,
        look="2「人口の推移」の指数（1970年＝100）",
        wrong=(
            Wrong(
                '# 練習 13-1\nofunato = population.filter(pl.col("area_code") == "03203")\n'
                'change_rate_ofunato = ofunato.filter(pl.col("year") == 2010)["指数"].item()',
                "指数",
            ),
            Wrong(
                '# 練習 13-1\nofunato = population.filter(pl.col("area_code") == "03203")\n'
                'p1970 = ofunato.filter(pl.col("year") == 1970)["population"].item()\n'
                'p2010 = ofunato.filter(pl.col("year") == 2010)["population"].item()\n'
                "change_rate_ofunato = p2010 / p1970 - 1",
                "小数のまま",
            ),
        ),
        also_right=("# 練習 13-1\nchange_rate_ofunato = -16.5",),
        minutes=6,
        taught="02 の filter と .item()、13 の 2",
    ),
)

"""Exercises of lesson 12 (e-Stat responses and municipality codes)."""

from __future__ import annotations

from ebpm.exercises.core import Answers, Exercise, NotAnswerable, Wrong, as_number


def _kamaishi_code(a: Answers) -> str | None:
    answer = a.value
    if isinstance(answer, int):
        return 'コードが数値になっています。先頭の0が消えるので、文字列（"…"）にします。to_six の結果をそのまま入れます。'
    if not isinstance(answer, str):
        raise NotAnswerable("kamaishi_code には6桁のコードを文字列で入れます。")
    published = a.con.sql(
        "SELECT lg_code FROM national_municipality WHERE area_code = '03211'"
    ).fetchall()[0][0]
    if answer == published:
        return None
    if answer == "03211":
        return "5桁のままです。6桁目に検査数字を付けます（to_six）。"
    if len(answer) == 6 and answer[:5] == "03211":
        return (
            f"6桁目（検査数字）が違います（{answer[5]}）。4「検査数字」の計算を確かめてください。"
        )
    return f"「{answer}」は釜石市（03211）の6桁コードではありません。"


def _ofunato_2020(a: Answers) -> str | None:
    import polars as pl

    from ebpm import RAW, estat

    response = next((RAW / "estat" / "0003433219").glob("getStatsData_*.json"))
    frame = estat.parse_file(response).frame.filter(pl.col("area_code") == "03203")
    by_sex = dict(zip(frame["cat01_label"], frame["value"], strict=True))
    if a.value is not None and type(a.value).__name__ in {"DataFrame", "Series"}:
        return '表のままです。1つの数値を取り出します（["value"].item()）。'
    answer = as_number(a.value, what="ofunato_2020")
    if answer == by_sex["総数"]:
        return None
    if answer == by_sex["男"]:
        return "男の人口です。cat01_label が「総数」の行を選びます。"
    if answer == by_sex["女"]:
        return "女の人口です。cat01_label が「総数」の行を選びます。"
    if answer == sum(by_sex.values()):
        return "総数・男・女の3行を足しています（総数を2回数えています）。「総数」の1行だけを選びます。"
    return f'{answer:,.0f} は大船渡市の総数ではありません。area_code == "03203" と「総数」の2つの条件で絞ります。'


EXERCISES = (
    Exercise(
        id="12-1",
        answers=("kamaishi_code",),
        stub="# 練習 12-1（None を式に書き換えて、このセルを実行します）\nkamaishi_code = None",
        solution='# 練習 12-1\nkamaishi_code = to_six("03211")\nkamaishi_code',
        judge=_kamaishi_code,
        look="4「全国地方公共団体コードと検査数字」",
        wrong=(
            Wrong('# 練習 12-1\nkamaishi_code = "03211"', "5桁のまま"),
            Wrong('# 練習 12-1\nkamaishi_code = int(to_six("03211"))', "数値"),
            Wrong('# 練習 12-1\nkamaishi_code = "032110"', "検査数字"),
        ),
        also_right=('# 練習 12-1\nkamaishi_code = "03211" + str(check_digit("03211"))',),
        minutes=4,
        taught="12 の 4（to_six・check_digit）",
    ),
    Exercise(
        id="12-2",
        answers=("ofunato_2020",),
        stub="# 練習 12-2（None を式に書き換えて、このセルを実行します）\nofunato_2020 = None",
        solution=(
            "# 練習 12-2\n"
            'is_ofunato = pl.col("area_code") == "03203"\n'
            'is_total = pl.col("cat01_label") == "総数"\n'
            'ofunato_2020 = values.filter(is_ofunato & is_total)["value"].item()\n'
            "ofunato_2020"
        ),
        judge=_ofunato_2020,
        look="3「e-Stat の応答をオフラインで表に直す」の values と、02 の「条件を2つ以上つなぐ」",
        wrong=(
            Wrong(
                '# 練習 12-2\nofunato_2020 = values.filter(pl.col("area_code") == "03203")["value"].sum()',
                "総数を2回",
            ),
            Wrong(
                '# 練習 12-2\nofunato_2020 = values.filter(\n    (pl.col("area_code") == "03203") & '
                '(pl.col("cat01_label") == "男")\n)["value"].item()',
                "男の人口",
            ),
            Wrong(
                '# 練習 12-2\nofunato_2020 = values.filter(\n    (pl.col("area_code") == "03203") & '
                '(pl.col("cat01_label") == "総数")\n)',
                "表のまま",
            ),
            Wrong(
                '# 練習 12-2\nofunato_2020 = values.filter(\n    (pl.col("area_code") == 3203) & '
                '(pl.col("cat01_label") == "総数")\n)["value"].item()',
                "エラーで止まりました",
            ),
        ),
        praise="この 34,739人は速報値です。確定値との違いは 13 で学びます。",
        minutes=6,
        taught="02 の filter と &・.item()、03 の団体コード（文字列）、12 の 3",
    ),
)

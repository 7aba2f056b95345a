"""Exercises of lesson 16 (capstone: from one's own file to an evidence chart)."""

from __future__ import annotations

from typing import Any

from ebpm.exercises.core import Answers, Exercise, NotAnswerable, Wrong
from ebpm.exercises.lesson15 import _applications, _share


def _encoded_fields(node: Any) -> list[str]:
    """Field names used in the encodings of a Vega-Lite spec (any depth)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "encoding" and isinstance(value, dict):
                found += [
                    c["field"] for c in value.values() if isinstance(c, dict) and "field" in c
                ]
            else:
                found += _encoded_fields(value)
    elif isinstance(node, list):
        for item in node:
            found += _encoded_fields(item)
    return found


def _capstone_chart(a: Answers) -> str | None:
    chart = a.value
    meta = getattr(chart, "usermeta", None)
    if not hasattr(chart, "to_dict") or not isinstance(meta, dict) or "ebpm" not in meta:
        raise NotAnswerable(
            "capstone_chart には charts.with_source(グラフ, source=…, …) の結果を入れます（出典つきのグラフ）。"
        )
    info = meta["ebpm"]
    source = str(info.get("source", ""))
    if "窓口・オンライン申請件数" not in source:
        return (
            "出典が申請件数のファイルのものではありません。source=applications_source を渡します。"
        )
    if not info.get("is_sample"):
        return "研修用サンプルデータの表示がありません。is_sample=True を付けます。"
    if "115" not in str(info.get("note", "")):
        return "（注）に、15 で補った値のこと（correction_note）を書きます。"
    spec = chart.to_dict()
    encoded = set(_encoded_fields(spec))
    numbers = []
    for rows in spec.get("datasets", {}).values():
        for row in rows:
            if isinstance(row, dict):
                numbers += [
                    v
                    for k, v in row.items()
                    if k in encoded and isinstance(v, int | float) and not isinstance(v, bool)
                ]
    import polars as pl

    table = _applications()
    shares = [_share(table.filter(pl.col("fiscal_year") == y)) for y in (2023, 2024, 2025)]
    # by_year keeps the shares to 3 decimals: 0.070 is stored as 0.07
    if not all(any(abs(n - s) <= 0.0005 + 1e-12 for n in numbers) for s in shares):
        return "グラフのデータに年度ごとのオンライン申請の割合が見つかりません。by_year を使ってグラフを作ります。"
    return None


_CAPSTONE_SOLUTION = """# 練習 16-1
bars = (
    alt.Chart(by_year)
    .mark_bar(color=charts.OKABE_ITO["blue"])
    .encode(
        x=alt.X(
            "fiscal_year:O",
            title="年度",
            axis=alt.Axis(labelExpr="datum.value + '年度'", labelAngle=0),
        ),
        y=alt.Y("オンラインの割合:Q", title="オンライン申請の割合", axis=alt.Axis(format="%")),
    )
    .properties(width=360, height=220, title="オンライン申請の割合（年度別）")
)
capstone_chart = charts.with_source(
    bars,
    source=applications_source,
    note=f"割合は年度の合計件数どうしの比。{correction_note}",
    is_sample=True,
    width=360,
)
capstone_chart"""


EXERCISES = (
    Exercise(
        id="16-1",
        answers=("capstone_chart",),
        stub="# 練習 16-1（None を式に書き換えて、このセルを実行します）\ncapstone_chart = None",
        solution=_CAPSTONE_SOLUTION,
        judge=_capstone_chart,
        look="2「問いからグラフへ」と、05 の出典、07 の charts.with_source",
        wrong=(
            Wrong(
                '# 練習 16-1\nbars = alt.Chart(by_year).mark_bar().encode(x="fiscal_year:O", y="オンラインの割合:Q")\n'
                "capstone_chart = charts.with_source(bars, source=applications_source, note=correction_note)",
                "is_sample=True",
            ),
            Wrong(
                '# 練習 16-1\nbars = alt.Chart(by_year).mark_bar().encode(x="fiscal_year:O", y="オンラインの割合:Q")\n'
                'capstone_chart = charts.with_source(bars, source="出典：市民課", note=correction_note, is_sample=True)',
                "出典が申請件数のファイル",
            ),
            Wrong(
                '# 練習 16-1\nbars = alt.Chart(by_year).mark_bar().encode(x="fiscal_year:O", y="オンラインの割合:Q")\n'
                "capstone_chart = charts.with_source(bars, source=applications_source, is_sample=True)",
                "correction_note",
            ),
            Wrong(
                '# 練習 16-1\nbars = alt.Chart(by_year).mark_bar().encode(x="fiscal_year:O", y="オンライン:Q")\n'
                "capstone_chart = charts.with_source(\n    bars, source=applications_source, note=correction_note, is_sample=True\n)",
                "割合が見つかりません",
            ),
            Wrong(
                '# 練習 16-1\ncapstone_chart = alt.Chart(by_year).mark_bar().encode(x="fiscal_year:O", y="オンラインの割合:Q")',
                "出典つきのグラフ",
            ),
        ),
        minutes=15,
        taught="05（出典）、07（Altair と with_source）、15（自分のファイル）",
    ),
)

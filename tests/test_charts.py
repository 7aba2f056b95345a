"""Tests for ebpm.charts: what the charts say (spec), what they draw (SVG/PNG), and fonts."""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import polars as pl
import pytest
import vl_convert as vlc
from PIL import Image

from ebpm import charts

FIXTURES = Path(__file__).parent / "fixtures" / "charts"
SOURCE = "出典：大船渡市「大船渡市DX戦略」（令和7年2月）を加工して作成"


# --------------------------------------------------------------------------------------
# Inputs: the copy-paper worked example (practice-notes §1.3) and a small status table
# --------------------------------------------------------------------------------------


def kpi_row(**overrides: Any) -> dict[str, Any]:
    """A kpi_progress row: copy paper, FY2025, P = 45.8 %, R = 0.92, 概ね順調."""
    row = {
        "kpi_id": "K09",
        "name": "コピー用紙購入枚数",
        "short_name": "コピー用紙購入枚数",
        "field_id": 3,
        "field_name": "行政・職員のDX",
        "strategy_id": "3-1",
        "strategy_name": "庁内業務のデジタルシフト",
        "unit": "枚",
        "aggregation": "single_year",
        "direction": "decrease",
        "base_fy": 2023,
        "base_value": 5_216_000.0,
        "target_fy": 2027,
        "target_value": 3_652_000.0,
        "fiscal_year": 2025,
        "actual": 4_500_000.0,
        "expected": 4_434_000.0,
        "progress": 0.4578,
        "pace": 0.9156,
        "grade": "概ね順調",
        "is_sample": False,
        "promotion_start_fy": 2025,
        "promotion_end_fy": 2027,
    }
    row.update(overrides)
    return row


def history(sample: bool = False) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "fiscal_year": [2023, 2024, 2025],
            "actual": [5_216_000.0, 4_900_000.0, 4_500_000.0],
            "is_sample": [False, sample, sample],
        }
    )


def status_table(sample: bool = False) -> pl.DataFrame:
    """Four KPIs of three strategies; K14 has no actual yet."""
    rows = [
        kpi_row(is_sample=sample),
        kpi_row(
            kpi_id="K10",
            name="1人あたり時間外勤務等年間平均時間数",
            short_name="時間外勤務の年間平均時間",
            unit="時間",
            base_value=129.0,
            target_value=100.0,
            actual=120.0,
            progress=0.31,
            pace=0.62,
            grade="概ね順調",
            is_sample=sample,
        ),
        kpi_row(
            kpi_id="K11",
            name="生成AIを業務で活用している職員の割合",
            short_name="生成AI活用職員の割合",
            strategy_id="3-2",
            strategy_name="創造的・多角的なAI活用の促進とデータ活用によるEBPMの推進",
            unit="%",
            direction="increase",
            base_value=26.0,
            target_value=90.0,
            actual=50.0,
            progress=0.375,
            pace=0.75,
            grade="概ね順調",
            is_sample=sample,
        ),
        kpi_row(
            kpi_id="K14",
            name="外部DX人材によるセミナー等開催回数",
            short_name="外部DX人材セミナー開催回数",
            strategy_id="3-3",
            strategy_name="DX人材の育成と確保",
            unit="人",
            aggregation="cumulative",
            direction="increase",
            base_value=3.0,
            target_value=15.0,
            actual=None,
            progress=None,
            pace=None,
            grade="遅れ",  # stale grade: must still be shown as 評価不能
            is_sample=sample,
        ),
    ]
    return pl.DataFrame(rows)


# --------------------------------------------------------------------------------------
# Helpers to read specs and images
# --------------------------------------------------------------------------------------


def themed_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    with alt.theme.enable(charts.THEME_NAME):
        return chart.to_dict()


def strings(node: Any) -> Iterator[str]:
    """Every string anywhere in a spec (titles, marks, data values)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def footer_lines(spec: dict[str, Any]) -> list[str]:
    footer = spec["vconcat"][-1]
    assert footer["mark"]["type"] == "text"
    return footer["mark"]["text"]


def title_lines(spec: dict[str, Any]) -> tuple[list[str], list[str]]:
    title = spec["title"]
    return title["text"], title.get("subtitle", [])


def layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["vconcat"][0]["layer"]


def dataset(spec: dict[str, Any], layer: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["datasets"][layer["data"]["name"]]


def png_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.int16)


@pytest.fixture
def restore_altair() -> Iterator[None]:
    theme, renderer = alt.theme.active, alt.renderers.active
    yield
    alt.theme.enable(theme)
    alt.renderers.enable(renderer)


# --------------------------------------------------------------------------------------
# Theme
# --------------------------------------------------------------------------------------


def test_theme_is_registered_and_sets_font_palette_background(restore_altair: None) -> None:
    assert charts.THEME_NAME in alt.theme.names()
    charts.enable_theme()
    assert alt.theme.active == "ebpm"
    config = alt.Chart(pl.DataFrame({"x": [1]})).mark_point().encode(x="x:Q").to_dict()
    assert config["background"] == "white"
    assert config["config"]["font"].startswith("IPAexGothic,")
    assert config["config"]["range"]["category"][:4] == ["#0072B2", "#E69F00", "#009E73", "#D55E00"]
    assert set(config["config"]["range"]["category"]) == set(charts.OKABE_ITO.values())


def test_theme_locale_is_vl_convert_ja_jp() -> None:
    locale = charts.ebpm_theme()["config"]["locale"]
    assert locale["number"] == vlc.get_format_locale("ja-JP")
    assert locale["time"] == vlc.get_time_format_locale("ja-JP")


def test_charts_use_the_one_grade_palette() -> None:
    from ebpm.kpi.grades import GRADE_STYLES

    assert {g: s.fill for g, s in GRADE_STYLES.items()} == charts.GRADE_COLORS
    assert tuple(GRADE_STYLES) == charts.GRADES


# --------------------------------------------------------------------------------------
# Trend chart: spec content
# --------------------------------------------------------------------------------------


def test_trend_footer_has_source_verbatim_then_note_with_band_edges() -> None:
    spec = themed_spec(charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE))
    lines = footer_lines(spec)
    assert lines[0] == SOURCE
    note = "".join(lines[1:]).replace(" ", "")  # a space at a line break is dropped
    assert note.startswith("（注）")
    assert "順調ペース≧1.0" in note
    assert "概ね順調0.6≦ペース<1.0" in note
    assert "遅れペース<0.6" in note


def test_trend_note_prints_custom_bands_and_user_note_first() -> None:
    chart = charts.kpi_trend_chart(
        kpi_row(), history(), source=SOURCE, note="（注）2024年度は推計値", bands=(1.2, 0.7)
    )
    note = "".join(footer_lines(themed_spec(chart))[1:])
    assert note.startswith("（注）2024年度は推計値。")
    assert note.count("（注）") == 1
    assert "順調 ペース≧1.2" in note and "概ね順調 0.7≦ペース<1.2" in note


def test_long_source_is_wrapped_but_kept_whole() -> None:
    source = SOURCE + "、総務省「地方公共団体定員管理調査」（令和6年）（https://www.soumu.go.jp/）"
    lines = footer_lines(themed_spec(charts.kpi_trend_chart(kpi_row(), history(), source=source)))
    joined = "".join(lines)
    assert source in joined
    assert "https://www.soumu.go.jp/" in lines[1]  # the URL is not split across lines


def test_trend_sample_data_is_labelled_in_title_footer_and_plot() -> None:
    spec = themed_spec(charts.kpi_trend_chart(kpi_row(), history(sample=True), source=SOURCE))
    _, subtitle = title_lines(spec)
    assert "【研修用サンプルデータ】" in subtitle
    assert any("研修用サンプルデータ" in line for line in footer_lines(spec))
    assert any(layer["mark"].get("text") == "研修用サンプルデータ" for layer in layers(spec))


def test_trend_sample_flag_on_kpi_row_alone_is_enough() -> None:
    spec = themed_spec(
        charts.kpi_trend_chart(kpi_row(is_sample=True), history(sample=False), source=SOURCE)
    )
    assert "【研修用サンプルデータ】" in title_lines(spec)[1]


def test_trend_without_sample_rows_does_not_say_sample() -> None:
    spec = themed_spec(charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE))
    assert not any("サンプル" in s for s in strings(spec))


def test_expected_path_is_a_dashed_line_from_base_to_target() -> None:
    spec = themed_spec(charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE))
    dashed = [
        layer
        for layer in layers(spec)
        if layer["mark"]["type"] == "line" and layer["mark"].get("strokeDash")
    ]
    assert len(dashed) == 1
    assert dashed[0]["mark"]["strokeDash"] == [7, 5]
    points = [(r["fiscal_year"], r["value"]) for r in dataset(spec, dashed[0])]
    assert points == [(2023, 5_216_000.0), (2027, 3_652_000.0)]


def test_promotion_period_fy2025_to_fy2027_is_shaded() -> None:
    spec = themed_spec(charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE))
    rects = [layer for layer in layers(spec) if layer["mark"]["type"] == "rect"]
    assert len(rects) == 1
    (band,) = dataset(spec, rects[0])
    # 年度 N is drawn at x = N, so the band covers 2025年度..2027年度 whole
    assert (band["start"], band["end"]) == (2024.5, 2027.5)
    assert band["label"] == "推進期間（2025〜2027年度）"  # jp.fiscal_period_label, as in status


def test_x_axis_labels_are_western_year_plus_nendo() -> None:
    spec = themed_spec(charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE))
    axes = [
        layer["encoding"]["x"]["axis"]
        for layer in layers(spec)
        if "axis" in layer.get("encoding", {}).get("x", {})
    ]
    assert axes
    for axis in axes:
        assert axis["labelExpr"] == "datum.value + '年度'"
        assert axis["values"] == [2023, 2024, 2025, 2026, 2027]


def test_y_axis_title_is_unit_with_aggregation() -> None:
    spec = themed_spec(charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE))
    titles = {
        layer["encoding"]["y"]["axis"]["title"]
        for layer in layers(spec)
        if "axis" in layer.get("encoding", {}).get("y", {})
    }
    assert titles == {"枚（単年度）"}


def test_subtitle_reports_latest_grade_progress_and_pace() -> None:
    _, subtitle = title_lines(
        themed_spec(charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE))
    )
    assert subtitle[0] == "2025年度実績 4,500,000枚｜進捗率 45.8%｜ペース 0.92｜評価：概ね順調"


def test_kpi_without_actual_is_shown_as_hyouka_funou() -> None:
    row = kpi_row(actual=None, progress=None, pace=None, grade="遅れ")
    _, subtitle = title_lines(themed_spec(charts.kpi_trend_chart(row, history(), source=SOURCE)))
    assert subtitle[0] == "2025年度実績値なし｜評価：評価不能"


def test_long_japanese_title_is_wrapped_into_lines() -> None:
    name = "「窓口業務や施設利用など、市の行政サービスは利用しやすい」と答えた割合（市民意識調査）"
    row = kpi_row(name=name, short_name=None)
    text, _ = title_lines(themed_spec(charts.kpi_trend_chart(row, history(), source=SOURCE)))
    assert len(text) == 2
    assert "".join(text) == name
    assert not text[1].startswith(("、", "。", "」", "）"))


def test_title_prefers_short_name_and_keeps_published_name_in_subtitle() -> None:
    row = kpi_row(name="1人あたり時間外勤務等年間平均時間数", short_name="時間外勤務時間")
    text, subtitle = title_lines(themed_spec(charts.kpi_trend_chart(row, history(), source=SOURCE)))
    assert text == ["時間外勤務時間"]
    assert any("指標：1人あたり時間外勤務等年間平均時間数" in line for line in subtitle)


def test_builders_are_deterministic_and_leave_inputs_alone() -> None:
    row, hist = kpi_row(), history()
    before = (dict(row), hist.clone())
    first = charts.kpi_trend_chart(row, hist, source=SOURCE).to_json()
    second = charts.kpi_trend_chart(row, hist, source=SOURCE).to_json()
    assert first == second
    assert row == before[0] and hist.equals(before[1])


def test_trend_texts_match_golden_file() -> None:
    """Title, subtitle and footer are the product: compare with the reviewed golden file.

    Regenerate after an intended change with ``EBPM_UPDATE_GOLDEN=1 pytest tests/test_charts.py``.
    """
    spec = themed_spec(
        charts.kpi_trend_chart(
            kpi_row(), history(sample=True), source=SOURCE, note="2024年度以降は研修用の値"
        )
    )
    text, subtitle = title_lines(spec)
    actual = {"title": text, "subtitle": subtitle, "footer": footer_lines(spec)}
    golden = FIXTURES / "k09_trend_texts.json"
    if os.environ.get("EBPM_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(actual, ensure_ascii=False, indent=2) + "\n", "utf-8")
    assert actual == json.loads(golden.read_text("utf-8"))


# --------------------------------------------------------------------------------------
# Plans: what a chart will show, decided before drawing (read without rendering)
# --------------------------------------------------------------------------------------


def test_trend_plan_of_the_copy_paper_example() -> None:
    from ebpm.charts.trend import TrendPoint, plan_trend

    plan = plan_trend(kpi_row(), history(), source=SOURCE)
    assert plan.years == (2023, 2027)  # base 2023 … target 2027 (推進期間 inside)
    assert (plan.base, plan.target) == ((2023, 5_216_000.0), (2027, 3_652_000.0))
    assert plan.decreasing
    assert plan.points == (
        TrendPoint(2023, 5_216_000.0, False, ""),  # same as the base: its label is the base's
        TrendPoint(2024, 4_900_000.0, False, "4,900,000"),
        TrendPoint(2025, 4_500_000.0, False, "4,500,000"),
    )
    assert plan.y_title == "枚（単年度）"
    assert plan.period_label == "推進期間（2025〜2027年度）"
    assert plan.caption.subtitle[0] == (
        "2025年度実績 4,500,000枚｜進捗率 45.8%｜ペース 0.92｜評価：概ね順調"
    )
    assert plan.caption.footer[0] == SOURCE and not plan.caption.is_sample


def test_trend_status_line_without_any_year_says_just_jisseki() -> None:
    from ebpm.charts.trend import plan_trend

    empty = pl.DataFrame(
        {"fiscal_year": [], "actual": []}, schema={"fiscal_year": pl.Int64, "actual": pl.Float64}
    )
    plan = plan_trend(kpi_row(fiscal_year=None), empty, source=SOURCE)
    assert plan.caption.subtitle[0] == "実績 4,500,000枚｜進捗率 45.8%｜ペース 0.92｜評価：概ね順調"


def test_trend_plan_shortens_the_period_label_when_the_band_is_narrow() -> None:
    from ebpm.charts.trend import plan_trend

    # 21 years on 560 px: the 3-year band is 80 px, the full label needs about 200 px
    plan = plan_trend(kpi_row(base_fy=2015, target_fy=2035), history(), source=SOURCE)
    assert plan.years == (2015, 2035)
    assert plan.period_label == "推進期間"


def test_trend_plan_takes_the_promotion_period_as_data() -> None:
    from ebpm.charts.trend import plan_trend

    row = kpi_row(promotion_start_fy=2026, promotion_end_fy=2030)
    plan = plan_trend(row, history(), source=SOURCE)
    assert plan.years == (2023, 2030)
    assert "網掛けは推進期間（2026〜2030年度）" in plan.caption.note
    unshaded = plan_trend(
        kpi_row(promotion_start_fy=None, promotion_end_fy=None), history(), source=SOURCE
    )
    assert unshaded.period is None and "網掛け" not in unshaded.caption.note


def test_overview_plan_of_the_status_table() -> None:
    from ebpm.charts.overview import Zone, plan_overview

    plan = plan_overview(status_table(), source=SOURCE)
    assert plan.domain == (0.0, 1.5)
    assert plan.ticks == (0.0, 0.6, 1.0, 1.5)  # 0.5 is 0.1 from the 0.6 edge: left out
    assert plan.edges == (0.6, 1.0)
    assert plan.zones == (
        Zone(0.3, "遅れ（<0.6）"),
        Zone(0.8, "概ね順調"),
        Zone(1.25, "順調（≧1.0）"),
    )
    assert [r.kpi_id for r in plan.rows] == ["K09", "K10", "K11", "K14"]
    assert [r.pace_bar for r in plan.rows] == [0.9156, 0.62, 0.75, None]
    assert len(plan.groups) == 3 and plan.row_step == 24
    assert plan.caption.subtitle == ("2025年度時点｜概ね順調 3・評価不能 1（全4指標）",)


def test_overview_plan_widens_the_scale_for_negative_and_large_paces() -> None:
    from ebpm.charts.overview import draw_overview, plan_overview

    table = status_table().with_columns(
        pace=pl.when(pl.col("kpi_id") == "K09")
        .then(-0.8)
        .when(pl.col("kpi_id") == "K11")
        .then(1.7)
        .otherwise(pl.col("pace"))
    )
    plan = plan_overview(table, source=SOURCE)
    assert plan.domain == (-0.5, 2.0)  # below 0: from -0.5; above 1.5: to max(2.0, 1.0 + 1.0)
    assert [r.pace_bar for r in plan.rows[:3]] == [-0.5, 0.62, 1.7]
    assert plan.zones[0].x == 0.3  # 遅れ is centred between 0 and 0.6, not from -0.5
    first_panel = themed_spec(draw_overview(plan))["vconcat"][0]
    assert first_panel["layer"][0]["mark"] == {"type": "rule", "color": "#444444", "strokeWidth": 1}


def test_render_gives_the_bytes_of_each_format() -> None:
    from ebpm.charts.export import render

    chart = charts.with_source(
        alt.Chart(pl.DataFrame({"x": [1, 2]})).mark_bar().encode(x="x:O", y="x:Q"),
        source="出典：テスト",
    )
    assert render(chart, "pdf").startswith(b"%PDF")
    assert render(chart, "svg").decode("utf-8") == charts.chart_to_svg(chart)
    assert json.loads(render(chart, "json")) == themed_spec(chart)
    with pytest.raises(ValueError, match="保存形式は png, svg, pdf, json から選んでください：gif"):
        render(chart, "gif")


# --------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------


def _build_trend(source: Any) -> Any:
    return charts.kpi_trend_chart(kpi_row(), history(), source=source)


def _build_overview(source: Any) -> Any:
    return charts.progress_overview_chart(status_table(), source=source)


@pytest.mark.parametrize("build", [_build_trend, _build_overview], ids=["trend", "overview"])
@pytest.mark.parametrize("source", [None, "", "   ", 0], ids=["none", "empty", "blank", "int"])
def test_source_is_required(build: Any, source: Any) -> None:
    with pytest.raises(ValueError, match="出典"):
        build(source)


def test_source_is_keyword_only_and_required() -> None:
    with pytest.raises(TypeError):
        charts.kpi_trend_chart(kpi_row(), history())  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        charts.progress_overview_chart(status_table())  # type: ignore[call-arg]


@pytest.mark.parametrize("bands", [(0.6, 1.0), (1.0, 1.0), (1.0, -0.1), (1.0,), ("a", "b")])
def test_bad_bands_are_rejected_in_japanese(bands: Any) -> None:
    # the one band validation (GradeBands) speaks for charts too
    with pytest.raises(ValueError, match=r"bands|評価区分の境界"):
        charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE, bands=bands)


def test_missing_kpi_definition_is_reported_in_japanese() -> None:
    with pytest.raises(ValueError, match="KPIの定義に必要な項目がありません：target_value"):
        charts.kpi_trend_chart(kpi_row(target_value=None), history(), source=SOURCE)


def test_history_without_actual_column_is_reported() -> None:
    with pytest.raises(ValueError, match="history に必要な列がありません：actual"):
        charts.kpi_trend_chart(kpi_row(), pl.DataFrame({"fiscal_year": [2023]}), source=SOURCE)


# --------------------------------------------------------------------------------------
# Overview chart
# --------------------------------------------------------------------------------------


def overview_rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for panel in spec["vconcat"][:-1]:
        bars = [layer for layer in panel["layer"] if layer["mark"]["type"] == "bar"]
        rows += dataset(spec, bars[0])
    return rows


def test_overview_groups_by_strategy_with_labelled_rows() -> None:
    spec = themed_spec(charts.progress_overview_chart(status_table(), source=SOURCE))
    panels = spec["vconcat"][:-1]
    assert [p["title"]["text"] for p in panels] == [
        "戦略3-1 庁内業務のデジタルシフト（分野3 行政・職員のDX）",
        "戦略3-2 創造的・多角的なAI活用の促進とデータ活用によるEBPMの推進（分野3 行政・職員のDX）",
        "戦略3-3 DX人材の育成と確保（分野3 行政・職員のDX）",
    ]
    labels = [r["row_label"] for r in overview_rows(spec)]
    assert labels == [
        "3-1 コピー用紙購入枚数",
        "3-1 時間外勤務の年間平均時間",
        "3-2 生成AI活用職員の割合",
        "3-3 外部DX人材セミナー開催回数",
    ]


def test_overview_kpi_without_actual_is_hyouka_funou_without_bar() -> None:
    rows = {
        r["kpi_id"]: r
        for r in overview_rows(
            themed_spec(charts.progress_overview_chart(status_table(), source=SOURCE))
        )
    }
    assert rows["K14"]["grade"] == "評価不能"
    assert rows["K14"]["pace_bar"] is None
    assert rows["K14"]["value_text"] == "評価不能：実績値がありません"
    assert rows["K09"]["grade"] == "概ね順調"
    assert rows["K09"]["value_text"] == "概ね順調：ペース 0.92・進捗率 45.8%"


def test_overview_draws_band_edges_and_colours_by_grade() -> None:
    spec = themed_spec(
        charts.progress_overview_chart(status_table(), source=SOURCE, bands=(1.0, 0.6))
    )
    for panel in spec["vconcat"][:-1]:
        rules = [layer for layer in panel["layer"] if layer["mark"]["type"] == "rule"]
        edges = [r["edge"] for rule in rules for r in dataset(spec, rule) if "edge" in r]
        assert edges == [0.6, 1.0]
        assert all(rule["mark"]["strokeDash"] for rule in rules if "edge" in str(rule))
        (bar,) = [layer for layer in panel["layer"] if layer["mark"]["type"] == "bar"]
        scale = bar["encoding"]["color"]["scale"]
        assert scale["domain"] == list(charts.GRADES)
        assert scale["range"] == [charts.GRADE_COLORS[g] for g in charts.GRADES]
    note = "".join(footer_lines(spec)[1:])
    assert "順調 ペース≧1.0" in note and "概ね順調 0.6≦ペース<1.0" in note
    assert footer_lines(spec)[0] == SOURCE


def test_overview_subtitle_counts_grades() -> None:
    _, subtitle = title_lines(
        themed_spec(charts.progress_overview_chart(status_table(), source=SOURCE))
    )
    assert subtitle == ["2025年度時点｜概ね順調 3・評価不能 1（全4指標）"]


def test_overview_sample_rows_are_labelled() -> None:
    spec = themed_spec(charts.progress_overview_chart(status_table(sample=True), source=SOURCE))
    assert title_lines(spec)[1][0] == "【研修用サンプルデータ】"
    assert any("研修用サンプルデータ" in line for line in footer_lines(spec))


def test_overview_mixed_sample_rows_get_a_mark() -> None:
    table = status_table().with_columns(is_sample=pl.col("kpi_id") == "K10")
    spec = themed_spec(charts.progress_overview_chart(table, source=SOURCE))
    labels = {r["kpi_id"]: r["row_label"] for r in overview_rows(spec)}
    assert labels["K10"].endswith("＊") and not labels["K09"].endswith("＊")
    assert "＊は研修用サンプルデータ" in "".join(footer_lines(spec))


def test_overview_uses_one_fiscal_year_the_latest_with_observed_actuals() -> None:
    later = status_table().with_columns(
        fiscal_year=pl.lit(2026, dtype=pl.Int64),
        actual=None,
        progress=None,
        pace=None,
        grade=pl.lit("評価不能"),
    )
    spec = themed_spec(
        charts.progress_overview_chart(pl.concat([status_table(), later]), source=SOURCE)
    )
    rows = {r["kpi_id"]: r for r in overview_rows(spec)}
    assert {r["fiscal_year"] for r in rows.values()} == {2025}
    assert rows["K09"]["grade"] == "概ね順調"
    assert title_lines(spec)[1][0].startswith("2025年度時点")


def test_overview_clips_extreme_pace_but_prints_the_value() -> None:
    table = status_table().with_columns(
        pace=pl.when(pl.col("kpi_id") == "K11").then(3.2).otherwise(pl.col("pace")),
        grade=pl.when(pl.col("kpi_id") == "K11").then(pl.lit("達成")).otherwise(pl.col("grade")),
    )
    spec = themed_spec(charts.progress_overview_chart(table, source=SOURCE))
    k11 = next(r for r in overview_rows(spec) if r["kpi_id"] == "K11")
    assert k11["pace_bar"] == 2.0
    assert k11["value_text"].startswith("達成：ペース 3.20")
    assert "範囲外の棒は端で切り詰め" in "".join(footer_lines(spec))


# --------------------------------------------------------------------------------------
# Rendering: SVG text, PNG resolution, PDF font, renderer
# --------------------------------------------------------------------------------------


def test_svg_contains_japanese_text_and_formatted_numbers() -> None:
    svg = charts.chart_to_svg(
        charts.kpi_trend_chart(kpi_row(), history(sample=True), source=SOURCE)
    )
    for text in (
        "コピー用紙購入枚数",
        SOURCE,
        "研修用サンプルデータ",
        "2025年度",
        "推進期間（2025〜2027年度）",
        "4,500,000",  # ja-JP thousands separator
        "5,000,000",  # y-axis tick
        "枚（単年度）",
    ):
        assert text in svg, text
    assert 'font-family="IPAexGothic' in svg
    assert "FY" not in svg


def test_overview_svg_renders_row_labels() -> None:
    svg = charts.chart_to_svg(charts.progress_overview_chart(status_table(), source=SOURCE))
    assert "3-1 コピー用紙購入枚数" in svg
    assert "評価不能：実績値がありません" in svg
    assert SOURCE in svg


def test_save_chart_writes_print_resolution_png_svg_and_pdf(tmp_path: Path) -> None:
    chart = charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE)
    paths = charts.save_chart(chart, tmp_path / "out" / "k09.trend")
    assert [p.name for p in paths] == ["k09.trend.png", "k09.trend.svg", "k09.trend.pdf"]
    png = paths[0].read_bytes()
    image = Image.open(io.BytesIO(png))
    svg_width = float(paths[1].read_text("utf-8").split('width="', 1)[1].split('"', 1)[0])
    assert abs(image.width - svg_width * charts.PRINT_SCALE) <= 2
    assert image.width >= 2 * svg_width
    assert round(image.info["dpi"][0]) == charts.PRINT_DPI
    pdf = paths[2].read_bytes()
    assert pdf.startswith(b"%PDF") and b"IPAexGothic" in pdf


def test_save_chart_json_is_the_themed_spec(tmp_path: Path) -> None:
    chart = charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE)
    (path,) = charts.save_chart(chart, tmp_path / "k09", formats=("json",))
    spec = json.loads(path.read_text("utf-8"))
    assert spec["usermeta"]["ebpm"]["source"] == SOURCE
    assert spec["config"]["font"].startswith("IPAexGothic")


@pytest.mark.parametrize(
    ("target", "formats", "match"),
    [("k09.png", ("png",), "拡張子なし"), ("k09", ("jpg",), "保存形式")],
)
def test_save_chart_rejects_bad_targets(
    tmp_path: Path, target: str, formats: tuple[str, ...], match: str
) -> None:
    chart = charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE)
    with pytest.raises(ValueError, match=match):
        charts.save_chart(chart, tmp_path / target, formats=formats)


def test_offline_renderer_gives_stable_svg_with_japanese(restore_altair: None) -> None:
    charts.enable_offline_renderer()
    chart = charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE)
    first = chart._repr_mimebundle_()
    second = charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE)._repr_mimebundle_()
    bundle = first[0] if isinstance(first, tuple) else first
    assert set(bundle) == {"image/svg+xml"}
    svg = bundle["image/svg+xml"]
    assert SOURCE in svg and "cdn" not in svg.lower()
    assert first == second


def test_offline_renderer_with_png_adds_a_palette_png_and_keeps_the_same_svg(
    restore_altair: None,
) -> None:
    import base64

    chart = charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE)
    charts.enable_offline_renderer()
    (svg_only,) = chart._repr_mimebundle_().values()
    charts.enable_offline_renderer(png=True)
    bundle, metadata = chart._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "image/png", "text/plain"}
    assert bundle["image/svg+xml"] == svg_only  # what nbval compares is unchanged
    assert bundle["text/plain"] == repr(chart) == "alt.VConcatChart(...)"
    image = Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
    assert image.mode == "P"  # 256-colour palette keeps notebooks small
    svg_width = float(svg_only.split('width="', 1)[1].split('"', 1)[0])
    assert abs(image.width - svg_width) <= 1
    assert metadata == {"image/png": {"width": image.width, "height": image.height}}


@pytest.mark.parametrize(
    "build",
    [
        lambda c: c,
        lambda c: c + c,
        lambda c: c | c,
        lambda c: c & c,
        lambda c: alt.concat(c, c),
        lambda c: c.facet(column="x:N"),
        lambda c: alt.Chart(pl.DataFrame({"x": [1]})).mark_point().encode(x="x:Q").repeat(["x"]),
    ],
    ids=["chart", "layer", "hconcat", "vconcat", "concat", "facet", "repeat"],
)
def test_offline_png_bundle_text_is_the_charts_own_repr(build: Any) -> None:
    from ebpm.charts.theme import offline_mimebundle

    base = alt.Chart(pl.DataFrame({"x": [1, 2]})).mark_point().encode(x="x:Q")
    chart = build(base)
    bundle, _ = offline_mimebundle(chart.to_dict())
    assert bundle["text/plain"] == repr(chart)


# --------------------------------------------------------------------------------------
# Japanese glyphs: no tofu
# --------------------------------------------------------------------------------------

# Two titles of equal length with no character in common. Missing glyphs are drawn as the
# same box (or as nothing) for every character, so the two renderings are then identical.
TITLE_A = "大船渡市紙削減"
TITLE_B = "研修用指標名称"


def title_png(title: str, tmp_path: Path) -> np.ndarray:
    chart = charts.kpi_trend_chart(kpi_row(short_name=title), history(), source=SOURCE)
    (path,) = charts.save_chart(chart, tmp_path / title, formats=("png",), scale_factor=1)
    return png_pixels(path.read_bytes())


def test_japanese_title_renders_as_distinct_glyphs_not_tofu(tmp_path: Path) -> None:
    a, b = title_png(TITLE_A, tmp_path), title_png(TITLE_B, tmp_path)
    assert a.shape == b.shape
    changed = np.abs(a - b) > 64
    rows = np.nonzero(changed.any(axis=1))[0]
    # real glyphs: the title band differs in many pixels, and only the title band differs
    assert changed.sum() > 300
    assert rows.max() < 60
    ink = (a[: rows.max() + 1] < 128).sum()
    assert ink > 300


NO_FONT_SCRIPT = textwrap.dedent(
    """
    import io, json, sys
    import numpy as np, vl_convert as vlc
    from PIL import Image
    from ebpm import charts
    from ebpm.charts import theme
    import test_charts as t

    theme._fontja_directory = lambda: None   # the package font is NOT registered
    def render(title, font):
        chart = charts.kpi_trend_chart(t.kpi_row(short_name=title), t.history(), source=t.SOURCE)
        spec = t.themed_spec(chart)
        if font:
            spec["config"]["font"] = font
            spec["title"]["font"] = font
        return t.png_pixels(vlc.vegalite_to_png(spec, scale=1))
    out = {"available": charts.japanese_font_available()}
    for font in (None, "NoSuchFont"):
        a, b = render(t.TITLE_A, font), render(t.TITLE_B, font)
        out[str(font)] = int((np.abs(a - b) > 64).sum())
    try:
        charts.save_chart(charts.kpi_trend_chart(t.kpi_row(), t.history(), source=t.SOURCE),
                          __import__("pathlib").Path(sys.argv[1]) / "x", formats=("png",))
        out["save"] = "ok"
    except RuntimeError as exc:
        out["save"] = str(exc)
    print(json.dumps(out, ensure_ascii=False))
    """
)


def _system_has_japanese_font() -> bool | None:
    if shutil.which("fc-list") is None:
        return None
    listing = subprocess.run(["fc-list", ":lang=ja"], capture_output=True, text=True, check=False)
    return bool(listing.stdout.strip())


def test_tofu_check_fails_when_the_font_is_missing(tmp_path: Path) -> None:
    """Negative control: without the registered font the tofu test's criterion is not met.

    Runs in a fresh process where ``matplotlib-fontja`` is not registered; the two titles
    then render identically (tofu or blank), ``japanese_font_available()`` is False and
    ``save_chart`` refuses to write a chart.
    """
    has_font = _system_has_japanese_font()
    if has_font is None or has_font:
        pytest.skip("システムに日本語フォントがある（または確認できない）ため対照実験を省略")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    result = subprocess.run(
        [sys.executable, "-c", NO_FONT_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["available"] is False
    assert out["None"] == 0  # fallback font: identical tofu boxes
    assert out["NoSuchFont"] == 0  # unknown font: identical (blank) output
    assert "日本語フォントが見つからない" in out["save"]


def test_japanese_font_available_in_this_process() -> None:
    assert charts.register_japanese_font() is not None
    assert charts.japanese_font_available() is True


# --------------------------------------------------------------------------------------
# Text wrapping
# --------------------------------------------------------------------------------------


def test_wrap_keeps_kinsoku_and_numbers() -> None:
    text = "評価区分：順調 ペース≧1.0、概ね順調 0.6≦ペース<1.0、遅れ ペース<0.6。" * 3
    lines = charts.wrap_japanese(text, width_px=200, font_size=11)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(not line.startswith(("、", "。", "）", "」")) for line in lines)
    assert all(not line.endswith(("（", "「")) for line in lines)
    for line, nxt in itertools.pairwise(lines):
        assert not (line[-1:].isdigit() and nxt[:1] in ".0123456789"), (line, nxt)


# --------------------------------------------------------------------------------------
# Band edges printed must be the ones the grades were computed with
# --------------------------------------------------------------------------------------


def test_bands_must_match_the_rows_band_columns() -> None:
    row = kpi_row(band_on_track=1.0, band_mostly=0.7)
    with pytest.raises(ValueError, match="評価区分"):
        charts.kpi_trend_chart(row, history(), source=SOURCE)
    spec = themed_spec(charts.kpi_trend_chart(row, history(), source=SOURCE, bands=(1.0, 0.7)))
    assert "概ね順調 0.7≦ペース<1.0" in "".join(footer_lines(spec))
    table = status_table().with_columns(band_on_track=pl.lit(1.0), band_mostly=pl.lit(0.7))
    with pytest.raises(ValueError, match="評価区分"):
        charts.progress_overview_chart(table, source=SOURCE)
    charts.progress_overview_chart(table, source=SOURCE, bands=(1.0, 0.7))


# --------------------------------------------------------------------------------------
# Contract with the warehouse: kpi_progress rows chart as they come
# --------------------------------------------------------------------------------------


def test_charts_accept_the_warehouse_kpi_progress_view(kpi_warehouse: Path) -> None:
    from ebpm.warehouse import connect

    with connect(kpi_warehouse) as con:
        progress = con.sql("SELECT * FROM kpi_progress").pl()
        actuals = con.sql(
            "SELECT kpi_id, fiscal_year, value AS actual, is_sample FROM kpi_actual"
        ).pl()
    bands = (progress["band_on_track"][0], progress["band_mostly"][0])
    overview = charts.progress_overview_chart(progress, source=SOURCE, bands=bands)
    rows = overview_rows(themed_spec(overview))
    assert len(rows) == progress["kpi_id"].n_unique()
    assert len({r["fiscal_year"] for r in rows}) == 1
    assert {r["grade"] for r in rows} <= set(charts.GRADES)
    kpi = progress.filter(pl.col("kpi_id") == "K09").sort("fiscal_year").row(0, named=True)
    trend = charts.kpi_trend_chart(
        kpi, actuals.filter(pl.col("kpi_id") == "K09"), source=SOURCE, bands=bands
    )
    svg = charts.chart_to_svg(trend)
    assert "コピー用紙購入枚数" in svg and SOURCE in svg


def test_history_is_filtered_to_the_kpi_and_duplicates_are_rejected() -> None:
    other = history().with_columns(kpi_id=pl.lit("K10"), actual=pl.lit(120.0))
    mixed = pl.concat([history().with_columns(kpi_id=pl.lit("K09")), other])
    spec = themed_spec(charts.kpi_trend_chart(kpi_row(), mixed, source=SOURCE))
    (line,) = [
        layer
        for layer in layers(spec)
        if layer["mark"]["type"] == "line" and not layer["mark"].get("strokeDash")
    ]
    assert [r["actual"] for r in dataset(spec, line)] == [5_216_000.0, 4_900_000.0, 4_500_000.0]
    doubled = pl.concat([history(), history().head(1)])
    with pytest.raises(ValueError, match="同じ年度の実績が複数あります：2023年度"):
        charts.kpi_trend_chart(kpi_row(), doubled, source=SOURCE)


def test_sample_flag_of_a_row_without_actual_is_not_shown() -> None:
    hist = pl.DataFrame(
        {"fiscal_year": [2023, 2026], "actual": [5_216_000.0, None], "is_sample": [False, True]}
    )
    spec = themed_spec(charts.kpi_trend_chart(kpi_row(), hist, source=SOURCE))
    assert not any("サンプル" in s for s in strings(spec))


def test_with_source_puts_credit_under_any_chart():
    import altair as alt
    import polars as pl

    from ebpm.charts import with_source

    base = (
        alt.Chart(pl.DataFrame({"年度": [2024, 2025], "値": [1, 2]}))
        .mark_line()
        .encode(x="年度:O", y="値:Q")
    )
    spec = json.dumps(
        with_source(
            base, source="出典：テスト資料", note="年度は4月〜翌年3月", is_sample=True
        ).to_dict(),
        ensure_ascii=False,
    )
    assert "出典：テスト資料" in spec and "（注）年度は4月〜翌年3月。" in spec
    assert "研修用サンプルデータを含みます" in spec and "【研修用サンプルデータ】" in spec
    with pytest.raises(ValueError, match="出典"):
        with_source(base, source=" ")


def test_with_source_keeps_existing_subtitle_lines():
    import altair as alt
    import polars as pl

    from ebpm.charts import with_source

    base = (
        alt.Chart(pl.DataFrame({"x": [1, 2], "y": [3, 4]}))
        .mark_line()
        .encode(x="x:Q", y="y:Q")
        .properties(title=alt.Title("予測", subtitle=["2027年度の予測 117.7時間"]))
    )
    title = with_source(base, source="出典：テスト", is_sample=True).to_dict()["vconcat"][0][
        "title"
    ]
    assert title["subtitle"] == ["【研修用サンプルデータ】", "2027年度の予測 117.7時間"]


# --------------------------------------------------------------------------------------
# Golden specs: the whole Vega-Lite spec of each builder, byte for byte
# --------------------------------------------------------------------------------------


def _overview_mixed_years() -> pl.DataFrame:
    """Mixed sample rows, a maintain KPI, a negative (clipped) pace, and a carried 2026 row.

    The 2026 row of K09 carries the 2025 value (``actual_years`` lacks 2026), so 2025 stays
    the year shown.
    """
    table = status_table().with_columns(
        is_sample=pl.col("kpi_id") == "K10",
        pace=pl.when(pl.col("kpi_id") == "K11").then(-0.8).otherwise(pl.col("pace")),
        grade=pl.when(pl.col("kpi_id") == "K11").then(pl.lit("悪化")).otherwise(pl.col("grade")),
        direction=pl.when(pl.col("kpi_id") == "K10")
        .then(pl.lit("maintain"))
        .otherwise(pl.col("direction")),
        actual_years=pl.lit([2025], dtype=pl.List(pl.Int64)),
    )
    carried = table.filter(pl.col("kpi_id") == "K09").with_columns(
        fiscal_year=pl.lit(2026, dtype=pl.Int64), grade=pl.lit("達成")
    )
    return pl.concat([table, carried])


def _titled_bar() -> alt.Chart:
    return (
        alt.Chart(pl.DataFrame({"x": [1, 2, 3], "y": [3.0, 1.5, 2.25]}))
        .mark_bar()
        .encode(x="x:O", y="y:Q")
        .properties(title=alt.Title("見出し", subtitle="副題"))
    )


GOLDEN_SPECS: dict[str, Any] = {
    "trend_k09": lambda: charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE),
    "trend_k09_sample_note_bands": lambda: charts.kpi_trend_chart(
        kpi_row(band_on_track=1.2, band_mostly=0.5),
        history(sample=True),
        source=SOURCE,
        note="（注）2024年度以降は研修用の値",
        bands=(1.2, 0.5),
    ),
    "trend_increase_without_actual": lambda: charts.kpi_trend_chart(
        kpi_row(
            kpi_id="K11",
            short_name=None,
            name="生成AIを業務で活用している職員の割合 ~ 令和9年度",
            direction="increase",
            aggregation="cumulative",
            unit="%",
            base_value=26.0,
            target_value=90.0,
            base_fy=2024,
            target_fy=2030,
            actual=None,
            fiscal_year=None,
        ),
        pl.DataFrame({"fiscal_year": [2024], "actual": [26.0]}),
        source=SOURCE,
    ),
    "overview": lambda: charts.progress_overview_chart(status_table(), source=SOURCE),
    "overview_sample": lambda: charts.progress_overview_chart(
        status_table(sample=True), source=SOURCE, note="注記です", title="全体の進捗"
    ),
    "overview_mixed_years": lambda: charts.progress_overview_chart(
        _overview_mixed_years(), source=SOURCE
    ),
    "with_source_sample": lambda: charts.with_source(
        _titled_bar(), source="出典：テスト資料", note="（注）注記", is_sample=True, width=300
    ),
    "with_source_plain": lambda: charts.with_source(
        _titled_bar().properties(title="文字列の題"), source="出典：テスト資料"
    ),
}


@pytest.mark.parametrize("name", list(GOLDEN_SPECS))
def test_chart_spec_matches_golden_file(name: str) -> None:
    """The full themed spec is the contract with stored notebook outputs and the report.

    Regenerate after an intended change with ``EBPM_UPDATE_GOLDEN=1 pytest tests/test_charts.py``
    and review the diff.
    """
    actual = json.dumps(
        themed_spec(GOLDEN_SPECS[name]()), ensure_ascii=False, indent=1, sort_keys=True
    )
    golden = FIXTURES / "specs" / f"{name}.json"
    if os.environ.get("EBPM_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual + "\n", "utf-8")
    assert actual + "\n" == golden.read_text("utf-8")


def test_a_chart_shown_again_comes_from_the_chart_cache(tmp_path: Path, monkeypatch) -> None:
    """The notebook renderer draws a chart once: the same spec shown again (the cell run
    again, or the solution notebook) is read back from the chart cache, byte for byte the
    SVG and PNG vl-convert draws directly."""
    import vl_convert as vlc

    from ebpm import render
    from ebpm.charts.export import themed_spec
    from ebpm.charts.theme import offline_mimebundle, render_kwargs

    monkeypatch.setenv(render.CHART_CACHE_ENV, str(tmp_path / "cache"))
    drawn: list[tuple[str, ...]] = []
    real = render.convert

    def counted(spec, formats, scale_factor, kwargs):
        drawn.append(tuple(formats))
        return real(spec, formats, scale_factor, kwargs)

    monkeypatch.setattr(render, "convert", counted)
    spec = themed_spec(charts.kpi_trend_chart(kpi_row(), history(), source=SOURCE))
    first, _ = offline_mimebundle(spec)
    again, _ = offline_mimebundle(spec)
    assert drawn == [("svg", "png")]
    assert again == first
    assert first["image/svg+xml"] == vlc.vegalite_to_svg(spec, **render_kwargs())
    assert list((tmp_path / "cache").glob("*/*.svg")) != []

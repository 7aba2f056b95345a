"""National context: chart plans (no rendering), the report section, 出典 from provenance.

Real figures come from the warehouse built from the repository's data/raw (the ministry's
tables and the census, see data/raw/national/SOURCES.toml); the expected numbers were read
off the source tables (大船渡市 row of R3.xlsx, the census files) or are computed here from
the ``national_fiscal`` table, independently of the ``national_comparison`` view the charts
use. The small frames built in this file are synthetic test inputs (not city data).
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from ebpm.charts import context as cc
from ebpm.charts.axes import YAxis
from ebpm.manifest import Provenance
from ebpm.report.context import (
    CONTEXT_INDICATORS,
    context_section,
    merge_yearly_records,
    read_context,
    source_groups,
)
from ebpm.warehouse import Warehouse

OFUNATO = "03203"
SOURCE = "出典：テスト用の出典"


@pytest.fixture(scope="module")
def data(built_db):
    with Warehouse(built_db) as wh:
        found = read_context(wh)
        peers = wh.sql("SELECT area_code FROM national_peer")["area_code"].to_list()
        fiscal = wh.sql("SELECT * FROM national_fiscal")
    assert found is not None
    return found, peers, fiscal


def comparison(data, indicator: str) -> pl.DataFrame:
    return data[0].comparison.filter(pl.col("indicator_id") == indicator)


def layer_rows(chart, index: int | None = None) -> list[dict]:
    """The data rows of the plot's layers (all, or one), resolved from the spec's datasets."""
    spec = chart.to_dict()
    layers = spec["vconcat"][0]["layer"]
    rows: list[dict] = []
    for layer in layers if index is None else [layers[index]]:
        data = layer.get("data", {})
        rows += data.get("values") or spec.get("datasets", {}).get(data.get("name"), [])
    return rows


# --------------------------------------------------------------------------- small pieces


def test_years_text_joins_runs_of_years():
    assert cc.years_text([2008, 2009, 2012], "年度") == "2008〜2009・2012年度"
    assert cc.years_text([1970, 1975, 1980, 1990], "年", step=5) == "1970〜1980・1990年"


def test_a_missing_year_breaks_the_line_into_segments():
    years = [2005, 2006, 2007, 2008, 2009]
    assert cc.segments(years, [True, True, False, True, True]) == [0, 0, 1, 2, 2]
    assert cc.segments([2005, 2006, 2008], [True, True, True]) == [0, 0, 1]  # 2007 absent


def test_axis_starts_at_zero_when_the_values_fill_a_third_of_it():
    # (0.8 − 0.23) ÷ 0.8 = 0.71 ≥ 1/3
    assert cc.fiscal_axis([0.23, 0.36, 0.8]) == YAxis((0.0, 0.9), False, False)


def test_axis_is_cut_and_marked_when_the_values_are_close():
    # (102.6 − 78.3) ÷ 102.6 = 0.24 < 1/3: height 24.3 ÷ 0.62 = 39.2, step 5, start ⌊78.3 − 11.8⌋₅ = 65
    axis = cc.fiscal_axis([78.3, 89.4, 102.6])
    assert axis == YAxis((65.0, 110.0), True, False)
    assert cc.cut_sentence(axis, "%", 1) == (
        "縦軸は65%から始まっています（0からの部分を省略し、縦軸の下端に省略の印「//」を付けています）"
    )


def test_ratio_axis_may_pass_100_percent():
    # 将来負担比率: the peers' maximum 285.7 % in FY2008 must stay inside the axis
    assert cc.fiscal_axis([1.5, 285.7]).domain[1] >= 285.7


def test_axis_with_negative_values_keeps_zero_inside():
    axis = cc.fiscal_axis([-7.2, 3.0, 11.6])
    assert axis.cut is False
    assert axis.domain[0] < -7.2 and axis.domain[1] > 11.6


def test_yearly_titles_are_credited_once_with_their_span():
    def record(path: str, year: str) -> Provenance:
        title = f"地方公共団体の主要財政指標一覧（{year}決算） 全市町村の主要財政指標"
        return Provenance(
            path,
            "0" * 64,
            1,
            title,
            "総務省",
            "CC BY 4.0互換",
            dt.date(2026, 11, 27),
            False,
            processing="組み替え",
        )

    merged = merge_yearly_records(
        [
            record("f/R3.xlsx", "令和3年度"),
            record("f/H17.xls", "平成17年度"),
            record("f/R1.xlsx", "令和元年度"),
        ]
    )
    assert [r.title for r in merged] == [
        "地方公共団体の主要財政指標一覧（平成17年度〜令和3年度決算） 全市町村の主要財政指標"
    ]


# --------------------------------------------------------------------------- population


def test_population_line_is_the_final_counts_of_the_census(data):
    plan = cc.plan_population(data[0].population, source=SOURCE)
    line = {p.year: p.population for p in plan.points}
    # 国勢調査 人口総数 1970〜2010年 (大船渡市 row) and the 2015 census CSV
    assert line == {
        1970: 48_816,
        1975: 49_675,
        1980: 50_132,
        1985: 49_041,
        1990: 47_219,
        1995: 46_277,
        2000: 45_160,
        2005: 43_331,
        2010: 40_737,
        2015: 38_058,
    }
    assert {p.status for p in plan.points} == {"確定値"}
    assert {p.segment for p in plan.points} == {0}  # no gap


def test_population_2020_is_a_marked_preliminary_point(data):
    plan = cc.plan_population(data[0].population, source=SOURCE)
    [point] = plan.preliminary
    assert (point.year, point.population, point.status) == (2020, 34_739, "速報値")
    assert point.label == "34,739人（速報値）"
    assert 2020 not in {p.year for p in plan.points}  # not joined into the final line
    assert "白抜きの点は2020年の速報値" in plan.caption.note
    assert plan.caption.subtitle == ("2015年 38,058人（確定値）｜2020年 34,739人（速報値）",)


def test_population_rebased_2010_is_explained_not_drawn_when_equal(data):
    plan = cc.plan_population(data[0].population, source=SOURCE)
    assert plan.rebased == ()
    [same] = plan.rebased_same
    assert (same.year, same.population) == (2010, 40_737)
    assert "組み替えた値（組替）も40,737人で、グラフの2010年の値" in plan.caption.note


def test_population_axis_starts_at_zero(data):
    plan = cc.plan_population(data[0].population, source=SOURCE)
    assert plan.axis.domain[0] == 0 and plan.axis.cut is False


def census_rows(**changes: list) -> pl.DataFrame:
    """Synthetic census rows of a fictitious area 99999 (a test input, not real data)."""
    rows = {
        "area_code": ["99999"] * 4,
        "name": ["試験市"] * 4,
        "year": [2000, 2005, 2010, 2015],
        "population": [1000, 900, 800, 700],
        "marker": [None, None, None, None],
        "status": ["確定値"] * 4,
        "is_preliminary": [False] * 4,
        "series": ["census_1970_2010"] * 3 + ["census_2015"],
        "series_label": ["旧系列"] * 3 + ["2015年"],
        "boundary": ["2014年の区域"] * 3 + ["2015年の区域"],
    }
    rows.update(changes)
    return pl.DataFrame(rows)


def test_population_mark_is_a_gap_counted_in_the_note():
    plan = cc.plan_population(
        census_rows(population=[1000, None, 800, 700], marker=[None, "-", None, None]),
        source=SOURCE,
    )
    assert plan.gaps == (2005,)
    segments = [p.segment for p in plan.points if p.population is not None]
    assert segments[0] != segments[1]  # 2000 and 2010 are not joined across 2005
    assert "2005年は原表が記号（「-」）で値がないため空白" in plan.caption.note
    drawn = layer_rows(cc.draw_population(plan), 0)  # the line of final counts
    assert [row["year"] for row in drawn] == [2000, 2010, 2015]  # never drawn as 0


def test_population_rebased_value_that_differs_is_drawn_and_explained():
    rows = pl.concat(
        [
            census_rows(),
            census_rows(
                year=[2010] * 4,
                population=[820] * 4,
                series=["census_2015_rebased_2010"] * 4,
                series_label=["組替の値"] * 4,
                boundary=["組替"] * 4,
            ).head(1),
        ]
    )
    plan = cc.plan_population(rows, source=SOURCE)
    assert [(p.year, p.population) for p in plan.rebased] == [(2010, 820)]
    assert (
        "◇は組替の値（820人）。グラフの2010年の線上の値 800人は2014年の区域による"
        in plan.caption.note
    )


def test_two_final_series_in_one_year_are_refused():
    rows = census_rows(year=[2000, 2005, 2010, 2010])
    with pytest.raises(ValueError, match="2010年"):
        cc.plan_population(rows, source=SOURCE)


def test_population_chart_requires_a_source(data):
    with pytest.raises(ValueError, match="出典"):
        cc.plan_population(data[0].population, source=" ")


# --------------------------------------------------------------------------- fiscal indicators


def test_fiscal_series_latest_year_values(data):
    plan = cc.plan_fiscal(comparison(data, "current_balance_ratio"), source=SOURCE)
    # R3.xlsx 大船渡市 経常収支比率 89.4; 都道府県別平均 R3: 岩手県 90.5, 全国 88.9
    assert plan.values("大船渡市")[2021] == 89.4
    assert plan.values("岩手県（市町村平均）")[2021] == 90.5
    assert plan.values("全国（市町村平均）")[2021] == 88.9
    assert plan.series == (
        "大船渡市",
        "岩手県（市町村平均）",
        "全国（市町村平均）",
        "比較対象25市の中央値",
    )


@pytest.mark.parametrize("year", [2005, 2021])
def test_peer_band_is_median_min_max_of_the_peers(data, year):
    _, peers, fiscal = data
    values = fiscal.filter((pl.col("fiscal_year") == year) & pl.col("area_code").is_in(peers))[
        "current_balance_ratio"
    ].drop_nulls()
    plan = cc.plan_fiscal(comparison(data, "current_balance_ratio"), source=SOURCE)
    band = next(r for r in plan.peer_range if r.fiscal_year == year)
    assert (band.low, band.high, band.n) == (values.min(), values.max(), values.len())
    assert plan.values("比較対象25市の中央値")[year] == values.median()


def test_peer_band_by_hand_for_2021(data):
    plan = cc.plan_fiscal(comparison(data, "current_balance_ratio"), source=SOURCE)
    band = next(r for r in plan.peer_range if r.fiscal_year == 2021)
    assert (band.low, band.high, band.n, band.n_marked) == (83.4, 95.6, 25, 0)


def test_peer_rule_is_in_the_note(data):
    plan = cc.plan_fiscal(comparison(data, "fiscal_strength_index"), source=SOURCE)
    rule = str(data[0].rule["rule_text"])
    assert rule.startswith(
        "比較対象の市（ebpm の規則で選んだもので、総務省の類似団体区分ではない）"
    )
    assert rule in plan.caption.note
    assert "線は比較対象25市の中央値、網掛けは比較対象25市の最小〜最大" in plan.caption.note


def test_close_values_get_a_marked_cut_axis(data):
    plan = cc.plan_fiscal(comparison(data, "current_balance_ratio"), source=SOURCE)
    assert plan.axis.cut is True and plan.axis.domain[0] == 65.0
    assert "縦軸は65%から始まっています" in plan.caption.note
    layers = cc.draw_fiscal(plan).to_dict()["vconcat"][0]["layer"]
    gap = {"type": "rule", "color": "white", "strokeWidth": 6, "strokeCap": "butt"}
    assert [layer["mark"] for layer in layers].count(gap) == 1  # marks.axis_break on the axis


def test_spread_values_start_at_zero_without_a_cut_mark(data):
    plan = cc.plan_fiscal(comparison(data, "fiscal_strength_index"), source=SOURCE)
    assert plan.axis == YAxis((0.0, 0.9), False, False)
    assert "縦軸は" not in plan.caption.note


def test_year_without_the_indicator_is_a_gap_not_a_line(data):
    plan = cc.plan_fiscal(comparison(data, "laspeyres_index"), source=SOURCE, years=(2005, 2021))
    assert plan.absent_years == (2007,)  # H19.xls has no ラスパイレス指数 column
    city = {p.fiscal_year: p.segment for p in plan.points if p.series == "大船渡市"}
    assert city[2006] != city[2008]
    assert "2007年度の表にはこの指標がない" in plan.caption.note


def test_marked_means_are_counted_and_left_out_of_the_legend(data):
    plan = cc.plan_fiscal(comparison(data, "laspeyres_index"), source=SOURCE)
    assert plan.series == (
        "大船渡市",
        "比較対象25市の中央値",
    )  # 都道府県別平均 has only 「-」「－」
    assert dict(plan.gaps)["全国（市町村平均）"] == (2005, 2006, *range(2008, 2022))
    assert "全国（市町村平均） 16年度（2005〜2006・2008〜2021年度）" in plan.caption.note


def test_prefecture_dashes_are_gaps_and_peer_dashes_are_counted(data):
    plan = cc.plan_fiscal(
        comparison(data, "future_burden_ratio"), source=SOURCE, years=(2005, 2021)
    )
    assert dict(plan.gaps) == {"岩手県（市町村平均）": (2008, 2009)}
    assert plan.absent_years == (2005, 2006, 2007)
    band = next(r for r in plan.peer_range if r.fiscal_year == 2021)
    assert (band.n, band.n_marked) == (16, 9)
    assert "最多は2021年度の9市" in plan.caption.note
    drawn = [
        row
        for row in layer_rows(cc.draw_fiscal(plan))
        if row.get("series") == "岩手県（市町村平均）"
    ]
    assert {row["fiscal_year"] for row in drawn} == set(range(2010, 2022))
    assert all(row["value"] is not None for row in drawn)


def fiscal_rows(**changes: list) -> pl.DataFrame:
    """Synthetic comparison rows of one indicator (a test input, not real data)."""
    n = 3
    rows = {
        "fiscal_year": [2019, 2020, 2021],
        "indicator_id": ["x"] * n,
        "indicator": ["試験指標"] * n,
        "unit": ["%"] * n,
        "target_name": ["試験市"] * n,
        "target_value": [10.0, 12.0, 14.0],
        "target_marker": [None] * n,
        "target_note": [None] * n,
        "prefecture_mean_name": ["試験県（市町村平均）"] * n,
        "prefecture_mean": [20.0, 21.0, 22.0],
        "prefecture_mean_marker": [None] * n,
        "national_mean": [30.0, 31.0, 32.0],
        "national_mean_marker": [None] * n,
        "peer_median": [15.0, None, 17.0],
        "peer_min": [5.0, None, 6.0],
        "peer_max": [40.0, None, 41.0],
        "peer_n": [3, 0, 3],
        "peer_n_marked": [0, 3, 0],
        "n_peers": [3] * n,
        "peer_rule": ["試験の規則"] * n,
    }
    rows.update(changes)
    return pl.DataFrame(rows)


def test_a_year_without_any_peer_value_breaks_the_band():
    plan = cc.plan_fiscal(fiscal_rows(), source=SOURCE)
    first, last = plan.peer_range
    assert (first.fiscal_year, last.fiscal_year) == (2019, 2021)  # 2020 has no peer value
    assert first.segment != last.segment  # so the band is not drawn across it
    assert "「－」など記号で値のない市：2020年度に3市" in plan.caption.note


def test_city_value_missing_in_one_year_is_counted():
    plan = cc.plan_fiscal(
        fiscal_rows(target_value=[10.0, None, 14.0], target_marker=[None, "－", None]),
        source=SOURCE,
    )
    assert plan.values("試験市") == {2019: 10.0, 2020: None, 2021: 14.0}
    assert "試験市 1年度（2020年度）" in plan.caption.note


# --------------------------------------------------------------------------- position


def test_position_rank_and_ties_from_the_table(data):
    values = data[0].latest_values
    plan = cc.plan_position(values, city_code=OFUNATO, indicators=CONTEXT_INDICATORS, source=SOURCE)
    assert plan.fiscal_year == 2021
    fiscal = data[2].filter(pl.col("fiscal_year") == 2021)["fiscal_strength_index"].drop_nulls()
    panel = plan.panels[0]
    assert panel.city_value == 0.46
    assert panel.rank == 1 + int((fiscal > 0.46).sum())  # 834
    assert panel.ties == int((fiscal == 0.46).sum()) - 1
    assert panel.statement.startswith("大船渡市 0.46：値の大きい順に1,741団体中834位")
    assert sum(b.count for b in panel.bins) == panel.n_values == 1741
    [city_bin] = [b for b in panel.bins if b.has_city]
    assert city_bin.start <= 0.46 < city_bin.end


def test_position_leaves_out_marked_municipalities_and_says_so(data):
    plan = cc.plan_position(
        data[0].latest_values, city_code=OFUNATO, indicators=["future_burden_ratio"], source=SOURCE
    )
    [panel] = plan.panels
    assert (panel.n_values, panel.n_marked) == (925, 816)
    assert "将来負担比率 816団体" in plan.caption.note
    assert plan.n_areas == 1741 and plan.n_special_wards == 23


def test_position_by_hand_on_five_areas():
    frame = pl.DataFrame(
        {
            "fiscal_year": [2021] * 5,
            "area_code": ["00001", "00002", "00003", "00004", "00005"],
            "name": ["甲", "乙", "丙", "丁", "戊"],
            "indicator_id": ["x"] * 5,
            "indicator": ["試験指標"] * 5,
            "unit": [""] * 5,
            "value": [1.0, 2.0, 2.0, 3.0, None],
            "marker": [None, None, None, None, "－"],
        }
    )
    [panel] = cc.plan_position(frame, city_code="00002", indicators=["x"], source=SOURCE).panels
    assert (panel.rank, panel.ties, panel.n_values, panel.n_marked, panel.median) == (
        2,
        1,
        4,
        1,
        2.0,
    )
    assert panel.statement == "乙 2：値の大きい順に4団体中2位（同じ値がほかに1団体）。中央値 2"


# --------------------------------------------------------------------------- the report section


@pytest.fixture(scope="module")
def section(data, tmp_path_factory):
    return context_section(data[0], tmp_path_factory.mktemp("context"), formats=("svg",))


def test_section_has_one_chart_of_each_kind(section):
    assert [c.key for c in section.charts] == ["population", *CONTEXT_INDICATORS, "position"]
    for chart in section.charts:
        assert [f.name for f in chart.files] == [f"context_{chart.key}.svg"]
        assert chart.svg.startswith("<svg") and "出典：" in chart.svg


def test_section_source_lines_come_from_provenance(section):
    population, fiscal = section.charts[0], section.charts[1]
    assert population.source.startswith(
        "出典：「国勢調査 人口総数（1970〜2010年、市区町村別）」（総務省統計局）"
    )
    assert "政府統計総合窓口(e-Stat)のAPI機能を使用" in population.note
    assert (
        "「地方公共団体の主要財政指標一覧（平成17年度〜令和3年度決算） 全市町村の主要財政指標」（総務省）"
        in fiscal.source
    )
    assert fiscal.source.endswith("を加工して作成")
    assert fiscal.source.count("主要財政指標一覧") == 2  # the municipal tables and the means


def test_section_tables_show_gaps_as_published_marks(section):
    laspeyres = next(c for c in section.charts if c.key == "laspeyres_index")
    first = laspeyres.table.rows[0]
    assert first[0] == "2005年度" and first[1] == "96.3"
    assert first[2] in ("-", "－") and first[3] in ("-", "－")
    assert "2007年度" not in [row[0] for row in laspeyres.table.rows]


def test_section_lists_the_peer_rule_and_every_source(section, data):
    assert section.peer_rule == data[0].rule["rule_text"]
    paths = [r.path for r in section.sources]
    assert "national/peers.toml" in paths and "national/fiscal/H17.xls" in paths
    assert "peer_n" not in section.method_note


def test_section_prints_one_source_row_per_yearly_series(section):
    # 17 yearly municipal tables (H17…R3) are one printed row, not 17 (a page and more each)
    groups = section.source_groups
    municipal = [g for g in groups if g.paths[0] == "national/fiscal/H17.xls"]
    assert len(municipal) == 1 and len(municipal[0].paths) == 17
    assert municipal[0].files_text == "data/raw/national/fiscal/H17.xls 〜 R3.xlsx（17ファイル）"
    assert "平成17年度〜令和3年度決算" in municipal[0].record.title
    # every file is still listed once (on screen, per file)
    assert sorted(p for g in groups for p in g.paths) == sorted(r.path for r in section.sources)


def test_source_group_keeps_the_range_of_retrieval_dates():
    def record(path: str, year: str, day: int) -> Provenance:
        return Provenance(
            path, "0" * 64, 1, f"主要財政指標一覧（{year}決算）", "総務省", "CC BY 4.0",
            dt.date(2026, 11, day), False,
        )  # fmt: skip

    (group,) = source_groups(
        [record("f/H18.xls", "平成18年度", 28), record("f/H17.xls", "平成17年度", 27)]
    )
    assert group.paths == ("f/H17.xls", "f/H18.xls")
    assert group.retrieved == (dt.date(2026, 11, 27), dt.date(2026, 11, 28))


def test_report_page_has_the_context_section(committee_pack):
    page = committee_pack.index.read_text(encoding="utf-8")
    section = page[page.index('<section id="context"') : page.index('<section id="definitions"')]
    assert "参考 全国・県・類似の市との比較" in section
    figures = re.findall(r'<figure class="context-chart".*?</figure>', section, flags=re.S)
    assert len(figures) == 7
    assert all("出典：" in figure for figure in figures)
    # each chart's data table, and the per-file source list (the printed list is grouped)
    assert section.count("<details>") == 8
    assert "http://" not in section and "https://" not in section
    charts = committee_pack.index.parent / "charts" / "context"
    assert (charts / "context_population.svg").exists()


def test_no_section_without_national_data(tmp_path):
    from ebpm.scaffold import init_workspace
    from ebpm.warehouse import build

    init_workspace(tmp_path / "ws")
    db = tmp_path / "ws.duckdb"
    build(tmp_path / "ws" / "data" / "raw", db)
    with Warehouse(db) as wh:
        assert read_context(wh) is None
    assert context_section(None, tmp_path) is None


def test_peers_missing_from_a_years_table_are_counted(data):
    plan = cc.plan_fiscal(comparison(data, "fiscal_strength_index"), source=SOURCE)
    band = next(r for r in plan.peer_range if r.fiscal_year == 2005)
    assert band.n == 24  # 25 peers; 本宮市 (07214) has no row in H17.xls
    assert "その年度の表にない市：2005年度に1市" in plan.caption.note

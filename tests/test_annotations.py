"""Department commentary and the logic-model stage of KPIs: validated at build, shown as stated."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from ebpm import paths
from ebpm.annotations import make_commentary_template
from ebpm.readers import BuildError
from ebpm.report.logic_model import NO_KPI, build_logic_models
from ebpm.warehouse import Warehouse, build

SOURCES = """
["{name}"]
title = "所管課コメント（テスト）"
publisher = "テスト課"
licence = "庁内資料"
retrieved_at = 2026-11-26
is_sample = false
"""
HEADER = "指標ID,年度,担当課,取組状況,要因分析,今後の方向性\n"


def commentary(raw: Path, name: str, body: str, *, encoding: str = "utf-8") -> Path:
    folder = raw / "kpi" / "commentary"
    folder.mkdir(parents=True, exist_ok=True)
    sources = folder / "SOURCES.toml"
    existing = sources.read_text("utf-8") if sources.exists() else ""
    sources.write_text(existing + SOURCES.format(name=name), "utf-8")
    path = folder / name
    path.write_bytes(body.encode(encoding))
    return path


def build_errors(raw: Path, db: Path) -> list[str]:
    with pytest.raises(BuildError) as caught:
        build(raw, db)
    return caught.value.messages


# --- one bad file, every problem named with file, row and column -------------------------


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    raw = tmp_path_factory.mktemp("raw")
    shutil.copytree(paths.RAW / "kpi", raw / "kpi")
    shutil.rmtree(raw / "kpi" / "commentary")
    long_text = "あ" * 401
    commentary(
        raw,
        "bad.csv",
        HEADER
        + "K99,2025,総務課,取組,,\n"  # row 2: unknown KPI
        + "K01,2031,総務課,取組,,\n"  # row 3: outside the plan
        + "K02,2025,,取組,,\n"  # row 4: no department
        + f"K03,2025,総務課,{long_text},,\n"  # row 5: too long
        + "K04,2025,総務課,,,\n"  # row 6: no text at all
        + "K05,R7,総務課,取組,,\n"  # row 7: K05 2025 …
        + "K05,令和7年度,総務課,別の取組,,\n",  # row 8: … twice
    )
    return build_errors(raw, tmp_path_factory.mktemp("wh") / "ebpm.duckdb")


def test_unknown_kpi_is_named_with_its_cell(bad_build: list[str]) -> None:
    assert any(
        m.startswith(
            "kpi/commentary/bad.csv 2行目 指標ID（kpi_id）列: 「K99」は登録されていない指標です"
        )
        for m in bad_build
    ), bad_build


def test_year_outside_the_plan_is_refused(bad_build: list[str]) -> None:
    assert any(
        m.startswith(
            "kpi/commentary/bad.csv 3行目 年度（fiscal_year）列: 2031年度は計画の期間外です"
        )
        for m in bad_build
    ), bad_build


def test_department_is_required(bad_build: list[str]) -> None:
    assert "kpi/commentary/bad.csv 4行目 担当課（department）列: 担当課が空欄です" in "\n".join(
        bad_build
    )


def test_text_longer_than_400_characters_is_refused_with_its_length(bad_build: list[str]) -> None:
    assert any(
        m.startswith(
            "kpi/commentary/bad.csv 5行目 取組状況（activities）列: 取組状況が400字を超えています（401字"
        )
        for m in bad_build
    ), bad_build


def test_a_row_with_a_department_but_no_text_is_refused(bad_build: list[str]) -> None:
    assert any(
        m.startswith(
            "kpi/commentary/bad.csv 6行目 取組状況（activities）列: 取組状況・要因分析・今後の方向性がすべて空欄です"
        )
        for m in bad_build
    ), bad_build


def test_one_row_per_kpi_and_year(bad_build: list[str]) -> None:
    duplicates = [m for m in bad_build if "同じ年度のコメントが複数あります" in m]
    assert [m.split(" ")[1] for m in duplicates] == ["7行目", "8行目"]


def test_a_failed_build_leaves_the_previous_warehouse_untouched(
    raw: Path, tmp_path: Path, kpi_warehouse: Path
) -> None:
    from conftest import sha256

    db = tmp_path / "ebpm.duckdb"
    shutil.copy(kpi_warehouse, db)  # the previous build of these files
    before = sha256(db)
    commentary(raw, "bad.csv", HEADER + "K99,2025,総務課,取組,,\n")
    assert build_errors(raw, db)
    assert sha256(db) == before


# --- what is accepted ------------------------------------------------------------------------


def test_published_names_shift_jis_and_two_files_are_read(raw: Path, tmp_path: Path) -> None:
    shutil.rmtree(raw / "kpi" / "commentary")
    commentary(
        raw,
        "a.csv",
        HEADER + "コピー用紙購入枚数,R7,総務課,両面印刷を徹底した,,\n",
        encoding="cp932",
    )
    commentary(raw, "b.csv", HEADER + "K10,2025,人事課,,,定時退庁日を増やす\n")
    db = tmp_path / "ebpm.duckdb"
    build(raw, db)
    with Warehouse(db) as wh:
        rows = wh.commentary(2025).select("kpi_id", "department", "activities", "next_steps")
    assert rows.rows() == [
        ("K09", "総務課", "両面印刷を徹底した", None),
        ("K10", "人事課", None, "定時退庁日を増やす"),
    ]


def test_the_excel_template_round_trip_skips_rows_left_empty(raw: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    shutil.rmtree(raw / "kpi" / "commentary")
    definitions = pl.DataFrame({"kpi_id": ["K01", "K09"], "name": ["窓口", "コピー用紙"]})
    folder = raw / "kpi" / "commentary"
    folder.mkdir()
    path = make_commentary_template(folder / "コメント_総務課.xlsx", definitions, 2025)
    book = load_workbook(path)
    sheet = book["所管課コメント"]
    assert [c.value for c in sheet[1]][:6] == [
        "指標ID",
        "年度",
        "担当課",
        "取組状況",
        "要因分析",
        "今後の方向性",
    ]
    sheet["C3"], sheet["E3"] = "総務課", "電子決裁が増えた"  # K09 only; K01 left as it came
    book.save(path)
    (folder / "SOURCES.toml").write_text(SOURCES.format(name="コメント_総務課.xlsx"), "utf-8")
    db = tmp_path / "ebpm.duckdb"
    build(raw, db)
    with Warehouse(db) as wh:
        rows = wh.commentary().select("kpi_id", "fiscal_year", "department", "factors")
    assert rows.rows() == [("K09", 2025, "総務課", "電子決裁が増えた")]


def test_template_refuses_to_overwrite(tmp_path: Path) -> None:
    definitions = pl.DataFrame({"kpi_id": ["K01"], "name": ["窓口"]})
    path = make_commentary_template(tmp_path / "c.xlsx", definitions)
    with pytest.raises(FileExistsError, match="すでにあります"):
        make_commentary_template(path, definitions)


def test_template_neutralises_a_name_that_looks_like_a_formula(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    definitions = pl.DataFrame({"kpi_id": ["K01"], "name": ['=HYPERLINK("x")']})
    path = make_commentary_template(tmp_path / "c.xlsx", definitions)
    cell = load_workbook(path)["所管課コメント"]["H2"]
    assert cell.data_type == "s" and cell.quotePrefix and cell.value == '=HYPERLINK("x")'


def test_workspace_without_commentary_or_stages_builds_empty_tables(
    raw: Path, tmp_path: Path
) -> None:
    shutil.rmtree(raw / "kpi" / "commentary")
    (raw / "kpi" / "kpi_logic_model.csv").unlink()
    sources = raw / "kpi" / "SOURCES.toml"
    text = sources.read_text("utf-8")
    sources.write_text(text.split('["kpi_logic_model.csv"]')[0], "utf-8")
    db = tmp_path / "ebpm.duckdb"
    build(raw, db)
    with Warehouse(db) as wh:
        assert wh.commentary().height == 0 and wh.logic_stages().height == 0


# --- the logic-model stages -------------------------------------------------------------------


def test_stage_must_be_output_or_outcome_once_per_kpi(raw: Path, tmp_path: Path) -> None:
    path = raw / "kpi" / "kpi_logic_model.csv"
    path.write_text(
        "kpi_id,stage,basis\nK01,アウトプット,数\nK01,アウトカム,重複\nK02,成果,誤り\nK03,アウトカム,\n",
        "utf-8",
    )
    messages = "\n".join(build_errors(raw, tmp_path / "ebpm.duckdb"))
    assert (
        "kpi/kpi_logic_model.csv 2行目 指標ID（kpi_id）列: 指標「K01」の区分が複数あります"
        in messages
    )
    assert "kpi/kpi_logic_model.csv 4行目 区分（stage）列: 「成果」は区分ではありません" in messages
    assert (
        "kpi/kpi_logic_model.csv 5行目 分類の理由（basis）列: 分類の理由（basis）が空欄です"
        in messages
    )


TREE = {
    "fields": pl.DataFrame(
        {
            "field_id": [1, 2],
            "name": ["市民のDX", "地域のDX"],
            "intent": [None, "戦略は令和7年度以降に策定"],
        }
    ),
    "strategies": pl.DataFrame(
        {
            "strategy_id": ["1-1", "1-2"],
            "field_id": [1, 1],
            "number": [1, 2],
            "name": ["窓口", "手続"],
        }
    ),
    "tactics": pl.DataFrame(
        {"tactic_id": ["1-1-1"], "strategy_id": ["1-1"], "number": [1], "name": ["書かない窓口"]}
    ),
}
KPIS = pl.DataFrame(
    {
        "kpi_id": ["K01", "K02", "K03"],
        "name": ["取扱業務数", "利用しやすい割合", "オンライン手続数"],
        "short_name": [None, None, None],
        "strategy_id": ["1-1", "1-1", "1-2"],
    }
)


def test_kpis_sit_under_their_stated_stage_and_tactics_are_activities() -> None:
    stages = pl.DataFrame(
        {"kpi_id": ["K01", "K02"], "stage": ["アウトプット", "アウトカム"], "basis": ["量", "意識"]}
    )
    first = build_logic_models(**TREE, kpis=KPIS, stages=stages)[0]
    assert first.cells() == {
        "インプット": [],
        "活動": ["戦術1 書かない窓口"],
        "アウトプット": ["K01 取扱業務数"],
        "アウトカム": ["K02 利用しやすい割合"],
    }
    assert first.empty["インプット"].startswith("戦略に記載がありません")


def test_a_kpi_without_a_stated_stage_is_unclassified_not_guessed() -> None:
    stages = pl.DataFrame({"kpi_id": ["K01"], "stage": ["アウトプット"], "basis": ["量"]})
    second = build_logic_models(**TREE, kpis=KPIS, stages=stages)[1]
    assert [k.kpi_id for k in second.unclassified] == ["K03"]
    assert second.cells()["アウトプット"] == [] and second.cells()["アウトカム"] == []
    assert "区分が記録されていないKPIがある" in second.empty["アウトプット"]
    assert second.empty["活動"] == "戦略に戦術の記載がありません"


def test_an_empty_stage_says_so() -> None:
    stages = pl.DataFrame({"kpi_id": ["K03"], "stage": ["アウトプット"], "basis": ["量"]})
    second = build_logic_models(**TREE, kpis=KPIS, stages=stages)[1]
    assert second.empty["アウトカム"].startswith("この戦略のKPIにアウトカムを測るものはありません")


def test_a_field_without_strategies_is_kpi_not_set() -> None:
    stages = pl.DataFrame(schema={"kpi_id": pl.String, "stage": pl.String, "basis": pl.String})
    models = build_logic_models(**TREE, kpis=KPIS, stages=stages)
    field = next(m for m in models if m.strategy_id is None)
    assert field.title == "分野2 地域のDX"
    assert set(field.empty.values()) == {f"{NO_KPI}（戦略は令和7年度以降に策定）"}

"""Workspaces: found from the current folder, ``EBPM_ROOT`` or ``--root``; made by ``ebpm init``;
their ``ebpm.toml`` bands and the definitions' promotion period reach every reader."""

from __future__ import annotations

import html
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import run_ebpm

from ebpm import paths
from ebpm.scaffold import init_workspace

KPI_HEADER = (
    "kpi_id,revision,valid_from,strategy_id,name,short_name,aggregation,unit,unit_corrected,"
    "direction,base_fy,base_value,base_note,target_fy,target_value,target_basis,"
    "target_period_start_fy,target_period_end_fy,target_note,is_survey,notes\n"
)
# Two made-up KPIs whose grades are easy to work out by hand (see the tests).
PAPER = (
    "A01,1,2025-02-01,1-1,紙の使用量,紙,単,枚,,decrease,2023,1000,,2027,600,final_year,,,,false,\n"
)
OVERTIME = (
    "A02,1,2025-02-01,1-1,残業時間,残業,単,時間,,decrease,2023,130,,2027,100,"
    "period_average,{start},2027,※推進期間の平均,false,\n"
)
ACTUALS = (
    "kpi_id,fiscal_year,value,is_sample\nA01,2025,820,true\nA02,2025,121,true\nA02,2026,112,true\n"
)
ACTUALS_SOURCES = """
["test.csv"]
title = "テスト用の実績（架空）"
publisher = "テスト課"
licence = "CC0"
retrieved_at = 2026-11-26
is_sample = true
"""


def ebpm(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != paths.ENV_VAR} | (env or {})
    return run_ebpm(*args, cwd=cwd, env=environment)


def svg_text(svg: str) -> str:
    """The text an SVG shows, lines joined (the footer wraps long notes)."""
    return "".join(html.unescape(t) for t in re.findall(r">([^<]+)<", svg))


def small_workspace(root: Path, *, period_start: int = 2025, grades: str = "") -> Path:
    """A workspace made by ``ebpm init`` and filled with two made-up KPIs."""
    init_workspace(root, city="テスト市", strategy="テスト市DX戦略")
    kpi = root / "data" / "raw" / "kpi"
    (kpi / "fields.csv").write_text("field_id,name,target_group,intent\n1,行政のDX,,\n", "utf-8")
    (kpi / "strategies.csv").write_text(
        "strategy_id,field_id,number,name\n1-1,1,1,業務のデジタル化\n", "utf-8"
    )
    (kpi / "tactics.csv").write_text(
        "tactic_id,strategy_id,number,name\n1-1-1,1-1,1,電子決裁\n", "utf-8"
    )
    (kpi / "kpi_definitions.csv").write_text(
        KPI_HEADER + PAPER + OVERTIME.format(start=period_start), "utf-8"
    )
    (kpi / "actuals" / "test.csv").write_text(ACTUALS, "utf-8")
    with (kpi / "actuals" / "SOURCES.toml").open("a", encoding="utf-8") as handle:
        handle.write(ACTUALS_SOURCES)
    if grades:
        config = root / paths.MARKER
        text = config.read_text("utf-8").replace("on_track = 1.0\nmostly = 0.6\n", grades)
        config.write_text(text, "utf-8")
    return root


# --- finding the workspace -----------------------------------------------------------------


def test_found_from_a_subfolder(tmp_path):
    init_workspace(tmp_path / "ws")
    inner = tmp_path / "ws" / "data" / "raw" / "kpi"
    assert paths.find_workspace(inner) == (tmp_path / "ws").resolve()
    assert paths.find_workspace(tmp_path) is None


def test_env_and_root_name_the_workspace(tmp_path, monkeypatch):
    init_workspace(tmp_path / "a")
    init_workspace(tmp_path / "b")
    monkeypatch.setenv(paths.ENV_VAR, str(tmp_path / "a"))
    assert paths.workspace().root == (tmp_path / "a").resolve()
    paths.set_root(tmp_path / "b")  # --root wins over the environment
    try:
        warehouse = paths.WAREHOUSE  # looked up now, in the workspace named by --root
        assert warehouse == (tmp_path / "b").resolve() / "data" / "processed" / "ebpm.duckdb"
    finally:
        paths.set_root(None)


def test_a_folder_without_ebpm_toml_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.ENV_VAR, str(tmp_path))
    with pytest.raises(paths.WorkspaceError, match="ワークスペースではありません"):
        paths.workspace()


def test_no_workspace_is_exit_code_1_with_the_ways_to_name_one(tmp_path):
    result = ebpm("status", cwd=tmp_path)
    assert result.returncode == 1
    assert "ワークスペース（ebpm.toml のあるフォルダ）が見つかりません" in result.stderr
    assert "--root" in result.stderr and "ebpm init" in result.stderr


def test_bad_band_edges_in_ebpm_toml_name_the_file(tmp_path):
    small_workspace(tmp_path / "ws", grades="on_track = 0.6\nmostly = 0.6\n")
    result = ebpm("build", cwd=tmp_path / "ws")
    assert result.returncode == 1
    assert "ebpm.toml: [grades] 評価区分の境界は 0 ≦ 概ね順調の下限 < 順調の下限" in result.stderr


# --- ebpm init and the empty workspace -----------------------------------------------------


def test_init_writes_the_layout_and_refuses_a_non_empty_folder(tmp_path):
    result = ebpm("init", "ws", "--city", "○○市", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ws = tmp_path / "ws"
    for relative in (
        "ebpm.toml",
        "data/raw/kpi/kpi_definitions.csv",
        "data/raw/kpi/SOURCES.toml",
        "data/raw/kpi/actuals/SOURCES.toml",
        "data/processed/.gitkeep",
    ):
        assert (ws / relative).is_file(), relative
    assert (ws / "data/raw/kpi/kpi_definitions.csv").read_text("utf-8") == KPI_HEADER
    assert paths.Workspace(ws).config.city == "○○市"
    again = ebpm("init", "ws", cwd=tmp_path)
    assert again.returncode == 1 and "空のフォルダではありません" in again.stderr


def test_empty_workspace_builds_and_reports_and_says_what_is_missing(tmp_path):
    ws = tmp_path / "ws"
    init_workspace(ws)
    built = ebpm("build", cwd=ws)
    assert built.returncode == 0, built.stderr
    assert "KPI の定義がまだありません" in built.stdout
    status = ebpm("status", cwd=ws)
    assert status.returncode == 1 and "評価できる実績がまだありません" in status.stderr
    report = ebpm("report", cwd=ws)
    assert report.returncode == 0, report.stderr
    page = (ws / "data/processed/report/index.html").read_text("utf-8")
    assert "評価できる実績がまだありません" in page and "<figure>" not in page
    assert "data/raw/kpi/kpi_definitions.csv" in page  # the provenance list is still there


def test_template_lists_the_workspaces_own_kpis(tmp_path):
    import polars as pl

    ws = small_workspace(tmp_path / "ws")
    assert ebpm("template", "x.xlsx", cwd=ws).returncode == 0
    kpis = pl.read_excel(ws / "x.xlsx", sheet_name="指標一覧")
    assert kpis["指標ID"].to_list() == ["A01", "A02"]
    assert pl.read_excel(ws / "x.xlsx", sheet_name="実績").columns[:3] == [
        "指標ID",
        "年度",
        "実績値",
    ]


# --- one source for band edges and the promotion period ------------------------------------


def test_band_edges_from_ebpm_toml_reach_view_status_and_chart_notes(tmp_path):
    from ebpm.report import write_report
    from ebpm.warehouse import progress_table

    ws = small_workspace(tmp_path / "ws", grades="on_track = 1.2\nmostly = 0.95\n")
    assert ebpm("build", cwd=ws).returncode == 0
    db = ws / "data/processed/ebpm.duckdb"
    # A01: progress (820 − 1000) / (600 − 1000) = 0.45, half the time gone, pace 0.9 < 0.95.
    paper = progress_table(2025, db).row(0, named=True)
    assert (paper["band_on_track"], paper["band_mostly"]) == (1.2, 0.95)
    assert (paper["pace"], paper["grade"]) == (pytest.approx(0.9), "遅れ")
    status = ebpm("status", "--fy", "2025", cwd=ws)
    assert "順調 ペース≧1.2、概ね順調 0.95≦ペース<1.2" in status.stdout
    assert "遅れ（サンプル）" in status.stdout.splitlines()[2]  # A01's row
    report = write_report(tmp_path / "report", db, formats=("svg",), documents=False)
    chart = (report.index.parent / "charts" / "A01.svg").read_text("utf-8")
    assert "概ね順調 0.95≦ペース<1.2" in svg_text(chart)  # the （注） under the chart


def test_command_line_edges_override_ebpm_toml_and_equal_edges_fail_at_build(tmp_path):
    ws = small_workspace(tmp_path / "ws")
    same = ebpm("build", "--on-track", "0.6", "--mostly", "0.6", cwd=ws)
    assert same.returncode == 2
    assert "0 ≦ 概ね順調の下限 < 順調の下限" in same.stderr
    assert not (ws / "data/processed/ebpm.duckdb").exists()
    assert ebpm("build", "--mostly", "0.9", cwd=ws).returncode == 0
    status = ebpm("status", "--fy", "2025", "--format", "json", cwd=ws)
    paper = json.loads(status.stdout)[0]  # A01, pace 0.9 (see above)
    assert (paper["band_on_track"], paper["band_mostly"], paper["grade"]) == (1.0, 0.9, "概ね順調")


@pytest.mark.parametrize(
    ("start", "average", "years"),
    [(2025, (121 + 112) / 2, [2025, 2026]), (2026, 112.0, [2026])],
)
def test_promotion_period_comes_from_the_definitions(tmp_path, start, average, years):
    from ebpm.warehouse import progress_table

    ws = small_workspace(tmp_path / "ws", period_start=start)
    assert ebpm("build", cwd=ws).returncode == 0
    overtime = progress_table(2026, ws / "data/processed/ebpm.duckdb").row(1, named=True)
    assert (overtime["promotion_start_fy"], overtime["promotion_end_fy"]) == (start, 2027)
    assert (overtime["period_average"], overtime["actual_years"]) == (average, years)
    status = ebpm("status", "--fy", "2026", cwd=ws)
    assert f"評価は推進期間（{start}〜2027年度）のうち" in status.stdout


def test_kpis_naming_different_periods_are_refused(tmp_path):
    ws = small_workspace(tmp_path / "ws")
    definitions = ws / "data/raw/kpi/kpi_definitions.csv"
    paper = PAPER.replace("final_year,,,", "final_year,2024,2027,")
    definitions.write_text(KPI_HEADER + paper + OVERTIME.format(start=2025), "utf-8")
    result = ebpm("build", cwd=ws)
    assert result.returncode == 1
    assert (
        "推進期間（target_period_start_fy〜target_period_end_fy）が指標によって異なります"
        in result.stderr
    )


# --- ebpm lab ------------------------------------------------------------------------------


def test_lab_command_opens_the_workspace_root_and_passes_options_through(tmp_path):
    from ebpm.cli import lab_command

    command = lab_command(tmp_path, ["--no-browser", "--port", "8899"])
    assert command[1:4] == ["-m", "jupyter", "lab"]
    assert f"--ServerApp.root_dir={tmp_path}" in command
    assert command[-3:] == ["--no-browser", "--port", "8899"]


def test_other_commands_refuse_unknown_options(tmp_path):
    result = ebpm("status", "--no-browser", cwd=tmp_path)
    assert result.returncode == 2 and "認識できない引数です: --no-browser" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _lab_listing(ws: Path, token: str) -> tuple[subprocess.Popen[bytes], dict | None]:
    """Start ``ebpm lab`` in ``ws`` and return the server and its root folder listing (None
    if it never answered). Another process (a notebook kernel of a parallel test) may take
    the free port before the server binds it: then the server stops, or something that does
    not speak HTTP answers, and a new port is tried."""
    for _ in range(3):
        port = _free_port()
        options = ["--no-browser", "--ip", "127.0.0.1", "--port", str(port)]
        server = subprocess.Popen(
            [sys.executable, "-m", "ebpm", "lab", *options, f"--IdentityProvider.token={token}"],
            cwd=ws,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={k: v for k, v in os.environ.items() if k != paths.ENV_VAR},
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/api/contents?token={token}"
                with urllib.request.urlopen(url, timeout=5) as answer:
                    return server, json.load(answer)
            except http.client.BadStatusLine:
                break  # not our server on this port
            except (OSError, http.client.HTTPException):
                time.sleep(0.2)  # poll: the server answers once it has started
        server.terminate()
        server.wait(timeout=30)
    return server, None


def test_lab_builds_a_missing_warehouse_and_shows_the_workspace_root(tmp_path):
    ws = small_workspace(tmp_path / "ws")
    (ws / "notebooks").mkdir()
    server, listing = _lab_listing(ws, "ebpm-test-token")
    try:
        assert listing is not None, "JupyterLab did not answer"
        names = {item["name"] for item in listing["content"]}
        assert {"data", "notebooks", "README.md", "ebpm.toml"} <= names
        assert (ws / "data/processed/ebpm.duckdb").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)

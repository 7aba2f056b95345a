"""The chart cache and the render workers (issue 15): a chart from the cache or from a worker
is the chart drawn here, in every format; a changed spec is drawn again; the cache stays
within its size; a broken cache folder costs time, never a report."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ebpm.charts.export import PRINT_SCALE, render_spec_formats, renderer
from ebpm.render import WORKERS_ENV, ChartCache, Given, Renderer, default_workers


def _spec(title: str = "大船渡市", values: tuple[int, ...] = (3, 1, 2)) -> dict:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": title,
        "width": 120,
        "height": 60,
        "data": {"values": [{"年度": 2023 + i, "値": v} for i, v in enumerate(values)]},
        "mark": "line",
        "encoding": {
            "x": {"field": "年度", "type": "ordinal"},
            "y": {"field": "値", "type": "quantitative"},
        },
    }


FORMATS = ("png", "svg", "pdf")


def test_a_cached_chart_is_the_chart_drawn_in_this_process(tmp_path):
    spec = _spec()
    here = render_spec_formats(spec, FORMATS, PRINT_SCALE)
    with renderer(cache_dir=tmp_path, workers=0) as first:
        drawn = first.submit(Given(spec), FORMATS, PRINT_SCALE).result()
    with renderer(cache_dir=tmp_path, workers=0) as second:
        again = second.submit(Given(spec), FORMATS, PRINT_SCALE).result()
    assert (first.drawn, first.reused, second.drawn, second.reused) == (1, 0, 0, 1)
    assert drawn["svg"] == again["svg"] == here["svg"]
    assert drawn["png"] == again["png"] == here["png"]
    assert again["pdf"] == drawn["pdf"]  # the stored PDF (vl-convert's PDFs differ run to run)
    assert again["pdf"].startswith(b"%PDF")


def test_a_changed_spec_or_png_scale_is_drawn_again(tmp_path):
    with renderer(cache_dir=tmp_path, workers=0) as drawing:
        drawing.submit(Given(_spec()), FORMATS, PRINT_SCALE).result()
        changed = drawing.submit(Given(_spec(values=(3, 1, 3))), FORMATS, PRINT_SCALE).result()
        assert (drawing.drawn, drawing.reused) == (2, 0)
        bigger = drawing.submit(Given(_spec()), ("png", "svg"), 2 * PRINT_SCALE).result()
        assert (drawing.drawn, drawing.reused) == (3, 0)  # the PNG only: its pixels differ
        svg_only = drawing.submit(Given(_spec()), ("svg",), 2 * PRINT_SCALE).result()
        assert (drawing.drawn, drawing.reused) == (3, 1)  # the SVG does not depend on the scale
    assert changed["svg"] != svg_only["svg"]
    assert len(bigger["png"]) > 0


def test_keys_depend_on_the_spec_format_scale_and_fingerprint(tmp_path):
    cache = ChartCache(tmp_path, "vl-convert 1 + fonts A")
    base = cache.keys(_spec(), FORMATS, PRINT_SCALE)
    assert len(set(base.values())) == 3
    assert cache.keys(_spec(), FORMATS, PRINT_SCALE) == base
    assert cache.keys(_spec("別"), FORMATS, PRINT_SCALE)["svg"] != base["svg"]
    scaled = cache.keys(_spec(), FORMATS, 2.0)
    assert scaled["png"] != base["png"]
    assert (scaled["svg"], scaled["pdf"]) == (base["svg"], base["pdf"])
    other_fonts = ChartCache(tmp_path, "vl-convert 1 + fonts B").keys(_spec(), FORMATS, PRINT_SCALE)
    assert not set(other_fonts.values()) & set(base.values())


def test_worker_processes_draw_the_same_bytes_as_this_process(tmp_path):
    specs = [_spec(values=(i, 2, 3)) for i in range(4)]
    with renderer(workers=0) as here:
        expected = [here.submit(Given(s), ("png", "svg"), PRINT_SCALE).result() for s in specs]
    with renderer(workers=2) as pool:
        pending = [pool.submit(Given(s), ("png", "svg"), PRINT_SCALE) for s in specs]
        got = [p.result() for p in pending]
    assert got == expected
    assert pool.drawn == 4


def test_a_script_without_a_main_guard_is_not_run_again_by_the_workers(tmp_path):
    """Workers start without the caller's ``__main__``: a trainee's unguarded script runs once."""
    script = tmp_path / "mine.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from ebpm.charts.export import renderer
            from ebpm.render import Given
            print("start")
            spec = {_spec()!r}
            with renderer(workers=2) as pool:
                body = pool.submit(Given(spec), ("svg",), 1.0).result()["svg"]
            print("svg", body[:4].decode())
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["start", "svg", "<svg"]


def test_prune_removes_the_least_recently_used_files_first(tmp_path):
    cache = ChartCache(tmp_path, "f")
    for i, key in enumerate(["aa11", "bb22", "cc33"]):
        cache.put(key, "svg", b"x" * 100)
        os.utime(tmp_path / key[:2] / f"{key}.svg", (1_000 + i, 1_000 + i))
    assert cache.get("aa11", "svg") == b"x" * 100  # a use makes it the newest
    assert cache.prune(limit=200) == 1
    assert not (tmp_path / "bb" / "bb22.svg").exists()
    assert (tmp_path / "aa" / "aa11.svg").exists()
    assert (tmp_path / "cc" / "cc33.svg").exists()
    assert cache.prune(limit=200) == 0


def test_an_unusable_cache_folder_only_costs_the_drawing(tmp_path):
    blocked = tmp_path / "cache"
    blocked.write_text("not a folder", encoding="utf-8")
    with renderer(cache_dir=blocked, workers=0) as drawing:
        first = drawing.submit(Given(_spec()), ("svg",), PRINT_SCALE).result()
        second = drawing.submit(Given(_spec()), ("svg",), PRINT_SCALE).result()
    assert first == second
    assert (drawing.drawn, drawing.reused) == (2, 0)
    assert drawing.cache is not None
    assert drawing.cache.prune() == 0


def test_a_partly_written_cache_file_is_never_read(tmp_path):
    """Writes go to a temporary name and are renamed: no reader sees half a file."""
    cache = ChartCache(tmp_path, "f")
    cache.put("dd44", "png", b"complete")
    leftovers = [p.name for p in (tmp_path / "dd").iterdir()]
    assert leftovers == ["dd44.png"]
    assert cache.get("dd44", "png") == b"complete"


def test_render_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert default_workers() == 3
    monkeypatch.setenv(WORKERS_ENV, "0")
    assert default_workers() == 0
    monkeypatch.setenv(WORKERS_ENV, "二")
    with pytest.raises(ValueError, match="EBPM_RENDER_WORKERS は 0 以上の整数"):
        default_workers()
    monkeypatch.delenv(WORKERS_ENV)
    assert 1 <= default_workers() <= 4


def test_the_renderer_refuses_without_a_japanese_font(monkeypatch):
    from ebpm.charts import theme

    monkeypatch.setitem(theme._FONT_STATE, "available", False)
    with pytest.raises(RuntimeError, match="日本語フォントが見つからない"):
        renderer(workers=0)


def test_a_job_error_reaches_the_caller(tmp_path):
    from ebpm.charts.theme import render_kwargs

    bad = {"mark": "no-such-mark", "data": {"values": []}}
    with Renderer(render_kwargs(), None, workers=0) as drawing, pytest.raises(ValueError):
        drawing.submit(Given(bad), ("svg",), 1.0).result()


def test_the_report_cache_lives_in_the_workspace_unless_named(monkeypatch, tmp_path):
    from ebpm import paths
    from ebpm.report import CHART_CACHE_ENV, chart_cache_dir

    monkeypatch.delenv(CHART_CACHE_ENV, raising=False)
    assert chart_cache_dir() == paths.workspace().processed / "cache" / "charts"
    monkeypatch.setenv(CHART_CACHE_ENV, str(tmp_path / "elsewhere"))
    assert chart_cache_dir() == tmp_path / "elsewhere"


class _Counting:
    """Every Renderer the report makes, kept to read its counts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from ebpm.render import Renderer as Real

        self.made: list[Real] = []
        made = self.made

        class Counting(Real):
            def __enter__(self) -> Real:
                made.append(self)
                return super().__enter__()

        monkeypatch.setattr("ebpm.charts.export.Renderer", Counting)


@pytest.fixture
def small_db(tmp_path):
    from test_workspace import small_workspace

    from ebpm.warehouse import build

    ws = small_workspace(tmp_path / "ws")
    db = tmp_path / "small.duckdb"
    build(ws / "data" / "raw", db)
    return db


def test_a_report_made_again_takes_every_chart_from_the_cache(small_db, tmp_path, monkeypatch):
    """Same files, byte for byte (PDFs aside: vl-convert's differ run to run), none drawn."""
    from ebpm.report import CHART_CACHE_ENV, write_report

    renderers = _Counting(monkeypatch).made
    monkeypatch.setenv(CHART_CACHE_ENV, str(tmp_path / "cache"))
    first = write_report(tmp_path / "a", small_db, formats=("png", "svg"), documents=False)
    second = write_report(tmp_path / "b", small_db, formats=("png", "svg"), documents=False)
    assert renderers[0].drawn > 0
    assert (renderers[1].drawn, renderers[1].reused) == (0, renderers[0].drawn)
    names = sorted(p.relative_to(tmp_path / "a") for p in first.charts)
    assert names == sorted(p.relative_to(tmp_path / "b") for p in second.charts)
    assert any(n.suffix == ".png" for n in names) and any(n.suffix == ".svg" for n in names)
    for name in names:
        if name.suffix != ".pdf":
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert first.index.read_text(encoding="utf-8") == second.index.read_text(encoding="utf-8")


def test_every_report_chart_spec_is_valid_vega_lite(built_db):
    """The export skips Altair's schema check; this is where it happens, for every chart the
    report draws (both sets and the context section; other years differ only in data)."""
    import altair as alt

    from ebpm.charts import progress_overview_chart
    from ebpm.charts.export import themed_spec
    from ebpm.charts.profile import DOCUMENT
    from ebpm.report.context import _charts
    from ebpm.report.data import read_report_data
    from ebpm.report.figures import _trend
    from ebpm.warehouse.read import Warehouse

    checked = 0
    with Warehouse(built_db) as wh:
        for fy in (2025,):
            data = read_report_data(wh, fy)
            charts: list[alt.TopLevelMixin] = [
                progress_overview_chart(data.table, source="出典：テスト", note=None)
            ]
            for kpi in data.kpis:
                charts += [_trend(kpi, data), _trend(kpi, data, profile=DOCUMENT)]
            if data.context is not None:
                charts += [draw(plan) for _, draw, plan, _ in _charts(data.context)]
            for chart in charts:
                # what to_dict(validate=True) does, without building the spec a second time
                type(chart).validate(themed_spec(chart, validate=False))
                checked += 1
    assert checked >= 1 + 2 * 15


def test_the_schema_check_refuses_a_spec_vega_lite_does_not_know():
    """The check above can fail: a mark Vega-Lite has no name for is refused."""
    import altair as alt
    import jsonschema

    from ebpm.charts.export import themed_spec

    chart = alt.Chart(alt.Data(values=[{"a": 1}])).mark_point().encode(x="a:Q")
    spec = themed_spec(chart, validate=False)
    alt.Chart.validate(spec)
    with pytest.raises(jsonschema.ValidationError):
        alt.Chart.validate({**spec, "mark": {"type": "pointy"}})


def test_report_paths_in_the_cache_are_hex_names(tmp_path):
    """Cache file names come from SHA-256 digests only, never from chart titles or ids."""
    with renderer(cache_dir=tmp_path, workers=0) as drawing:
        drawing.submit(Given(_spec("../../etc/passwd")), ("svg",), PRINT_SCALE).result()
    files = [p.relative_to(tmp_path) for p in tmp_path.glob("*/*") if p.is_file()]
    assert len(files) == 1
    markers = [p.name for p in tmp_path.glob("*.ok")]
    assert all(re.fullmatch(r"japanese-font-[0-9a-f]{16}\.ok", m) for m in markers), markers
    folder, name = files[0].parts
    assert len(folder) == 2 and all(c in "0123456789abcdef" for c in folder)
    stem, suffix = name.split(".")
    assert suffix == "svg" and len(stem) == 64 and stem.startswith(folder)


def test_a_pdf_job_writes_a_pdf(tmp_path: Path):
    with renderer(cache_dir=tmp_path, workers=0) as drawing:
        body = drawing.submit(Given(_spec()), ("pdf",), PRINT_SCALE).result()["pdf"]
    assert body.startswith(b"%PDF")


def test_report_command_keeps_the_cache_in_the_workspace_and_no_cache_skips_it(
    tmp_path, monkeypatch
):
    from test_workspace import ebpm, small_workspace

    from ebpm.report import CHART_CACHE_ENV

    monkeypatch.delenv(CHART_CACHE_ENV)
    ws = small_workspace(tmp_path / "ws")
    env: dict[str, str] = {}
    assert ebpm("build", cwd=ws, env=env).returncode == 0
    cache = ws / "data" / "processed" / "cache" / "charts"
    # drawn by the default render workers, as a planner's run draws; the runs below draw here
    workers = {WORKERS_ENV: ""}
    fresh = ebpm("report", "--no-documents", "--no-cache", "--out", "a", cwd=ws, env=workers)
    assert fresh.returncode == 0, fresh.stderr
    assert not cache.exists()
    kept = ebpm("report", "--no-documents", "--out", "b", cwd=ws, env=env)
    assert kept.returncode == 0, kept.stderr
    # every chart drawn is kept, the document set too (its SVG is printed in the page only)
    written = list((ws / "b" / "charts").rglob("*.svg"))
    assert len(list(cache.rglob("*.svg"))) >= len(written) > 0
    for svg in (ws / "b" / "charts").glob("*.svg"):
        assert svg.read_bytes() == (ws / "a" / "charts" / svg.name).read_bytes()
    assert "キャッシュから使い" not in kept.stdout  # every chart was drawn
    again = ebpm("report", "--no-documents", "--out", "c", cwd=ws, env=env)
    said = re.search(r"（(\d+) 個のグラフのうち、前回から変わらない (\d+) 個は", again.stdout)
    assert said is not None, again.stdout
    assert said.group(1) == said.group(2)
    assert "、0 個を描きました）" in again.stdout


def test_the_font_check_is_remembered_for_the_same_fonts_and_vl_convert(tmp_path, monkeypatch):
    from ebpm.charts import theme

    calls: list[str] = []
    real = theme._probe_png

    def probe(text: str) -> bytes:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(theme, "_probe_png", probe)
    for folder, expected in (("a", 2), ("a", 2), ("b", 4)):
        monkeypatch.setitem(theme._FONT_STATE, "available", None)  # a new process
        renderer(cache_dir=tmp_path / folder, workers=0)
        assert len(calls) == expected, folder
    monkeypatch.setitem(theme._FONT_STATE, "available", None)
    renderer(workers=0)  # no cache: checked every time
    assert len(calls) == 6

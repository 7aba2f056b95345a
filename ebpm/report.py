"""The offline KPI report: one self-contained ``index.html`` plus every chart as PNG/SVG/PDF.

The HTML has no external scripts, styles, fonts or images: charts are inline SVG, styles
are inline, and URLs in credit lines are printed as text without their scheme, so the
page opens on a PC with no internet (LGWAN) exactly as it does anywhere else.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ebpm import paths
from ebpm.jp import fiscal_year_label, format_number, format_percent, wareki_label
from ebpm.kpi import GradeBands
from ebpm.manifest import Provenance, notes_of, source_line
from ebpm.status import progress_table
from ebpm.warehouse import connect, kpi_sources, provenance_records

__all__ = ["ReportResult", "write_report"]

FORMATS = ("png", "svg", "pdf")
SAMPLE_LABEL = "研修用サンプルデータ"


@dataclass(frozen=True)
class ReportResult:
    """Where the report and its chart files were written."""

    index: Path
    charts: list[Path]
    fiscal_year: int


def _inline_svg(svg: str) -> str:
    """SVG for embedding in HTML5: no XML prolog, no namespace URLs (HTML implies them)."""
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)


def _svg_of(chart: object, files: list[Path]) -> str:
    """The chart's SVG: the file just written, else a fresh render."""
    from ebpm import charts

    svg = next((f for f in files if f.suffix == ".svg"), None)
    return svg.read_text(encoding="utf-8") if svg else charts.chart_to_svg(chart)  # type: ignore[arg-type]


def _text_url(url: str | None) -> str:
    """A URL as plain text without its scheme, so nothing in the page points outside."""
    return re.sub(r"^https?://", "", url or "")


CSS = """
body{font-family:"IPAexGothic","Hiragino Sans","Yu Gothic","Meiryo","Noto Sans CJK JP",sans-serif;
margin:2em auto;max-width:1100px;color:#222;line-height:1.6;padding:0 1em}
h1{font-size:1.6em;border-bottom:3px solid #0072B2;padding-bottom:.2em}
h2{font-size:1.3em;border-left:6px solid #0072B2;padding-left:.4em;margin-top:2em}
h3{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;font-size:.88em;margin:.8em 0}
th,td{border:1px solid #bbb;padding:.3em .45em;vertical-align:top}
th{background:#eef3f8;text-align:left}td.num{text-align:right;white-space:nowrap}
.sample{background:#fff3cd;border:2px solid #e0a800;padding:.6em 1em;font-weight:bold}
.grade{font-weight:bold;white-space:nowrap}.g-達成{color:#006d2c}.g-順調{color:#0072B2}
.g-概ね順調{color:#56B4E9}.g-遅れ{color:#D55E00}.g-悪化{color:#B00020}.g-評価不能{color:#666}
figure{margin:1em 0 2em}figure svg{max-width:100%;height:auto}
.files{font-size:.85em;color:#444}.meta{color:#555;font-size:.9em}code{font-size:.9em}
nav ol{columns:2}
@media print{nav,.files{display:none}h2{page-break-before:always}}
"""


def _progress_rows(table: pl.DataFrame) -> str:
    out = []
    for r in table.iter_rows(named=True):
        unit = html.escape(r["unit_corrected"] or r["unit"])
        basis = "（期間平均）" if r["actual_basis"] == "period_average" else ""
        sample = f"<br><small>{SAMPLE_LABEL}</small>" if r["is_sample"] else ""
        out.append(
            "<tr>"
            f'<td><a href="#{r["kpi_id"]}">{r["kpi_id"]}</a></td>'
            f"<td>{html.escape(r['name'])}</td><td>{r['aggregation_label']}</td><td>{unit}</td>"
            f'<td class="num">{format_number(r["base_value"])}<br><small>{fiscal_year_label(r["base_fy"])}</small></td>'
            f'<td class="num">{format_number(r["target_value"])}<br><small>{fiscal_year_label(r["target_fy"])}</small></td>'
            f'<td class="num">{format_number(r["actual"])}{basis}</td>'
            f'<td class="num">{format_number(r["expected"])}</td>'
            f'<td class="num">{format_percent(r["progress"])}</td>'
            f'<td class="num">{format_number(r["pace"])}</td>'
            f'<td class="grade g-{r["grade"]}">{r["grade"]}{sample}</td>'
            f"<td>{html.escape(r['reason'])}</td>"
            "</tr>"
        )
    return "\n".join(out)


def _definition_rows(con) -> str:  # type: ignore[no-untyped-def]
    rows = con.sql(
        "SELECT d.*, s.name AS strategy_name, f.name AS field_name,"
        " (SELECT string_agg(t.name, '／' ORDER BY t.number) FROM tactic t"
        "  WHERE t.strategy_id = d.strategy_id) AS tactics"
        " FROM kpi_definition d JOIN strategy s USING (strategy_id)"
        " JOIN field f ON f.field_id = s.field_id ORDER BY kpi_id, revision"
    ).pl()
    out = []
    for r in rows.iter_rows(named=True):
        unit = html.escape(r["unit"])
        if r["unit_corrected"]:
            unit += f"（公表どおり。正しくは「{html.escape(r['unit_corrected'])}」）"
        notes = "<br>".join(
            html.escape(n) for n in (r["base_note"], r["target_note"], r["notes"]) if n
        )
        status = "現行" if r["is_current"] else "過去または将来の改訂"
        out.append(
            "<tr>"
            f"<td>{r['kpi_id']}<br><small>改訂{r['revision']}（{r['valid_from']}〜、{status}）</small></td>"
            f"<td>{html.escape(r['name'])}</td>"
            f"<td>{r['field_id']} {html.escape(r['field_name'])}<br>戦略{r['strategy_id']} {html.escape(r['strategy_name'])}"
            f"<br><small>戦術：{html.escape(r['tactics'] or '')}</small></td>"
            f"<td>{'単年度' if r['aggregation'] == 'single_year' else '累計'}（{r['aggregation_label']}）</td>"
            f"<td>{unit}</td>"
            f'<td class="num">{format_number(r["base_value"])}<br><small>{wareki_label(r["base_fy"])}</small></td>'
            f'<td class="num">{format_number(r["target_value"])}<br><small>{wareki_label(r["target_fy"])}</small></td>'
            f"<td>{ {'increase': '増やす', 'decrease': '減らす', 'maintain': '維持する'}[r['direction']] }</td>"
            f"<td>{notes}</td>"
            "</tr>"
        )
    return "\n".join(out)


def _provenance_rows(records: dict[str, Provenance]) -> str:
    out = []
    for r in records.values():
        url = f"<br><small>URL：{html.escape(_text_url(r.url))}</small>" if r.url else ""
        processing = f"<br><small>加工：{html.escape(r.processing)}</small>" if r.processing else ""
        extra = f"<br><small>{html.escape(r.credit)}</small>" if r.credit else ""
        sample = f"（{SAMPLE_LABEL}）" if r.is_sample else ""
        out.append(
            "<tr>"
            f"<td><code>data/raw/{html.escape(r.path)}</code><br><small>SHA-256 {r.sha256[:16]}…・{r.size_bytes:,} バイト</small></td>"
            f"<td>{html.escape(r.title)}{sample}{url}{processing}{extra}</td>"
            f"<td>{html.escape(r.publisher)}</td><td>{html.escape(r.licence)}</td>"
            f"<td>{r.retrieved_at:%Y年%m月%d日}</td>"
            "</tr>"
        )
    return "\n".join(out)


def write_report(
    out_dir: str | Path | None = None,
    db_path: str | Path | None = None,
    *,
    fiscal_year: int | None = None,
    formats: tuple[str, ...] = FORMATS,
    today: dt.date | None = None,
) -> ReportResult:
    """Write ``index.html`` and the chart files from the warehouse."""
    from ebpm import charts

    out = Path(out_dir) if out_dir else paths.REPORT
    chart_dir = out / "charts"
    chart_dir.mkdir(parents=True, exist_ok=True)
    table = progress_table(fiscal_year, db_path)
    if table.height == 0:
        raise ValueError(f"{fiscal_year}年度の評価はありません")
    fy = int(table["fiscal_year"][0])
    first = table.row(0, named=True)
    bands = GradeBands(first["band_on_track"], first["band_mostly"])
    band_pair = (bands.on_track, bands.mostly)

    written: list[Path] = []
    sections: list[str] = []
    records = {r.path: r for r in provenance_records(None, db_path)}
    per_kpi_sources = {k: [r.path for r in kpi_sources(k, db_path)] for k in table["kpi_id"]}
    with connect(db_path) as con:
        history = con.sql(
            "SELECT kpi_id, fiscal_year, value AS actual, is_sample FROM kpi_actual ORDER BY kpi_id, fiscal_year"
        ).pl()
        definitions = _definition_rows(con)

    built = dt.datetime.fromtimestamp(Path(db_path or paths.WAREHOUSE).stat().st_mtime)
    all_sources = sorted({s for files in per_kpi_sources.values() for s in files})
    overview_records = [records[s] for s in all_sources]
    overview = charts.progress_overview_chart(
        table, source=source_line(overview_records), note=None, bands=band_pair
    )
    overview_files = charts.save_chart(overview, chart_dir / "overview", formats)
    written += overview_files
    overview_svg = _inline_svg(_svg_of(overview, overview_files))

    for row in table.iter_rows(named=True):
        kpi_id = row["kpi_id"]
        used = [records[s] for s in per_kpi_sources[kpi_id]]
        notes = [n for n in (row["base_note"], row["target_note"]) if n]
        notes += notes_of(used)
        chart = charts.kpi_trend_chart(
            row,
            history.filter(pl.col("kpi_id") == kpi_id).drop("kpi_id"),
            source=source_line(used),
            note="、".join(notes) or None,
            bands=band_pair,
        )
        files = charts.save_chart(chart, chart_dir / kpi_id, formats)
        written += files
        links = "・".join(f'<a href="charts/{f.name}">{f.suffix[1:].upper()}</a>' for f in files)
        sections.append(
            f'<section id="{kpi_id}"><h3>{kpi_id} {html.escape(row["name"])}</h3>'
            f"<figure>{_inline_svg(_svg_of(chart, files))}</figure>"
            f'<p class="files">資料に貼り付ける画像：{links}</p></section>'
        )

    has_sample = bool(table["is_sample"].any()) or any(r.is_sample for r in overview_records)
    banner = (
        f'<p class="sample">この報告書には{SAMPLE_LABEL}（架空の値）による評価が含まれます。'
        "実際の実績値に置き換えるまで、対外的な資料には使わないでください。</p>"
        if has_sample
        else ""
    )
    today = today or dt.date.today()
    page = f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>大船渡市DX戦略 KPI進捗レポート（{fiscal_year_label(fy)}）</title>
<style>{CSS}</style></head>
<body>
<h1>大船渡市DX戦略 KPI進捗レポート<br><small>{fiscal_year_label(fy)}（{wareki_label(fy)}）の評価</small></h1>
<p class="meta">作成日：{today:%Y年%m月%d日}／ウェアハウス作成：{built:%Y年%m月%d日 %H:%M}／ebpm で生成。年度は4月〜翌年3月で、開始年の西暦で表示しています。</p>
{banner}
<nav><h2>目次</h2><ol><li><a href="#progress">進捗一覧</a></li><li><a href="#overview">全指標の進み具合</a></li>
<li><a href="#charts">指標別のグラフ</a></li><li><a href="#definitions">指標の定義</a></li><li><a href="#provenance">出典とデータの来歴</a></li></ol></nav>

<h2 id="progress">1. 進捗一覧（{fiscal_year_label(fy)}）</h2>
<table><thead><tr><th>ID</th><th>指標名</th><th>単/累</th><th>単位</th><th>基準値</th><th>目標値</th><th>実績値</th><th>期待値</th><th>進捗率</th><th>ペース</th><th>評価</th><th>判定の理由</th></tr></thead>
<tbody>
{_progress_rows(table)}
</tbody></table>
<p class="meta">{html.escape(bands.describe())}期待値＝基準値から目標値への直線上の値。<br>
維持目標は実績が目標値以上なら達成（進捗率は実績÷目標）。「※推進期間の平均」の指標は、推進期間（2025〜2027年度）の実績の平均で判定します。</p>

<h2 id="overview">2. 全指標の進み具合</h2>
<figure>{overview_svg}</figure>
<p class="files">資料に貼り付ける画像：<a href="charts/overview.png">PNG</a>・<a href="charts/overview.svg">SVG</a>・<a href="charts/overview.pdf">PDF</a></p>

<h2 id="charts">3. 指標別のグラフ</h2>
{"".join(sections)}

<h2 id="definitions">4. 指標の定義</h2>
<p class="meta">大船渡市DX戦略（令和7年2月策定）第3章の重要業績評価指標（KPI）。指標名・単位は公表どおりです。改訂があった場合は履歴もすべて載せます。</p>
<table><thead><tr><th>ID・改訂</th><th>指標名（公表どおり）</th><th>分野・戦略・戦術</th><th>単/累</th><th>単位</th><th>基準値</th><th>目標値</th><th>方向</th><th>注記</th></tr></thead>
<tbody>
{definitions}
</tbody></table>

<h2 id="provenance">5. 出典とデータの来歴</h2>
<table><thead><tr><th>ファイル</th><th>資料名</th><th>作成者</th><th>利用条件</th><th>取得日</th></tr></thead>
<tbody>
{_provenance_rows(records)}
</tbody></table>
</body></html>
"""
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return ReportResult(index, written, fy)

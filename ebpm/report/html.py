"""The offline KPI report page: one self-contained ``index.html``.

The page is the Jinja2 template ``ebpm/templates/report.html`` (autoescape on). It loads
nothing from outside: charts are inline SVG, styles and the small filter script are inline,
a Content-Security-Policy allows only that script (by its hash) and inline styles, and URLs
in credit lines are printed as text without their scheme, so the page opens on a PC with
no internet (LGWAN) exactly as it does anywhere else. Printed (A4), the progress table
takes one landscape page with its notes, and each KPI keeps its heading with its chart
(the document chart at its own size, text 8.5 pt), two KPIs a page where their charts allow.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from markupsafe import Markup

from ebpm.annotations import COMMENTARY_TEXTS
from ebpm.jp import MISSING, format_fixed
from ebpm.kpi import grade_legend
from ebpm.report.context import ContextSection
from ebpm.report.data import ReportData
from ebpm.report.figures import Figures
from ebpm.report.logic_model import STAGE_NAMES
from ebpm.report.present import (
    GRADE_ORDER,
    grade_css,
    grade_label,
    grade_rank,
    is_number,
    rule_texts,
    unit_of,
    year_text,
)

if TYPE_CHECKING:
    import jinja2

__all__ = ["DIRECTIONS", "FILTER_SCRIPT", "render_page"]

DIRECTIONS: Final = {"increase": "増やす", "decrease": "減らす", "maintain": "維持する"}

#: Filter and sort the progress table by field, strategy and grade (no network, no library).
FILTER_SCRIPT: Final = """
(function () {
  var form = document.getElementById("filters");
  var table = document.getElementById("progress-table");
  var status = document.getElementById("filter-status");
  if (!form || !table) { return; }
  form.hidden = false;
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-kpi]"));
  var order = {};
  rows.forEach(function (row, i) { order[row.dataset.kpi] = i; });
  function key(row, by) {
    if (by === "grade") { return [Number(row.dataset.gradeRank), order[row.dataset.kpi]]; }
    if (by === "pace" || by === "progress") {
      var v = row.dataset[by];
      return [v === "" ? Infinity : Number(v), order[row.dataset.kpi]];
    }
    return [order[row.dataset.kpi], 0];
  }
  function apply() {
    var field = form.field.value, strategy = form.strategy.value, grade = form.grade.value;
    var by = form.sort.value, shown = 0;
    Array.prototype.forEach.call(table.tBodies, function (body) {
      var own = rows.filter(function (r) { return r.parentNode === body; });
      own.sort(function (a, b) {
        var ka = key(a, by), kb = key(b, by);
        return ka[0] - kb[0] || ka[1] - kb[1];
      }).forEach(function (r) { body.appendChild(r); });
      var visible = 0;
      own.forEach(function (r) {
        var ok = (!field || r.dataset.field === field) &&
          (!strategy || r.dataset.strategy === strategy) && (!grade || r.dataset.grade === grade);
        r.hidden = !ok;
        if (ok) { visible += 1; }
      });
      shown += visible;
      if (!field && !strategy && !grade) {
        body.hidden = false;
      } else if (own.length === 0) {  // a field without KPIs yet: shown when it is chosen
        body.hidden = !(field === body.dataset.field && !strategy && !grade);
      } else {
        body.hidden = visible === 0;
      }
    });
    status.textContent = rows.length + "指標のうち " + shown + "指標を表示しています。";
  }
  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  apply();
})();
""".strip()


def script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ebpm", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters.update(
        year=year_text,
        year_short=lambda fy: year_text(fy, short=True),
        grade_label=grade_label,
        date_ja=lambda d: f"{d:%Y年%m月%d日}",
        datetime_ja=lambda d: f"{d:%Y年%m月%d日 %H:%M}",
        text_url=lambda url: re.sub(r"^https?://", "", url or ""),  # nothing points outside
    )
    return env


def _definition_rows(data: ReportData) -> list[dict[str, object]]:
    return [
        {**r, "notes_lines": [n for n in (r["base_note"], r["target_note"], r["notes"]) if n]}
        for r in data.definitions.iter_rows(named=True)
    ]


def chip(grade: str | None) -> Markup:
    """A grade as a chip: its symbol and name on its palette colours (``.g0`` … ``.g7``)."""
    style = GRADE_ORDER.index(grade) if grade in GRADE_ORDER else GRADE_ORDER.index("評価不能")
    return Markup('<span class="chip g{}">{}</span>').format(style, grade_label(str(grade)))


def published(value: float | None, decimals: int | None) -> str:
    """A definition's value with the decimals it was published with (26.0 stays 26.0)."""
    if not is_number(value):
        return MISSING
    return format_fixed(value, int(decimals) if is_number(decimals) else 0)


def _notes(data: ReportData) -> tuple[dict[str, str], list[str]]:
    """A ※ mark per KPI with notes (period average, survey, corrected unit) and the notes."""
    marks: dict[str, str] = {}
    notes: list[str] = []
    for kpi in data.kpis:
        own = kpi.text.notes
        if own:
            marks[kpi.kpi_id] = f"※{len(notes) + 1}"
            notes.append(f"{marks[kpi.kpi_id]} " + "".join(own))
    return marks, notes


def render_page(
    data: ReportData,
    figures: Figures,
    documents: dict[str, Path],
    context: ContextSection | None = None,
) -> str:
    """The page as text; ``documents`` are the workbook/Word/PowerPoint files to link to,
    ``context`` the national context section (:mod:`ebpm.report.context`)."""
    grades = sorted({str(k.row["grade"]) for k in data.kpis}, key=grade_rank)
    counts = {g: sum(1 for k in data.kpis if k.row["grade"] == g) for g in grades}
    marks, notes = _notes(data)
    # the files behind what the page shows: the KPI folder and every file of an actual shown
    used = {r.path for r in data.used_records} | {p for p in data.records if p.startswith("kpi/")}
    shown = [data.records[p] for p in sorted(used) if p in data.records]
    return (
        _environment()
        .get_template("report.html")
        .render(
            data=data,
            context=context,
            fy=data.fiscal_year,
            figures=figures,
            overview=figures.overview,
            documents={label: path.name for label, path in documents.items()},
            grades=grades,
            all_grades=GRADE_ORDER,
            grade_counts=counts,
            grade_rank=grade_rank,
            grade_css=Markup(grade_css()),
            chip=chip,
            legend=grade_legend(),
            published=published,
            note_marks=marks,
            table_notes=notes,
            rules=rule_texts(data.bands, (k.row for k in data.kpis))[2:],
            unit_of=unit_of,
            commentary_texts=COMMENTARY_TEXTS,
            stage_names=STAGE_NAMES,
            bands_text=data.bands.describe(),
            period=data.period,
            definitions=_definition_rows(data),
            directions=DIRECTIONS,
            provenance=shown,
            other_provenance=[r for r in data.records.values() if r.path not in used],
            script=Markup(FILTER_SCRIPT),
            csp_script=Markup(script_hash(FILTER_SCRIPT)),
            svg=lambda figure: Markup(figure.svg),
            document_svg=lambda figure: Markup(figure.document_svg),
        )
    )


def write_page(
    path: Path,
    data: ReportData,
    figures: Figures,
    documents: dict[str, Any],
    context: ContextSection | None = None,
) -> Path:
    """Write ``index.html``."""
    path.write_text(render_page(data, figures, documents, context), encoding="utf-8")
    return path

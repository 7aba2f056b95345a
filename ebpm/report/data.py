"""Everything one report shows, read from one warehouse snapshot and cut at the report's year.

:func:`read_report_data` asks the read API (:class:`~ebpm.warehouse.Warehouse`) once for
each table and keeps only what is known in the report's fiscal year Y: actuals, progress
rows and commentary after Y never reach a chart, a table or an explanation, so a report
for FY2024 made in 2026 says what a report made in FY2024 would have said.

Each KPI becomes a :class:`KpiReport` (its row, its values up to Y, the previous year's
value and the change, the department's commentary, the notes recorded with the actual,
its logic-model stage and the generated explanation); the strategy tree becomes
:class:`~ebpm.report.logic_model.LogicModel` records.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import polars as pl

from ebpm import paths
from ebpm.jp import MISSING, round_half_up
from ebpm.kpi import ProgressText, format_progress
from ebpm.kpi.model import KPI_ID_PATTERN, GradeBands
from ebpm.manifest import SAMPLE_LABEL, Provenance
from ebpm.report.context import ContextData, read_context
from ebpm.report.explain import Explanation, Observed, explain_kpi, observed_values
from ebpm.report.logic_model import LogicModel, build_logic_models
from ebpm.report.present import (
    change_text,
    kpi_decimals,
    observed_decimals,
    unit_of,
    value_text,
)
from ebpm.warehouse.read import ACTUAL, BASE, Warehouse

__all__ = ["BASE", "KpiReport", "ReportData", "StrategyGroup", "read_report_data", "safe_id"]

#: A KPI id becomes a file name and an HTML anchor: checked again here, not only at build.
SAFE_ID = re.compile(KPI_ID_PATTERN)
LOGIC_MODEL_PATH = "kpi/kpi_logic_model.csv"


def safe_id(kpi_id: str) -> str:
    """``kpi_id`` if it can be a file name and an anchor; ValueError otherwise."""
    if not SAFE_ID.match(kpi_id):
        raise ValueError(f"指標ID「{kpi_id}」はファイル名・リンクに使えない文字を含みます")
    return kpi_id


@dataclass(frozen=True)
class KpiReport:
    """One KPI in the report's year, with everything printed beside its numbers."""

    row: dict[str, Any]
    #: base and actuals up to the report's year (``fiscal_year, kind, actual, sample_size,
    #: is_sample``)
    history: pl.DataFrame
    #: the ``kpi_progress`` rows of every year up to the report's year
    years: list[dict[str, Any]]
    sources: list[Provenance]
    commentary: dict[str, Any] | None = None
    #: the note and source recorded with the year's actual in the steward's file
    actual_note: str | None = None
    actual_source: str | None = None
    stage: str | None = None
    stage_basis: str | None = None
    #: whether :attr:`explanation` adds the forecast sentence
    with_forecast: bool = True

    @cached_property
    def explanation(self) -> Explanation:
        """The generated explanation; made on first use, so the report's charts are already
        being drawn while the forecasts are fitted."""
        return explain_kpi(self.row, self.history, with_forecast=self.with_forecast)

    @property
    def kpi_id(self) -> str:
        return str(self.row["kpi_id"])

    @property
    def name(self) -> str:
        return str(self.row["name"])

    @property
    def title(self) -> str:
        return str(self.row.get("short_name") or self.row["name"])

    @property
    def observed(self) -> list[Observed]:
        return observed_values(self.history)

    @property
    def own(self) -> Observed | None:
        """The actual recorded for the report's year itself."""
        fy = int(self.row["fiscal_year"])
        return next((o for o in self.observed if o.kind == ACTUAL and o.fiscal_year == fy), None)

    @property
    def previous(self) -> Observed | None:
        """The previous year's actual (or the base, when the base is the previous year's)."""
        fy = int(self.row["fiscal_year"])
        before = [o for o in self.observed if o.fiscal_year == fy - 1]
        return next((o for o in before if o.kind == ACTUAL), before[0] if before else None)

    @property
    def change(self) -> float | None:
        """The year's actual minus the previous year's value, as the two are printed."""
        own, previous = self.own, self.previous
        if own is None or previous is None:
            return None
        digits = self.change_decimals
        return float(round_half_up(own.value, digits) - round_half_up(previous.value, digits))

    @property
    def text(self) -> ProgressText:
        """Every number of the row as ``ebpm status`` prints it (:func:`ebpm.kpi.format_progress`)."""
        return format_progress(self.row)

    def decimals_of(self, observed: Observed | None) -> int:
        """Decimals an observed value of this KPI is printed with (published precision)."""
        if observed is None:
            return kpi_decimals(self.row)
        return observed_decimals(self.row, observed.decimals, observed.value)

    @property
    def change_decimals(self) -> int:
        """Decimals of the change from the previous year: those of the two values."""
        return max(self.decimals_of(self.own), self.decimals_of(self.previous))

    @property
    def previous_text(self) -> str:
        """The previous year's value as printed (no unit); − when there is none."""
        previous = self.previous
        if previous is None:
            return MISSING
        return value_text(previous.value, "", self.decimals_of(previous))

    @property
    def change_text(self) -> str:
        """「370,000枚減少」, 「1.0ポイント上昇」; − when there is no previous value."""
        change = self.change
        if change is None:
            return MISSING
        return change_text(change, unit_of(self.row), self.change_decimals)

    @property
    def is_sample(self) -> bool:
        return bool(self.row.get("is_sample")) or any(o.is_sample for o in self.observed)


@dataclass(frozen=True)
class StrategyGroup:
    """A strategy (or a field without strategies yet) and its KPIs, in the tree's order."""

    field_id: int
    field_name: str
    strategy_id: str | None
    strategy_name: str | None
    kpis: list[KpiReport]

    @property
    def title(self) -> str:
        if self.strategy_id is None:
            return f"分野{self.field_id} {self.field_name}"
        return f"戦略{self.strategy_id} {self.strategy_name}"


@dataclass(frozen=True)
class ReportData:
    """The whole report, read once."""

    title: str
    kpi_source: str
    fiscal_year: int | None
    table: pl.DataFrame
    kpis: list[KpiReport]
    groups: list[StrategyGroup]
    logic_models: list[LogicModel]
    #: the rule behind the アウトプット/アウトカム classification, from its provenance
    logic_rule: Provenance | None
    bands: GradeBands
    period: tuple[int, int] | None
    records: dict[str, Provenance]
    definitions: pl.DataFrame
    fields: pl.DataFrame
    built: dt.datetime
    today: dt.date
    #: the national context section's data (:mod:`ebpm.report.context`); None without national data
    context: ContextData | None = None
    sample_label: str = SAMPLE_LABEL
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_sample(self) -> bool:
        """True when anything shown (an actual, a commentary, a source) is sample data."""
        return any(k.is_sample for k in self.kpis) or any(
            bool(k.commentary and k.commentary.get("is_sample")) for k in self.kpis
        )

    @property
    def used_records(self) -> list[Provenance]:
        """The provenance of every file behind a number shown, by path."""
        used = {r.path: r for k in self.kpis for r in k.sources}
        return [used[p] for p in sorted(used)]


def _config() -> paths.WorkspaceConfig:
    """The names printed in the report: the current workspace's, or neutral ones."""
    try:
        return paths.workspace().config
    except paths.WorkspaceError:
        return paths.WorkspaceConfig()


def _sources(
    wh_records: Mapping[str, Provenance],
    definitions: pl.DataFrame,
    actuals: pl.DataFrame,
) -> dict[str, list[Provenance]]:
    """Per KPI: its definition file and the files of its actuals up to the report's year."""
    files: dict[str, set[str]] = {}
    for kpi_id, source_file in (
        definitions.filter("is_current").select("kpi_id", "source_file").iter_rows()
    ):
        files.setdefault(kpi_id, set()).add(source_file)
    for kpi_id, source_file in actuals.select("kpi_id", "source_file").iter_rows():
        files.setdefault(kpi_id, set()).add(source_file)
    return {k: [wh_records[f] for f in sorted(fs)] for k, fs in files.items()}


def _by_kpi(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["kpi_id"]: row for row in frame.iter_rows(named=True)}


def _groups(
    fields: pl.DataFrame, strategies: pl.DataFrame, kpis: list[KpiReport]
) -> list[StrategyGroup]:
    groups = []
    for f in fields.iter_rows(named=True):
        own = strategies.filter(pl.col("field_id") == f["field_id"])
        if own.height == 0:
            groups.append(StrategyGroup(f["field_id"], f["name"], None, None, []))
        for s in own.iter_rows(named=True):
            members = [k for k in kpis if k.row["strategy_id"] == s["strategy_id"]]
            groups.append(
                StrategyGroup(f["field_id"], f["name"], s["strategy_id"], s["name"], members)
            )
    return groups


def read_report_data(
    wh: Warehouse,
    fiscal_year: int | None,
    *,
    today: dt.date | None = None,
    with_forecast: bool = True,
) -> ReportData:
    """Read everything the report shows for ``fiscal_year`` (default: the latest with actuals).

    Raises
    ------
    ValueError
        When ``fiscal_year`` is given and the warehouse has no evaluation for it.
    """
    table = wh.progress_table(fiscal_year)
    if table.height == 0 and fiscal_year is not None:
        raise ValueError(
            f"{fiscal_year}年度の評価はありません（計画期間内の年度を指定してください）"
        )
    fy = int(table["fiscal_year"][0]) if table.height else None
    config = _config()
    records = {r.path: r for r in wh.provenance()}
    definitions = wh.definitions()
    tree = wh.strategy_tree()
    current = definitions.filter("is_current")
    stages = wh.logic_stages()
    logic_models = build_logic_models(
        tree["fields"], tree["strategies"], tree["tactics"], current, stages
    )
    kpis: list[KpiReport] = []
    if fy is not None:
        history = wh.kpi_history(up_to_fy=fy)
        actuals = wh.actuals(up_to_fy=fy)
        first_fy = int(current["base_fy"].min() or fy)  # type: ignore[arg-type]
        earlier = [wh.progress_table(y) for y in range(fy - 1, first_fy, -1)]
        every_year = pl.concat([table, *earlier], how="vertical").sort("kpi_id", "fiscal_year")
        sources = _sources(records, definitions, actuals)
        commentary = _by_kpi(wh.commentary(fy))
        own_actuals = _by_kpi(actuals.filter(pl.col("fiscal_year") == fy))
        stage_of = _by_kpi(stages)
        for row in table.iter_rows(named=True):
            kpi_id = safe_id(row["kpi_id"])
            own_history = history.filter(pl.col("kpi_id") == kpi_id)
            actual = own_actuals.get(kpi_id, {})
            stage = stage_of.get(kpi_id, {})
            kpis.append(
                KpiReport(
                    row=row,
                    history=own_history,
                    years=list(every_year.filter(pl.col("kpi_id") == kpi_id).iter_rows(named=True)),
                    sources=sources.get(kpi_id, []),
                    with_forecast=with_forecast,
                    commentary=commentary.get(kpi_id),
                    actual_note=actual.get("note"),
                    actual_source=actual.get("source"),
                    stage=stage.get("stage"),
                    stage_basis=stage.get("basis"),
                )
            )
    return ReportData(
        title=config.title,
        kpi_source=config.kpi_source or f"{config.strategy}の重要業績評価指標（KPI）".lstrip("の"),
        fiscal_year=fy,
        table=table,
        kpis=kpis,
        groups=_groups(tree["fields"], tree["strategies"], kpis),
        logic_models=logic_models,
        logic_rule=records.get(LOGIC_MODEL_PATH),
        bands=wh.grade_bands(),
        period=wh.promotion_period(),
        records=records,
        definitions=definitions,
        fields=tree["fields"],
        built=wh.built_at,
        today=today or dt.date.today(),
        context=read_context(wh, fy),
    )

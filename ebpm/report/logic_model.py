"""The logic model of each strategy: インプット → 活動 → アウトプット → アウトカム.

Built from the strategy tree (fields, strategies, tactics) and the stated classification of
KPIs (``kpi_logic_stage``, see :mod:`ebpm.annotations`): tactics are the activities, each
KPI sits under the stage its classification names. Nothing is guessed: a cell the strategy
or the classification does not fill stays empty and says why, a KPI without a
classification is listed as 未分類, and a field without strategies (分野2 地域のDX) is shown
with 「KPI未設定」.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

__all__ = ["NO_KPI", "STAGE_NAMES", "LogicKpi", "LogicModel", "build_logic_models"]

STAGE_NAMES: Final = ("インプット", "活動", "アウトプット", "アウトカム")
NO_KPI: Final = "KPI未設定"
NO_INPUT: Final = "戦略に記載がありません（予算・人員・システムなどの投入は示されていません）"
NO_ACTIVITY: Final = "戦略に戦術の記載がありません"
NO_STAGE: Final = "この戦略のKPIに{stage}を測るものはありません（空欄のままにしています）"
NO_CLASS: Final = "区分が記録されていないKPIがあるため、空欄のままにしています（下の未分類を参照）"


@dataclass(frozen=True)
class LogicKpi:
    """A KPI placed in a logic model, with the reason for its stage."""

    kpi_id: str
    name: str
    stage: str | None
    basis: str | None


@dataclass(frozen=True)
class LogicModel:
    """One strategy's chain; ``strategy_id`` is None for a field without strategies yet."""

    field_id: int
    field_name: str
    strategy_id: str | None
    strategy_name: str | None
    activities: tuple[str, ...]
    outputs: tuple[LogicKpi, ...]
    outcomes: tuple[LogicKpi, ...]
    unclassified: tuple[LogicKpi, ...]
    #: why a stage is empty, by stage name (shown in the empty cell)
    empty: Mapping[str, str]

    @property
    def title(self) -> str:
        if self.strategy_id is None:
            return f"分野{self.field_id} {self.field_name}"
        return f"戦略{self.strategy_id} {self.strategy_name}"

    def cells(self) -> dict[str, list[str]]:
        """Each stage's lines as printed (a KPI as 「K01 名前」)."""
        return {
            "インプット": [],
            "活動": list(self.activities),
            "アウトプット": [f"{k.kpi_id} {k.name}" for k in self.outputs],
            "アウトカム": [f"{k.kpi_id} {k.name}" for k in self.outcomes],
        }


def _kpis(rows: list[Mapping[str, Any]], stages: Mapping[str, tuple[str, str]]) -> list[LogicKpi]:
    out = []
    for row in rows:
        stage, basis = stages.get(row["kpi_id"], (None, None))
        out.append(LogicKpi(row["kpi_id"], row["short_name"] or row["name"], stage, basis))
    return out


def build_logic_models(
    fields: pl.DataFrame,
    strategies: pl.DataFrame,
    tactics: pl.DataFrame,
    kpis: pl.DataFrame,
    stages: pl.DataFrame,
) -> list[LogicModel]:
    """One model per strategy, in the tree's order; a field with no strategy gets one too.

    ``kpis`` are the current definitions (``kpi_id, name, short_name, strategy_id``);
    ``stages`` is ``kpi_id, stage, basis``.
    """
    by_stage = {r["kpi_id"]: (r["stage"], r["basis"]) for r in stages.iter_rows(named=True)}
    models = []
    for field in fields.iter_rows(named=True):
        own = strategies.filter(pl.col("field_id") == field["field_id"])
        if own.height == 0:
            reason = field.get("intent") or "戦略・戦術・KPIはまだ定められていません"
            models.append(
                LogicModel(
                    field["field_id"],
                    field["name"],
                    None,
                    None,
                    (),
                    (),
                    (),
                    (),
                    {name: f"{NO_KPI}（{reason}）" for name in STAGE_NAMES},
                )
            )
            continue
        for strategy in own.iter_rows(named=True):
            sid = strategy["strategy_id"]
            activities = tuple(
                f"戦術{t['number']} {t['name']}"
                for t in tactics.filter(pl.col("strategy_id") == sid).iter_rows(named=True)
            )
            placed = _kpis(
                list(kpis.filter(pl.col("strategy_id") == sid).iter_rows(named=True)), by_stage
            )
            outputs = tuple(k for k in placed if k.stage == "アウトプット")
            outcomes = tuple(k for k in placed if k.stage == "アウトカム")
            empty = {"インプット": NO_INPUT}
            if not activities:
                empty["活動"] = NO_ACTIVITY
            if not placed:
                empty |= {"アウトプット": NO_KPI, "アウトカム": NO_KPI}
            else:
                unsure = any(k.stage is None for k in placed)
                for stage, found in (("アウトプット", outputs), ("アウトカム", outcomes)):
                    if not found:
                        empty[stage] = NO_CLASS if unsure else NO_STAGE.format(stage=stage)
            models.append(
                LogicModel(
                    field["field_id"],
                    field["name"],
                    sid,
                    strategy["name"],
                    activities,
                    outputs,
                    outcomes,
                    tuple(k for k in placed if k.stage is None),
                    empty,
                )
            )
    return models

"""``data/raw/records/settings.toml``: which records the build reads, and the K09/K10 rule.

::

    source = "sample"        # "sample": data/raw/sample/records/ (研修用), "city": data/raw/records/
    [actuals]
    K09 = "typed"            # "typed": the actual typed in data/raw/kpi/actuals/ is used
    K10 = "typed"            # "derived": the value computed from the records is used

Without the file the build reads no records (as before issue 11).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ebpm.records.mapping import MappingError

__all__ = ["DERIVED_KPIS", "SETTINGS_FILE", "RecordSettings", "load_settings", "records_folder"]

SETTINGS_FILE = "settings.toml"
#: KPIs that can be derived from the records.
DERIVED_KPIS = ("K09", "K10")
Source = Literal["sample", "city"]
Precedence = Literal["typed", "derived"]


@dataclass(frozen=True)
class RecordSettings:
    """What the steward decided: the records to read and which K09/K10 value counts."""

    source: Source = "sample"
    actuals: dict[str, Precedence] = field(
        default_factory=lambda: dict.fromkeys(DERIVED_KPIS, "typed")
    )


def records_folder(raw_dir: Path, source: Source) -> Path:
    """Where the exports of a source are: the samples' or the city's."""
    return raw_dir / "sample" / "records" if source == "sample" else raw_dir / "records"


def load_settings(raw_dir: Path) -> RecordSettings | None:
    """Read ``records/settings.toml``; ``None`` when the project has no records set up.

    Raises
    ------
    MappingError
        With Japanese messages naming the key and the accepted values.
    """
    path = raw_dir / "records" / SETTINGS_FILE
    label = f"records/{SETTINGS_FILE}"
    if not path.exists():
        return None
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (tomllib.TOMLDecodeError, RecursionError) as error:
        detail = error if isinstance(error, tomllib.TOMLDecodeError) else "入れ子が深すぎます"
        raise MappingError([f"{label}: TOML の書式が正しくありません（{detail}）"]) from None
    errors = [
        f"{label}: 「{key}」という項目はありません（使える項目: actuals, source）"
        for key in sorted(set(data) - {"source", "actuals"})
    ]
    source = data.get("source", "sample")
    if source not in ("sample", "city"):
        errors.append(
            f'{label}: source「{source}」は使えません（"sample" か "city" を書いてください）'
        )
    actuals = data.get("actuals", {})
    rules: dict[str, Precedence] = dict.fromkeys(DERIVED_KPIS, "typed")
    if not isinstance(actuals, dict):
        errors.append(f"{label}: [actuals] の書き方が正しくありません")
        actuals = {}
    for kpi_id, rule in actuals.items():
        if kpi_id not in DERIVED_KPIS:
            errors.append(
                f"{label}: [actuals] の「{kpi_id}」は記録から求められません（{'、'.join(DERIVED_KPIS)} だけです）"
            )
        elif rule not in ("typed", "derived"):
            errors.append(
                f'{label}: [actuals] {kpi_id}「{rule}」は使えません（"typed"＝入力した実績、"derived"＝記録から求めた値）'
            )
        else:
            rules[kpi_id] = rule
    if errors:
        raise MappingError(errors)
    return RecordSettings(source=source, actuals=rules)

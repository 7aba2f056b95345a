"""Readers of the raw folders beyond the strategy: national extracts, e-Stat cache, samples.

Each returns ``({table_name: frame}, errors)`` and is registered in
``ebpm.warehouse.EXTRA_LOADERS``, so ``ebpm build`` loads and validates it like the
KPI tables, all or nothing.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ebpm import validation
from ebpm.readers import InputError

__all__ = ["read_estat", "read_national", "read_samples"]

Result = tuple[dict[str, pl.DataFrame], list[InputError]]


def read_national(raw_dir: Path) -> Result:
    """The ``national_*`` tables from ``data/raw/national/`` (see :mod:`ebpm.national.tables`)."""
    from ebpm.national import read_tables

    return read_tables(raw_dir)


def read_estat(raw_dir: Path) -> Result:
    """``estat_value``: every cached e-Stat response, tidy (empty when nothing is cached)."""
    from ebpm import estat

    folder = raw_dir / "estat"
    try:
        values = estat.load_cache(folder) if folder.is_dir() else pl.DataFrame()
    except (estat.EStatError, ValueError) as error:
        return {}, [InputError("estat", str(error))]
    if values.height == 0:
        values = pl.DataFrame(
            schema={
                c: pl.String for c in ("stats_data_id", "area_code", "time_code", "source_file")
            }
            | {"value": pl.Float64}
        )
        return {"estat_value": values}, []
    errors = validation.validate(values, validation.estat_suite(), "estat")
    return {"estat_value": values}, errors


def read_samples(raw_dir: Path) -> Result:
    """The synthetic training tables of ``data/raw/sample/``."""
    from ebpm.samples import SAMPLE_FILES

    tables: dict[str, pl.DataFrame] = {}
    errors: list[InputError] = []
    suites = validation.sample_suites()
    for file_name in SAMPLE_FILES:
        path = raw_dir / "sample" / file_name
        if not path.exists():
            continue
        name = f"sample_{path.stem}"
        label = f"sample/{file_name}"
        try:
            frame = pl.read_csv(path)
        except pl.exceptions.PolarsError as error:
            errors.append(InputError(label, f"CSV として読めません（{error}）"))
            continue
        errors += validation.validate(frame, suites[name], label)
        tables[name] = frame
    return tables, errors

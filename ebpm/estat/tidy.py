"""The tidy frame every e-Stat reader ends in: one row per published value.

=====================  =====================================================================
column                 meaning
=====================  =====================================================================
``<dim>_code/_label``  one pair per dimension other than area and time, in the order tab,
                       cat01 … cat15 (e.g. ``tab_code``, ``tab_label``, ``cat01_code`` …)
``area_code``          5-digit e-Stat area code as a string (``03203`` = 大船渡市); null when
                       the source has names only
``area_label``         area name as published (``岩手県 大船渡市`` or bare ``大船渡市``)
``time_code``          10-digit time code ``YYYY F 0 MM mm`` (F=1: 年度)
``time_label``         time name as published (``2020年度``)
``period_kind``        ``year`` | ``fiscal_year`` | ``month`` | ``quarter`` | ``other``
``year``               calendar year (null for a 年度, which spans two calendar years)
``fiscal_year``        年度, April–March, labelled by its start year (null for a calendar year)
``month``, ``quarter`` calendar month 1–12 and calendar quarter 1–4 where the period has them
``unit``               unit of the value (``@unit`` of the value, else of its class)
``value``              Float64; null for special values
``marker``             special character exactly as published (``***``, ``-``, ``X``, ``…``, ``－``)
``marker_meaning``     its meaning from ``DATA_INF.NOTE`` (or the CSV header block)
``annotation``         annotation code of the value (``@annotation``), if any
=====================  =====================================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import polars as pl

from ebpm import jp
from ebpm.estat.errors import EStatFormatError
from ebpm.estat.responses import (
    EStatResponse,
    check_status,
    classes,
    ensure_list,
    locate,
    notes,
    read_json_source,
    string_frame,
)

__all__ = [
    "PERIOD_KINDS",
    "parse_stats_data",
    "parse_stats_pages",
    "parse_time_codes",
    "tidy_columns",
]

PERIOD_KINDS: Final = ("year", "fiscal_year", "month", "quarter", "other")

# Fixed tail of every tidy frame; the tab/cat columns come before it.
TAIL_SCHEMA: Final[dict[str, pl.DataType]] = {
    "area_code": pl.String(),
    "area_label": pl.String(),
    "time_code": pl.String(),
    "time_label": pl.String(),
    "period_kind": pl.String(),
    "year": pl.Int32(),
    "fiscal_year": pl.Int32(),
    "month": pl.Int32(),
    "quarter": pl.Int32(),
    "unit": pl.String(),
    "value": pl.Float64(),
    "marker": pl.String(),
    "marker_meaning": pl.String(),
    "annotation": pl.String(),
}


def dim_sort_key(dim: str) -> tuple[int, str]:
    """Order of dimensions: tab, cat01 … cat15, others, area, time."""
    if dim == "tab":
        return (0, dim)
    match = re.fullmatch(r"cat(\d+)", dim)
    if match:
        return (1 + int(match.group(1)), dim)
    if dim == "area":
        return (200, dim)
    if dim == "time":
        return (201, dim)
    return (100, dim)


def tidy_columns(dims: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Column order of a tidy frame with the given dimensions.

    >>> tidy_columns(["cat01", "tab", "area", "time"])[:5]
    ['tab_code', 'tab_label', 'cat01_code', 'cat01_label', 'area_code']
    """
    others = sorted((d for d in dims if d not in ("area", "time")), key=dim_sort_key)
    return [f"{d}_{part}" for d in others for part in ("code", "label")] + list(TAIL_SCHEMA)


# --------------------------------------------------------------------------- time codes


def _period_exprs(code: pl.Expr) -> dict[str, pl.Expr]:
    """Period columns parsed from a 10-digit time code ``YYYY F 0 MM mm``."""
    valid = code.str.contains(r"^\d{4}[01]0\d{4}$").fill_null(False)
    yyyy = code.str.slice(0, 4).cast(pl.Int32, strict=False)
    calendar = code.str.slice(4, 1) == "0"
    first = code.str.slice(6, 2).cast(pl.Int32, strict=False)
    last = code.str.slice(8, 2).cast(pl.Int32, strict=False)
    whole = (first == 0) & (last == 0)
    kind = (
        pl.when(~valid)
        .then(pl.lit("other"))
        .when(whole & calendar)
        .then(pl.lit("year"))
        .when(whole)
        .then(pl.lit("fiscal_year"))
        .when(calendar & (first == last) & first.is_between(1, 12))
        .then(pl.lit("month"))
        .when(calendar & (last - first == 2) & first.is_in([1, 4, 7, 10]))
        .then(pl.lit("quarter"))
        .otherwise(pl.lit("other"))
    )
    dated = kind.is_in(["month", "quarter"])
    return {
        "period_kind": kind,
        "year": pl.when(kind.is_in(["year", "month", "quarter"]) | (valid & calendar)).then(yyyy),
        "fiscal_year": pl.when(kind == "fiscal_year")
        .then(yyyy)
        .when(dated)
        .then(pl.when(first >= 4).then(yyyy).otherwise(yyyy - 1))
        .when(valid & ~calendar)
        .then(yyyy),
        "month": pl.when(kind == "month").then(first),
        "quarter": pl.when(dated).then((first - 1) // 3 + 1),
    }


def parse_time_codes(codes: list[str | None] | pl.Series) -> pl.DataFrame:
    """Parse e-Stat time codes into the period columns of the tidy frame.

    >>> parse_time_codes(["2025100000", "2026000709"]).row(1)
    ('2026000709', 'quarter', 2026, 2026, None, 3)
    """
    frame = pl.DataFrame({"time_code": pl.Series(list(codes), dtype=pl.String())})
    return frame.with_columns(**_period_exprs(pl.col("time_code"))).with_columns(
        [pl.col(c).cast(pl.Int32) for c in ("year", "fiscal_year", "month", "quarter")]
    )


# --------------------------------------------------------------------------- values


def blank_to_null(expr: pl.Expr) -> pl.Expr:
    """Stripped text, null when blank."""
    stripped = expr.str.strip_chars()
    return pl.when(stripped != "").then(stripped)


def _value_exprs(raw: pl.Expr, note_chars: list[str]) -> dict[str, pl.Expr]:
    """Numeric value and marker from the published string (vectorised ``jp.parse_number``)."""
    text = blank_to_null(raw)
    _, is_number, value = jp.number_parts(text)
    declared = text.is_in(note_chars).fill_null(False) if note_chars else pl.lit(False)
    return {
        "value": value,
        "marker": pl.when(declared | (text.is_not_null() & ~is_number)).then(text),
    }


def finish(frame: pl.DataFrame, dims: list[str], declared: pl.DataFrame) -> pl.DataFrame:
    """Common tail: null columns, area code padding, period, value/marker, meaning, order.

    ``frame`` holds ``<dim>_code``/``<dim>_label`` columns plus ``_raw`` (the published
    string), ``_unit`` and optionally ``annotation``; ``declared`` the table's special
    characters (``marker``, ``meaning``).
    """
    every = dict.fromkeys([*dims, "area", "time"])
    wanted = [f"{d}_{p}" for d in every for p in ("code", "label")]
    missing = [c for c in [*wanted, "_raw", "_unit", "annotation"] if c not in frame.columns]
    frame = frame.with_columns([pl.lit(None, pl.String()).alias(c) for c in missing])
    frame = frame.with_columns(
        [blank_to_null(pl.col(c)).alias(c) for c in [*wanted, "_unit", "annotation"]]
    )
    note_chars = declared.get_column("marker").drop_nulls().to_list()
    area = pl.col("area_code")
    frame = frame.with_columns(
        area_code=pl.when(area.str.contains(r"^\d{1,4}$")).then(area.str.zfill(5)).otherwise(area),
        unit=pl.col("_unit"),
        **_value_exprs(pl.col("_raw"), note_chars),
        **_period_exprs(pl.col("time_code")),
    )
    # Meaning: exact marker first, then the NFKC form (a published "－" declared as "-").
    exact = declared.rename({"meaning": "marker_meaning"}).drop_nulls("marker")
    frame = frame.join(exact, on="marker", how="left", maintain_order="left")
    loose = (
        declared.drop_nulls("marker")
        .select(_key=pl.col("marker").str.normalize("NFKC"), _meaning=pl.col("meaning"))
        .unique(subset="_key", keep="first", maintain_order=True)
    )
    frame = (
        frame.with_columns(_key=pl.col("marker").str.normalize("NFKC"))
        .join(loose, on="_key", how="left", maintain_order="left")
        .with_columns(marker_meaning=pl.coalesce("marker_meaning", "_meaning"))
    )
    columns = tidy_columns(dims)
    return frame.select(
        [
            pl.col(c).cast(TAIL_SCHEMA.get(c, pl.String()))
            if c in frame.columns
            else pl.lit(None, TAIL_SCHEMA.get(c, pl.String())).alias(c)
            for c in columns
        ]
    )


# --------------------------------------------------------------------------- getStatsData


def parse_stats_data(
    data_json: Mapping[str, Any] | str | Path,
    meta_json: Mapping[str, Any] | str | Path | None = None,
) -> pl.DataFrame:
    """getStatsData JSON → tidy frame (see the module docstring for the columns).

    Parameters
    ----------
    data_json
        The response (dict, or a path to the JSON file). A bare ``DATA_INF`` object
        (``{"NOTE": …, "VALUE": …}``) is accepted too.
    meta_json
        A getMetaInfo response (or another getStatsData with metadata) whose ``CLASS_INF``
        labels the values when ``data_json`` has none (``metaGetFlg=N``, later pages).

    Returns
    -------
    polars.DataFrame
        One row per value; empty, with the full schema, when STATUS is 1 (no data).

    Raises
    ------
    EStatAPIError
        When the response carries STATUS >= 100.
    """
    obj = read_json_source(data_json)
    check_status(obj)
    parts = locate(obj)
    if parts.kind != "getStatsData":
        raise EStatFormatError(f"{parts.kind} の応答です。getStatsData の応答を渡してください")
    class_inf = parts.class_inf
    if not class_inf and meta_json is not None:
        meta_obj = read_json_source(meta_json)
        check_status(meta_obj)
        class_inf = locate(meta_obj).class_inf
    labels = classes(class_inf)
    values = ensure_list((parts.data_inf or {}).get("VALUE"))
    value_keys = {k[1:] for v in values[:1000] for k in v if k.startswith("@")}
    value_keys |= {k[1:] for v in values[-1:] for k in v if k.startswith("@")}
    dims = set(labels.get_column("dimension").unique().to_list()) | (
        value_keys - {"unit", "annotation"}
    )
    dims_sorted = sorted(dims, key=dim_sort_key)
    columns = {f"@{d}": f"{d}_code" for d in dims_sorted}
    columns |= {"@unit": "_unit_value", "@annotation": "annotation", "$": "_raw"}
    frame = string_frame(values, columns)
    unit_sources = [pl.col("_unit_value")]
    for dim in dims_sorted:
        lookup = (
            labels.filter(pl.col("dimension") == dim)
            .select(
                pl.col("code").alias(f"{dim}_code"),
                pl.col("label").alias(f"{dim}_label"),
                pl.col("unit").alias(f"_unit_{dim}"),
            )
            .unique(subset=f"{dim}_code", keep="first", maintain_order=True)
        )
        frame = frame.join(lookup, on=f"{dim}_code", how="left", maintain_order="left")
        unit_sources.append(pl.col(f"_unit_{dim}"))
    frame = frame.with_columns(_unit=pl.coalesce(unit_sources))
    return finish(frame, dims_sorted, notes(parts.data_inf))


def parse_stats_pages(pages: list[Mapping[str, Any]] | list[EStatResponse]) -> pl.DataFrame:
    """Several getStatsData pages of one table as one tidy frame.

    Later pages fetched with ``metaGetFlg=N`` take their labels from the first page that
    has ``CLASS_INF``.
    """
    datas = [p.data if isinstance(p, EStatResponse) else p for p in pages]
    meta = next((d for d in datas if locate(d).class_inf), None)
    frames = [parse_stats_data(d, meta) for d in datas]
    if not frames:
        return pl.DataFrame(schema=TAIL_SCHEMA)
    return pl.concat(frames, how="diagonal_relaxed")

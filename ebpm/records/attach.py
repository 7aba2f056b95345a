"""The build step of the records: ingest, attach to the new warehouse, swap it in.

:func:`attach_and_swap` is the one call ``ebpm.warehouse.build`` makes (in place of
its ``os.replace``). With the new warehouse written to a temporary file, it

1. reads ``records/settings.toml`` (none: nothing to do but the swap);
2. ingests the overtime and paper exports of the chosen source (validated all or
   nothing: any problem raises :class:`~ebpm.readers.BuildError` before anything is
   moved, and the staged files are removed);
3. moves the staged Parquet partitions to their content-addressed names;
4. writes into the temporary warehouse the views ``record_overtime`` and
   ``record_paper``, the tables ``record_partition``, ``record_source``,
   ``record_staff``, ``record_notice``, ``record_setting`` and ``derived_actual``,
   and applies the K09/K10 rule to ``kpi_actual``;
5. swaps the warehouse in, then deletes the partitions no warehouse lists any more.

Notices (dropped columns, unknown departments, derived/typed differences) go to the
``ebpm.records`` logger at WARNING, which the ``ebpm`` command shows on stderr, and to
the ``record_notice`` table. They never contain an employee id.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from ebpm.readers import BuildError, InputError
from ebpm.records.exports import ExportFile
from ebpm.records.mapping import MAPPING_FILE, MappingError, RecordMapping, load_mapping
from ebpm.records.pseudonym import Pseudonymizer
from ebpm.records.settings import RecordSettings, load_settings, records_folder
from ebpm.tempfiles import staging_name, workdir_prefix

if TYPE_CHECKING:
    from ebpm.records.overtime import IngestResult

__all__ = ["KINDS", "attach_and_swap", "export_files"]

log = logging.getLogger("ebpm.records")

KINDS = ("overtime", "paper")
_NOT_EXPORTS = {MAPPING_FILE, "SOURCES.toml", "README.md", ".gitkeep"}
OVERTIME_ORDER = [
    "employee_id",
    "department",
    "fiscal_year",
    "year",
    "month",
    "fiscal_month",
    "hours",
    "is_sample",
    "record_days",
    "overtime_days",
]
PAPER_ORDER = [
    "purchase_date",
    "fiscal_year",
    "year",
    "month",
    "fiscal_month",
    "department",
    "paper_size",
    "quantity",
    "unit",
    "sheets_per_unit",
    "sheets",
    "is_sample",
    "source_file",
    "source_row",
]


def export_files(
    folder: Path, mapping: RecordMapping, raw_dir: Path, is_sample: dict[str, bool]
) -> tuple[list[ExportFile], list[InputError]]:
    """The exports of a record folder, each opened with its layout; and the problems found."""
    from ebpm.records.exports import ExportRefused, open_export

    files: list[ExportFile] = []
    errors: list[InputError] = []
    for path in sorted(folder.iterdir()):
        if path.is_dir() or path.name in _NOT_EXPORTS or path.name.startswith((".", "~$")):
            continue
        label = path.relative_to(raw_dir).as_posix()
        layout = mapping.layout_for(path.name)
        if layout is None:
            patterns = "、".join(layout.files for layout in mapping.layouts)
            errors.append(
                InputError(
                    label,
                    f"どの [[layout]] の files（{patterns}）にも当てはまりません"
                    "（ファイル名を直すか、mapping.toml に形式を加えてください）",
                )
            )
            continue
        try:
            files.append(open_export(path, label, layout, is_sample.get(label, False)))
        except ExportRefused as refused:
            errors.extend(refused.errors)
    return files, errors


def _has_exports(folder: Path) -> bool:
    """Whether a record folder holds any file besides its mapping, provenance and README."""
    return folder.is_dir() and any(
        p.is_file() and p.name not in _NOT_EXPORTS and not p.name.startswith((".", "~$"))
        for p in folder.iterdir()
    )


def _pseudonymizer(settings: RecordSettings, files: list[ExportFile], label: str) -> Pseudonymizer:
    from ebpm.records.pseudonym import SAMPLE_KEY, load_key

    if settings.source == "sample":
        real = [f.label for f in files if not f.is_sample]
        if real:
            raise BuildError(
                [
                    InputError(
                        name,
                        "研修用サンプルのフォルダに is_sample = false のファイルがあります"
                        '（市の記録は data/raw/records/ に置き、settings.toml の source を "city" にしてください）',
                    )
                    for name in real
                ]
            )
        return Pseudonymizer(SAMPLE_KEY)
    from ebpm.records.pseudonym import PseudonymKeyError

    try:
        return Pseudonymizer(load_key())
    except PseudonymKeyError as error:
        raise BuildError([InputError(label, str(error))]) from None


def _ingest(
    raw_dir: Path,
    settings: RecordSettings,
    is_sample: dict[str, bool],
    stage: Path,
    workdir: Path,
    today: dt.date,
) -> tuple[dict[str, tuple[RecordMapping, IngestResult]], list[str], dict[str, str]]:
    from ebpm.records.overtime import ingest_overtime
    from ebpm.records.paper import ingest_paper

    folder = records_folder(raw_dir, settings.source)
    results: dict[str, tuple[RecordMapping, IngestResult]] = {}
    errors: list[InputError | str] = []
    notices: list[str] = []
    keys: dict[str, str] = {}
    if settings.source == "sample" and any(_has_exports(raw_dir / "records" / k) for k in KINDS):
        notices.append(
            'data/raw/records/ に市の記録がありますが、settings.toml の source が "sample" なので研修用サンプルを使いました'
        )
    for kind in KINDS:
        kind_dir = folder / kind
        label = f"{kind_dir.relative_to(raw_dir).as_posix()}/{MAPPING_FILE}"
        if not _has_exports(
            kind_dir
        ):  # e.g. only overtime records: the paper template may stay blank
            if kind_dir.is_dir():
                notices.append(
                    f"{kind_dir.relative_to(raw_dir).as_posix()}: 書き出しファイルがありません"
                )
            continue
        if not (kind_dir / MAPPING_FILE).exists():
            errors.append(
                InputError(
                    label, "対応表 mapping.toml がありません（テンプレートから作ってください）"
                )
            )
            continue
        try:
            mapping = load_mapping(kind_dir / MAPPING_FILE, kind, label)  # type: ignore[arg-type]
        except MappingError as error:
            errors.extend(error.messages)
            continue
        files, file_errors = export_files(kind_dir, mapping, raw_dir, is_sample)
        if file_errors:
            errors.extend(file_errors)
            continue
        try:
            if kind == "overtime":
                pseudonymize = _pseudonymizer(settings, files, label)
                keys["fingerprint"] = pseudonymize.fingerprint
                keys["kind"] = "sample" if pseudonymize.is_sample_key else "city"
                results[kind] = (
                    mapping,
                    ingest_overtime(mapping, files, pseudonymize, stage, workdir, today),
                )
            else:
                results[kind] = (mapping, ingest_paper(mapping, files, stage, today))
        except BuildError as error:
            errors.extend(error.errors)
    if errors:
        raise BuildError(errors)
    return results, notices, keys


def _typed_context(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[str, bool], pl.DataFrame, pl.DataFrame]:
    is_sample = dict(con.sql("SELECT path, is_sample FROM provenance").fetchall())
    typed = con.sql(
        "SELECT kpi_id, fiscal_year::INTEGER AS fiscal_year, value, source_file FROM kpi_actual"
        " WHERE kpi_id IN ('K09', 'K10')"
    ).pl()
    definitions = con.sql(
        "SELECT kpi_id, base_fy::INTEGER AS base_fy, base_value, target_fy::INTEGER AS target_fy"
        " FROM kpi_current WHERE kpi_id IN ('K09', 'K10')"
    ).pl()
    return is_sample, typed, definitions


def _create_views(con: duckdb.DuckDBPyConnection, finals: dict[str, dict[int, Path]]) -> None:
    """One view per kind over its final Parquet partitions, in fiscal-year order."""
    from ebpm.records.overtime import OVERTIME_COLUMNS
    from ebpm.records.paper import PAPER_COLUMNS
    from ebpm.records.store import view_sql

    for kind, columns, order in (
        ("overtime", OVERTIME_COLUMNS, OVERTIME_ORDER),
        ("paper", PAPER_COLUMNS, PAPER_ORDER),
    ):
        files = [finals.get(kind, {})[fy] for fy in sorted(finals.get(kind, {}))]
        con.execute(view_sql(f"record_{kind}", files, columns, order))


def _partition_table(results: dict, finals: dict[str, dict[int, Path]]) -> pl.DataFrame:
    """record_partition: each final Parquet file with its kind, year and row count."""
    partitions = [
        {"kind": kind, "fiscal_year": fy, "path": str(path), "rows": results[kind][1].rows[fy]}
        for kind, years in finals.items()
        for fy, path in sorted(years.items())
    ]
    return pl.DataFrame(
        partitions,
        schema={
            "kind": pl.String,
            "fiscal_year": pl.Int32,
            "path": pl.String,
            "rows": pl.Int64,
        },
    )


def _source_table(results: dict) -> pl.DataFrame:
    """record_source: the rows each source file gave to each fiscal year."""
    sources = [
        result.sources.with_columns(
            kind=pl.lit(kind), fiscal_year=pl.col("fiscal_year").cast(pl.Int32)
        ).select("kind", "fiscal_year", "source_file", pl.col("rows").cast(pl.Int64))
        for kind, (_, result) in results.items()
    ]
    if sources:
        return pl.concat(sources)
    return pl.DataFrame(
        schema={
            "kind": pl.String,
            "fiscal_year": pl.Int32,
            "source_file": pl.String,
            "rows": pl.Int64,
        }
    )


def _staff_table(overtime_totals: pl.DataFrame | None, staff_count: str) -> pl.DataFrame:
    """record_staff: headcount, person-years and the staff count the settings chose."""
    from ebpm.records.derive import STAFF_DEFINITIONS

    if overtime_totals is None:
        return pl.DataFrame(
            schema={
                "fiscal_year": pl.Int32,
                "headcount": pl.Int64,
                "person_years": pl.Float64,
                "staff_count": pl.Float64,
                "definition": pl.String,
            }
        )
    return overtime_totals.select(
        pl.col("fiscal_year").cast(pl.Int32),
        "headcount",
        (pl.col("person_months") / 12).alias("person_years"),
        pl.col("headcount" if staff_count == "headcount" else "person_months")
        .truediv(1 if staff_count == "headcount" else 12)
        .cast(pl.Float64)
        .alias("staff_count"),
        pl.lit(STAFF_DEFINITIONS[staff_count]).alias("definition"),
    )


def _setting_table(
    settings: RecordSettings, staff_count: str, keys: dict[str, str]
) -> pl.DataFrame:
    """record_setting: the one row of settings this build used (never the key itself)."""
    return pl.DataFrame(
        [
            {
                "source": settings.source,
                "K09": settings.actuals["K09"],
                "K10": settings.actuals["K10"],
                "staff_count": staff_count,
                "key_kind": keys.get("kind"),
                "key_fingerprint": keys.get("fingerprint"),
            }
        ]
    )


def _store(
    con: duckdb.DuckDBPyConnection, tables: dict[str, pl.DataFrame], replacements: pl.DataFrame
) -> None:
    """Create the record tables, swap the derived actuals into kpi_actual, run the views."""
    for name, frame in tables.items():
        con.register("incoming", frame)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
        con.unregister("incoming")
    if replacements.height:
        con.register("replacement", replacements)
        con.execute(
            "DELETE FROM kpi_actual WHERE (kpi_id, fiscal_year) IN (SELECT (kpi_id, fiscal_year) FROM replacement)"
        )
        con.execute("INSERT INTO kpi_actual BY NAME SELECT * FROM replacement")
        con.unregister("replacement")
    con.sql("SELECT count(*) FROM record_overtime").fetchall()  # the views must run
    con.sql("SELECT count(*) FROM record_paper").fetchall()


def _write(
    con: duckdb.DuckDBPyConnection,
    settings: RecordSettings,
    results: dict,
    finals: dict[str, dict[int, Path]],
    notices: list[str],
    keys: dict[str, str],
    typed: pl.DataFrame,
    definitions: pl.DataFrame,
) -> list[str]:
    from ebpm.records.derive import compare, derive

    _create_views(con, finals)
    tables: dict[str, pl.DataFrame] = {"record_partition": _partition_table(results, finals)}
    tables["record_source"] = _source_table(results)
    overtime = results.get("overtime")
    staff_count = overtime[0].checks.staff_count if overtime else "headcount"
    overtime_totals = overtime[1].totals if overtime else None
    tables["record_staff"] = _staff_table(overtime_totals, staff_count)
    derived = derive(
        overtime_totals, results["paper"][1].totals if "paper" in results else None, staff_count
    )
    kpi_of = {"overtime": "K10", "paper": "K09"}
    record_sources = (
        tables["record_source"]
        .with_columns(kpi_id=pl.col("kind").replace_strict(kpi_of))
        .select("kpi_id", "fiscal_year", "source_file")
    )
    comparison = compare(derived, typed, definitions, record_sources, settings)
    tables["derived_actual"] = comparison.table
    all_notices = notices + [n for _, r in results.values() for n in r.notices] + comparison.notices
    tables["record_notice"] = pl.DataFrame({"message": all_notices}, schema={"message": pl.String})
    tables["record_setting"] = _setting_table(settings, staff_count, keys)
    _store(con, tables, comparison.replacements)
    return all_notices


def attach_and_swap(
    raw_dir: Path,
    tmp_db: Path,
    target: Path,
    today: dt.date | None = None,
    before_swap: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> None:
    """Ingest the records into the new warehouse ``tmp_db``, then swap it in as ``target``.

    ``before_swap`` runs on the new warehouse once derived K09/K10 actuals may have
    replaced typed ones (the build re-evaluates ``kpi_progress`` there).

    Raises
    ------
    BuildError
        Any problem in the settings, mappings or exports; ``target`` and the Parquet
        files of the previous build are then untouched.
    """
    from ebpm.records.store import collect_garbage, promote, records_root

    try:
        settings = load_settings(raw_dir)
    except MappingError as error:
        raise BuildError(error.messages) from None
    if settings is None:
        if before_swap is not None:
            with duckdb.connect(str(tmp_db)) as con:
                before_swap(con)
                con.execute("CHECKPOINT")
        os.replace(tmp_db, target)
        return
    today = today or dt.date.today()
    root = records_root(target)
    root.mkdir(parents=True, exist_ok=True)
    stage = root / staging_name()  # with the process id: a later build removes it if killed
    new_files: list[Path] = []
    swapped = False
    try:
        with duckdb.connect(str(tmp_db)) as con:
            is_sample, typed, definitions = _typed_context(con)
        # 0700, and named with the process id: it may hold clear ids, so a build after a
        # killed one removes it (ebpm.tempfiles).
        with tempfile.TemporaryDirectory(prefix=workdir_prefix()) as workdir:
            results, notices, keys = _ingest(
                raw_dir, settings, is_sample, stage, Path(workdir), today
            )
        finals: dict[str, dict[int, Path]] = {}
        for kind, (_, result) in results.items():
            finals[kind], added = promote(result.partitions, root, kind)
            new_files += added
        with duckdb.connect(str(tmp_db)) as con:
            all_notices = _write(con, settings, results, finals, notices, keys, typed, definitions)
            if before_swap is not None:
                before_swap(con)
            con.execute("CHECKPOINT")
        os.replace(tmp_db, target)
        swapped = True
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if not swapped:
            for path in new_files:
                path.unlink(missing_ok=True)
    collect_garbage(root, {p for years in finals.values() for p in years.values()})
    for notice in all_notices:
        log.warning("お知らせ: %s", notice)

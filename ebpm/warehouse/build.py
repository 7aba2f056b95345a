"""The only writer of the warehouse: an atomic build from ``data/raw/``.

``build()`` reads every raw file (:mod:`ebpm.warehouse.sources`), validates each table
with Great Expectations and only then writes a new database into a temporary file beside
the warehouse, which replaces ``data/processed/ebpm.duckdb`` in one ``os.replace``. On
any bad input it raises :class:`~ebpm.readers.BuildError` and the previous warehouse is
left byte-for-byte as it was. Readers open the file read-only, so a classroom can read
while it is rebuilt.

Before writing, the KPI definitions are compared with the previous warehouse's
``kpi_definition``: a revision edited in place or removed is refused (history is added as
new revisions, never rewritten). Temporary files carry the process id, so a build killed
midway leaves nothing that a later build does not remove (:mod:`ebpm.tempfiles`); a full
disk or a warehouse held open by a writer is reported in Japanese as a BuildError.
Every build records a ``build_info`` row (id, time, version) that readers use to tell
which build a long-lived connection sees.

``kpi_progress`` is not computed by SQL: the build evaluates every KPI and year with the
pure rule of :mod:`ebpm.kpi.progress` and stores the rows, so the rule has one source.
"""

from __future__ import annotations

import datetime as dt
import errno
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from ebpm import __version__, paths
from ebpm.kpi.model import DEFAULT_BANDS, GradeBands
from ebpm.kpi.progress import PROGRESS_SCHEMA, progress_frame
from ebpm.manifest import Provenance
from ebpm.readers import FILE, ROW, BuildError
from ebpm.records.attach import attach_and_swap
from ebpm.records.store import records_root
from ebpm.tempfiles import remove_leftovers, tmp_name
from ebpm.warehouse.sources import definition_history_errors, read_all, start_national

__all__ = ["BuildSummary", "build", "workspace_bands"]


@dataclass(frozen=True)
class BuildSummary:
    """What a successful build wrote."""

    db_path: Path
    tables: dict[str, int]
    files: int


_PROVENANCE_SCHEMA = {
    "path": pl.String,
    "sha256": pl.String,
    "size_bytes": pl.Int64,
    "title": pl.String,
    "publisher": pl.String,
    "licence": pl.String,
    "retrieved_at": pl.Date,
    "is_sample": pl.Boolean,
    "url": pl.String,
    "processing": pl.String,
    "credit": pl.String,
    "notes": pl.String,
}

#: DuckDB types of the polars types used by ``kpi_progress``.
_SQL_TYPES = {
    "String": "VARCHAR",
    "Int32": "INTEGER",
    "Int64": "BIGINT",
    "Float64": "DOUBLE",
    "Boolean": "BOOLEAN",
    "List[Int32]": "INTEGER[]",
}


def _provenance_frame(records: list[Provenance]) -> pl.DataFrame:
    return pl.DataFrame([r.as_row() for r in records], schema=_PROVENANCE_SCHEMA)


def _tidy(frame: pl.DataFrame) -> pl.DataFrame:
    """Raw-file bookkeeping columns become ``source_file`` / ``source_row``."""
    renames = {FILE: "source_file", ROW: "source_row"}
    return frame.rename({k: v for k, v in renames.items() if k in frame.columns})


def _progress(tables: dict[str, pl.DataFrame], bands: GradeBands) -> pl.DataFrame:
    """The ``kpi_progress`` rows from the pure rule, for the current definitions."""
    current = (
        tables["kpi_definition"]
        .filter("is_current")
        .join(tables["field"].select("field_id", field_name="name"), on="field_id", how="left")
        .join(
            tables["strategy"].select("strategy_id", strategy_name="name"),
            on="strategy_id",
            how="left",
        )
    )
    return progress_frame(current, tables["kpi_actual"], bands)


def _refresh_progress(
    con: duckdb.DuckDBPyConnection, tables: dict[str, pl.DataFrame], bands: GradeBands
) -> None:
    """Re-evaluate ``kpi_progress`` from the ``kpi_actual`` now in ``con``."""
    actuals = con.sql("SELECT * FROM kpi_actual").pl()
    con.execute("DROP VIEW kpi_progress")
    con.execute(progress_view_sql(_progress({**tables, "kpi_actual": actuals}, bands)))


def _literal(value: object) -> str:
    """One cell as SQL text; the view casts each column to its type."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = repr(value)  # shortest text that reads back as the same double
    elif isinstance(value, list):
        text = "[" + ", ".join(str(v) for v in value) + "]"
    else:
        text = str(value)
    return "'" + text.replace("'", "''") + "'"


def progress_view_sql(frame: pl.DataFrame) -> str:
    """``CREATE VIEW kpi_progress`` holding the rule's rows as literal values.

    A view rather than a table keeps the warehouse's catalogue as lessons show it (one
    view per derived relation); its rows are fixed at build time, exactly as computed.
    """
    columns = list(PROGRESS_SCHEMA)
    select = ", ".join(f'CAST("{c}" AS {_SQL_TYPES[PROGRESS_SCHEMA[c]]}) AS "{c}"' for c in columns)
    if frame.height == 0:
        nulls = ", ".join(f'NULL AS "{c}"' for c in columns)
        return f"CREATE VIEW kpi_progress AS SELECT {select} FROM (SELECT {nulls}) WHERE false"
    rows = ",\n".join(
        "(" + ", ".join(_literal(v) for v in row) + ")" for row in frame.select(columns).iter_rows()
    )
    names = ", ".join(f'"{c}"' for c in columns)
    return (
        f"CREATE VIEW kpi_progress AS SELECT {select}\n"
        f"FROM (VALUES\n{rows}\n) AS progress_rows({names})\nORDER BY fiscal_year, kpi_id"
    )


def _write(db_path: Path, tables: dict[str, pl.DataFrame], bands: GradeBands) -> None:
    from ebpm.national.views import create_views as create_national_views

    con = duckdb.connect(str(db_path))
    try:
        # Readers compare this id to tell which build a long-lived connection still sees.
        con.execute(
            "CREATE TABLE build_info AS SELECT ?::VARCHAR AS build_id,"
            " ?::TIMESTAMP AS built_at, ?::VARCHAR AS ebpm_version",
            [uuid.uuid4().hex, dt.datetime.now().replace(microsecond=0), __version__],
        )
        for name, frame in tables.items():
            con.register("incoming", frame)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
            con.unregister("incoming")
        con.execute(
            "CREATE TABLE grade_bands AS SELECT ?::DOUBLE AS on_track, ?::DOUBLE AS mostly",
            [bands.on_track, bands.mostly],
        )
        con.execute("CREATE VIEW kpi_current AS SELECT * FROM kpi_definition WHERE is_current")
        con.execute(progress_view_sql(_progress(tables, bands)))
        create_national_views(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _write_failure(target: Path, error: BaseException) -> str:
    """A Japanese message for a build that could not be written (the old warehouse stays)."""
    text = str(error)
    full = (isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)) or any(
        marker in text for marker in ("No space left", "not enough space", "disk is full")
    )
    if full:
        return (
            f"{target.parent}: ディスクの空き容量が足りないため、ウェアハウスを書き込めませんでした"
            "（以前のウェアハウスはそのままです）。不要なファイルを削除して空き容量を増やしてから、"
            "`ebpm build` を実行し直してください"
        )
    if isinstance(error, PermissionError):
        return (
            f"{target.parent}: 書き込む権限がないため、ウェアハウスを作れませんでした"
            "（フォルダの権限を確かめるか、--db で別の場所を指定してください）"
        )
    return (
        f"{target}: ウェアハウスを書き込めませんでした（以前のウェアハウスはそのままです）。"
        f"ほかのプログラムが書き込み中でないか確かめてください（詳細: {text}）"
    )


def _previous_definitions(target: Path) -> pl.DataFrame | None:
    """``kpi_definition`` of the warehouse being replaced, or None (none, or unreadable)."""
    from ebpm.warehouse.read import Warehouse, WarehouseBusyError

    if not target.is_file():
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Warehouse(target) as wh:
                return wh.sql("SELECT * FROM kpi_definition")
    except WarehouseBusyError as error:  # never skip the comparison because of a lock
        raise BuildError([str(error)]) from None
    except (duckdb.Error, OSError, ValueError):
        return None  # an unreadable previous build (damaged, older format) is replaced


def changed_during_build(raw_dir: Path, records: list[Provenance]) -> list[str]:
    """Files whose bytes are no longer those hashed when the build started.

    A steward saving a workbook while ``ebpm build`` runs would otherwise get a warehouse
    whose provenance (SHA-256) describes one version and whose rows come from another.
    """
    from ebpm.manifest import file_sha256

    changed = []
    for record in records:
        path = raw_dir / record.path
        try:
            same = path.stat().st_size == record.size_bytes and file_sha256(path) == record.sha256
        except OSError:
            same = False
        if not same:
            changed.append(
                f"{record.path}: ビルドの途中でファイルが変更（または削除）されました。"
                "保存が終わってから、もう一度 `ebpm build` を実行してください"
            )
    return changed


def workspace_bands(raw_dir: Path) -> GradeBands:
    """The grade bands set in the ``ebpm.toml`` of the workspace holding ``raw_dir``.

    The defaults (1.0 and 0.6) when ``raw_dir`` is not inside a workspace.
    """
    root = paths.find_workspace(raw_dir)
    return paths.Workspace(root).config.bands() if root else DEFAULT_BANDS


def build(
    raw_dir: str | Path | None = None,
    db_path: str | Path | None = None,
    *,
    bands: GradeBands | None = None,
    today: dt.date | None = None,
) -> BuildSummary:
    """Rebuild the warehouse from the raw files, all or nothing.

    ``raw_dir`` and ``db_path`` default to the current workspace's; ``bands`` to the
    edges set in the workspace's ``ebpm.toml`` (see :func:`workspace_bands`).

    Raises
    ------
    BuildError
        Listing every problem found; the existing warehouse is untouched.
    """
    raw = Path(raw_dir) if raw_dir else paths.workspace().raw
    target = Path(db_path) if db_path else paths.workspace().warehouse
    if not raw.is_dir():
        raise BuildError([f"入力フォルダ {raw} がありません"])
    bands = workspace_bands(raw) if bands is None else bands
    from ebpm import validation

    national = start_national(raw)  # first: a second process may read while GX is imported
    try:
        validation.prepare()  # GX's import overlaps the hashing and reading of the files
        tables, provenance = read_all(raw, today, national=national)
    finally:
        national.close()
    tables = {name: _tidy(frame) for name, frame in tables.items()}
    tables["provenance"] = _provenance_frame(provenance)

    previous = _previous_definitions(target)
    if previous is not None:
        history_errors = definition_history_errors(previous, tables["kpi_definition"])
        if history_errors:
            raise BuildError(history_errors)

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(target, records_root(target))
        tmp = target.with_name(tmp_name(target.name))
        try:
            _write(tmp, tables, bands)
            # The city's records (ebpm.records) are ingested into the new file, which it then
            # swaps in; derived K09/K10 actuals may replace typed ones, so progress is redone.

            def before_swap(con: duckdb.DuckDBPyConnection) -> None:
                _refresh_progress(con, tables, bands)
                # Last moment before the swap: every input must still be what was read.
                changed = changed_during_build(raw, provenance)
                if changed:
                    raise BuildError(changed)

            attach_and_swap(raw, tmp, target, today, before_swap=before_swap)
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                leftover.unlink(missing_ok=True)
    except (OSError, duckdb.IOException, duckdb.TransactionException) as error:
        raise BuildError([_write_failure(target, error)]) from None
    return BuildSummary(target, {n: f.height for n, f in tables.items()}, len(provenance))

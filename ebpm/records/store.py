"""Parquet partitions by fiscal year, and the views that attach them to the warehouse.

Layout (Hive partitioning, readable unchanged by DuckDB, DuckLake, Spark)::

    data/processed/records/<warehouse name>/overtime/fiscal_year=2024/part-<sha256 16>.parquet
    data/processed/records/<warehouse name>/paper/fiscal_year=2024/part-<sha256 16>.parquet

Files are content-addressed: a partition is written to a staging folder under a name
derived from its rows (:func:`ebpm.records.overtime.write_partitions`). An unchanged year already has that file, so it is not
rewritten; a changed year gets a new file *beside* the old one. The new warehouse
lists exactly its files; the previous warehouse keeps pointing at the previous ones.
Only after the new warehouse has been swapped in are the files it does not list
deleted. A failed build therefore leaves the previous Parquet and warehouse intact.

The views hold **absolute** paths, resolved when the warehouse is built: they work
from any working directory and in any SQL client (DuckDB CLI, DBeaver). Moving the
project folder breaks them until ``ebpm build`` is run again (``ebpm.records`` says
so in Japanese). Relative paths would survive a move but resolve against the
reader's working directory, which differs between the CLI, notebooks and tests.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

__all__ = ["collect_garbage", "promote", "records_root", "register_views", "view_sql"]


def records_root(warehouse: Path) -> Path:
    """The Parquet folder of a warehouse: ``<its folder>/records/<its name>/``."""
    return warehouse.parent / "records" / warehouse.stem


def promote(staged: dict[int, Path], root: Path, kind: str) -> tuple[dict[int, Path], list[Path]]:
    """Move staged partitions (already named by their content) into ``root``.

    Returns the final file of every fiscal year and the files that are new (the
    caller deletes those if the build fails later). A year whose file already exists
    did not change: the staged copy is dropped and the file is left as it is.
    """
    final: dict[int, Path] = {}
    new: list[Path] = []
    for fiscal_year, path in sorted(staged.items()):
        target = root / kind / f"fiscal_year={fiscal_year}" / path.name
        if target.exists():
            path.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            new.append(target)
        final[fiscal_year] = target.resolve()
    return final, new


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_sql(name: str, files: list[Path], columns: dict[str, str], order: list[str]) -> str:
    """``CREATE VIEW name`` over the files (or an empty, typed view when there are none)."""
    selected = ", ".join(f'"{c}"' for c in order)
    if not files:
        typed = {**columns, "fiscal_year": "INTEGER"}
        empty = ", ".join(f'NULL::{typed[c]} AS "{c}"' for c in order)
        return f'CREATE VIEW "{name}" AS SELECT {empty} WHERE false'
    listed = ", ".join(_literal(str(f)) for f in files)
    return (
        f'CREATE VIEW "{name}" AS SELECT {selected} FROM read_parquet([{listed}],'
        " hive_partitioning = true, hive_types = {'fiscal_year': INTEGER})"
    )


def collect_garbage(root: Path, keep: set[Path]) -> list[Path]:
    """Delete Parquet files under ``root`` that ``keep`` does not list, and empty folders."""
    removed = []
    if not root.exists():
        return removed
    kept = {p.resolve() for p in keep}
    for path in sorted(root.rglob("*.parquet")):
        if path.resolve() not in kept:
            path.unlink()
            removed.append(path)
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if folder.name.startswith(".staging-"):
            if _stale_staging(folder):  # never the folder of a build still running
                shutil.rmtree(folder, ignore_errors=True)
        elif not any(folder.iterdir()):
            folder.rmdir()
    return removed


def _stale_staging(folder: Path) -> bool:
    import time

    from ebpm.tempfiles import stale

    pid = folder.name.removeprefix(".staging-").partition("-")
    return stale(folder, pid[0] if pid[1] and pid[0].isdigit() else None, time.time())


def register_views(con: duckdb.DuckDBPyConnection, warehouse: Path) -> list[str]:
    """Make ``record_overtime`` / ``record_paper`` readable on a read-only connection.

    The read API's connections have no file access (``enable_external_access = false``),
    so the stored views, which call ``read_parquet``, cannot run there. Instead, each
    kind's Parquet files (listed in ``record_partition``) are scanned by polars and
    registered on the connection under the view's name, with its columns in its order:
    a temporary view that shadows the stored one (``information_schema.tables`` lists
    both, the stored one in the warehouse's catalogue, this one in ``temp``). Only files inside this warehouse's records folder are
    opened; a kind whose files are missing (the project moved) is left as it is, and
    reading it then fails with the message of :mod:`ebpm.records.read`.

    Returns the views made readable.
    """
    import duckdb

    try:
        rows = con.sql(
            "SELECT kind, path FROM record_partition ORDER BY kind, fiscal_year"
        ).fetchall()
    except duckdb.CatalogException:  # a warehouse without records
        return []
    from ebpm.records.attach import OVERTIME_ORDER, PAPER_ORDER

    orders = {"overtime": OVERTIME_ORDER, "paper": PAPER_ORDER}
    root = records_root(warehouse).resolve()
    files: dict[str, list[str]] = {}
    for kind, path in rows:
        files.setdefault(kind, []).append(path)
    made = []
    for kind, paths_ in files.items():
        inside = [p for p in paths_ if Path(p).resolve().is_relative_to(root)]
        if kind not in orders or len(inside) != len(paths_) or not all(map(os.path.isfile, inside)):
            continue
        import polars as pl

        # Lazy: polars reads the files when a query runs. The stored view's columns and
        # types, fiscal_year (from the folder name) included.
        frame = pl.scan_parquet(inside, hive_partitioning=True).select(
            pl.col(c).cast(pl.Int32) if c == "fiscal_year" else pl.col(c) for c in orders[kind]
        )
        name = f"record_{kind}"
        con.register(name, frame)  # a temporary view: it shadows the stored one
        made.append(name)
    return made

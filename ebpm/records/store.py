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

__all__ = ["collect_garbage", "promote", "records_root", "view_sql"]


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
            shutil.rmtree(folder, ignore_errors=True)
        elif not any(folder.iterdir()):
            folder.rmdir()
    return removed

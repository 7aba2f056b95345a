"""A canonical dump of a warehouse, to show that a change to the build changed no content.

    .venv/bin/python scripts/warehouse_dump.py data/processed/ebpm.duckdb > before.txt
    # ... change the build, rebuild ...
    .venv/bin/python scripts/warehouse_dump.py data/processed/ebpm.duckdb > after.txt
    diff before.txt after.txt && echo identical

Every table and view of the ``main`` schema is written with its column names and types and
every row in the order a plain ``SELECT *`` returns it (a view's own ORDER BY included), then
the SQL of every view. ``build_info`` holds a fresh id and time on every build, so only its
columns and row count are written. The last line is the SHA-256 of everything above it.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import duckdb

#: Relations whose values differ on every build by design (id and time of the build).
PER_BUILD = {"build_info"}


def dump_lines(db_path: Path) -> list[str]:
    """The dump of ``db_path`` as lines (without the closing SHA-256 line)."""
    lines: list[str] = []
    with duckdb.connect(str(db_path), read_only=True) as con:
        relations = con.sql(
            "SELECT table_name, table_type FROM information_schema.tables"
            " WHERE table_schema = 'main' ORDER BY table_name"
        ).fetchall()
        for name, kind in relations:
            columns = con.sql(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
                params=[name],
            ).fetchall()
            rows = con.sql(f'SELECT * FROM "{name}"').fetchall()
            lines.append(f"## {kind} {name}: {len(rows)} rows")
            lines.append("columns: " + ", ".join(f"{c} {t}" for c, t in columns))
            if name not in PER_BUILD:
                lines.extend(repr(row) for row in rows)
        for name, sql in con.sql(
            "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY view_name"
        ).fetchall():
            lines.append(f"## view sql {name}")
            lines.append(sql)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db", type=Path, help="the warehouse file (opened read-only)")
    args = parser.parse_args()
    lines = dump_lines(args.db)
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    sys.stdout.write(f"sha256 {hashlib.sha256(text.encode()).hexdigest()}\n")


if __name__ == "__main__":
    main()

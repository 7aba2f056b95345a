"""Reading the records back: the one API lessons 03/04 and reports use.

Whether the warehouse holds the training samples or the city's records is decided
at build time by ``data/raw/records/settings.toml`` (``source``); these functions read
the same views either way, and every frame carries ``is_sample``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

__all__ = [
    "derived_actuals",
    "overtime_monthly",
    "paper_monthly",
    "paper_purchases",
    "record_provenance",
    "records_setting",
]


class RecordsMissingError(LookupError):
    """The warehouse has no records (message in Japanese)."""


def _query(sql: str, db_path: str | Path | None) -> pl.DataFrame:
    from ebpm.warehouse import connect

    with connect(db_path) as con:
        try:
            return con.sql(sql).pl()
        except duckdb.CatalogException:
            raise RecordsMissingError(
                "ウェアハウスに時間外勤務・コピー用紙の記録がありません"
                "（data/raw/records/settings.toml を確かめて `ebpm build` を実行してください）"
            ) from None
        except (duckdb.IOException, duckdb.PermissionException):
            # Missing files are not registered on the read-only connection (store.register_views).
            raise RecordsMissingError(
                "記録の Parquet ファイルが見つかりません。data/processed を移したときなどは `ebpm build` を実行し直してください"
            ) from None


def overtime_monthly(db_path: str | Path | None = None) -> pl.DataFrame:
    """Overtime per employee (pseudonym), department and month.

    Columns as ``sample_overtime_monthly`` (``employee_id, department, fiscal_year,
    year, month, fiscal_month, hours, is_sample``) plus ``record_days`` and
    ``overtime_days`` (days in a daily export; null for monthly exports).
    """
    return _query(
        "SELECT * FROM record_overtime ORDER BY fiscal_year, fiscal_month, employee_id, department",
        db_path,
    )


def paper_purchases(db_path: str | Path | None = None) -> pl.DataFrame:
    """Every copy-paper purchase: date, department, size, quantity, unit, sheets, source row."""
    return _query(
        "SELECT * FROM record_paper ORDER BY purchase_date, source_file, source_row", db_path
    )


def paper_monthly(db_path: str | Path | None = None) -> pl.DataFrame:
    """Sheets bought per month, with reams (500 sheets) and the fiscal year's staff count.

    ``staff`` is the K10 staff count of the overtime records (see ``record_staff``),
    null when there are no overtime records for that year.
    """
    return _query(
        """
        SELECT p.fiscal_year, p.year, p.month, p.fiscal_month, sum(p.sheets)::BIGINT AS sheets,
            sum(p.sheets) / 500 AS reams, s.staff_count AS staff, bool_or(p.is_sample) AS is_sample
        FROM record_paper p LEFT JOIN record_staff s USING (fiscal_year)
        GROUP BY ALL ORDER BY p.fiscal_year, p.fiscal_month
        """,
        db_path,
    )


def derived_actuals(db_path: str | Path | None = None) -> pl.DataFrame:
    """K09/K10 from the records beside the typed actuals: status and which one is used."""
    return _query("SELECT * FROM derived_actual ORDER BY kpi_id, fiscal_year", db_path)


def records_setting(db_path: str | Path | None = None) -> dict[str, object]:
    """The settings the warehouse was built with (source, K09/K10 rule, staff count)."""
    return _query("SELECT * FROM record_setting", db_path).row(0, named=True)


def record_provenance(kind: str, db_path: str | Path | None = None) -> list:
    """Provenance of the export files behind ``record_overtime`` or ``record_paper``."""
    from ebpm.warehouse import provenance_records

    files = _query(
        f"SELECT DISTINCT source_file FROM record_source WHERE kind = '{'paper' if kind == 'paper' else 'overtime'}'"
        " ORDER BY 1",
        db_path,
    )["source_file"].to_list()
    if not files:
        raise RecordsMissingError(f"{kind} の記録がありません")
    return provenance_records(files, db_path)

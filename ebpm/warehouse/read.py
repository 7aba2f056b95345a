"""The one read API of the warehouse, used by status, report and notebooks alike.

A :class:`Warehouse` is a read-only snapshot: it holds one DuckDB connection, and every
question (progress table, KPI history, definitions, provenance, staleness) goes through
it. The module-level functions open a short-lived snapshot for a single question.

Every connection of this module is restricted right after it opens: no file access
(``COPY``, ``read_csv``, ``ATTACH``, ``EXPORT``), no extension install or load, and the
settings locked, so SQL typed into a notebook can read this warehouse and nothing else.
The own records' Parquet views are made readable by registering their files, scanned by
polars from this warehouse's records folder only (:func:`ebpm.records.store.register_views`).

>>> with Warehouse() as wh:  # doctest: +SKIP
...     wh.progress_table(2025).select("kpi_id", "grade").head(2)
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Final

import duckdb
import polars as pl

from ebpm import paths
from ebpm.kpi.model import KPI, GradeBands, promotion_period
from ebpm.kpi.progress import PROGRESS_COLUMNS
from ebpm.manifest import Provenance

__all__ = [
    "StaleSnapshotWarning",
    "Warehouse",
    "WarehouseBusyError",
    "WarehouseMissingError",
    "check_statement",
    "connect",
    "kpi_history",
    "kpi_sources",
    "latest_fiscal_year",
    "load_kpis",
    "progress_table",
    "provenance_records",
    "query",
    "stale_files",
]

#: ``kind`` of a history row: the published base value, or an actual entered later.
BASE, ACTUAL = "基準値", "実績"


class WarehouseMissingError(FileNotFoundError):
    """The warehouse has not been built yet."""


class WarehouseBusyError(OSError):
    """Another program holds the warehouse open for writing (message in Japanese)."""


class StaleSnapshotWarning(UserWarning):
    """This process still reads a warehouse that a later build has replaced."""


#: Set on the running database, then frozen with ``lock_configuration``. Set after the
#: start (not as connect options), so that any other connection this process opens on the
#: file shares the one database instead of failing on a different configuration.
_RESTRICTIONS: Final = (
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET allow_community_extensions = false",
    "SET allow_unsigned_extensions = false",
    "SET enable_external_access = false",
    "SET lock_configuration = true",
)
#: Statement types :func:`query` and :meth:`Warehouse.sql` run: questions, never commands.
_READ_STATEMENTS: Final = frozenset({"SELECT", "EXPLAIN", "PRAGMA", "CALL"})
#: Per warehouse path: (inode, build id) of the file when this process first opened that build.
_opened: dict[str, tuple[int, str]] = {}


def _path(db_path: str | Path | None) -> Path:
    path = Path(db_path) if db_path else paths.workspace().warehouse
    if not path.exists():
        raise WarehouseMissingError(
            f"データウェアハウス {path} がありません。先に `ebpm build` を実行してください"
        )
    return path


def _restrict(con: duckdb.DuckDBPyConnection) -> None:
    """No files, no extensions, no settings changed: only the tables of this warehouse.

    DuckDB shares one database per file within a process, so a second connection finds
    the restrictions already locked; they are checked rather than set again.
    """
    [(locked, external)] = con.sql(
        "SELECT current_setting('lock_configuration'), current_setting('enable_external_access')"
    ).fetchall()
    if not locked:
        for statement in _RESTRICTIONS:
            con.execute(statement)
    elif external:  # pragma: no cover - only if someone locked an open instance by hand
        con.close()
        raise duckdb.PermissionException("ウェアハウスが制限なしで開かれています")


def _build_info(con: duckdb.DuckDBPyConnection) -> tuple[str, dt.datetime] | None:
    try:
        rows = con.sql("SELECT build_id, built_at FROM build_info").fetchall()
    except duckdb.CatalogException:  # built before build_info existed
        return None
    return (str(rows[0][0]), rows[0][1]) if rows else None


def _warn_if_replaced(path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Warn (in Japanese) when this process still sees a build that has been replaced.

    Within one process DuckDB reuses an open database, so while any connection (a
    notebook's ``con``) stays open, new connections see the old build, not the file now
    on disk. Compared: the build id this connection sees, and the file's inode when that
    build was first opened here.
    """
    info = _build_info(con)
    if info is None:
        return
    build_id, built_at = info
    key = str(path.resolve())
    inode = path.stat().st_ino
    first = _opened.get(key)
    if first is None or first[1] != build_id:
        _opened[key] = (inode, build_id)
        return
    if first[0] != inode:
        warnings.warn(
            f"このプロセスは古いウェアハウス（{built_at:%Y-%m-%d %H:%M:%S} に作成）を読んでいます。"
            f"そのあと `ebpm build` で {path.name} が作り直されました。新しい内容を読むには、"
            "開いている接続をすべて閉じてから（con.close()）開き直すか、カーネルを再起動してください",
            StaleSnapshotWarning,
            stacklevel=3,
        )


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as error:
        if "lock" not in str(error):
            raise
        raise WarehouseBusyError(
            f"{path}: ほかのプログラムが書き込み用に開いているため、ウェアハウスを開けません"
            "（ebpm.connect(read_only=False) や DuckDB の CLI で開いているノートブック・プログラムを"
            "閉じてから、もう一度実行してください）"
        ) from None
    try:
        _restrict(con)
        _warn_if_replaced(path, con)
        from ebpm.records.store import register_views

        register_views(con, path)
    except BaseException:
        con.close()
        raise
    return con


def connect(
    db_path: str | Path | None = None, *, read_only: bool = True
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only: the tables and views of this warehouse, nothing else.

    The connection cannot write to the warehouse, read or write any other file (``COPY``,
    ``read_csv``, ``ATTACH``, ``EXPORT``), install or load extensions, or change these
    settings (they are locked). A polars frame is not found by name in SQL; register it
    first (``con.register("df", df)``). Read-only connections share the file, so notebooks
    never block each other or a rebuild (which writes a new file and swaps it in).

    ``read_only=False`` opens an unrestricted read-write connection, for maintenance only
    (it blocks every reader while it is open); :func:`ebpm.build` does not need it.
    """
    if not read_only:
        return duckdb.connect(str(_path(db_path)))
    return _open(_path(db_path))


def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but one question (SELECT, EXPLAIN, PRAGMA, CALL).

    Statements are split by DuckDB's own parser, so a ``;`` inside a string or a comment
    does not count, and ``SELECT 1; COPY …`` is refused before anything runs.
    """
    try:
        statements = con.extract_statements(sql)
    except duckdb.ParserException as error:
        raise ValueError(f"SQL の文法が正しくありません（{error}）") from None
    if len(statements) != 1:
        raise ValueError(
            f"1つの SQL 文だけを実行できます（{len(statements)}個の文があります。"
            "「;」で区切った複数の文は1つずつ実行してください）"
        )
    kind = statements[0].type.name
    if kind not in _READ_STATEMENTS:
        raise ValueError(
            f"読み取りの問い合わせ（SELECT など）だけを実行できます（{kind} 文は実行しません）"
        )


class Warehouse:
    """A read-only snapshot of the warehouse: one connection for every read.

    Use it as a context manager (or call :meth:`close`) so the file is released. The
    connection is restricted as :func:`connect` describes.
    """

    def __init__(self, db_path: str | Path | None = None) -> None:
        self.path = _path(db_path)
        self.connection = _open(self.path)

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    def sql(self, query: str, params: Mapping[str, object] | None = None) -> pl.DataFrame:
        """One read-only question (see :func:`check_statement`), as a polars frame."""
        check_statement(self.connection, query)
        return self.connection.sql(query, params=dict(params) if params else None).pl()

    @property
    def built_at(self) -> dt.datetime:
        """When the build this snapshot reads was written (local time).

        Read from the snapshot itself, so a rebuild while it is open does not change it.
        """
        info = _build_info(self.connection)
        if info is not None:
            return info[1]
        return dt.datetime.fromtimestamp(self.path.stat().st_mtime)  # an older warehouse

    # --- KPIs and their progress ----------------------------------------------------------

    def latest_fiscal_year(self) -> int | None:
        """The latest fiscal year with at least one actual, or ``None``."""
        [(latest,)] = self.connection.sql("SELECT max(fiscal_year) FROM kpi_actual").fetchall()
        return None if latest is None else int(latest)

    def progress_table(self, fiscal_year: int | None = None) -> pl.DataFrame:
        """The ``kpi_progress`` rows of one fiscal year (default: the latest with actuals)."""
        if fiscal_year is None:
            fiscal_year = self.latest_fiscal_year()
        columns = ", ".join(PROGRESS_COLUMNS)
        return self.sql(
            f"SELECT {columns} FROM kpi_progress WHERE fiscal_year = $fy ORDER BY kpi_id",
            {"fy": fiscal_year},
        )

    def kpi_history(
        self, kpi_id: str | None = None, up_to_fy: int | None = None, *, with_base: bool = True
    ) -> pl.DataFrame:
        """Observed values by fiscal year: the published base (``kind`` 基準値) and actuals.

        Columns ``kpi_id, fiscal_year, kind, actual, sample_size, is_sample,
        value_decimals`` (the decimals the value was published or entered with); the base
        row of each current KPI comes first, then its actuals up to ``up_to_fy``.
        """
        base = (
            "SELECT kpi_id, base_fy AS fiscal_year, $base AS kind, base_value AS actual,"
            " NULL::BIGINT AS sample_size, false AS is_sample,"
            " base_value_decimals AS value_decimals, 0 AS _order FROM kpi_current"
            " UNION ALL "
            if with_base
            else ""
        )
        return self.sql(
            f"SELECT * EXCLUDE (_order) FROM ({base}"
            " SELECT kpi_id, fiscal_year, $actual AS kind, value AS actual, sample_size, is_sample,"
            " value_decimals, 1 AS _order FROM kpi_actual)"
            " WHERE ($kpi IS NULL OR kpi_id = $kpi) AND ($fy IS NULL OR fiscal_year <= $fy)"
            " ORDER BY kpi_id, fiscal_year, _order",
            {"kpi": kpi_id, "fy": up_to_fy, "actual": ACTUAL}
            | ({"base": BASE} if with_base else {}),
        )

    def kpis(self) -> list[KPI]:
        """The current KPI definitions as typed records."""
        fields = ", ".join(KPI.__dataclass_fields__)
        rows = self.sql(f"SELECT {fields} FROM kpi_current ORDER BY kpi_id")
        return [KPI(**row) for row in rows.to_dicts()]

    def definitions(self) -> pl.DataFrame:
        """Every revision of every KPI definition, with its field, strategy and tactics."""
        return self.sql(
            "SELECT d.*, s.name AS strategy_name, f.name AS field_name,"
            " (SELECT string_agg(t.name, '／' ORDER BY t.number) FROM tactic t"
            "  WHERE t.strategy_id = d.strategy_id) AS tactics"
            " FROM kpi_definition d JOIN strategy s USING (strategy_id)"
            " JOIN field f ON f.field_id = s.field_id ORDER BY kpi_id, revision"
        )

    def grade_bands(self) -> GradeBands:
        """The band edges the grades were computed with."""
        [(on_track, mostly)] = self.connection.sql(
            "SELECT on_track, mostly FROM grade_bands"
        ).fetchall()
        return GradeBands(on_track, mostly)

    def promotion_period(self) -> tuple[int, int] | None:
        """The promotion period (推進期間) named by the current KPI definitions."""
        return promotion_period(self.kpis())

    # --- what planners add: actual notes, commentary, the strategy tree, logic-model stages --

    def _has_table(self, name: str) -> bool:
        [(found,)] = self.connection.sql(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = $name", params={"name": name}
        ).fetchall()
        return bool(found)

    def actuals(self, up_to_fy: int | None = None) -> pl.DataFrame:
        """Every recorded actual with what its file says about it (``source``, ``note``).

        Columns ``kpi_id, fiscal_year, value, sample_size, source, note, is_sample,
        source_file``, up to ``up_to_fy`` (a report for year Y shows nothing after Y).
        """
        return self.sql(
            "SELECT kpi_id, fiscal_year, value, sample_size, source, note, is_sample, source_file"
            " FROM kpi_actual WHERE ($fy IS NULL OR fiscal_year <= $fy)"
            " ORDER BY kpi_id, fiscal_year",
            {"fy": up_to_fy},
        )

    def commentary(self, fiscal_year: int | None = None) -> pl.DataFrame:
        """The departments' commentary (``kpi_commentary``), of one year or all years.

        Empty (with the columns) for a warehouse built before commentary existed.
        """
        columns = (
            "kpi_id, fiscal_year, department, activities, factors, next_steps, is_sample,"
            " source_file"
        )
        if not self._has_table("kpi_commentary"):
            return self.sql(
                f"SELECT {columns} FROM (SELECT NULL::VARCHAR AS kpi_id,"
                " NULL::INTEGER AS fiscal_year, NULL::VARCHAR AS department,"
                " NULL::VARCHAR AS activities, NULL::VARCHAR AS factors,"
                " NULL::VARCHAR AS next_steps, NULL::BOOLEAN AS is_sample,"
                " NULL::VARCHAR AS source_file) WHERE false"
            )
        return self.sql(
            f"SELECT {columns} FROM kpi_commentary WHERE ($fy IS NULL OR fiscal_year = $fy)"
            " ORDER BY kpi_id, fiscal_year",
            {"fy": fiscal_year},
        )

    def logic_stages(self) -> pl.DataFrame:
        """``kpi_id, stage, basis``: the stated アウトプット/アウトカム classification of KPIs."""
        if not self._has_table("kpi_logic_stage"):
            return pl.DataFrame(
                schema={"kpi_id": pl.String, "stage": pl.String, "basis": pl.String}
            )
        return self.sql("SELECT kpi_id, stage, basis FROM kpi_logic_stage ORDER BY kpi_id")

    def strategy_tree(self) -> dict[str, pl.DataFrame]:
        """The strategy tree: ``fields``, ``strategies`` and ``tactics``, in their order."""
        return {
            "fields": self.sql("SELECT * FROM field ORDER BY field_id"),
            "strategies": self.sql("SELECT * FROM strategy ORDER BY field_id, number"),
            "tactics": self.sql("SELECT * FROM tactic ORDER BY strategy_id, number"),
        }

    # --- national context (the national_* tables and views; ebpm.report.context) -------------

    def has_relations(self, *names: str) -> bool:
        """True when every named table or view exists (a new workspace has no national data)."""
        found = self.sql(
            "SELECT DISTINCT table_name FROM information_schema.tables"
            " WHERE list_contains($names, table_name)",
            {"names": list(names)},
        )
        return found.height == len(set(names))

    def peer_rule(self) -> dict[str, object]:
        """The target city and the rule that chose its peers (``national_peer_rule``)."""
        rows = self.sql("SELECT * FROM national_peer_rule").to_dicts()
        if len(rows) != 1:
            raise ValueError("national_peer_rule に比較対象の規則が1行ではありません")
        return rows[0]

    def census_population(self, area_code: str) -> pl.DataFrame:
        """Every census row of one area (all series: final, preliminary, re-based), by year."""
        return self.sql(
            "SELECT * FROM national_census_population WHERE area_code = $code"
            " ORDER BY year, is_preliminary, series",
            {"code": area_code},
        )

    def fiscal_comparison(self) -> pl.DataFrame:
        """The ``national_comparison`` view: the city beside its prefecture, nation and peers."""
        return self.sql("SELECT * FROM national_comparison ORDER BY indicator_id, fiscal_year")

    def fiscal_year_values(self, fiscal_year: int) -> pl.DataFrame:
        """Every municipality's indicator values (and marks) of one fiscal year."""
        return self.sql(
            "SELECT fiscal_year, area_code, prefecture, name, indicator_id, indicator, unit,"
            " value, marker, source_file FROM national_fiscal_long"
            " WHERE kind = '市町村' AND fiscal_year = $fy ORDER BY indicator_id, area_code",
            {"fy": fiscal_year},
        )

    def fiscal_source_files(self, indicator_id: str) -> list[str]:
        """The raw files (municipal tables and published means) behind one indicator."""
        rows = self.sql(
            "SELECT DISTINCT source_file FROM national_fiscal_long WHERE indicator_id = $id"
            " ORDER BY source_file",
            {"id": indicator_id},
        )
        return rows["source_file"].to_list()

    def peer_source_files(self) -> list[str]:
        """The census files whose counts chose the peers (their population and year)."""
        rows = self.sql(
            "SELECT DISTINCT c.source_file FROM national_peer p"
            " JOIN national_census_population c ON c.area_code = p.area_code"
            " AND c.year = p.population_year AND c.status = p.population_status"
            " AND c.population = p.population ORDER BY c.source_file"
        )
        return rows["source_file"].to_list()

    # --- provenance -----------------------------------------------------------------------

    def provenance(self, paths_: Sequence[str] | None = None) -> list[Provenance]:
        """Provenance records of every raw file (or of the given raw paths), by path."""
        rows = self.sql("SELECT * FROM provenance ORDER BY path")
        if paths_ is not None:
            missing = sorted(set(paths_) - set(rows["path"]))
            if missing:
                raise KeyError(f"出典の記録がないファイルです: {', '.join(missing)}")
            rows = rows.filter(pl.col("path").is_in(list(paths_)))
        return [Provenance(**row) for row in rows.to_dicts()]

    def sources_by_kpi(self) -> dict[str, list[Provenance]]:
        """For every KPI, the records of its definition file and of every file with its actuals."""
        files = self.sql(
            "SELECT kpi_id, list(DISTINCT source_file ORDER BY source_file) AS files FROM ("
            " SELECT kpi_id, source_file FROM kpi_definition"
            " UNION ALL SELECT kpi_id, source_file FROM kpi_actual) GROUP BY kpi_id ORDER BY kpi_id"
        )
        records = {r.path: r for r in self.provenance()}
        return {k: [records[f] for f in fs] for k, fs in files.iter_rows()}

    def kpi_sources(self, kpi_id: str) -> list[Provenance]:
        """The records behind one KPI: its definition file and every file with its actuals."""
        found = self.sources_by_kpi().get(kpi_id)
        if not found:
            raise KeyError(f"指標「{kpi_id}」は登録されていません")
        return found

    def stale_files(self, raw_dir: str | Path | None = None) -> list[str]:
        """Raw files added, removed or changed since the build (empty when current)."""
        from ebpm.manifest import data_files, file_sha256

        raw = Path(raw_dir) if raw_dir else paths.workspace().raw
        recorded = dict(self.connection.sql("SELECT path, sha256 FROM provenance").fetchall())
        current = {path.relative_to(raw).as_posix(): path for path in data_files(raw)}
        changed = [rel for rel, path in current.items() if recorded.get(rel) != file_sha256(path)]
        removed = [rel for rel in recorded if rel not in current]
        return sorted(changed + removed)


# --- one question, one short-lived snapshot ---------------------------------------------------


def query(
    sql: str,
    db_path: str | Path | None = None,
    params: dict[str, object] | list[object] | None = None,
) -> pl.DataFrame:
    """Run one read-only query and return a polars frame.

    Exactly one statement, and only a question (SELECT, EXPLAIN, PRAGMA, CALL): a string
    such as ``"SELECT 1; COPY …"`` is refused before anything runs.
    """
    with Warehouse(db_path) as wh:
        check_statement(wh.connection, sql)
        return wh.connection.sql(sql, params=params).pl()


def progress_table(
    fiscal_year: int | None = None, db_path: str | Path | None = None
) -> pl.DataFrame:
    """:meth:`Warehouse.progress_table` on a short-lived snapshot."""
    with Warehouse(db_path) as wh:
        return wh.progress_table(fiscal_year)


def latest_fiscal_year(db_path: str | Path | None = None) -> int | None:
    """:meth:`Warehouse.latest_fiscal_year` on a short-lived snapshot."""
    with Warehouse(db_path) as wh:
        return wh.latest_fiscal_year()


def kpi_history(
    kpi_id: str | None = None,
    up_to_fy: int | None = None,
    *,
    with_base: bool = True,
    db_path: str | Path | None = None,
) -> pl.DataFrame:
    """:meth:`Warehouse.kpi_history` on a short-lived snapshot."""
    with Warehouse(db_path) as wh:
        return wh.kpi_history(kpi_id, up_to_fy, with_base=with_base)


def load_kpis(db_path: str | Path | None = None) -> list[KPI]:
    """The current KPI definitions as typed records."""
    with Warehouse(db_path) as wh:
        return wh.kpis()


def provenance_records(
    paths_: Sequence[str] | None = None, db_path: str | Path | None = None
) -> list[Provenance]:
    """Provenance records from the warehouse (all, or those of the given raw paths).

    >>> from ebpm.manifest import source_line
    >>> source_line(provenance_records(["kpi/kpi_definitions.csv"]))  # doctest: +SKIP
    '出典：「大船渡市DX戦略（令和7年2月策定）」（大船渡市 企画政策部 デジタル戦略課）を加工して作成'
    """
    with Warehouse(db_path) as wh:
        return wh.provenance(paths_)


def kpi_sources(kpi_id: str, db_path: str | Path | None = None) -> list[Provenance]:
    """The records behind one KPI: its definition file and every file with its actuals."""
    with Warehouse(db_path) as wh:
        return wh.kpi_sources(kpi_id)


def stale_files(db_path: str | Path | None = None, raw_dir: str | Path | None = None) -> list[str]:
    """Raw files added, removed or changed since the warehouse was built (empty when current)."""
    with Warehouse(db_path) as wh:
        return wh.stale_files(raw_dir)

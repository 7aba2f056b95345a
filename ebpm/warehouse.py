"""The DuckDB warehouse: atomic build from ``data/raw/`` and read-only access.

``build()`` reads every raw file, validates each table with Great Expectations and only
then writes a new database into a temporary file beside the warehouse, which replaces
``data/processed/ebpm.duckdb`` in one ``os.replace``. On any bad input it raises
:class:`~ebpm.readers.BuildError` and the previous warehouse is left byte-for-byte as it
was. Readers open the file read-only, so a classroom can read while it is rebuilt.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from ebpm import jp, paths
from ebpm.kpi import DEFAULT_BANDS, GradeBands
from ebpm.manifest import ManifestError, Provenance, scan_raw
from ebpm.readers import (
    FILE,
    ROW,
    STRATEGY_COLUMNS,
    BuildError,
    InputError,
    read_actuals,
    read_table,
    table_files,
)

__all__ = [
    "BuildSummary",
    "WarehouseMissingError",
    "build",
    "connect",
    "kpi_sources",
    "provenance_records",
    "query",
    "stale_files",
]

AGGREGATIONS = {"単": "single_year", "累": "cumulative"}


class WarehouseMissingError(FileNotFoundError):
    """The warehouse has not been built yet."""


@dataclass(frozen=True)
class BuildSummary:
    """What a successful build wrote."""

    db_path: Path
    tables: dict[str, int]
    files: int


def connect(
    db_path: str | Path | None = None, *, read_only: bool = True
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, read-only unless asked otherwise.

    Read-only connections share the file, so notebooks never block each other or a
    rebuild (which writes a new file and swaps it in).
    """
    path = Path(db_path) if db_path else paths.WAREHOUSE
    if not path.exists():
        raise WarehouseMissingError(
            f"データウェアハウス {path} がありません。先に `ebpm build` を実行してください"
        )
    return duckdb.connect(str(path), read_only=read_only)


def query(
    sql: str, db_path: str | Path | None = None, params: list[object] | None = None
) -> pl.DataFrame:
    """Run one read-only query and return a polars frame (opens and closes a connection)."""
    with connect(db_path) as con:
        return con.sql(sql, params=params).pl() if params else con.sql(sql).pl()


def provenance_records(
    paths_: Sequence[str] | None = None, db_path: str | Path | None = None
) -> list[Provenance]:
    """Provenance records from the warehouse (all, or those of the given raw paths).

    >>> from ebpm.manifest import source_line
    >>> source_line(provenance_records(["kpi/kpi_definitions.csv"]))  # doctest: +SKIP
    '出典：「大船渡市DX戦略（令和7年2月策定）」（大船渡市 企画政策部 デジタル戦略課）を加工して作成'
    """
    with connect(db_path) as con:
        rows = con.sql("SELECT * FROM provenance ORDER BY path").pl()
    if paths_ is not None:
        missing = sorted(set(paths_) - set(rows["path"]))
        if missing:
            raise KeyError(f"出典の記録がないファイルです: {', '.join(missing)}")
        rows = rows.filter(pl.col("path").is_in(list(paths_)))
    return [Provenance(**row) for row in rows.to_dicts()]


def kpi_sources(kpi_id: str, db_path: str | Path | None = None) -> list[Provenance]:
    """The records behind one KPI: its definition file and every file with its actuals."""
    with connect(db_path) as con:
        files = [
            r[0]
            for r in con.sql(
                "SELECT DISTINCT source_file FROM ("
                " SELECT source_file FROM kpi_definition WHERE kpi_id = $k"
                " UNION ALL SELECT source_file FROM kpi_actual WHERE kpi_id = $k) ORDER BY 1",
                params={"k": kpi_id},
            ).fetchall()
        ]
    if not files:
        raise KeyError(f"指標「{kpi_id}」は登録されていません")
    return provenance_records(files, db_path)


def stale_files(db_path: str | Path | None = None, raw_dir: str | Path | None = None) -> list[str]:
    """Raw files added, removed or changed since the warehouse was built (empty when current)."""
    from ebpm.manifest import data_files, file_sha256

    raw = Path(raw_dir) if raw_dir else paths.RAW
    with connect(db_path) as con:
        recorded = dict(con.sql("SELECT path, sha256 FROM provenance").fetchall())
    current = {path.relative_to(raw).as_posix(): path for path in data_files(raw)}
    changed = [rel for rel, path in current.items() if recorded.get(rel) != file_sha256(path)]
    removed = [rel for rel in recorded if rel not in current]
    return sorted(changed + removed)


# --- reading -----------------------------------------------------------------------------

Loader = Callable[[Path], tuple[dict[str, pl.DataFrame], list[InputError]]]


def _extra_loaders() -> dict[str, Loader]:
    """National data, the e-Stat cache and training samples (imported on use)."""
    from ebpm import loaders

    return {
        "national": loaders.read_national,
        "estat": loaders.read_estat,
        "sample": loaders.read_samples,
    }


def _read_strategy(
    raw_dir: Path, today: dt.date
) -> tuple[dict[str, pl.DataFrame], list[InputError]]:
    from ebpm import validation

    kpi_dir = raw_dir / "kpi"
    frames: dict[str, pl.DataFrame] = {}
    errors: list[InputError] = []
    for file_name, columns in STRATEGY_COLUMNS.items():
        path = kpi_dir / file_name
        label = f"kpi/{file_name}"
        if not path.exists():
            errors.append(
                InputError(
                    label, "ファイルがありません（リポジトリの data/raw/kpi/ から復元してください）"
                )
            )
            continue
        frame, file_errors = read_table(path, columns, label)
        errors.extend(file_errors)
        frames[file_name] = frame
    if errors:
        return {}, errors

    fields, strategies = frames["fields.csv"], frames["strategies.csv"]
    suites = validation.tree_suites(
        fields["field_id"].to_list(), strategies["strategy_id"].to_list()
    )
    errors += validation.validate(fields, suites["field"])
    errors += validation.validate(strategies, suites["strategy"])
    errors += validation.validate(frames["tactics.csv"], suites["tactic"])

    definitions = frames["kpi_definitions.csv"]
    errors += validation.validate(
        definitions, validation.definition_suite(strategies["strategy_id"].to_list())
    )
    if errors:
        return {}, errors
    definitions = definitions.with_columns(
        pl.col("aggregation_label").replace_strict(AGGREGATIONS).alias("aggregation"),
        pl.col("strategy_id").str.split("-").list.first().cast(pl.Int32).alias("field_id"),
    )
    in_force = definitions.filter(pl.col("valid_from") <= today)
    current = in_force.filter(pl.col("revision") == pl.col("revision").max().over("kpi_id"))
    errors += validation.validate(
        current,
        validation.current_definition_suite(definitions["kpi_id"].unique().sort().to_list()),
    )
    definitions = definitions.join(
        current.select("kpi_id", "revision", pl.lit(True).alias("is_current")),
        on=["kpi_id", "revision"],
        how="left",
    ).with_columns(pl.col("is_current").fill_null(False))
    return {
        "field": fields,
        "strategy": strategies,
        "tactic": frames["tactics.csv"],
        "kpi_definition": definitions,
    }, errors


def _read_kpi_actuals(
    raw_dir: Path, definitions: pl.DataFrame
) -> tuple[pl.DataFrame, list[InputError]]:
    from ebpm import validation

    actuals, errors = read_actuals(table_files(raw_dir / "kpi" / "actuals"), raw_dir)
    if errors or actuals.height == 0:
        return actuals, errors
    current = definitions.filter("is_current")
    # Stewards may write the published KPI name instead of its ID.
    by_name = {
        jp.normalize_text(n): i for n, i in zip(current["name"], current["kpi_id"], strict=True)
    }
    actuals = actuals.with_columns(pl.col("kpi_id").replace(by_name)).join(
        current.select("kpi_id", "unit"), on="kpi_id", how="left"
    )
    suite = validation.actuals_suite(
        current["kpi_id"].to_list(), int(current["base_fy"].min()), int(current["target_fy"].max())
    )
    errors += validation.validate(actuals, suite)
    return actuals.drop("unit"), errors


def read_all(
    raw_dir: Path, today: dt.date | None = None
) -> tuple[dict[str, pl.DataFrame], list[Provenance]]:
    """Read and validate every raw table; raises BuildError listing every problem."""
    today = today or dt.date.today()
    try:
        provenance = scan_raw(raw_dir)
    except ManifestError as error:
        raise BuildError([str(error)]) from None
    tables, errors = _read_strategy(raw_dir, today)
    if tables:
        actuals, actual_errors = _read_kpi_actuals(raw_dir, tables["kpi_definition"])
        errors += actual_errors
        tables["kpi_actual"] = actuals
    for loader in _extra_loaders().values():
        extra, extra_errors = loader(raw_dir)
        tables.update(extra)
        errors += extra_errors
    if errors:
        raise BuildError(errors)
    return tables, provenance


# --- writing ----------------------------------------------------------------------------


def _provenance_frame(records: list[Provenance]) -> pl.DataFrame:
    return pl.DataFrame(
        [r.as_row() for r in records],
        schema={
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
        },
    )


def _tidy(frame: pl.DataFrame) -> pl.DataFrame:
    """Raw-file bookkeeping columns become ``source_file`` / ``source_row``."""
    renames = {FILE: "source_file", ROW: "source_row"}
    return frame.rename({k: v for k, v in renames.items() if k in frame.columns})


KPI_PROGRESS_SQL = """
CREATE VIEW kpi_current AS SELECT * FROM kpi_definition WHERE is_current;

CREATE VIEW kpi_progress AS
WITH years AS (
    -- every year of the plan, plus any later year with actuals
    SELECT DISTINCT fiscal_year FROM kpi_actual
    UNION
    SELECT unnest(range((SELECT min(base_fy) + 1 FROM kpi_current),
                        (SELECT max(target_fy) + 1 FROM kpi_current)))::INTEGER
),
grid AS (
    SELECT d.*, y.fiscal_year AS fy,
        d.target_basis = 'period_average' AND y.fiscal_year >= d.target_period_start_fy AS in_period
    FROM kpi_current d CROSS JOIN years y
),
joined AS (
    SELECT g.kpi_id, g.fy, g.in_period, g.aggregation, a.fiscal_year AS afy, a.value,
        a.is_sample, a.sample_size,
        CASE WHEN g.in_period
             THEN a.fiscal_year BETWEEN g.target_period_start_fy AND least(g.fy, g.target_period_end_fy)
             ELSE a.fiscal_year = g.fy END AS used
    FROM grid g LEFT JOIN kpi_actual a ON a.kpi_id = g.kpi_id
),
judged AS (
    SELECT kpi_id, fy,
        avg(value) FILTER (WHERE used) AS actual,
        CASE WHEN count(value) FILTER (WHERE used) = 0 THEN 'none'
             WHEN any_value(in_period) THEN 'period_average'
             ELSE any_value(aggregation) END AS actual_basis,
        coalesce(list(afy ORDER BY afy) FILTER (WHERE used), []) AS actual_years,
        coalesce(bool_or(is_sample) FILTER (WHERE used), false) AS is_sample,
        max(sample_size) FILTER (WHERE used AND afy = fy) AS sample_size
    FROM joined GROUP BY kpi_id, fy
),
measured AS (
    SELECT d.*, j.fy AS fiscal_year, j.actual, j.actual_basis, j.actual_years, j.is_sample,
        j.sample_size, b.on_track AS band_on_track, b.mostly AS band_mostly,
        (j.fy - d.base_fy) / (d.target_fy - d.base_fy) AS elapsed
    FROM kpi_current d JOIN judged j USING (kpi_id) CROSS JOIN grade_bands b
),
scored AS (
    SELECT *,
        CASE WHEN direction = 'maintain' THEN target_value
             ELSE base_value + (target_value - base_value) * elapsed END AS expected,
        CASE WHEN direction = 'maintain' THEN actual / target_value
             ELSE (actual - base_value) / (target_value - base_value) + 0.0 END AS progress,
        CASE WHEN direction = 'decrease' THEN actual <= target_value
             ELSE actual >= target_value END AS reached
    FROM measured
),
paced AS (
    SELECT *,
        CASE WHEN direction = 'maintain' OR elapsed <= 0 THEN NULL ELSE progress / elapsed + 0.0 END AS pace
    FROM scored
)
SELECT kpi_id, revision, paced.name, short_name, field_id, f.name AS field_name, strategy_id,
    s.name AS strategy_name, unit, unit_corrected, aggregation, aggregation_label, direction,
    base_fy, base_value, base_note, target_fy, target_value, target_basis, target_note,
    is_survey, fiscal_year, actual, actual_basis, actual_years, sample_size, elapsed,
    expected, progress, pace,
    CASE WHEN actual IS NULL THEN '評価不能'
         WHEN reached THEN '達成'
         WHEN direction = 'maintain' THEN '遅れ'
         WHEN progress < 0 THEN '悪化'
         WHEN pace IS NULL THEN '評価不能'
         WHEN round(pace, 9) >= band_on_track THEN '順調'
         WHEN round(pace, 9) >= band_mostly THEN '概ね順調'
         ELSE '遅れ' END AS grade,
    CASE WHEN actual IS NULL THEN '実績値がありません'
         WHEN reached THEN '目標値に到達しています'
         WHEN direction = 'maintain' THEN '維持すべき水準を下回っています'
         WHEN progress < 0 THEN '基準値より目標と逆の方向に動いています'
         WHEN pace IS NULL THEN '基準年度以前のため、ペースを評価できません'
         WHEN round(pace, 9) >= band_on_track THEN format('ペース{:.2f}が{:g}以上です', pace, band_on_track)
         WHEN round(pace, 9) >= band_mostly
             THEN format('ペース{:.2f}が{:g}以上{:g}未満です', pace, band_mostly, band_on_track)
         ELSE format('ペース{:.2f}が{:g}未満です', pace, band_mostly) END AS reason,
    band_on_track, band_mostly, is_sample
FROM paced
JOIN field f USING (field_id)
JOIN strategy s USING (strategy_id, field_id)
ORDER BY fiscal_year, kpi_id;
"""


def _write(db_path: Path, tables: dict[str, pl.DataFrame], bands: GradeBands) -> None:
    con = duckdb.connect(str(db_path))
    try:
        for name, frame in tables.items():
            con.register("incoming", frame)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
            con.unregister("incoming")
        con.execute(
            "CREATE TABLE grade_bands AS SELECT ?::DOUBLE AS on_track, ?::DOUBLE AS mostly",
            [bands.on_track, bands.mostly],
        )
        con.execute(KPI_PROGRESS_SQL)
        con.sql("SELECT count(*) FROM kpi_progress").fetchall()  # the view must run
        con.execute("CHECKPOINT")
    finally:
        con.close()


def build(
    raw_dir: str | Path | None = None,
    db_path: str | Path | None = None,
    *,
    bands: GradeBands = DEFAULT_BANDS,
    today: dt.date | None = None,
) -> BuildSummary:
    """Rebuild the warehouse from the raw files, all or nothing.

    Raises
    ------
    BuildError
        Listing every problem found; the existing warehouse is untouched.
    """
    raw = Path(raw_dir) if raw_dir else paths.RAW
    target = Path(db_path) if db_path else paths.WAREHOUSE
    if not raw.is_dir():
        raise BuildError([f"入力フォルダ {raw} がありません"])
    tables, provenance = read_all(raw, today)
    tables = {name: _tidy(frame) for name, frame in tables.items()}
    tables["provenance"] = _provenance_frame(provenance)

    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB must create the file itself
    try:
        _write(tmp, tables, bands)
        # issue 11 — the city's records (ebpm.records): ingest the overtime/paper exports,
        # attach their Parquet views and derived K09/K10 to `tmp`, then swap it in (os.replace).
        from ebpm.records.attach import attach_and_swap

        attach_and_swap(raw, tmp, target, today)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return BuildSummary(target, {n: f.height for n, f in tables.items()}, len(provenance))

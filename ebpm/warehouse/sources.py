"""Everything ``ebpm build`` reads from ``data/raw/``, validated, as polars frames.

Each reader returns ``({table_name: frame}, errors)``; :func:`read_all` runs them all and
raises one :class:`~ebpm.readers.BuildError` listing every problem, so a build is all or
nothing. Great Expectations, national data and e-Stat are imported only when used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ebpm import jp, limits
from ebpm.manifest import ManifestError, Provenance, data_files, scan_raw
from ebpm.readers import (
    ACTUALS_COLUMNS,
    STRATEGY_COLUMNS,
    TABLE_SUFFIXES,
    BuildError,
    InputError,
    named_as_in_files,
    read_actuals,
    read_table,
    table_files,
)

__all__ = [
    "HISTORY_FIELDS",
    "definition_history_errors",
    "read_all",
    "read_estat",
    "read_kpi_actuals",
    "read_national",
    "read_samples",
    "read_strategy",
    "start_national",
]

if TYPE_CHECKING:
    from ebpm.national.tables import NationalRead

Result = tuple[dict[str, pl.DataFrame], list[InputError]]
AGGREGATIONS = {"単": "single_year", "累": "cumulative"}


def _read_tree_files(kpi_dir: Path) -> Result:
    """The four strategy files as typed frames (header-only files give empty frames)."""
    frames: dict[str, pl.DataFrame] = {}
    errors: list[InputError] = []
    for file_name, columns in STRATEGY_COLUMNS.items():
        path = kpi_dir / file_name
        label = f"kpi/{file_name}"
        if not path.exists():
            errors.append(
                InputError(
                    label,
                    "ファイルがありません（`ebpm init` で作る見出し行だけのファイルから始めてください）",
                )
            )
            continue
        frame, file_errors = read_table(path, columns, label, allow_empty=True)
        errors.extend(file_errors)
        frames[file_name] = frame
    return frames, errors


def _current_definitions(definitions: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """``definitions`` with ``aggregation``, ``field_id`` and ``is_current`` (in force today)."""
    definitions = definitions.with_columns(
        pl.col("aggregation_label").replace_strict(AGGREGATIONS).alias("aggregation"),
        pl.col("strategy_id").str.split("-").list.first().cast(pl.Int32).alias("field_id"),
    )
    in_force = definitions.filter(pl.col("valid_from") <= today)
    current = in_force.filter(pl.col("revision") == pl.col("revision").max().over("kpi_id"))
    return definitions.join(
        current.select("kpi_id", "revision", pl.lit(True).alias("is_current")),
        on=["kpi_id", "revision"],
        how="left",
    ).with_columns(pl.col("is_current").fill_null(False))


def _promotion_period_errors(current: pl.DataFrame) -> list[InputError]:
    from ebpm.kpi.model import KPI, promotion_period

    fields = KPI.__dataclass_fields__
    try:
        promotion_period(
            KPI(**{k: v for k, v in r.items() if k in fields})
            for r in current.iter_rows(named=True)
        )
    except ValueError as error:
        return [InputError("kpi/kpi_definitions.csv", str(error), None, "target_period_start_fy")]
    return []


def read_strategy(raw_dir: Path, today: dt.date) -> Result:
    """``field``, ``strategy``, ``tactic`` and ``kpi_definition`` (every revision)."""
    from ebpm import validation

    frames, errors = _read_tree_files(raw_dir / "kpi")
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
    definitions = _current_definitions(definitions, today)
    current = definitions.filter("is_current")
    errors += validation.validate(
        current,
        validation.current_definition_suite(definitions["kpi_id"].unique().sort().to_list()),
    )
    errors += _promotion_period_errors(current)
    tables = {"field": fields, "strategy": strategies, "tactic": frames["tactics.csv"]}
    return {**tables, "kpi_definition": definitions}, errors


#: Fields of a definition revision that its evaluation depends on, with their Japanese names.
HISTORY_FIELDS: dict[str, str] = {
    "valid_from": "適用開始日（valid_from）",
    "base_fy": "基準年度（base_fy）",
    "base_value": "基準値（base_value）",
    "target_fy": "目標年度（target_fy）",
    "target_value": "目標値（target_value）",
    "direction": "目標の方向（direction）",
    "aggregation_label": "単年度/累計の区分（aggregation）",
    "target_basis": "目標の判定方法（target_basis）",
    "target_period_start_fy": "推進期間の開始年度（target_period_start_fy）",
    "target_period_end_fy": "推進期間の終了年度（target_period_end_fy）",
}
_DEFINITIONS = "kpi/kpi_definitions.csv"


def definition_history_errors(previous: pl.DataFrame, current: pl.DataFrame) -> list[InputError]:
    """Revisions edited in place or removed since the previous build (``kpi_definition``).

    A revision, once built, is history: changing its target (or base, years, direction)
    or deleting it would silently rewrite every earlier evaluation. The fix is always a
    new row with a higher ``revision`` and its ``valid_from``. A KPI whose revisions are
    all gone (a strategy replaced) is not reported.
    """
    fields = [f for f in HISTORY_FIELDS if f in previous.columns and f in current.columns]
    if not {"kpi_id", "revision"} <= set(previous.columns):
        return []
    before = previous.select("kpi_id", "revision", *fields)
    joined = current.join(before, on=["kpi_id", "revision"], how="inner", suffix="__before")
    latest = dict(current.group_by("kpi_id").agg(pl.col("revision").max()).iter_rows())
    errors: list[InputError] = []
    for row in joined.sort("kpi_id", "revision").iter_rows(named=True):
        for name in fields:
            old, new = row[f"{name}__before"], row[name]
            if old != new:
                errors.append(
                    InputError(
                        row.get("source_file") or _DEFINITIONS,
                        f"指標 {row['kpi_id']} の改訂{row['revision']}の{HISTORY_FIELDS[name]}が、"
                        f"前回のビルドの「{_shown(old)}」から「{_shown(new)}」に書き換えられています。"
                        "評価の履歴を残すため、この行は元の値に戻し、revision を "
                        f"{latest[row['kpi_id']] + 1} にして valid_from（適用開始日）を書いた行を"
                        "追加してください",
                        row.get("source_row"),
                        name if name != "aggregation_label" else "aggregation",
                    )
                )
    kept = set(current.select("kpi_id", "revision").iter_rows())
    for kpi_id, revision in sorted(before.select("kpi_id", "revision").iter_rows()):
        if (kpi_id, revision) not in kept and kpi_id in latest:
            errors.append(
                InputError(
                    _DEFINITIONS,
                    f"前回のビルドにあった指標 {kpi_id} の改訂{revision}がなくなっています。"
                    "評価の履歴を残すため、改訂の行は消さずに元に戻してください",
                )
            )
    return errors


def _shown(value: object) -> str:
    if value is None:
        return "空欄"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unread_kpi_files(raw_dir: Path) -> list[InputError]:
    """Files under ``kpi/`` that no reader loads: refused, never counted and ignored."""
    kpi_dir = raw_dir / "kpi"
    if not kpi_dir.is_dir():
        return []
    from ebpm.annotations import COMMENTARY_DIR, LOGIC_MODEL_FILE

    errors: list[InputError] = []
    for path in data_files(kpi_dir):
        rel = path.relative_to(raw_dir).as_posix()
        if path.parent == kpi_dir and path.name in (*STRATEGY_COLUMNS, LOGIC_MODEL_FILE):
            continue
        tables = (kpi_dir / "actuals", kpi_dir / COMMENTARY_DIR)
        if path.parent in tables and path.suffix.lower() in TABLE_SUFFIXES:
            continue
        if path.name.startswith("~$"):  # Excel's lock file while a workbook is open
            continue
        where = "kpi/actuals/ の直下" if "actuals" in path.relative_to(kpi_dir).parts else "kpi/"
        errors.append(
            InputError(
                rel,
                f"ebpm が読まないファイルです（{where}には CSV・Excel（.xlsx・.xls）の"
                "実績ファイル・定義ファイル・ロジックモデルの区分だけを置きます。実績なら "
                f"kpi/actuals/ の直下に、所管課のコメントなら kpi/{COMMENTARY_DIR}/ の直下に"
                "CSV か Excel で保存し、そうでなければ data/raw の外に移してください）",
            )
        )
    return errors


def read_kpi_actuals(
    raw_dir: Path, definitions: pl.DataFrame
) -> tuple[pl.DataFrame, list[InputError]]:
    """``kpi_actual``: every file of ``kpi/actuals/``, KPI names resolved to IDs, validated."""
    from ebpm import validation

    actuals, errors = read_actuals(table_files(raw_dir / "kpi" / "actuals"), raw_dir)
    errors = _unread_kpi_files(raw_dir) + errors
    if errors or actuals.height == 0:
        return actuals, errors
    current = definitions.filter("is_current")
    # Stewards may write the published KPI name instead of its ID.
    by_name = {
        jp.normalize_text(n): i for n, i in zip(current["name"], current["kpi_id"], strict=True)
    }
    scale = ("unit", "base_value", "target_value")
    actuals = actuals.with_columns(pl.col("kpi_id").replace(by_name)).join(
        current.select("kpi_id", *scale), on="kpi_id", how="left"
    )
    plan = (
        current
        if current.height
        else actuals.select(base_fy="fiscal_year", target_fy="fiscal_year")
    )
    suite = validation.actuals_suite(
        current["kpi_id"].to_list(),
        plan.select(pl.col("base_fy").min()).item(),
        plan.select(pl.col("target_fy").max()).item(),
    )
    checked = validation.validate(actuals, suite)
    checked += validation.validate(actuals, validation.plausibility_suite())
    errors += named_as_in_files(checked, ACTUALS_COLUMNS)
    return actuals.drop(scale), errors


def read_national(raw_dir: Path) -> Result:
    """The ``national_*`` tables from ``data/raw/national/`` (see :mod:`ebpm.national.tables`)."""
    from ebpm.national import read_tables

    return read_tables(raw_dir)


def start_national(raw_dir: Path) -> NationalRead:
    """Start :func:`read_national`: on a cache miss in a first build of this process, the
    files are read in a second process while this one imports Great Expectations."""
    from ebpm.national import tables

    return tables.start(raw_dir, process=tables.worth_a_process())


def read_estat(raw_dir: Path) -> Result:
    """``estat_value``: every cached e-Stat response, tidy (empty when nothing is cached)."""
    from ebpm import estat, validation

    folder = raw_dir / "estat"
    try:
        values = estat.load_cache(folder) if folder.is_dir() else pl.DataFrame()
    except (estat.EStatError, ValueError) as error:
        return {}, [InputError("estat", str(error))]
    if values.height == 0:
        keys = ("stats_data_id", "area_code", "time_code", "source_file")
        empty = pl.DataFrame(schema={c: pl.String for c in keys} | {"value": pl.Float64})
        return {"estat_value": empty}, []
    errors = validation.validate(values, validation.estat_suite(), "estat")
    return {"estat_value": values}, errors


def read_samples(raw_dir: Path) -> Result:
    """The synthetic training tables of ``data/raw/sample/``."""
    from ebpm import validation
    from ebpm.samples import SAMPLE_FILES

    tables: dict[str, pl.DataFrame] = {}
    errors: list[InputError] = []
    suites = validation.sample_suites()
    for file_name in SAMPLE_FILES:
        path = raw_dir / "sample" / file_name
        if not path.exists():
            continue
        name, label = f"sample_{path.stem}", f"sample/{file_name}"
        try:
            data = limits.read_bytes(path, label, limits.SAMPLE_TABLE)
            limits.check_csv(data, label, limits.SAMPLE_TABLE)
        except limits.LimitError as error:
            errors.append(InputError(label, error.reason))
            continue
        if b"\x00" in data:
            errors.append(
                InputError(
                    label,
                    "NUL 文字（0x00）が含まれていて、CSV として読めません"
                    "（`ebpm samples` でサンプルデータを作り直してください）",
                    data.count(b"\n", 0, data.index(b"\x00")) + 1,
                )
            )
            continue
        try:
            frame = pl.read_csv(data)
        except pl.exceptions.PolarsError as error:
            errors.append(
                InputError(
                    label,
                    "CSV として読めません（`ebpm samples` でサンプルデータを作り直してください。"
                    f"詳細: {error}）",
                )
            )
            continue
        errors += validation.validate(frame, suites[name], label)
        tables[name] = frame
    return tables, errors


#: Folders beyond the strategy and the national tables, each read and validated like the KPI tables.
EXTRA_SOURCES: tuple[Callable[[Path], Result], ...] = (read_estat, read_samples)


def _read_extra_sources(raw_dir: Path, national: NationalRead | None) -> Result:
    """Every :data:`EXTRA_SOURCES` folder and the national tables (``national`` when started
    already); the national ones last, as a second process may still be reading them."""
    found = []
    for read in EXTRA_SOURCES:
        if national is not None:
            national.raise_if_closed()  # the build stopped: nothing more to validate
        found.append(read(raw_dir))
    national_result = national.result() if national is not None else read_national(raw_dir)
    tables: dict[str, pl.DataFrame] = {}
    errors: list[InputError] = []
    for extra, extra_errors in [national_result, *found]:  # the tables in the usual order
        tables.update(extra)
        errors += extra_errors
    return tables, errors


def read_all(
    raw_dir: Path, today: dt.date | None = None, *, national: NationalRead | None = None
) -> tuple[dict[str, pl.DataFrame], list[Provenance]]:
    """Read and validate every raw table; raises BuildError listing every problem.

    ``national``: the national tables started already (:func:`start_national`); read here
    when None. It is closed when reading stops early (an error or Ctrl-C).
    """
    checked_until = today  # None: the retrieval dates are checked against manifest.build_date()
    today = today or dt.date.today()
    try:
        provenance = scan_raw(raw_dir, checked_until)
    except ManifestError as error:
        raise BuildError(str(error).splitlines()) from None
    # The other folders do not depend on the strategy: a second thread reads them meanwhile
    # (parsing in polars, calamine and hashlib runs outside the GIL; validations take turns).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ebpm-read") as pool:
        extras = pool.submit(_read_extra_sources, raw_dir, national)
        try:
            tables, errors = read_strategy(raw_dir, today)
            if tables:
                actuals, actual_errors = read_kpi_actuals(raw_dir, tables["kpi_definition"])
                errors += actual_errors
                tables["kpi_actual"] = actuals
                from ebpm.annotations import read_annotations  # commentary, logic-model stages

                annotations, annotation_errors = read_annotations(raw_dir, tables["kpi_definition"])
                tables.update(annotations)
                errors += annotation_errors
            extra, extra_errors = extras.result()
        except BaseException:
            if national is not None:
                national.close()  # the thread waiting for it returns at once
            raise
    tables.update(extra)
    errors += extra_errors
    if errors:
        raise BuildError(errors)
    return tables, provenance

"""Overtime exports → validated, pseudonymised monthly records, in one pass of DuckDB.

Data minimisation: a daily export is validated row by row, but what is stored is one
row per employee, department and month (hours, days recorded, days with overtime),
which is what K10, the lessons and the 上限規制 (month and year limits) need. The
daily detail, and every clear id, stays in the export and in the in-memory DuckDB
of this ingest, which is closed at the end.

The pass (each step pushes work into DuckDB; Python touches distinct values only)
1. Every file is read by DuckDB (a CP932 file through :func:`~ebpm.records.exports.
   transcode_cp932`), dates are looked up in the period's spelling table (a hash
   join), overtime is parsed to minutes (DECIMAL, so 15.1 h is exactly 906 min), and
   rows are aggregated per file × raw id × raw department × month: row count, sum,
   and counts of every kind of bad row. Day-level duplicates are found without a
   10-million-group hash table: each group ORs a 32-bit mask of its days, and a
   month has a duplicate day exactly when the popcount of the OR is less than its
   row count.
2. The distinct raw ids (tens of thousands) get their HMAC pseudonyms in Python
   and are joined back; distinct departments are decoded the same way.
3. Checks run on the aggregate (small). Only if something is wrong, the files with
   problems are streamed again, in file order, to name rows (a slower path that
   stops collecting after :data:`~ebpm.records.checks.MAX_PER_CHECK` per check).
4. Per fiscal year, the monthly records are written to a staged Parquet file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ebpm.readers import InputError
from ebpm.records.checks import Findings, employee_label
from ebpm.records.dates import explain_refusal, spellings
from ebpm.records.exports import ExportFile, from_raw, to_raw, transcode_cp932
from ebpm.records.mapping import RecordMapping, normalize_header
from ebpm.records.pseudonym import Pseudonymizer, normalize_id

__all__ = ["OVERTIME_COLUMNS", "IngestResult", "ingest_overtime", "period_of"]

#: Columns of the stored monthly records (plus the partition column ``fiscal_year``).
OVERTIME_COLUMNS = {
    "employee_id": "VARCHAR",
    "department": "VARCHAR",
    "year": "INTEGER",
    "month": "INTEGER",
    "fiscal_month": "INTEGER",
    "hours": "DOUBLE",
    "record_days": "INTEGER",
    "overtime_days": "INTEGER",
    "is_sample": "BOOLEAN",
}


@dataclass
class IngestResult:
    """What one kind of records produced: staged partitions and yearly totals."""

    kind: str
    partitions: dict[int, Path]  # fiscal year → staged Parquet file
    rows: dict[int, int]  # fiscal year → stored rows
    sources: pl.DataFrame  # fiscal_year, source_file, rows
    totals: pl.DataFrame  # per fiscal year; columns depend on the kind
    notices: list[str]


def period_of(mapping: RecordMapping, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day a record may have: the mapping's fiscal years, not after today."""
    first = dt.date(mapping.checks.first_fiscal_year, 4, 1)
    last = min(dt.date(mapping.checks.last_fiscal_year + 1, 3, 31), today)
    return first, last


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _minutes_sql(column: str, unit: str, blank_as_zero: bool) -> str:
    """SQL turning one trimmed text column into minutes (DECIMAL), NULL when unreadable."""
    text = f"coalesce(nullif({column}, ''), '0')" if blank_as_zero else column
    number = f"TRY_CAST(replace({text}, ',', '') AS DECIMAL(18,4))"
    if unit == "minutes":
        return number
    if unit == "hours":
        return f"({number} * 60)"
    # h:mm (also h:mm:00 as Excel writes durations); the sign applies to the whole value
    hours = f"TRY_CAST(split_part({text}, ':', 1) AS INTEGER)"
    minutes = f"TRY_CAST(split_part({text}, ':', 2) AS INTEGER)"
    return (
        f"(CASE WHEN length(split_part({text}, ':', 2)) = 2 AND {minutes} < 60"
        f" AND split_part({text}, ':', 3) IN ('', '00') AND split_part({text}, ':', 4) = ''"
        f" THEN (CASE WHEN starts_with({text}, '-') THEN -1 ELSE 1 END)"
        f" * (abs({hours}) * 60 + {minutes}) END)::DECIMAL(18,4)"
    )


class _Sources:
    """The SQL relation of each file (CSV read by DuckDB, xlsx registered from polars)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, workdir: Path) -> None:
        self.con = con
        self.workdir = workdir

    def relation(self, index: int, file: ExportFile) -> str:
        names = [f"c{i}" for i in range(len(file.headers))]
        if file.format == "xlsx":
            from ebpm.records.exports import read_small

            frame = read_small(file)
            frame = frame.rename(dict(zip(file.headers, names, strict=True)))
            self.con.register(f"xlsx_{index}", frame)
            return f"xlsx_{index}"
        path = file.path
        if file.encoding == "cp932":
            path = self.workdir / f"export_{index}.csv"
            transcode_cp932(file.path, path)
        columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
        return (
            f"read_csv({_quote(str(path))}, header = true, skip = {file.layout.header_row - 1},"
            f" auto_detect = false, delim = {_quote(file.layout.delimiter)}, quote = '\"',"
            f" escape = '\"', strict_mode = true, columns = {columns})"
        )


def _branch(index: int, file: ExportFile, relation: str, calendar: str, *, ordered: bool) -> str:
    """One file's rows: raw id and department, the date key, minutes (and raw texts if ``ordered``)."""
    layout = file.layout

    def col(field: str) -> str:
        return f"nullif(trim(c{file.position(layout.column(field) or '')}), '')"

    values = [f"nullif(trim(c{file.position(h)}), '')" for h in layout.columns["overtime"]]
    minutes = " + ".join(
        _minutes_sql(v, layout.overtime_unit or "hours", layout.blank_as_zero) for v in values
    )
    date = col("date")
    key = f"split_part({date}, ' ', 1)"  # 2025/04/01 0:00:00 as Excel writes date cells
    all_blank = " AND ".join(
        f"{c} IS NULL" for c in (col("employee_id"), col("department"), date, *values)
    )
    if ordered:
        row = "_row" if file.format == "xlsx" else "NULL::BIGINT"
        raw_values = ", ".join(f"{v} AS v{i}" for i, v in enumerate(values))
        return (
            f"SELECT {row} AS _row, {col('employee_id')} AS emp_raw, {col('department')} AS dept_raw,"
            f" {key} AS date_key, {date} AS date_text, {raw_values}, {minutes} AS minutes,"
            f" ({all_blank}) AS blank_row FROM {relation}"
        )
    return (
        f"SELECT {index}::INTEGER AS file_index, {col('employee_id')} AS emp_raw,"
        f" {col('department')} AS dept_raw, c.day AS day, {minutes} AS minutes"
        f" FROM {relation} LEFT JOIN {calendar} c ON c.raw = {key} WHERE NOT ({all_blank})"
    )


def _calendar(files: list[ExportFile], unit: str, first: dt.date, last: dt.date) -> pl.DataFrame:
    table = spellings(first, last, unit)  # type: ignore[arg-type]
    rows = dict(table)
    if any(f.encoding == "cp932" for f in files):
        rows |= {to_raw(text, "cp932"): day for text, day in table.items()}
    return pl.DataFrame(
        {"raw": list(rows), "day": list(rows.values())}, schema={"raw": pl.String, "day": pl.Date}
    )


def _run(
    con: duckdb.DuckDBPyConnection,
    mapping: RecordMapping,
    files: list[ExportFile],
    pseudonymize: Pseudonymizer,
    stage: Path,
    today: dt.date,
    workdir: Path,
) -> IngestResult:
    checks = mapping.checks
    first, last = period_of(mapping, today)
    findings = Findings()
    sources = _Sources(con, workdir)
    relations = [sources.relation(i, f) for i, f in enumerate(files)]
    units = sorted({f.layout.date_unit for f in files})
    calendars = {}
    for unit in units:
        calendars[unit] = _calendar(files, unit, first, last)
        con.register(f"calendar_{unit}", calendars[unit])
    con.register(
        "files",
        pl.DataFrame(
            {
                "file_index": list(range(len(files))),
                "source_file": [f.label for f in files],
                "enc": [f.encoding for f in files],
                "unit": [f.layout.date_unit for f in files],
                "is_sample": [f.is_sample for f in files],
            },
            schema={
                "file_index": pl.Int32,
                "source_file": pl.String,
                "enc": pl.String,
                "unit": pl.String,
                "is_sample": pl.Boolean,
            },
        ),
    )
    branches = " UNION ALL ".join(
        _branch(i, f, relations[i], f"calendar_{f.layout.date_unit}", ordered=False)
        for i, f in enumerate(files)
    )
    day_limit = checks.max_hours_per_day * 60
    month_limit = checks.max_hours_per_month * 60
    try:
        con.execute(
            f"""
            CREATE TEMP TABLE agg AS
            SELECT r.file_index, emp_raw, dept_raw, date_trunc('month', day)::DATE AS month,
                count(*)::BIGINT AS n_rows,
                count(*) FILTER (WHERE day IS NULL)::BIGINT AS bad_date,
                count(*) FILTER (WHERE minutes IS NULL)::BIGINT AS bad_value,
                count(*) FILTER (WHERE minutes < 0)::BIGINT AS negative,
                count(*) FILTER (WHERE f.unit = 'day' AND minutes > {day_limit})::BIGINT AS too_many,
                sum(minutes) AS minutes,
                count(*) FILTER (WHERE minutes > 0)::BIGINT AS overtime_rows,
                bit_or(1::UBIGINT << day(day)::UBIGINT) AS day_mask
            FROM ({branches}) r JOIN files f USING (file_index)
            GROUP BY ALL
            """
        )
    except duckdb.Error as error:
        raise _read_failure(error, files) from None

    _pseudonyms(con, files, pseudonymize, findings)
    con.execute(
        """
        CREATE TEMP TABLE agg_p AS
        SELECT a.*, f.source_file, f.unit, f.is_sample, p.employee_id, d.department
        FROM agg a JOIN files f USING (file_index)
        LEFT JOIN pmap p ON p.enc = f.enc AND p.emp_raw = a.emp_raw
        LEFT JOIN dmap d ON d.enc = f.enc AND d.dept_raw = a.dept_raw
        """
    )
    duplicates = _duplicate_groups(con)
    per_file = con.sql(
        """
        SELECT file_index FROM agg_p
        GROUP BY file_index
        HAVING sum(bad_date) + sum(bad_value) + sum(negative) + sum(too_many) > 0
            OR bool_or(employee_id IS NULL) OR bool_or(department IS NULL)
        UNION
        SELECT DISTINCT file_index FROM agg_p JOIN dups USING (employee_id, month)
        ORDER BY 1
        """
    ).fetchall()
    if per_file:
        diagnosis = _Diagnosis(
            con, calendars, duplicates, pseudonymize, findings, (first, last), day_limit
        )
        for (index,) in per_file:
            diagnosis.file(files[index], relations[index])
    _month_limits(con, files, month_limit, checks.max_hours_per_month, findings)
    _departments(con, mapping, findings)
    for file in files:
        from ebpm.records.exports import column_notices

        for notice in column_notices(file):
            findings.notice(
                f"{mapping.label.rsplit('/', 1)[0]}: {notice}（{file.layout.where} の形式のファイル）"
            )
    if findings:
        from ebpm.readers import BuildError

        raise BuildError(findings.close())
    return _store(con, stage, findings.notices, checks.staff_count)


def _read_failure(error: duckdb.Error, files: list[ExportFile]) -> Exception:
    """A file DuckDB could not parse, as a Japanese message without echoing its content."""
    import re

    from ebpm.readers import BuildError

    text = str(error)
    line = re.search(r"on Line:? (\d+)", text)
    found = re.search(r"file = (.+)", text)
    label = files[0].label if len(files) == 1 else "records"
    if found:
        name = found.group(1).strip()
        label = next(
            (f.label for f in files if f.path.name in name or name.endswith(f.path.name)), label
        )
    where = f"{line.group(1)}行目あたり" if line else "どこか"
    if "unicode" in text.lower() or "utf-8" in text.lower():
        message = f"{where}で文字コードが UTF-8 ではなくなっています（ファイル全体を UTF-8 か Shift_JIS で保存し直してください）"
    elif "Expected Number of Columns" in text or "columns" in text.lower():
        message = (
            f'{where}で列の数が見出しと合いません（区切り文字や " の閉じ忘れを確かめてください）'
        )
    else:
        message = f"CSV として読めません（{type(error).__name__}。{where}を確かめてください）"
    return BuildError([InputError(label, message)])


def _pseudonyms(
    con: duckdb.DuckDBPyConnection,
    files: list[ExportFile],
    pseudonymize: Pseudonymizer,
    findings: Findings,
) -> None:
    """pmap(enc, emp_raw → employee_id) and dmap(enc, dept_raw → department), from distinct values."""
    ids = con.sql(
        "SELECT DISTINCT f.enc, a.emp_raw FROM agg a JOIN files f USING (file_index) WHERE a.emp_raw IS NOT NULL"
    ).fetchall()
    emp_rows = []
    owner: dict[str, str] = {}
    for enc, raw in ids:
        clear = normalize_id(from_raw(raw, enc))
        if not clear:
            continue
        pseudonym = pseudonymize(clear)
        if owner.setdefault(pseudonym, clear) != clear:
            findings.add(
                "collision",
                InputError(
                    "records", "2人の職員の仮名が重なりました（仮名化の鍵を作り直してください）"
                ),
            )
        emp_rows.append((enc, raw, pseudonym))
    del owner
    con.register(
        "pmap",
        pl.DataFrame(
            emp_rows,
            schema={"enc": pl.String, "emp_raw": pl.String, "employee_id": pl.String},
            orient="row",
        ),
    )
    departments = con.sql(
        "SELECT DISTINCT f.enc, a.dept_raw FROM agg a JOIN files f USING (file_index) WHERE a.dept_raw IS NOT NULL"
    ).fetchall()
    dept_rows = [(enc, raw, normalize_header(from_raw(raw, enc))) for enc, raw in departments]
    dept_rows = [(e, r, d) for e, r, d in dept_rows if d]
    con.register(
        "dmap",
        pl.DataFrame(
            dept_rows,
            schema={"enc": pl.String, "dept_raw": pl.String, "department": pl.String},
            orient="row",
        ),
    )


def _duplicate_groups(con: duckdb.DuckDBPyConnection) -> dict[str, set]:
    """Employee-months with a duplicate: day exports (mask popcount), month exports, or both kinds."""
    con.execute(
        """
        CREATE TEMP TABLE dups AS
        SELECT employee_id, month, 'day' AS why FROM agg_p
        WHERE unit = 'day' AND month IS NOT NULL AND employee_id IS NOT NULL
        GROUP BY employee_id, month HAVING sum(n_rows) > bit_count(bit_or(day_mask))
        UNION
        SELECT employee_id, month, 'month' FROM agg_p
        WHERE unit = 'month' AND month IS NOT NULL AND employee_id IS NOT NULL
        GROUP BY employee_id, month, department HAVING sum(n_rows) > 1
        UNION
        SELECT employee_id, month, 'mixed' FROM agg_p
        WHERE month IS NOT NULL AND employee_id IS NOT NULL
        GROUP BY employee_id, month HAVING count(DISTINCT unit) > 1
        """
    )
    groups: dict[str, set] = {"day": set(), "month": set(), "mixed": set()}
    for employee, month, why in con.sql("SELECT * FROM dups").fetchall():
        groups[why].add((employee, month))
    return groups


class _Diagnosis:
    """The slow path: stream files with problems in file order and name their rows."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        calendars: dict[str, pl.DataFrame],
        duplicates: dict[str, set[tuple[str, dt.date]]],
        pseudonymize: Pseudonymizer,
        findings: Findings,
        period: tuple[dt.date, dt.date],
        day_limit_minutes: float,
    ) -> None:
        self.con = con
        self.lookup = {
            u: dict(zip(c["raw"].to_list(), c["day"].to_list(), strict=True))
            for u, c in calendars.items()
        }
        self.keys = {u: pa.array(c["raw"].to_list(), pa.string()) for u, c in calendars.items()}
        self.duplicates = duplicates
        self.pseudonymize = pseudonymize
        self.findings = findings
        self.period = period
        self.day_limit = day_limit_minutes
        self.seen: dict[tuple[object, ...], tuple[str, int]] = {}
        dup_employees = {employee for groups in duplicates.values() for employee, _ in groups}
        self.dup_raw = (
            {
                enc: pa.array(
                    [
                        r
                        for (r,) in con.sql(
                            "SELECT emp_raw FROM pmap WHERE enc = $enc AND list_contains($ids, employee_id)",
                            params={"enc": enc, "ids": sorted(dup_employees)},
                        ).fetchall()
                    ],
                    pa.string(),
                )
                for enc in ("utf-8", "utf-8-sig", "cp932")
            }
            if dup_employees
            else {}
        )

    def file(self, file: ExportFile, relation: str) -> None:
        unit = file.layout.date_unit
        self.con.execute("SET preserve_insertion_order = true")
        reader = self.con.sql(_branch(0, file, relation, "", ordered=True)).to_arrow_reader(100_000)
        ordinal = file.first_data_row
        for batch in reader:
            date_ok = pc.is_in(batch.column("date_key"), value_set=self.keys[unit])
            minutes = pc.cast(batch.column("minutes"), pa.float64())
            suspect = pc.or_kleene(pc.invert(date_ok), pc.is_null(minutes))
            suspect = pc.or_kleene(suspect, pc.is_null(batch.column("emp_raw")))
            suspect = pc.or_kleene(suspect, pc.is_null(batch.column("dept_raw")))
            suspect = pc.or_kleene(suspect, pc.fill_null(pc.less(minutes, 0), False))
            if unit == "day":
                suspect = pc.or_kleene(
                    suspect, pc.fill_null(pc.greater(minutes, self.day_limit), False)
                )
            if file.encoding in self.dup_raw:
                suspect = pc.or_kleene(
                    suspect,
                    pc.is_in(batch.column("emp_raw"), value_set=self.dup_raw[file.encoding]),
                )
            blank = batch.column("blank_row")
            flagged = pc.and_(pc.fill_null(suspect, True), pc.invert(blank))
            for i in pc.indices_nonzero(flagged).to_pylist():
                row = batch.column("_row")[i].as_py() if file.format == "xlsx" else ordinal + i
                self.row(
                    file, {name: batch.column(name)[i].as_py() for name in batch.schema.names}, row
                )
            ordinal += batch.num_rows
        self.con.execute("SET preserve_insertion_order = false")

    def row(self, file: ExportFile, values: dict[str, object], row: int) -> None:
        layout, label, add = file.layout, file.label, self.findings.add
        id_column, date_column = (
            file.shown(layout.column("employee_id")),
            file.shown(layout.column("date")),
        )
        value_columns = [file.shown(h) for h in layout.columns["overtime"]]
        emp_raw, dept_raw = values["emp_raw"], values["dept_raw"]
        pseudonym = self.pseudonymize(from_raw(emp_raw, file.encoding)) if emp_raw else None  # type: ignore[arg-type]
        who = employee_label(pseudonym)
        if emp_raw is None:
            add(
                "blank_id",
                InputError(label, "職員番号が空欄です（職員番号を入れてください）", row, id_column),
            )
        if dept_raw is None:
            add(
                "blank_department",
                InputError(
                    label,
                    f"{who}の所属が空欄です（所属を入れてください）",
                    row,
                    file.shown(layout.column("department")),
                ),
            )
        day = self.lookup[layout.date_unit].get(values["date_key"])  # type: ignore[arg-type]
        if day is None:
            text = values["date_text"]
            shown = from_raw(text, file.encoding) if isinstance(text, str) else None
            add("date", InputError(label, explain_refusal(shown, *self.period), row, date_column))
        minutes = values["minutes"]
        if minutes is None:
            for k, header in enumerate(value_columns):
                raw = values[f"v{k}"]
                shown = "空欄" if raw is None else f"「{from_raw(raw, file.encoding)}」"  # type: ignore[arg-type]
                add(
                    "value",
                    InputError(
                        label,
                        f"{shown}は時間外勤務の{_unit_words(layout.overtime_unit)}として読めません"
                        f"（{_unit_hint(layout.overtime_unit, layout.blank_as_zero)}）",
                        row,
                        header,
                    ),
                )
        elif minutes < 0:
            add(
                "negative",
                InputError(
                    label,
                    f"{who}の時間外勤務が負の値です（0 以上にしてください）",
                    row,
                    value_columns[0],
                ),
            )
        elif layout.date_unit == "day" and minutes > self.day_limit:
            add(
                "too_many",
                InputError(
                    label,
                    f"{who}の1日の時間外勤務 {float(minutes) / 60:.1f} 時間は多すぎます（上限 {self.day_limit / 60:g} 時間。"
                    "記録を確かめるか、mapping.toml の [checks] max_hours_per_day を見直してください）",
                    row,
                    value_columns[0],
                ),
            )
        if pseudonym is not None and day is not None:
            self.duplicate(file, pseudonym, day, dept_raw, row)

    def duplicate(
        self, file: ExportFile, pseudonym: str, day: dt.date, dept_raw: object, row: int
    ) -> None:
        month = day.replace(day=1)
        who = employee_label(pseudonym)
        unit = file.layout.date_unit
        column = file.shown(file.layout.column("date"))
        if (pseudonym, month) in self.duplicates["mixed"] and unit == "month":
            self.findings.add(
                "duplicate",
                InputError(
                    file.label,
                    f"{who}の {month:%Y年%m月} は、日ごとの記録にもあります（同じ月を二重に数えないよう、どちらか一方にしてください）",
                    row,
                    column,
                ),
            )
        if (pseudonym, month) not in self.duplicates[unit]:
            return
        department = from_raw(dept_raw, file.encoding) if isinstance(dept_raw, str) else ""
        key = (unit, pseudonym, day, department if unit == "month" else None)
        first = self.seen.setdefault(key, (file.label, row))
        if first == (file.label, row):
            return
        what = (
            f"{day:%Y年%m月%d日}"
            if unit == "day"
            else f"{month:%Y年%m月}（所属 {normalize_header(department)}）"
        )
        self.findings.add(
            "duplicate",
            InputError(
                file.label,
                f"{who}の {what} の行が重複しています（{first[0]} {first[1]}行目と同じです。"
                f"1人1{'日' if unit == 'day' else 'か月'}1行にしてください）",
                row,
                column,
            ),
        )


def _unit_words(unit: str | None) -> str:
    return {"hours": "時間数", "minutes": "分数", "h:mm": "時間（h:mm）"}.get(unit or "", "値")


def _unit_hint(unit: str | None, blank_as_zero: bool) -> str:
    hint = {
        "hours": "1.5 のように時間の数値だけを入れてください",
        "minutes": "90 のように分の数値だけを入れてください",
        "h:mm": "1:30 のように 時:分 で入れてください",
    }.get(unit or "", "数値を入れてください")
    if not blank_as_zero:
        hint += "。空欄を 0 とみなすなら mapping.toml に blank_as_zero = true と書きます"
    return hint


def _month_limits(con, files, month_limit, limit_hours, findings: Findings) -> None:
    over = con.sql(
        f"""
        SELECT employee_id, month, sum(minutes)::DOUBLE / 60, min(file_index)
        FROM agg_p WHERE month IS NOT NULL AND employee_id IS NOT NULL
        GROUP BY employee_id, month HAVING sum(minutes) > {month_limit}
        ORDER BY 4, 2, 1
        """
    ).fetchall()
    for employee, month, hours, index in over:
        file = files[index]
        findings.add(
            "month_limit",
            InputError(
                file.label,
                f"{employee_label(employee)}の {month:%Y年%m月} の時間外勤務が合計 {hours:.1f} 時間で、上限 {limit_hours:g} 時間を超えています"
                "（記録を確かめるか、mapping.toml の [checks] max_hours_per_month を見直してください）",
                None,
                file.shown(file.layout.columns["overtime"][0]),
            ),
        )


def _departments(con, mapping: RecordMapping, findings: Findings) -> None:
    known = set(mapping.checks.departments)
    if not known:
        return
    counts = con.sql(
        "SELECT department, sum(n_rows), min(source_file) FROM agg_p WHERE department IS NOT NULL GROUP BY ALL ORDER BY 1"
    ).fetchall()
    for department, rows, source in counts:
        if department in known:
            continue
        message = f"所属「{department}」（{rows:,}行）は mapping.toml の [checks] departments の一覧にありません"
        if mapping.checks.unknown_departments == "error":
            findings.add(
                "department",
                InputError(source, message + "（所属名を直すか、一覧に加えてください）"),
            )
        else:
            findings.notice(f"{mapping.label}: {message}（新しい所属なら一覧に加えてください）")


def _store(
    con: duckdb.DuckDBPyConnection, stage: Path, notices: list[str], staff_count: str
) -> IngestResult:
    con.execute(
        """
        CREATE TEMP TABLE monthly AS
        SELECT employee_id, department, month AS month_start,
            (CASE WHEN month(month) >= 4 THEN year(month) ELSE year(month) - 1 END)::INTEGER AS fiscal_year,
            year(month)::INTEGER AS year, month(month)::INTEGER AS month,
            ((month(month) + 8) % 12 + 1)::INTEGER AS fiscal_month,
            sum(minutes) AS minutes,
            CASE WHEN bool_and(unit = 'day') THEN bit_count(bit_or(day_mask))::INTEGER END AS record_days,
            CASE WHEN bool_and(unit = 'day') THEN sum(overtime_rows)::INTEGER END AS overtime_days,
            bool_or(is_sample) AS is_sample
        FROM agg_p GROUP BY employee_id, department, month
        """
    )
    partitions: dict[int, Path] = {}
    rows: dict[int, int] = {}
    years = [
        y for (y,) in con.sql("SELECT DISTINCT fiscal_year FROM monthly ORDER BY 1").fetchall()
    ]
    columns = ", ".join(
        c if c != "hours" else "minutes::DOUBLE / 60 AS hours" for c in OVERTIME_COLUMNS
    )
    for fiscal_year in years:
        target = stage / "overtime" / f"fiscal_year={fiscal_year}" / "part.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"COPY (SELECT {columns} FROM monthly WHERE fiscal_year = {fiscal_year}"
            f" ORDER BY employee_id, month_start, department) TO {_quote(str(target))}"
            " (FORMAT parquet, COMPRESSION zstd)"
        )
        partitions[fiscal_year] = target
    for fiscal_year, count in con.sql(
        "SELECT fiscal_year, count(*) FROM monthly GROUP BY 1"
    ).fetchall():
        rows[fiscal_year] = count
    sources = con.sql(
        """
        SELECT (CASE WHEN month(month) >= 4 THEN year(month) ELSE year(month) - 1 END)::INTEGER AS fiscal_year,
            source_file, sum(n_rows)::BIGINT AS rows
        FROM agg_p GROUP BY ALL ORDER BY 1, 2
        """
    ).pl()
    totals = con.sql(
        """
        WITH person AS (
            SELECT fiscal_year, employee_id, count(DISTINCT month) AS months, sum(minutes) AS minutes
            FROM monthly GROUP BY ALL
        )
        SELECT p.fiscal_year, sum(p.minutes)::DOUBLE AS minutes, count(*)::BIGINT AS headcount,
            sum(p.months)::BIGINT AS person_months, bool_or(m.is_sample) AS is_sample
        FROM person p JOIN (SELECT fiscal_year, bool_or(is_sample) AS is_sample FROM monthly GROUP BY 1) m USING (fiscal_year)
        GROUP BY p.fiscal_year ORDER BY 1
        """
    ).pl()
    return IngestResult("overtime", partitions, rows, sources, totals, list(notices))


def ingest_overtime(
    mapping: RecordMapping,
    files: list[ExportFile],
    pseudonymize: Pseudonymizer,
    stage: Path,
    workdir: Path,
    today: dt.date | None = None,
    threads: int | None = None,
) -> IngestResult:
    """Validate and aggregate overtime exports; write one staged Parquet file per fiscal year.

    ``workdir`` is a private temporary folder (CP932 transcodes and DuckDB spill files
    go there; the caller deletes it). Raises :class:`~ebpm.readers.BuildError` listing
    the problems, naming file, row and column, and employees only by pseudonym.
    """
    config: dict[str, object] = {
        "temp_directory": str(workdir / "duckdb"),
        "preserve_insertion_order": False,
    }
    if threads:
        config["threads"] = threads
    con = duckdb.connect(config=config)
    try:
        return _run(con, mapping, files, pseudonymize, stage, today or dt.date.today(), workdir)
    finally:
        con.close()

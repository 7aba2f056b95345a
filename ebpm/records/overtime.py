"""Overtime exports → validated, pseudonymised monthly records, in one pass of DuckDB.

Data minimisation: a daily export is validated row by row, but what is stored is one
row per employee, department and month (hours, days recorded, days with overtime),
which is what K10, the lessons and the 上限規制 (month and year limits) need. The
daily detail, and every clear id, stays in the export and in the in-memory DuckDB
of this ingest, which is closed at the end.

The pass (work is pushed into DuckDB; Python touches distinct values only)

1. Each CSV is read once by DuckDB's parallel reader (a CP932 file after
   :func:`~ebpm.records.exports.transcode_cp932`). When a sample of its dates shows
   one western format, the reader parses them (else they are looked up in the
   period's spelling table with a hash join); hours and minutes are parsed as
   DECIMAL (15.1 h is exactly 906 min); rows that do not split into the header's
   columns or do not parse go to a rejects table instead of stopping the scan.
2. Rows are aggregated per file × raw id × raw department × month: count, sum,
   minimum, maximum, days with overtime, and a 32-bit OR of the days. A blank or
   unreadable value counts as a large negative number, so the minimum alone finds
   negative, blank and unreadable values. A month has a day recorded twice exactly
   when the popcount of the OR is less than its row count, so duplicates per
   employee and day need no 10-million-group hash table. Dates outside the period
   are found from the months and the masks.
3. The distinct raw ids (tens of thousands) get their HMAC pseudonyms in Python and
   are joined back; distinct departments are decoded the same way. The records are
   the aggregate under pseudonyms (regrouped only when two raw ids are one person).
4. Checks run on the aggregate. Only if something is wrong are the files with
   problems streamed again as text, in file order, to name file, row and column —
   a slower path that keeps :data:`~ebpm.records.checks.MAX_PER_CHECK` findings per
   check. If it cannot name a row, the file is refused anyway.
5. Per fiscal year, the records are written to a staged Parquet file named by its
   content (:func:`write_partitions`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import cast

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ebpm.readers import BuildError, InputError, cell_text_error
from ebpm.records.checks import Findings, employee_label
from ebpm.records.dates import NOT_THIS_WAY as _NOT_THIS_WAY
from ebpm.records.dates import DateUnit, explain_refusal, spellings
from ebpm.records.exports import (
    ExportFile,
    ExportRefused,
    column_notices,
    from_raw,
    to_raw,
    transcode_cp932,
)
from ebpm.records.mapping import Layout, RecordMapping, normalize_header
from ebpm.records.pseudonym import Pseudonymizer, normalize_id

__all__ = ["OVERTIME_COLUMNS", "IngestResult", "ingest_overtime", "period_of", "write_partitions"]

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


def _text_minutes_sql(column: str, unit: str, blank_as_zero: bool) -> str:
    """SQL turning a text column into minutes (DECIMAL), NULL when unreadable."""
    text = f"coalesce(nullif(trim({column}), ''), '0')" if blank_as_zero else f"trim({column})"
    if unit in ("hours", "minutes"):
        number = f"TRY_CAST({text} AS DECIMAL(18,4))"
        return number if unit == "minutes" else f"({number} * 60)"
    # h:mm (also h:mm:00 as Excel writes durations); the sign applies to the whole value
    hours = f"TRY_CAST(split_part({text}, ':', 1) AS INTEGER)"
    minutes = f"TRY_CAST(split_part({text}, ':', 2) AS INTEGER)"
    return (
        f"(CASE WHEN length(split_part({text}, ':', 2)) = 2 AND {minutes} < 60"
        f" AND split_part({text}, ':', 3) IN ('', '00') AND split_part({text}, ':', 4) = ''"
        f" THEN (CASE WHEN starts_with({text}, '-') THEN -1 ELSE 1 END)"
        f" * (abs({hours}) * 60 + {minutes}) END)::DECIMAL(18,4)"
    )


#: Western date formats tried on a sample of each CSV; a match lets DuckDB's reader parse them.
_DAY_FORMATS = ("%Y/%m/%d", "%Y-%m-%d", "%Y%m%d", "%Y.%m.%d")
_MONTH_FORMATS = ("%Y/%m", "%Y-%m", "%Y%m", "%Y.%m", *_DAY_FORMATS)
_SAMPLE_ROWS = 2000
_REJECTS_LIMIT = 100


@dataclass
class _Source:
    """How one export is read.

    ``relation`` is the fast read: a CSV with its dates parsed by DuckDB's reader when
    the file writes them in one western format (else looked up in the spelling table),
    numbers parsed as DECIMAL, and malformed rows counted in a rejects table instead of
    stopping the scan. ``text_relation`` reads every column as text, in file order, for
    naming the rows when something is wrong.
    """

    index: int
    file: ExportFile
    text_relation: str
    relation: str
    date_format: str | None  # western strptime format, else the spelling table is used
    date_key: str  # SQL of the text looked up in the spelling table
    typed_values: bool
    rejects: str | None

    def column(self, header: str | None) -> str:
        return f"c{self.file.position(header or '')}"

    @property
    def layout(self) -> Layout:
        return self.file.layout


def _csv_sql(path: Path, file: ExportFile, types: list[str], extra: str = "") -> str:
    columns = "{" + ", ".join(f"'c{i}': '{t}'" for i, t in enumerate(types)) + "}"
    return (
        f"read_csv({_quote(str(path))}, header = true, skip = {file.layout.header_row - 1},"
        f" auto_detect = false, delim = {_quote(file.layout.delimiter)}, quote = '\"',"
        f" escape = '\"', strict_mode = true{extra}, columns = {columns})"
    )


def _open_source(
    con: duckdb.DuckDBPyConnection, index: int, file: ExportFile, workdir: Path
) -> _Source:
    layout = file.layout
    date_header = layout.column("date")
    if file.format == "xlsx":
        from ebpm.records.exports import read_small

        frame = read_small(file)
        frame = frame.rename({h: f"c{i}" for i, h in enumerate(file.headers)})
        con.register(f"xlsx_{index}", frame)
        relation = f"xlsx_{index}"
        date = f"c{file.position(date_header or '')}"
        return _Source(
            index, file, relation, relation, None, f"split_part(trim({date}), ' ', 1)", False, None
        )
    path = file.path
    if file.encoding == "cp932":
        path = workdir / f"export_{index}.csv"
        transcode_cp932(file.path, path)
    text_relation = _csv_sql(path, file, ["VARCHAR"] * len(file.headers))
    date = f"c{file.position(date_header or '')}"
    date_format, date_key = None, date
    try:
        sample = [
            v
            for (v,) in con.sql(
                f"SELECT {date} FROM {text_relation} LIMIT {_SAMPLE_ROWS}"
            ).fetchall()
            if v is not None
        ]
    except duckdb.Error:
        sample = []  # a malformed file: the fast read reports where
    if sample and any(v != v.strip() or " " in v.strip() for v in sample):
        date_key = f"split_part(trim({date}), ' ', 1)"  # 2025/04/01 0:00:00, as Excel writes
    elif sample:
        formats = _DAY_FORMATS if layout.date_unit == "day" else _MONTH_FORMATS
        checks = ", ".join(f"count(try_strptime(v, {_quote(f)}))" for f in formats)
        counts = con.sql(
            f"SELECT {checks} FROM (SELECT unnest($s) AS v)", params={"s": sample}
        ).fetchall()[0]
        date_format = next(
            (f for f, n in zip(formats, counts, strict=True) if n == len(sample)), None
        )
    typed_values = layout.overtime_unit in ("hours", "minutes")
    value_positions = {file.position(h) for h in layout.columns["overtime"]}
    types = [
        "DATE" if date_format and i == file.position(date_header or "")
        else "DECIMAL(18,4)" if typed_values and i in value_positions
        else "VARCHAR"
        for i in range(len(file.headers))
    ]  # fmt: skip
    rejects = f"rejects_{index}"
    extra = (
        f", store_rejects = true, rejects_table = '{rejects}', rejects_scan = 'rejects_scan_{index}',"
        f" rejects_limit = {_REJECTS_LIMIT}"
    )
    if date_format:
        extra += f", dateformat = {_quote(date_format)}"
    return _Source(
        index,
        file,
        text_relation,
        _csv_sql(path, file, types, extra),
        date_format,
        date_key,
        typed_values,
        rejects,
    )


#: Minutes given to a blank or unreadable value in the fast read: it makes the group's
#: minimum negative, so one ``min`` finds negative, blank and unreadable values alike.
_UNREADABLE = -1_000_000_000


def _fast_branch(source: _Source) -> str:
    """One file's rows for the aggregate: raw id and department, day, minutes.

    Dates are not checked against the period here: the aggregate keeps each month and a
    mask of its days, and the months and masks are checked afterwards (far fewer rows).
    """
    layout = source.layout
    emp = source.column(layout.column("employee_id"))
    dept = source.column(layout.column("department"))
    date = source.column(layout.column("date"))
    values = [source.column(h) for h in layout.columns["overtime"]]
    if source.typed_values:
        scale = " * 60" if layout.overtime_unit == "hours" else ""
        zero = layout.blank_as_zero
        parts = [f"coalesce({v}, 0){scale}" if zero else f"{v}{scale}" for v in values]
    else:
        unit = layout.overtime_unit or "hours"
        parts = [_text_minutes_sql(v, unit, layout.blank_as_zero) for v in values]
    blank = " AND ".join(f"{c} IS NULL" for c in (emp, dept, date, *values))
    if source.date_format:
        day, join = date, ""
    else:
        day = "c.day"
        join = f" LEFT JOIN calendar_{layout.date_unit} c ON c.raw = {source.date_key}"
    return (
        f"SELECT {source.index}::INTEGER AS file_index, {emp} AS emp_raw, {dept} AS dept_raw,"
        f" {day} AS day, coalesce({' + '.join(parts)}, {_UNREADABLE}) AS minutes"
        f" FROM {source.relation}{join} WHERE NOT ({blank})"
    )


def _ordered_branch(source: _Source, first: dt.date, last: dt.date) -> str:
    """Every row of one file in file order, as text plus what the fast read made of it."""
    layout = source.layout

    def text(header: str | None) -> str:
        return f"nullif(trim({source.column(header)}), '')"

    date = source.column(layout.column("date"))
    values = [source.column(h) for h in layout.columns["overtime"]]
    minutes = " + ".join(
        _text_minutes_sql(v, layout.overtime_unit or "hours", layout.blank_as_zero) for v in values
    )
    if source.date_format:
        parsed = f"try_strptime({date}, {_quote(source.date_format)})::DATE"
        if layout.date_unit == "month":
            parsed = f"date_trunc('month', {parsed})::DATE"
        day = f"CASE WHEN {parsed} BETWEEN DATE '{first}' AND DATE '{last}' THEN {parsed} END"
    else:
        day = "NULL::DATE"
    row = "_row" if source.file.format == "xlsx" else "NULL::BIGINT"
    raw_values = ", ".join(f"trim({v}) AS v{i}" for i, v in enumerate(values))
    columns = (
        source.column(layout.column("employee_id")),
        source.column(layout.column("department")),
        date,
        *values,
    )
    blank = " AND ".join(f"nullif(trim({c}), '') IS NULL" for c in columns)
    emp, dept = columns[0], columns[1]
    return (
        f"SELECT {row} AS _row, {emp} AS emp_raw, {dept} AS dept_raw,"
        f" {text(layout.column('employee_id'))} IS NULL AS emp_blank,"
        f" {text(layout.column('department'))} IS NULL AS dept_blank, {source.date_key} AS date_key,"
        f" trim({date}) AS date_text, {day} AS day, {raw_values}, {minutes} AS minutes,"
        f" ({blank}) AS blank_row FROM {source.text_relation}"
    )


def _calendar(
    files: list[ExportFile], unit: DateUnit, first: dt.date, last: dt.date
) -> pl.DataFrame:
    table = spellings(first, last, unit)
    rows = dict(table)
    if any(f.encoding == "cp932" for f in files):
        rows |= {to_raw(text, "cp932"): day for text, day in table.items()}
    return pl.DataFrame(
        {"raw": list(rows), "day": list(rows.values())}, schema={"raw": pl.String, "day": pl.Date}
    )


def _open_sources(
    con: duckdb.DuckDBPyConnection, files: list[ExportFile], workdir: Path
) -> list[_Source]:
    """Open every export; a refused file stops the build with its errors."""
    try:
        return [_open_source(con, i, f, workdir) for i, f in enumerate(files)]
    except ExportRefused as refused:
        raise BuildError(refused.errors) from None


def _register_inputs(
    con: duckdb.DuckDBPyConnection,
    files: list[ExportFile],
    sources: list[_Source],
    first: dt.date,
    last: dt.date,
) -> dict:
    """Register a calendar per date unit in use and the table of files; return the calendars."""
    calendars = {}
    for unit in sorted({s.layout.date_unit for s in sources if not s.date_format}):
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
    return calendars


def _aggregate(
    con: duckdb.DuckDBPyConnection, sources: list[_Source], files: list[ExportFile]
) -> None:
    """The fast read: one pass over all files into per employee-month totals (table agg)."""
    branches = " UNION ALL ".join(_fast_branch(s) for s in sources)
    try:
        con.execute(
            f"""
            CREATE TEMP TABLE agg AS
            SELECT file_index, emp_raw, dept_raw, date_trunc('month', day)::DATE AS month,
                count(*)::BIGINT AS n_rows,
                min(minutes) AS min_minutes,
                max(minutes) AS max_minutes,
                sum(minutes) AS minutes,
                count_if(minutes > 0)::BIGINT AS overtime_rows,
                bit_or(1::UBIGINT << day(day)::UBIGINT) AS day_mask
            FROM ({branches})
            GROUP BY ALL
            """
        )
    except duckdb.Error as error:
        raise _read_failure(error, files) from None


def _flagged(
    con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date, day_limit: float
) -> set[int]:
    """Files whose aggregates show a date, time or id the slow diagnosis must explain."""
    # days after `last` in its month: mask bits above last.day
    late = (1 << (last.day + 1)) - 1
    flagged = con.sql(
        f"""
        SELECT a.file_index FROM agg a JOIN files f USING (file_index)
        GROUP BY a.file_index
        HAVING bool_or(month IS NULL)
            OR bool_or(month < DATE '{first}' OR month > DATE '{last.replace(day=1)}')
            OR bool_or(month = DATE '{last.replace(day=1)}' AND f.unit = 'day'
                       AND (day_mask & ~{late}::UBIGINT) <> 0)
            OR min(min_minutes) < 0
            OR max(max_minutes) FILTER (WHERE f.unit = 'day') > {day_limit}
            OR bool_or(emp_raw IS NULL) OR bool_or(dept_raw IS NULL)
        """
    ).fetchall()
    return {i for (i,) in flagged}


def _diagnose(
    diagnosis: _Diagnosis,
    sources: list[_Source],
    files: list[ExportFile],
    to_diagnose: set[int],
    findings: Findings,
    period: tuple[dt.date, dt.date],
) -> None:
    """Re-read the flagged files row by row; if nothing is found, still refuse them."""
    first, last = period
    before = len(findings)
    for index in sorted(to_diagnose):
        diagnosis.file(sources[index], first, last)
    if len(findings) == before:  # never accept what the fast read flagged
        for index in sorted(to_diagnose):
            findings.add(
                "unexplained",
                InputError(
                    files[index].label,
                    "読み込みで問題が見つかりましたが、行を特定できませんでした"
                    "（日付・時間・職員番号・所属の書き方がファイルの中でそろっているか確かめてください）",
                ),
            )


def _column_notices(mapping: RecordMapping, files: list[ExportFile], findings: Findings) -> None:
    """Tell which columns were left out (personal data) for each file's layout."""
    for file in files:
        for notice in column_notices(file):
            findings.notice(
                f"{mapping.label.rsplit('/', 1)[0]}: {notice}（{file.layout.where} の形式のファイル）"
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
    sources = _open_sources(con, files, workdir)
    calendars = _register_inputs(con, files, sources, first, last)
    day_limit = checks.max_hours_per_day * 60
    month_limit = checks.max_hours_per_month * 60
    _aggregate(con, sources, files)
    broken = _rejected(con, sources, findings)
    blank_ids = _pseudonyms(con, files, pseudonymize, findings)
    _monthly(con)
    problems = _employee_months(con, month_limit)
    to_diagnose = _flagged(con, first, last, day_limit) | blank_ids | _files_of(con, problems)
    to_diagnose |= {s.index for s in sources if s.rejects and _has_rows(con, s.rejects)}
    to_diagnose -= broken
    if to_diagnose:
        diagnosis = _Diagnosis(
            con, calendars, problems, pseudonymize, findings, (first, last), day_limit
        )
        _diagnose(diagnosis, sources, files, to_diagnose, findings, (first, last))
    _month_limits(problems, files, checks.max_hours_per_month, findings)
    _departments(con, mapping, files, findings)
    _column_notices(mapping, files, findings)
    if findings:
        raise BuildError(findings.close())
    return _store(con, stage, findings.notices)


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    try:
        return bool(con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    except duckdb.CatalogException:
        return False


_STRUCTURE = {
    "MISSING COLUMNS": '列の数が見出しより少ないです（区切り文字や " の閉じ忘れを確かめてください）',
    "TOO MANY COLUMNS": '列の数が見出しより多いです（値の中の , は " で囲んでください）',
    "UNQUOTED VALUE": '" で囲んだ値の後ろに文字があります（" の位置を確かめてください）',
    "LINE SIZE OVER MAXIMUM": "1行が長すぎます（CSV として正しく書き出されているか確かめてください）",
    "INVALID ENCODING": "文字コードが UTF-8 ではありません（ファイル全体を UTF-8 か Shift_JIS で保存し直してください）",
    "INVALID STATE": 'CSV として読めません（" の閉じ忘れなどを確かめてください）',
}


def _rejected(
    con: duckdb.DuckDBPyConnection, sources: list[_Source], findings: Findings
) -> set[int]:
    """Report rows the reader could not split into the header's columns; files with such rows.

    Cast failures (a date or number that does not read) are left to the diagnosis,
    which names them with their value; the reader only counts them.
    """
    broken = set()
    for source in sources:
        if not source.rejects or not _has_rows(con, source.rejects):
            continue
        rows = con.sql(
            f"SELECT line, error_type::VARCHAR FROM {source.rejects} WHERE error_type <> 'CAST' ORDER BY line"
        ).fetchall()
        for line, kind in rows:
            broken.add(source.index)
            findings.add(
                "structure",
                InputError(
                    source.file.label, _STRUCTURE.get(kind, _STRUCTURE["INVALID STATE"]), int(line)
                ),
            )
    return broken


def _read_failure(error: duckdb.Error, files: list[ExportFile]) -> Exception:
    """A file DuckDB could not parse, as a Japanese message without echoing its content."""
    import re

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
) -> set[int]:
    """``pmap(file_index, emp_raw → employee_id)`` and ``dmap(file_index, dept_raw → department)``.

    Computed once per distinct value: ids in DuckDB (:meth:`Pseudonymizer.sql`) when
    they are already normal, else in Python; departments in Python. Returns the files
    with an id or a department that is blank once normalised (spaces only), which the
    diagnosis names.
    """
    expression, params = pseudonymize.sql("emp_raw")
    # ids that are printable ASCII without spaces are already normal (NFKC, stripped)
    con.execute(
        f"""
        CREATE TEMP TABLE pmap AS
        SELECT file_index, emp_raw,
            CASE WHEN plain THEN {expression} END AS employee_id,
            CASE WHEN plain THEN emp_raw END AS normal_id
        FROM (
            SELECT DISTINCT file_index, emp_raw, regexp_full_match(emp_raw, '[!-~]+') AS plain
            FROM agg WHERE emp_raw IS NOT NULL
        )
        """,
        params,
    )
    blank: set[int] = set()
    others = con.sql("SELECT file_index, emp_raw FROM pmap WHERE normal_id IS NULL").fetchall()
    if others:
        rows = []
        for index, raw in others:
            clear = normalize_id(from_raw(raw, files[index].encoding))
            if not clear:
                blank.add(index)
            rows.append((index, raw, pseudonymize(clear) if clear else None, clear or None))
        schema = {
            "file_index": pl.Int32,
            "emp_raw": pl.String,
            "employee_id": pl.String,
            "normal_id": pl.String,
        }
        con.register("others", pl.DataFrame(rows, schema=schema, orient="row"))
        con.execute(
            "UPDATE pmap SET employee_id = o.employee_id, normal_id = o.normal_id FROM others o"
            " WHERE pmap.file_index = o.file_index AND pmap.emp_raw = o.emp_raw"
        )
        con.unregister("others")
    shared = con.sql(
        "SELECT min(file_index) FROM pmap WHERE employee_id IS NOT NULL"
        " GROUP BY employee_id HAVING count(DISTINCT normal_id) > 1"
    ).fetchall()
    for (index,) in shared:
        findings.add(
            "collision",
            InputError(
                files[index].label,
                "2人の職員の仮名が重なりました（仮名化の鍵を作り直してください）",
            ),
        )
    departments = con.sql(
        "SELECT DISTINCT file_index, dept_raw FROM agg WHERE dept_raw IS NOT NULL"
    )
    dept_rows = [
        (index, raw, normalize_header(from_raw(raw, files[index].encoding)) or None)
        for index, raw in departments.fetchall()
    ]
    blank |= {index for index, _, department in dept_rows if department is None}
    # a control character or an overlong name: refused, and the diagnosis names the rows
    bad = [
        (i, raw) for i, raw, department in dept_rows if department and cell_text_error(department)
    ]
    blank |= {index for index, _ in bad}
    schema = {"file_index": pl.Int32, "dept_raw": pl.String, "department": pl.String}
    con.register("dmap", pl.DataFrame(dept_rows, schema=schema, orient="row"))
    bad_schema = {"file_index": pl.Int32, "dept_raw": pl.String}
    con.register("bad_dept", pl.DataFrame(bad, schema=bad_schema, orient="row"))
    return blank


def _one_row_per_key(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether every aggregate row is already one employee, department and month.

    True when no two raw ids (or departments) of a file share a pseudonym (or name)
    and the files cover disjoint months: then the records are a projection of the
    aggregate, with no second grouping.
    """
    injective = con.sql(
        """
        SELECT (SELECT count(*) = count(DISTINCT (file_index, employee_id)) FROM pmap)
           AND (SELECT count(*) = count(DISTINCT (file_index, department)) FROM dmap)
        """
    ).fetchall()[0][0]
    spans = con.sql(
        "SELECT min(month), max(month) FROM agg WHERE month IS NOT NULL GROUP BY file_index ORDER BY 1"
    ).fetchall()
    disjoint = all(spans[i][1] < spans[i + 1][0] for i in range(len(spans) - 1))
    return bool(injective) and disjoint


_MONTHLY_KEYS = """p.employee_id, d.department, a.month AS month_start,
    (CASE WHEN month(a.month) >= 4 THEN year(a.month) ELSE year(a.month) - 1 END)::INTEGER
        AS fiscal_year,
    year(a.month)::INTEGER AS year, month(a.month)::INTEGER AS month,
    ((month(a.month) + 8) % 12 + 1)::INTEGER AS fiscal_month"""
_MONTHLY_FROM = """FROM agg a JOIN files f USING (file_index)
    JOIN pmap p USING (file_index, emp_raw)
    JOIN dmap d USING (file_index, dept_raw)
    WHERE a.month IS NOT NULL AND p.employee_id IS NOT NULL"""


def _monthly(con: duckdb.DuckDBPyConnection) -> None:
    """The records to store, one row per employee, department and month (plus check inputs)."""
    if _one_row_per_key(con):
        con.execute(
            f"""
            CREATE TEMP TABLE monthly AS
            SELECT {_MONTHLY_KEYS}, a.minutes,
                CASE WHEN f.unit = 'day' THEN a.n_rows END AS day_rows,
                CASE WHEN f.unit = 'month' THEN a.n_rows END AS month_rows,
                CASE WHEN f.unit = 'day' THEN a.day_mask END AS day_mask,
                CASE WHEN f.unit = 'day' THEN a.overtime_rows END AS overtime_rows,
                CASE f.unit WHEN 'day' THEN 1 ELSE 2 END AS units,
                f.is_sample, a.file_index AS first_file
            {_MONTHLY_FROM}
            """
        )
        return
    con.execute(
        f"""
        CREATE TEMP TABLE monthly AS
        SELECT {_MONTHLY_KEYS},
            sum(a.minutes) AS minutes,
            sum(a.n_rows) FILTER (WHERE f.unit = 'day') AS day_rows,
            sum(a.n_rows) FILTER (WHERE f.unit = 'month') AS month_rows,
            bit_or(a.day_mask) FILTER (WHERE f.unit = 'day') AS day_mask,
            sum(a.overtime_rows) FILTER (WHERE f.unit = 'day') AS overtime_rows,
            bit_or(CASE f.unit WHEN 'day' THEN 1 ELSE 2 END) AS units,
            bool_or(f.is_sample) AS is_sample,
            min(a.file_index) AS first_file
        {_MONTHLY_FROM}
        GROUP BY p.employee_id, d.department, a.month
        """
    )


def _employee_months(con: duckdb.DuckDBPyConnection, month_limit: float) -> pl.DataFrame:
    """Employee-months with a duplicate (day, month or both kinds of export) or too many hours.

    A day is recorded twice exactly when the popcount of the OR of the day masks is
    less than the number of rows. The table ``employee_month`` (hours per employee and
    month, kept for the yearly totals) is grouped with as few aggregates as possible;
    the masks are combined only for the rare employee-months with several rows (two
    departments in one month, or two files).
    """
    con.execute(
        """
        CREATE TEMP TABLE employee_month AS
        SELECT employee_id, month_start AS month, any_value(fiscal_year) AS fiscal_year,
            count(*) AS n, sum(minutes) AS minutes, bool_or(is_sample) AS is_sample,
            min(first_file) AS first_file
        FROM monthly GROUP BY employee_id, month_start
        """
    )
    return con.sql(
        f"""
        WITH single AS (
            SELECT m.employee_id, m.month_start AS month,
                coalesce(m.day_rows > bit_count(m.day_mask), false) AS day_duplicate,
                coalesce(m.month_rows > 1, false) AS month_duplicate,
                m.units = 3 AS mixed
            FROM monthly m
            WHERE m.day_rows > bit_count(m.day_mask) OR m.month_rows > 1 OR m.units = 3
        ),
        several AS (
            SELECT m.employee_id, m.month_start AS month,
                coalesce(sum(m.day_rows) > bit_count(bit_or(m.day_mask)), false) AS day_duplicate,
                coalesce(max(m.month_rows) > 1, false) AS month_duplicate,
                bit_or(m.units) = 3 AS mixed
            FROM monthly m SEMI JOIN (SELECT * FROM employee_month WHERE n > 1) e
                ON e.employee_id = m.employee_id AND e.month = m.month_start
            GROUP BY m.employee_id, m.month_start
        ),
        flags AS (
            SELECT employee_id, month, bool_or(day_duplicate) AS day_duplicate,
                bool_or(month_duplicate) AS month_duplicate, bool_or(mixed) AS mixed
            FROM (SELECT * FROM single UNION ALL SELECT * FROM several) GROUP BY ALL
        )
        SELECT e.employee_id, e.month,
            coalesce(f.day_duplicate, false) AS day_duplicate,
            coalesce(f.month_duplicate, false) AS month_duplicate,
            coalesce(f.mixed, false) AS mixed,
            e.minutes > {month_limit} AS over_limit,
            e.minutes::DOUBLE / 60 AS hours, e.first_file
        FROM employee_month e LEFT JOIN flags f USING (employee_id, month)
        WHERE f.employee_id IS NOT NULL OR e.minutes > {month_limit}
        ORDER BY e.first_file, e.month, e.employee_id
        """
    ).pl()


def _files_of(con: duckdb.DuckDBPyConnection, problems: pl.DataFrame) -> set[int]:
    """Files holding rows of the duplicated employee-months."""
    duplicated = problems.filter(
        pl.col("day_duplicate") | pl.col("month_duplicate") | pl.col("mixed")
    )
    if duplicated.height == 0:
        return set()
    con.register("duplicated", duplicated.select("employee_id", "month"))
    found = con.sql(
        "SELECT DISTINCT a.file_index FROM agg a JOIN pmap p USING (file_index, emp_raw)"
        " JOIN duplicated u ON u.employee_id = p.employee_id AND u.month = a.month"
    ).fetchall()
    return {i for (i,) in found}


class _Diagnosis:
    """The slow path: stream files with problems in file order and name their rows."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        calendars: dict[DateUnit, pl.DataFrame],
        problems: pl.DataFrame,
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
        self.duplicates = {
            kind: set(problems.filter(pl.col(column)).select("employee_id", "month").rows())
            for kind, column in (
                ("day", "day_duplicate"),
                ("month", "month_duplicate"),
                ("mixed", "mixed"),
            )
        }
        self.pseudonymize = pseudonymize
        self.findings = findings
        self.period = period
        self.day_limit = day_limit_minutes
        self.seen: dict[tuple[object, ...], tuple[str, int]] = {}
        dup_employees = sorted({e for groups in self.duplicates.values() for e, _ in groups})
        self.dup_raw: dict[int, pa.Array] = {}
        if dup_employees:
            found = con.sql(
                "SELECT file_index, list(emp_raw) FROM pmap WHERE list_contains($ids, employee_id)"
                " GROUP BY file_index",
                params={"ids": dup_employees},
            ).fetchall()
            self.dup_raw = {index: pa.array(raws, pa.string()) for index, raws in found}
        bad = con.sql("SELECT file_index, list(dept_raw) FROM bad_dept GROUP BY file_index")
        self.bad_dept = {index: pa.array(raws, pa.string()) for index, raws in bad.fetchall()}

    def file(self, source: _Source, first: dt.date, last: dt.date) -> None:
        file = source.file
        unit = file.layout.date_unit
        self.con.execute("SET preserve_insertion_order = true")
        reader = self.con.sql(_ordered_branch(source, first, last)).to_arrow_reader(100_000)
        ordinal = file.first_data_row
        for batch in reader:
            if source.date_format:
                date_ok = pc.is_valid(batch.column("day"))
            else:
                date_ok = pc.is_in(batch.column("date_key"), value_set=self.keys[unit])
            minutes = pc.cast(batch.column("minutes"), pa.float64())
            suspect = pc.or_kleene(pc.invert(date_ok), pc.is_null(minutes))
            suspect = pc.or_kleene(suspect, batch.column("emp_blank"))
            suspect = pc.or_kleene(suspect, batch.column("dept_blank"))
            suspect = pc.or_kleene(suspect, pc.fill_null(pc.less(minutes, 0), False))
            if unit == "day":
                too_many = pc.greater(minutes, self.day_limit)
                suspect = pc.or_kleene(suspect, pc.fill_null(too_many, False))
            if source.index in self.bad_dept:
                unusable = pc.is_in(batch.column("dept_raw"), value_set=self.bad_dept[source.index])
                suspect = pc.or_kleene(suspect, unusable)
            if source.index in self.dup_raw:
                duplicate = pc.is_in(batch.column("emp_raw"), value_set=self.dup_raw[source.index])
                suspect = pc.or_kleene(suspect, duplicate)
            blank = batch.column("blank_row")
            flagged = pc.and_(pc.fill_null(suspect, True), pc.invert(blank))
            for i in pc.indices_nonzero(flagged).to_pylist():
                row = batch.column("_row")[i].as_py() if file.format == "xlsx" else ordinal + i
                values = {name: batch.column(name)[i].as_py() for name in batch.schema.names}
                if not source.date_format:
                    values["day"] = self.lookup[unit].get(values["date_key"])
                self.row(file, values, row, source.date_format)
            ordinal += batch.num_rows
        self.con.execute("SET preserve_insertion_order = false")

    def row(
        self, file: ExportFile, values: dict[str, object], row: int, date_format: str | None = None
    ) -> None:
        layout, label, add = file.layout, file.label, self.findings.add
        id_column, date_column = (
            file.shown(layout.column("employee_id")),
            file.shown(layout.column("date")),
        )
        value_columns = [file.shown(h) for h in layout.columns["overtime"]]
        emp_raw, dept_raw = values["emp_raw"], values["dept_raw"]
        pseudonym = None
        if not values["emp_blank"]:
            pseudonym = self.pseudonymize(from_raw(emp_raw, file.encoding))  # type: ignore[arg-type]
        who = employee_label(pseudonym)
        if values["emp_blank"]:
            add(
                "blank_id",
                InputError(label, "職員番号が空欄です（職員番号を入れてください）", row, id_column),
            )
        if values["dept_blank"]:
            add(
                "blank_department",
                InputError(
                    label,
                    f"{who}の所属が空欄です（所属を入れてください）",
                    row,
                    file.shown(layout.column("department")),
                ),
            )
        if not values["dept_blank"] and isinstance(dept_raw, str):
            problem = cell_text_error(normalize_header(from_raw(dept_raw, file.encoding)))
            if problem:
                add(
                    "bad_department",
                    InputError(
                        label,
                        f"{who}の所属に{problem}",
                        row,
                        file.shown(layout.column("department")),
                    ),
                )
        day = cast("dt.date | None", values["day"])  # a DATE column or a calendar lookup
        if day is None:
            text = values["date_text"]
            shown = from_raw(text, file.encoding) if isinstance(text, str) else None
            message = explain_refusal(shown, *self.period)
            if date_format and message.endswith(
                _NOT_THIS_WAY
            ):  # a readable date, written unlike the rest
                example = dt.date(2025, 4, 1).strftime(date_format)
                message = f"「{shown}」はこのファイルのほかの行と違う書き方です（{example} の形にそろえてください）"
            add("date", InputError(label, message, row, date_column))
        minutes = cast("Decimal | None", values["minutes"])  # a DECIMAL column
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


def _month_limits(
    problems: pl.DataFrame, files: list[ExportFile], limit_hours: float, findings: Findings
) -> None:
    for employee, month, hours, index in (
        problems.filter("over_limit").select("employee_id", "month", "hours", "first_file").rows()
    ):
        file = files[index]
        findings.add(
            "month_limit",
            InputError(
                file.label,
                f"{employee_label(employee)}の {month:%Y年%m月} の時間外勤務が合計 {hours:.1f} 時間で、"
                f"上限 {limit_hours:g} 時間を超えています"
                "（記録を確かめるか、mapping.toml の [checks] max_hours_per_month を見直してください）",
                None,
                file.shown(file.layout.columns["overtime"][0]),
            ),
        )


def _departments(
    con: duckdb.DuckDBPyConnection,
    mapping: RecordMapping,
    files: list[ExportFile],
    findings: Findings,
) -> None:
    known = set(mapping.checks.departments)
    if not known:
        return
    counts = con.sql(
        "SELECT department, sum(coalesce(day_rows, 0) + coalesce(month_rows, 0)), min(first_file)"
        " FROM monthly GROUP BY ALL ORDER BY 1"
    ).fetchall()
    for department, rows, index in counts:
        if department in known:
            continue
        message = f"所属「{department}」（{rows:,}行）は mapping.toml の [checks] departments の一覧にありません"
        if mapping.checks.unknown_departments == "error":
            findings.add(
                "department",
                InputError(
                    files[index].label, message + "（所属名を直すか、一覧に加えてください）"
                ),
            )
        else:
            findings.notice(f"{mapping.label}: {message}（新しい所属なら一覧に加えてください）")


def write_partitions(
    con: duckdb.DuckDBPyConnection, relation: str, columns: list[str], folder: Path
) -> tuple[dict[int, Path], dict[int, int]]:
    """Write ``relation`` as one Parquet file per fiscal year, named by its content.

    The name is a digest of the year's rows that does not depend on their order (the
    XOR of 64-bit row hashes, the row count and the column names), so the rows can be
    written in whatever order the threads produce them, and a year whose rows did not
    change gets the name of the file it already has (which is then kept, not rewritten).
    Returns the file and the number of rows of every fiscal year.
    """
    import hashlib

    listed = ", ".join(f'"{c}"' for c in columns)
    digests = con.sql(
        f"SELECT fiscal_year, count(*), bit_xor(hash({listed}))"
        f" FROM {relation} GROUP BY fiscal_year ORDER BY fiscal_year"
    ).fetchall()
    partitions: dict[int, Path] = {}
    rows: dict[int, int] = {}
    for fiscal_year, count, digest in digests:
        token = f"{','.join(columns)}|{count}|{digest}".encode()
        name = f"part-{hashlib.sha256(token).hexdigest()[:16]}.parquet"
        target = folder / f"fiscal_year={fiscal_year}" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"COPY (SELECT {listed} FROM {relation} WHERE fiscal_year = {fiscal_year})"
            f" TO {_quote(str(target))} (FORMAT parquet, COMPRESSION zstd)"
        )
        partitions[fiscal_year] = target
        rows[fiscal_year] = count
    return partitions, rows


def _store(con: duckdb.DuckDBPyConnection, stage: Path, notices: list[str]) -> IngestResult:
    """One staged Parquet file per fiscal year, the source files per year, the yearly totals."""
    stored = {
        "employee_id": "employee_id",
        "department": "department",
        "year": "year",
        "month": "month",
        "fiscal_month": "fiscal_month",
        "hours": "minutes::DOUBLE / 60",
        "record_days": "bit_count(day_mask)::INTEGER",
        "overtime_days": "overtime_rows::INTEGER",
        "is_sample": "is_sample",
    }
    assert list(stored) == list(OVERTIME_COLUMNS)
    columns = ", ".join(f'{sql} AS "{name}"' for name, sql in stored.items())
    con.execute(f"CREATE TEMP VIEW stored AS SELECT fiscal_year, {columns} FROM monthly")
    partitions, rows = write_partitions(con, "stored", list(stored), stage / "overtime")
    sources = con.sql(
        """
        SELECT (CASE WHEN month(a.month) >= 4 THEN year(a.month) ELSE year(a.month) - 1 END)::INTEGER
                AS fiscal_year,
            f.source_file, sum(a.n_rows)::BIGINT AS rows
        FROM agg a JOIN files f USING (file_index) GROUP BY ALL ORDER BY 1, 2
        """
    ).pl()
    totals = con.sql(
        """
        SELECT fiscal_year, sum(minutes)::DOUBLE AS minutes,
            count(DISTINCT employee_id)::BIGINT AS headcount,
            count(*)::BIGINT AS person_months, bool_or(is_sample) AS is_sample
        FROM employee_month GROUP BY fiscal_year ORDER BY 1
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
    from ebpm.limits import RECORDS_DUCKDB_MEMORY

    config: dict[str, str | bool | int | float | list[str]] = {
        "temp_directory": str(workdir / "duckdb"),
        "preserve_insertion_order": False,
        # Bounded: a huge export spills to the private work folder instead of filling memory.
        "memory_limit": RECORDS_DUCKDB_MEMORY,
    }
    if threads:
        config["threads"] = threads
    con = duckdb.connect(config=config)
    try:
        return _run(con, mapping, files, pseudonymize, stage, today or dt.date.today(), workdir)
    finally:
        con.close()

"""``mapping.toml``: which column of a system's export holds which standard field.

Each record folder (``overtime/``, ``paper/``) has one ``mapping.toml`` with one
``[[layout]]`` per export format (a city that changes systems keeps the old exports
with their own layout), the period the records cover, and the checks' limits. Keys
are English; the values are the export's own (Japanese) column headers. Every
mistake becomes a Japanese message naming the file and key, and the fix.

Overtime layout::

    [[layout]]
    files = "勤務実績_*.csv"     # which files of the folder use this layout
    employee_id = "職員番号"
    department = "所属"
    date = "勤務日"
    date_unit = "day"            # "day" or "month"
    overtime = ["時間外", "休日勤務"]   # one column, or several that are added up
    overtime_unit = "h:mm"       # "hours", "minutes" or "h:mm"

Paper layout::

    [[layout]]
    files = "物品購入_*.xlsx"
    date = "購入日"
    date_unit = "day"
    department = "所属"
    paper_size = "規格"
    quantity = "数量"
    unit = "単位"                # a column with 枚 / 連 / 箱 (or unit_value = "箱")
    sheets_per_box = { A4 = 2500, A3 = 1500 }   # or one number, or sheets_per_box_column
    item = "品名"                # optional: only rows whose item contains a keyword
    item_keywords = ["コピー用紙", "PPC用紙"]
"""

from __future__ import annotations

import fnmatch
import tomllib
import unicodedata
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ebpm.records.dates import DateUnit

__all__ = [
    "DIRECT_IDENTIFIER_WORDS",
    "MAPPING_FILE",
    "Checks",
    "Layout",
    "MappingError",
    "RecordMapping",
    "is_direct_identifier",
    "load_mapping",
    "normalize_header",
]

#: The header of an export sits in its first rows (a title block above it at most).
MAX_HEADER_ROW = 100
#: What no record can exceed, whatever the mapping's limits: a day has 24 hours, the
#: longest month 31 × 24 = 744. A limit above these would let an impossible record in.
HOURS_IN_DAY = 24.0
HOURS_IN_LONGEST_MONTH = 31 * 24.0

MAPPING_FILE = "mapping.toml"
Kind = Literal["overtime", "paper"]

#: Header words of columns that identify a person directly: never read, dropped with a notice.
DIRECT_IDENTIFIER_WORDS = (
    "氏名",
    "名前",
    "姓名",
    "カナ",
    "かな",
    "フリガナ",
    "ふりがな",
    "ローマ字",
    "生年月日",
    "住所",
    "電話",
    "携帯",
    "メール",
    "マイナンバー",
    "個人番号",
    "担当者",
    "発注者",
    "name",
    "mail",
)

OVERTIME_UNITS = ("hours", "minutes", "h:mm")
PAPER_UNITS = {"枚": 1, "連": 500}  # 箱: sheets per box as stated in the mapping
BOX = "箱"


class MappingError(ValueError):
    """Problems in a ``mapping.toml`` (each message in Japanese)."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("\n".join(messages))


def normalize_header(text: object) -> str:
    """Headers are compared after NFKC and stripping (full-width letters, stray spaces)."""
    return unicodedata.normalize("NFKC", str(text)).strip()


def is_direct_identifier(header: str) -> bool:
    """Whether a column header names a direct identifier (氏名, 住所, メール …)."""
    text = normalize_header(header).lower()
    return any(word in text for word in DIRECT_IDENTIFIER_WORDS)


@dataclass(frozen=True)
class Layout:
    """One export format: the files it applies to and the columns of each field."""

    index: int
    files: str
    columns: dict[str, tuple[str, ...]]  # standard field → export headers (several are summed)
    date_unit: DateUnit
    overtime_unit: str | None = None
    blank_as_zero: bool = False
    unit_value: str | None = None
    sheets_per_box: dict[str, int] = field(default_factory=dict)  # paper size ("*" = any) → sheets
    item_keywords: tuple[str, ...] = ()
    sheet: str | None = None
    header_row: int = 1
    delimiter: str = ","

    def column(self, name: str) -> str | None:
        headers = self.columns.get(name)
        return headers[0] if headers else None

    def matches(self, file_name: str) -> bool:
        return fnmatch.fnmatch(file_name, self.files)

    @property
    def where(self) -> str:
        return f"[[layout]] {self.index}つ目"


@dataclass(frozen=True)
class Checks:
    """Limits and lists the checks use."""

    first_fiscal_year: int
    last_fiscal_year: int
    departments: tuple[str, ...] = ()
    unknown_departments: Literal["notice", "error"] = "notice"
    max_hours_per_day: float = 16.0
    max_hours_per_month: float = 300.0
    max_sheets_per_row: int = 1_000_000
    staff_count: Literal["headcount", "person_months"] = "headcount"


@dataclass(frozen=True)
class RecordMapping:
    """A parsed ``mapping.toml``."""

    kind: Kind
    path: Path
    label: str
    layouts: tuple[Layout, ...]
    checks: Checks

    def layout_for(self, file_name: str) -> Layout | None:
        return next((layout for layout in self.layouts if layout.matches(file_name)), None)


_COMMON_LAYOUT_KEYS = {
    "files",
    "date",
    "date_unit",
    "department",
    "sheet",
    "header_row",
    "delimiter",
}
_LAYOUT_KEYS: dict[Kind, set[str]] = {
    "overtime": _COMMON_LAYOUT_KEYS | {"employee_id", "overtime", "overtime_unit", "blank_as_zero"},
    "paper": _COMMON_LAYOUT_KEYS
    | {
        "paper_size",
        "quantity",
        "unit",
        "unit_value",
        "sheets_per_box",
        "sheets_per_box_column",
        "item",
        "item_keywords",
    },
}
_REQUIRED_COLUMNS: dict[Kind, tuple[str, ...]] = {
    "overtime": ("employee_id", "department", "date", "overtime"),
    "paper": ("date", "department", "paper_size", "quantity"),
}
_OPTIONAL_COLUMNS: dict[Kind, tuple[str, ...]] = {
    "overtime": (),
    "paper": ("unit", "sheets_per_box_column", "item"),
}
_CHECK_KEYS: dict[Kind, set[str]] = {
    "overtime": {
        "departments",
        "unknown_departments",
        "max_hours_per_day",
        "max_hours_per_month",
        "staff_count",
    },
    "paper": {"departments", "unknown_departments", "max_sheets_per_row"},
}
_TOP_KEYS = {"layout", "period", "checks"}


class _Reader:
    """Collects every problem of one mapping file instead of stopping at the first."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{self.label}{' ' + where if where else ''}: {message}")

    def unknown_keys(self, table: MappingType[str, Any], allowed: set[str], where: str) -> None:
        for key in sorted(set(table) - allowed):
            self.error(
                where,
                f"「{key}」という項目はありません（使える項目: {', '.join(sorted(allowed))}）",
            )

    def text(
        self, table: MappingType[str, Any], key: str, where: str, *, required: bool
    ) -> str | None:
        value = table.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(where, f"{key} が空です（書き出しファイルの見出しを書いてください）")
            return None
        if not isinstance(value, str):
            self.error(where, f'{key} は文字列（"…"）で書いてください')
            return None
        return normalize_header(value)

    def choice(
        self,
        table: MappingType[str, Any],
        key: str,
        options: tuple[str, ...],
        where: str,
        default: str | None = None,
    ) -> str | None:
        value = table.get(key, default)
        if value not in options:
            shown = "、".join(f'"{o}"' for o in options)
            if value is None:
                self.error(where, f"{key} がありません（{shown} のどれかを書いてください）")
            else:
                self.error(
                    where, f"{key}「{value}」は使えません（{shown} のどれかを書いてください）"
                )
            return None
        return str(value)

    def number(
        self,
        table: MappingType[str, Any],
        key: str,
        default: float,
        where: str,
        *,
        integer: bool = False,
    ) -> float:
        value = table.get(key, default)
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        if ok and integer and not float(value).is_integer():
            ok = False
        if not ok:
            self.error(where, f"{key} は正の{'整数' if integer else '数'}で書いてください")
            return default
        return float(value)


def _layout(reader: _Reader, kind: Kind, index: int, table: Any) -> Layout | None:
    where = f"[[layout]] {index}つ目"
    if not isinstance(table, dict):
        reader.error(where, "[[layout]] の書き方が正しくありません")
        return None
    reader.unknown_keys(table, _LAYOUT_KEYS[kind], where)
    files = table.get("files")
    if not isinstance(files, str) or not files.strip():
        reader.error(
            where,
            'files がありません（この形式のファイル名を "勤務実績_*.csv" のように書いてください）',
        )
        files = ""
    columns: dict[str, tuple[str, ...]] = {}
    for key in _REQUIRED_COLUMNS[kind] + _OPTIONAL_COLUMNS[kind]:
        required = key in _REQUIRED_COLUMNS[kind]
        if key == "overtime" and isinstance(table.get(key), list):
            names = [normalize_header(v) for v in table[key] if isinstance(v, str) and v.strip()]
            if not names or len(names) != len(table[key]):
                reader.error(where, "overtime は見出しの文字列か、その一覧で書いてください")
            columns[key] = tuple(names)
            continue
        value = reader.text(table, key, where, required=required)
        if value:
            columns[key] = (value,)
    for key, headers in columns.items():
        for header in headers:
            if key != "employee_id" and is_direct_identifier(header):
                reader.error(
                    where,
                    f"{key} に「{header}」（個人を特定できる情報の列）が指定されています。正しい列を書いてください",
                )
    date_unit = reader.choice(table, "date_unit", ("day", "month"), where)
    header_row = table.get("header_row", 1)
    if (
        not isinstance(header_row, int)
        or isinstance(header_row, bool)
        or not 1 <= header_row <= MAX_HEADER_ROW
    ):
        reader.error(
            where,
            f"header_row は見出しのある行の番号（1〜{MAX_HEADER_ROW} の整数）で書いてください",
        )
        header_row = 1
    delimiter = table.get("delimiter", ",")
    if delimiter == "\\t":
        delimiter = "\t"
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        reader.error(where, 'delimiter は1文字で書いてください（"," や "\\t"）')
        delimiter = ","
    sheet = table.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        reader.error(where, "sheet はシート名（文字列）で書いてください")
        sheet = None
    extra: dict[str, Any] = {}
    if kind == "overtime":
        extra["overtime_unit"] = reader.choice(table, "overtime_unit", OVERTIME_UNITS, where)
        blank = table.get("blank_as_zero", False)
        if not isinstance(blank, bool):
            reader.error(where, "blank_as_zero は true か false で書いてください")
            blank = False
        extra["blank_as_zero"] = blank
    else:
        extra.update(_paper_units(reader, table, columns, where))
    if reader.errors or date_unit is None:
        return None
    return Layout(
        index=index,
        files=files.strip(),
        columns=columns,
        date_unit=date_unit,  # type: ignore[arg-type]
        sheet=sheet,
        header_row=header_row,
        delimiter=delimiter,
        **extra,
    )


def _paper_units(
    reader: _Reader, table: dict[str, Any], columns: dict[str, tuple[str, ...]], where: str
) -> dict[str, Any]:
    unit_value = table.get("unit_value")
    if ("unit" in columns) == (unit_value is not None):
        reader.error(
            where,
            '単位は unit（単位の列の見出し）か unit_value（"箱" など、全行に共通の単位）のどちらか一方で書いてください',
        )
    if unit_value is not None and normalize_header(unit_value) not in (*PAPER_UNITS, BOX):
        reader.error(
            where, f'unit_value「{unit_value}」は使えません（"枚"、"連"、"箱" のどれかです）'
        )
    per_box = table.get("sheets_per_box")
    sheets_per_box: dict[str, int] = {}
    if isinstance(per_box, int) and not isinstance(per_box, bool) and per_box > 0:
        sheets_per_box["*"] = per_box
    elif isinstance(per_box, dict) and per_box:
        for size, count in per_box.items():
            if isinstance(count, int) and not isinstance(count, bool) and count > 0:
                sheets_per_box[normalize_header(size).upper()] = count
            else:
                reader.error(
                    where, f"sheets_per_box の {size} は1箱の枚数（正の整数）で書いてください"
                )
    elif per_box is not None:
        reader.error(
            where,
            "sheets_per_box は1箱の枚数（2500）か、用紙の大きさごとの表（{ A4 = 2500, A3 = 1500 }）で書いてください",
        )
    if per_box is not None and "sheets_per_box_column" in columns:
        reader.error(where, "sheets_per_box と sheets_per_box_column はどちらか一方にしてください")
    keywords = table.get("item_keywords", [])
    if not isinstance(keywords, list) or not all(
        isinstance(k, str) and k.strip() for k in keywords
    ):
        reader.error(
            where, 'item_keywords は ["コピー用紙", "PPC用紙"] のような文字列の一覧で書いてください'
        )
        keywords = []
    if keywords and "item" not in columns:
        reader.error(where, "item_keywords を使うときは item（品名の列の見出し）も書いてください")
    if "item" in columns and not keywords:
        reader.error(
            where, "item を書いたときは item_keywords（コピー用紙とみなす品名の語）も書いてください"
        )
    return {
        "unit_value": normalize_header(unit_value) if isinstance(unit_value, str) else None,
        "sheets_per_box": sheets_per_box,
        "item_keywords": tuple(normalize_header(k) for k in keywords),
    }


def _checks(reader: _Reader, kind: Kind, data: dict[str, Any]) -> Checks | None:
    period = data.get("period")
    first = last = None
    if not isinstance(period, dict):
        reader.error(
            "[period]",
            "[period] がありません（first_fiscal_year と last_fiscal_year を書いてください）",
        )
    else:
        reader.unknown_keys(period, {"first_fiscal_year", "last_fiscal_year"}, "[period]")
        first, last = period.get("first_fiscal_year"), period.get("last_fiscal_year")
        if not all(
            isinstance(y, int) and not isinstance(y, bool) and 2000 <= y <= 2100
            for y in (first, last)
        ):
            reader.error(
                "[period]",
                "first_fiscal_year と last_fiscal_year は西暦の年度（2019 など）で書いてください",
            )
            first = last = None
        elif first > last:  # type: ignore[operator]
            reader.error("[period]", "first_fiscal_year が last_fiscal_year より後になっています")
    checks = data.get("checks", {})
    if not isinstance(checks, dict):
        reader.error("[checks]", "[checks] の書き方が正しくありません")
        checks = {}
    reader.unknown_keys(checks, _CHECK_KEYS[kind], "[checks]")
    departments = checks.get("departments", [])
    if not isinstance(departments, list) or not all(isinstance(d, str) for d in departments):
        reader.error(
            "[checks]", 'departments は ["総務課", "財政課"] のような所属名の一覧で書いてください'
        )
        departments = []
    unknown = reader.choice(
        checks, "unknown_departments", ("notice", "error"), "[checks]", "notice"
    )
    values: dict[str, Any] = {}
    if kind == "overtime":
        values["max_hours_per_day"] = reader.number(checks, "max_hours_per_day", 16.0, "[checks]")
        values["max_hours_per_month"] = reader.number(
            checks, "max_hours_per_month", 300.0, "[checks]"
        )
        for key, bound, span in (
            ("max_hours_per_day", HOURS_IN_DAY, "1日は24時間"),
            ("max_hours_per_month", HOURS_IN_LONGEST_MONTH, "31日の月でも 31 × 24 = 744 時間"),
        ):
            if values[key] > bound:
                reader.error(
                    "[checks]",
                    f"{key} = {values[key]:g} は、ありえない時間です（{span}）。"
                    f"{bound:g} 以下の上限を書いてください",
                )
        values["staff_count"] = reader.choice(
            checks, "staff_count", ("headcount", "person_months"), "[checks]", "headcount"
        )
    else:
        values["max_sheets_per_row"] = int(
            reader.number(checks, "max_sheets_per_row", 1_000_000, "[checks]", integer=True)
        )
    if first is None or last is None or reader.errors:
        return None
    return Checks(
        first_fiscal_year=first,
        last_fiscal_year=last,
        departments=tuple(normalize_header(d) for d in departments),
        unknown_departments=unknown or "notice",  # type: ignore[arg-type]
        **values,
    )


def load_mapping(path: Path, kind: Kind, label: str) -> RecordMapping:
    """Parse and check a ``mapping.toml``.

    Raises
    ------
    MappingError
        Listing every problem of the file.
    """
    reader = _Reader(label)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (tomllib.TOMLDecodeError, RecursionError) as error:
        detail = error if isinstance(error, tomllib.TOMLDecodeError) else "入れ子が深すぎます"
        raise MappingError([f"{label}: TOML の書式が正しくありません（{detail}）"]) from None
    reader.unknown_keys(data, _TOP_KEYS, "")
    tables = data.get("layout")
    layouts: list[Layout] = []
    if not isinstance(tables, list) or not tables:
        reader.error("", "[[layout]] がありません（書き出しの形式を1つ以上書いてください）")
    else:
        for index, table in enumerate(tables, start=1):
            before = len(reader.errors)
            layout = _layout(reader, kind, index, table)
            if layout is not None and len(reader.errors) == before:
                layouts.append(layout)
    checks = _checks(reader, kind, data)
    if reader.errors or checks is None:
        raise MappingError(reader.errors or [f"{label}: 対応表を読めません"])
    return RecordMapping(kind, path, label, tuple(layouts), checks)

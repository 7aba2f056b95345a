"""Japanese data conventions: 和暦, 年度, number normalisation and encoding sniffing.

A Japanese fiscal year (年度) runs from 1 April to 31 March and is labelled by
the calendar year in which it starts: FY2025 = 令和7年度 = 2025-04-01 … 2026-03-31.

>>> parse_fiscal_year("令和７年度")
2025
>>> parse_fiscal_year("R07")
2025
>>> parse_number("△1,234")
-1234.0
>>> fiscal_year_label(2025)
'2025年度'
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Collection, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "ERA_OFFSETS",
    "MISSING",
    "PLACEHOLDERS",
    "calendar_month",
    "decimal_places",
    "display_width",
    "fiscal_month",
    "fiscal_month_expr",
    "fiscal_period_label",
    "fiscal_year_expr",
    "fiscal_year_label",
    "fiscal_year_label_ja",
    "fiscal_year_of",
    "format_fixed",
    "format_number",
    "format_percent",
    "normalize_text",
    "number_parts",
    "pad",
    "parse_fiscal_year",
    "parse_number",
    "plain_table",
    "read_text",
    "round_half_up",
    "shortest_decimals",
    "sniff_encoding",
    "to_decimal",
    "wareki_label",
]

#: Western year = era year + offset.
ERA_OFFSETS: dict[str, int] = {"令和": 2018, "平成": 1988, "昭和": 1925}
_ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和"}

#: Strings that government tables use for "no value" (nil, not available, secret).
PLACEHOLDERS: frozenset[str] = frozenset(
    {"", "-", "－", "―", "‐", "—", "…", "...", "x", "X", "χ", "*", "***", "NA", "N/A"}
)

#: The mark printed for a missing number in every table and chart (U+2212 MINUS SIGN).
MISSING = "−"

#: A plain number after NFKC and removal of separators.
NUMBER_PATTERN = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
#: Leading signs meaning minus in Japanese tables (△/▲) and the Unicode minus sign.
_MINUS = "△▲−"

_FY_PATTERNS = [
    # 2025, 2025年度, FY2025, FY 2025, 2025年
    re.compile(r"^(?:FY)?\s*(?P<year>\d{4})\s*(?:年度|年)?$", re.IGNORECASE),
    # 令和7年度, 令和元年度, R7, R07, R7年度, H30
    re.compile(
        r"^(?P<era>令和|平成|昭和|[RHS])\s*(?P<eyear>\d{1,2}|元)\s*(?:年度|年)?$",
        re.IGNORECASE,
    ),
]


def normalize_text(value: object) -> str:
    """NFKC-normalise and strip a cell (full-width digits and letters become ASCII).

    >>> normalize_text("　ＦＹ２０２５ ")
    'FY2025'
    """
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_fiscal_year(value: object) -> int:
    """Parse a 年度 written as 2025, FY2025, R7, R07, 令和7年度 (full-width too).

    Raises
    ------
    ValueError
        With a Japanese message when the value is not a recognisable fiscal year.
    """
    if isinstance(value, bool):
        raise ValueError(f"「{value}」は年度として解釈できません")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = normalize_text(value).replace(" ", "")
    for pattern in _FY_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        if match.groupdict().get("year"):
            return int(match["year"])
        era = _ERA_LETTERS.get(match["era"].upper(), match["era"])
        era_year = 1 if match["eyear"] == "元" else int(match["eyear"])
        if era_year < 1:
            break
        return ERA_OFFSETS[era] + era_year
    raise ValueError(
        f"「{value}」は年度として解釈できません"
        "（2025、FY2025、R7、令和7年度 のいずれかの形で入力してください）"
    )


def _month(month: object) -> int:
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise ValueError(f"月は1〜12の整数で指定してください（指定値：{month!r}）")
    return month


def fiscal_year_of(date_or_year: dt.date | int, month: int | None = None) -> int:
    """The 年度 of a date, or of a calendar ``year`` and ``month`` (April–March).

    The one fiscal-year arithmetic of ebpm; :func:`fiscal_year_expr` is its polars twin.

    >>> fiscal_year_of(dt.date(2026, 3, 31)), fiscal_year_of(2026, 4)
    (2025, 2026)
    """
    if isinstance(date_or_year, dt.date):
        if month is not None:
            raise ValueError("日付を渡すときは月を指定しないでください")
        year, month = date_or_year.year, date_or_year.month
    elif isinstance(date_or_year, bool) or not isinstance(date_or_year, int):
        raise ValueError(f"日付または西暦年（整数）を指定してください（指定値：{date_or_year!r}）")
    elif month is None:
        raise ValueError("西暦年を渡すときは月（1〜12）も指定してください")
    else:
        year = date_or_year
    return year if _month(month) >= 4 else year - 1


def fiscal_month(month: int) -> int:
    """Position of a calendar month in the 年度: April → 1, …, March → 12.

    >>> fiscal_month(4), fiscal_month(3)
    (1, 12)
    """
    return (_month(month) - 4) % 12 + 1


def calendar_month(fiscal_month: int) -> int:
    """Calendar month of a fiscal month: 1 → April, …, 12 → March."""
    return (_month(fiscal_month) + 2) % 12 + 1


def fiscal_year_expr(year: pl.Expr, month: pl.Expr) -> pl.Expr:
    """:func:`fiscal_year_of` for columns: the 年度 of calendar ``year`` and ``month``.

    >>> import polars as pl
    >>> months = pl.DataFrame({"year": [2026, 2026], "month": [3, 4]})
    >>> months.select(fy=fiscal_year_expr(pl.col("year"), pl.col("month")),
    ...               fm=fiscal_month_expr(pl.col("month"))).rows()
    [(2025, 12), (2026, 1)]
    """
    import polars as pl

    return year - (month < 4).cast(pl.Int64)


def fiscal_month_expr(month: pl.Expr) -> pl.Expr:
    """:func:`fiscal_month` for a column of calendar months."""
    return (month + 8) % 12 + 1


def fiscal_year_label(fiscal_year: int) -> str:
    """The one label style used on charts and tables: ``2025年度``."""
    return f"{fiscal_year}年度"


def fiscal_period_label(first: int, last: int) -> str:
    """A span of fiscal years as tables print it: ``2025〜2027年度``."""
    return f"{first}〜{fiscal_year_label(last)}"


def to_decimal(value: float | int | str | Decimal) -> Decimal:
    """A number as the decimal a person wrote, not its binary approximation.

    Floats go through their shortest round-trip text (``repr``), so ``0.475`` becomes
    ``Decimal('0.475')`` rather than ``0.47499999999999997779…``.

    >>> to_decimal(0.475), to_decimal(5_216_000), to_decimal("26.0")
    (Decimal('0.475'), Decimal('5216000'), Decimal('26.0'))
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError(f"「{value}」は数値ではありません")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"「{value}」は有限の数値ではありません")
        return Decimal(repr(value))
    return Decimal(str(value))


def round_half_up(value: float | int | str | Decimal, digits: int) -> Decimal:
    """Round half away from zero on the decimal value (the rounding taught in school).

    >>> round_half_up(0.475, 2), round_half_up(23.75, 1), round_half_up(-0.125, 2)
    (Decimal('0.48'), Decimal('23.8'), Decimal('-0.13'))
    """
    return to_decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def decimal_places(text: object) -> int | None:
    """Decimals written in a number's text, as published: ``"26.0"`` → 1, ``"5,216,000"`` → 0.

    Full-width digits, separators and △/▲ are accepted as in :func:`parse_number`;
    ``None`` when the text is not a number (or is a placeholder such as －).

    >>> decimal_places("26.0"), decimal_places("４８．００"), decimal_places("1.5e3"), decimal_places("－")
    (1, 2, 0, None)
    """
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int):
        return 0
    if isinstance(text, float):
        return None if text != text else shortest_decimals(text)
    body = normalize_text(text).lstrip(_MINUS).replace(",", "").replace(" ", "")
    if not re.match(NUMBER_PATTERN, body):
        return None
    exponent = Decimal(body).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else None


def shortest_decimals(value: float) -> int:
    """Decimals of a float's shortest text, whole numbers counting as 0 (``48.0`` → 0).

    The fallback when the published text of a value was not recorded.

    >>> shortest_decimals(48.0), shortest_decimals(46.1), shortest_decimals(0.2375)
    (0, 1, 4)
    """
    number = to_decimal(value)
    if number == number.to_integral_value():
        return 0
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def format_fixed(value: float | Decimal | None, digits: int, *, separators: bool = True) -> str:
    """A number with exactly ``digits`` decimals, rounded half-up; "−" if missing.

    The one formatter of table and chart columns: every cell of a column gets the same
    number of decimals (``1.00``, never ``1``), so a reason and its column agree.

    >>> format_fixed(0.475, 2), format_fixed(1.0, 2), format_fixed(4_434_000.0, 1), format_fixed(None, 1)
    ('0.48', '1.00', '4,434,000.0', '−')
    """
    if value is None or (isinstance(value, float) and value != value):
        return MISSING
    rounded = round_half_up(value, digits)
    if rounded == 0:
        rounded = abs(rounded)  # never print -0.00
    return f"{rounded:,.{digits}f}" if separators else f"{rounded:.{digits}f}"


def format_number(value: float | None, digits: int = 2) -> str:
    """A number with at most ``digits`` decimals (half-up), trailing zeros dropped; "−" if missing.

    For free text; table columns use :func:`format_fixed` (fixed decimals per column).

    >>> format_number(4_434_000.0), format_number(47.3333), format_number(0.475), format_number(None)
    ('4,434,000', '47.33', '0.48', '−')
    """
    text = format_fixed(value, digits)
    if text == MISSING or not digits:
        return text
    return text.rstrip("0").rstrip(".")


def format_percent(fraction: float | None, digits: int = 1) -> str:
    """A fraction as a percentage, half-up on the decimal value; "−" if missing.

    >>> format_percent(0.458), format_percent(0.2375), format_percent(None)
    ('45.8%', '23.8%', '−')
    """
    if fraction is None or fraction != fraction:
        return MISSING
    return format_fixed(to_decimal(fraction) * 100, digits) + "%"


def display_width(text: str) -> int:
    """Columns a text takes in a terminal: full-width (Japanese) characters count as two.

    >>> display_width("K09 枚"), display_width("ＡＢ")
    (6, 4)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` display columns (right-aligned if asked)."""
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


def plain_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Collection[int] = ()
) -> str:
    """A plain-text table aligned for Japanese text; columns in ``right`` are right-aligned.

    >>> print(plain_table(["ID", "評価"], [["K01", "順調"]]))
    ID   評価
    ---  ----
    K01  順調
    """
    widths = [
        max([display_width(h), *(display_width(r[i]) for r in rows)]) for i, h in enumerate(headers)
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(pad(c, widths[i], i in right) for i, c in enumerate(cells)).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *map(line, rows)])


def wareki_label(fiscal_year: int) -> str:
    """令和/平成 label of a fiscal year (the era in force on 1 April).

    >>> wareki_label(2019), wareki_label(2025)
    ('令和元年度', '令和7年度')
    """
    # FY2019 starts 2019-04-01, still 平成31; by custom it is called 令和元年度.
    for era in ("令和", "平成", "昭和"):
        era_year = fiscal_year - ERA_OFFSETS[era]
        if era_year >= 1:
            return f"{era}{'元' if era_year == 1 else era_year}年度"
    raise ValueError(f"{fiscal_year}年度は和暦に変換できません")


def fiscal_year_label_ja(fiscal_year: int, *, short: bool = False) -> str:
    """The label of a 年度 wherever it is shown to people: 和暦 first, the Western year after.

    The strategy writes 令和 years (R05, 令和9年度); planners and charts count in Western
    years. ``short`` is for narrow table cells.

    >>> fiscal_year_label_ja(2025), fiscal_year_label_ja(2019, short=True)
    ('令和7年度（2025年度）', 'R元（2019）')
    """
    era = wareki_label(fiscal_year)  # 令和7年度
    if not short:
        return f"{era}（{fiscal_year_label(fiscal_year)}）"
    letter = {"令和": "R", "平成": "H", "昭和": "S"}[era[:2]]
    return f"{letter}{era[2:].removesuffix('年度')}（{fiscal_year}）"


def parse_number(value: object) -> float | None:
    """Parse a number as Japanese spreadsheets write it.

    Accepts thousands separators, full-width digits, and △/▲ as a minus sign.
    A blank cell or a placeholder (－, …, x) gives ``None``.

    >>> parse_number("５，２１６，０００")
    5216000.0
    >>> parse_number("▲ 3.5"), parse_number("－")
    (-3.5, None)

    Raises
    ------
    ValueError
        With a Japanese message when the text is not a number.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"「{value}」を数値に変換できません")
    if isinstance(value, int | float):
        return None if value != value else float(value)  # NaN → None
    raw = str(value)
    text = normalize_text(raw)
    if text in PLACEHOLDERS or raw.strip() in PLACEHOLDERS:
        return None
    negative = text[0] in _MINUS
    if negative:
        text = text[1:].strip()
    text = text.replace(",", "").replace(" ", "")
    try:
        number = float(text)
    except ValueError:
        raise ValueError(
            f"「{raw}」を数値に変換できません（単位や文字は書かずに数値だけを入力してください）"
        ) from None
    return -number if negative else number


def number_parts(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """:func:`parse_number` for a whole text column: ``(is_placeholder, is_number, value)``.

    ``value`` is null where the text is not a number; the caller decides whether that is
    an error (a steward's file) or a published marker (e-Stat, ministry tables).
    """
    import polars as pl

    text = raw.str.normalize("NFKC").str.strip_chars()
    placeholder = (
        raw.is_null()
        | text.is_in(list(PLACEHOLDERS))
        | raw.str.strip_chars().is_in(list(PLACEHOLDERS))
    )
    negative = text.str.contains(f"^[{_MINUS}]")
    body = text.str.replace(f"^[{_MINUS}]", "").str.replace_all(r"[,\s]", "")
    is_number = body.str.contains(NUMBER_PATTERN).fill_null(False)
    value = pl.when(is_number).then(body.cast(pl.Float64, strict=False))
    return placeholder, is_number, pl.when(negative).then(-value).otherwise(value)


def sniff_encoding(data: bytes) -> str:
    """Guess the encoding of a text file from Japanese Windows or Excel.

    BOM → ``utf-8-sig``; valid UTF-8 → ``utf-8``; else ``cp932`` (a superset of
    Shift_JIS that also has ①, ㈱ and 髙).

    Raises
    ------
    UnicodeDecodeError
        When the data is neither UTF-8 nor CP932.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if b"\x00" in data:  # UTF-16 or binary: no text file of ours contains NUL
        raise UnicodeDecodeError(
            "utf-8", data, data.index(b"\x00"), data.index(b"\x00") + 1, "NUL byte"
        )
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        data.decode("cp932")  # raises when it is neither
        return "cp932"


def read_text(path: str | Path) -> tuple[str, str]:
    """Read a text file with :func:`sniff_encoding`; returns ``(text, encoding)``."""
    data = Path(path).read_bytes()
    encoding = sniff_encoding(data)
    return data.decode(encoding), encoding

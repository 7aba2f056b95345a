"""Dates as record exports write them: western or 和暦, a day or a month.

One table of spellings is the single source of truth for which texts are dates
inside the period: :func:`spellings` lists every accepted spelling of every day (or
month) of the period, and both the DuckDB ingest (a hash join on the raw text) and
the Python checks look dates up in it. :func:`parse_date` reads a spelling outside
that table too, only to tell a person *why* a date was refused (unreadable, 和暦 of
the wrong era, or outside the fiscal years).

>>> parse_date("令和7年4月1日")
datetime.date(2025, 4, 1)
>>> parse_date("H31.4")
datetime.date(2019, 4, 1)
>>> table = spellings(dt.date(2019, 4, 1), dt.date(2019, 5, 31), "month")
>>> table["平成31年4月"], table["令和元年5月"], table["2019/05/20"]
(datetime.date(2019, 4, 1), datetime.date(2019, 5, 1), datetime.date(2019, 5, 1))
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Literal

__all__ = [
    "ERAS",
    "NOT_THIS_WAY",
    "DateUnit",
    "Era",
    "era_of",
    "explain_refusal",
    "lookup_key",
    "parse_date",
    "spellings",
]

DateUnit = Literal["day", "month"]


class Era:
    """A Japanese era: kanji name, letter, first day."""

    __slots__ = ("first_day", "letter", "name")

    def __init__(self, name: str, letter: str, first_day: dt.date) -> None:
        self.name = name
        self.letter = letter
        self.first_day = first_day

    def year_of(self, western_year: int) -> int:
        return western_year - self.first_day.year + 1


#: Newest first. Dates before 平成 are not records of a city that exists today.
ERAS = (
    Era("令和", "R", dt.date(2019, 5, 1)),
    Era("平成", "H", dt.date(1989, 1, 8)),
)

_WESTERN = re.compile(
    r"^(?P<y>\d{4})(?:(?P<sep>[-/.])(?P<m>\d{1,2})(?:(?P=sep)(?P<d>\d{1,2}))?"
    r"|年(?P<km>\d{1,2})月(?:(?P<kd>\d{1,2})日)?"
    r"|(?P<cm>\d{2})(?P<cd>\d{2})?)$"
)
_WAREKI = re.compile(
    r"^(?P<era>令和|平成|[RH])\s*(?P<y>\d{1,2}|元)"
    r"(?:(?P<sep>[-/.])(?P<m>\d{1,2})(?:(?P=sep)(?P<d>\d{1,2}))?"
    r"|年(?P<km>\d{1,2})月(?:(?P<kd>\d{1,2})日)?)$",
    re.IGNORECASE,
)


def era_of(day: dt.date) -> Era:
    """The era in force on ``day`` (raises ``ValueError`` before 平成)."""
    for era in ERAS:
        if day >= era.first_day:
            return era
    raise ValueError(f"{day} は平成より前の日付です")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    # Excel writes date cells as "2025-04-01 00:00:00" or "2025/4/1 0:00".
    return re.sub(r"\s+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$", "", text)


def parse_date(text: str) -> dt.date:
    """Read one date (a month gives its first day); raises ``ValueError`` in Japanese.

    Accepts what :func:`spellings` lists, with full-width digits and a trailing
    time of day as Excel writes it. 和暦 must name the era in force on that date
    (2019-04-30 is 平成31年, 2019-05-01 is 令和元年).
    """
    cleaned = _clean(text)
    western = _WESTERN.match(cleaned)
    wareki = None if western else _WAREKI.match(cleaned)
    match = western or wareki
    if match is None:
        raise ValueError(
            f"「{text}」は日付として読めません"
            "（2025/04/01、2025-04、令和7年4月1日、R7.4.1 などの形にしてください）"
        )
    groups = match.groupdict()
    month = int(groups["m"] or groups["km"] or groups.get("cm") or 0)
    day_text = groups["d"] or groups["kd"] or groups.get("cd")
    year_number = 1 if match["y"] == "元" else int(match["y"])
    era = None
    if wareki:
        key = wareki["era"].upper()
        era = next(e for e in ERAS if key in (e.name, e.letter))
        year = era.first_day.year + year_number - 1
    else:
        year = year_number
    try:
        value = dt.date(year, month, int(day_text) if day_text else 1)
    except ValueError:
        raise ValueError(f"「{text}」はありえない日付です（月と日を確かめてください）") from None
    if era is not None:
        try:
            actual = era_of(value)
        except ValueError:
            actual = None
        if actual is not era:
            raise ValueError(
                f"「{text}」は元号と日付が合いません"
                "（2019年4月30日までは平成、2019年5月1日からは令和です）"
            )
    return value


def _western(day: dt.date, with_day: bool) -> list[str]:
    y, m, d = day.year, day.month, day.day
    out = []
    for pad in (True, False):
        mm = f"{m:02d}" if pad else str(m)
        dd = f"{d:02d}" if pad else str(d)
        for sep in "-/.":
            out.append(f"{y}{sep}{mm}{sep}{dd}" if with_day else f"{y}{sep}{mm}")
        out.append(f"{y}年{mm}月{dd}日" if with_day else f"{y}年{mm}月")
    out.append(f"{y}{m:02d}{d:02d}" if with_day else f"{y}{m:02d}")
    return out


def _wareki(day: dt.date, with_day: bool) -> list[str]:
    era = era_of(day)
    number = era.year_of(day.year)
    m, d = day.month, day.day
    out = []
    names = [str(number), f"{number:02d}"] + (["元"] if number == 1 else [])
    for pad in (True, False):
        mm = f"{m:02d}" if pad else str(m)
        dd = f"{d:02d}" if pad else str(d)
        for year in names:
            out.append(
                f"{era.name}{year}年{mm}月{dd}日" if with_day else f"{era.name}{year}年{mm}月"
            )
            if year == "元":
                continue
            for sep in "-/.":
                body = f"{year}{sep}{mm}{sep}{dd}" if with_day else f"{year}{sep}{mm}"
                out.append(f"{era.letter}{body}")
    return out


def spellings(first_day: dt.date, last_day: dt.date, unit: DateUnit) -> dict[str, dt.date]:
    """Every accepted spelling of every day from ``first_day`` to ``last_day``.

    For ``unit="day"`` each text maps to its day. For ``unit="month"`` month
    spellings (2025-04, 令和7年4月, R7.4 …) and day spellings both map to the first
    day of the month, so a monthly export may write either.
    """
    table: dict[str, dt.date] = {}
    day = first_day
    while day <= last_day:
        month_start = day.replace(day=1)
        value = day if unit == "day" else month_start
        for text in (*_western(day, True), *_wareki(day, True)):
            table[text] = value
        if unit == "month" and (day.day == 1 or day == first_day):
            for text in (*_western(day, False), *_wareki(day, False)):
                table[text] = month_start
        day += dt.timedelta(days=1)
    return table


#: The end of the message for a date that parses but is not an accepted spelling.
NOT_THIS_WAY = "（半角数字で 2025/04/01、2025-04-01、令和7年4月1日、R7.4.1 などの形にしてください）"
_TIME_OF_DAY = re.compile(r"\s+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")


def lookup_key(text: str) -> str:
    """The text looked up in :func:`spellings`: stripped, a trailing time of day removed.

    The DuckDB ingest does the same with ``trim`` and ``split_part(…, ' ', 1)``.
    """
    return _TIME_OF_DAY.sub("", text.strip())


def explain_refusal(text: str | None, first_day: dt.date, last_day: dt.date) -> str:
    """Why a date text is not in the period's :func:`spellings` (Japanese, with the fix)."""
    if text is None or not text.strip():
        return "日付が空欄です（日付を入力してください）"
    try:
        value = parse_date(text)
    except ValueError as error:
        return str(error)
    if value < first_day or value > last_day:
        return (
            f"「{text}」は対象期間（{first_day:%Y年%m月%d日}〜{last_day:%Y年%m月%d日}）の外です"
            "（日付を確かめるか、mapping.toml の期間を直してください）"
        )
    return f"「{text}」はこの書き方では読めません{NOT_THIS_WAY}"

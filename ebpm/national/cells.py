"""Published cells → values and markers; sheets → frames whose errors name file, row, column.

Ministry tables write 「－」, 「-」 or leave a cell blank where there is no value, and put
some values in parentheses. A reader keeps the number (when there is one) and, beside it,
the cell *as published* whenever it was not a plain number, so that nothing is silently
turned into a gap:

=================  ===========  =================================
cell               value        marker
=================  ===========  =================================
``0.46``           0.46         null
``△1.2``           -1.2         null
``(0.80)``         0.8          ``(0.80)``
``－`` / ``-``     null         ``－`` / ``-``
blank              null         ``（空欄）``
``9.1%``           error: the file, row and column are named
=================  ===========  =================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import polars as pl

from ebpm import jp
from ebpm.govtables import GovSheet, read_gov_sheet
from ebpm.readers import FILE, ROW, InputError

__all__ = ["BLANK", "parse_values", "read_sheet"]

#: Marker of a blank cell.
BLANK: Final = "（空欄）"
_PAREN: Final = r"^[(（]\s*(.+?)\s*[)）]$"


def read_sheet(path: Path, label: str, **options: Any) -> tuple[GovSheet | None, list[InputError]]:
    """:func:`ebpm.govtables.read_gov_sheet` as text with row numbers; errors as InputError.

    The frame gets ``_file`` (= ``label``) and ``_row`` (the row in the sheet, as Excel
    numbers it) so later checks can point at the cell.
    """
    try:
        sheet = read_gov_sheet(path, row_column=ROW, convert_numbers=False, **options)
    except ValueError as error:
        message = str(error)
        if message.startswith(path.name):  # the label already names the file
            message = message.partition(": ")[2] or message
        return None, [InputError(label, message)]
    frame = sheet.frame.with_columns(pl.lit(label).alias(FILE))
    return GovSheet(frame, sheet.where, sheet.preamble, sheet.notes), []


def parse_values(
    frame: pl.DataFrame, columns: dict[str, str], *, integer: bool = False
) -> tuple[pl.DataFrame, list[InputError]]:
    """Parse published text columns into ``<name>`` (value) and ``<name>_marker``.

    Parameters
    ----------
    frame
        Text columns plus ``_file`` and ``_row``.
    columns
        ``{header as published: output name}``.
    integer
        Values must be whole numbers (counts of people); they become Int64.

    Returns
    -------
    tuple
        The frame with the new columns (the published columns are kept) and one
        :class:`~ebpm.readers.InputError` per cell that is neither a number nor a marker.
    """
    # in stages, so that each text is normalised and parsed once (not once per output)
    steps = frame.select(
        FILE,
        ROW,
        *(
            pl.col(header)
            .str.normalize("NFKC")
            .str.strip_chars()
            .str.extract(_PAREN, 1)
            .alias(f"{i}p")
            for i, header in enumerate(columns)
        ),
        *(pl.col(header).alias(f"{i}r") for i, header in enumerate(columns)),
    ).with_columns(pl.coalesce(f"{i}p", f"{i}r").alias(f"{i}t") for i in range(len(columns)))
    steps = steps.with_columns(
        part.alias(f"{i}{key}")
        for i in range(len(columns))
        for key, part in zip("hnv", jp.number_parts(pl.col(f"{i}t")), strict=True)
    )
    exprs: list[pl.Expr] = []
    problems: list[pl.Expr] = []
    dtype = pl.Int64 if integer else pl.Float64
    for i, (header, name) in enumerate(columns.items()):
        raw, placeholder, value = pl.col(f"{i}r"), pl.col(f"{i}h"), pl.col(f"{i}v")
        number = pl.col(f"{i}n") & ~placeholder
        ok = number | placeholder
        if integer:
            ok = ok & ~(number & (value != value.floor()))
        blank = raw.is_null() | (raw.str.strip_chars() == "")
        marker = (
            pl.when(blank)
            .then(pl.lit(BLANK))
            .when(placeholder | pl.col(f"{i}p").is_not_null())
            .then(raw)
            .otherwise(None)
        )
        exprs += [
            pl.when(number).then(value).otherwise(None).cast(dtype).alias(name),
            marker.alias(f"{name}_marker"),
        ]
        problems.append(pl.when(~ok).then(raw).alias(header))
    parsed = steps.select(*exprs)
    bad = steps.select(FILE, ROW, *problems).filter(
        pl.any_horizontal(pl.col(c).is_not_null() for c in columns)
    )
    errors = [
        InputError(
            row[FILE],
            f"「{value}」は{'整数' if integer else '数値'}ではありません"
            "（公表された表のとおりの数値か、「－」などの記号が入るはずです。"
            "ファイルが壊れていないか、別の表でないかを確かめてください）",
            row[ROW],
            header,
        )
        for row in bad.iter_rows(named=True)
        for header in columns
        if (value := row[header]) is not None
    ]
    return frame.with_columns(parsed.get_columns()), errors

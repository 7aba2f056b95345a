"""全国地方公共団体コード: 5/6-digit codes, the check digit, prefecture + name matching.

The 5-digit code is 2 digits of prefecture + 3 digits of municipality (e-Stat uses
it as is, e.g. 大船渡市 ``03203``). The 6-digit form used by MIC lists and Excel
files adds a check digit (``032034``). Some files drop the leading zero
(``3203``). Inside ``ebpm`` a code is always the 5-digit **string**.

Files without codes are matched on prefecture + name, never on name alone
(府中市 is both 13206 and 34208).

>>> check_digit("03203")
'4'
>>> normalize_code("032034"), normalize_code(3203)
('03203', '03203')
>>> to_six("03203")
'032034'
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from ebpm.jp import normalize_text

__all__ = [
    "NAME_VARIANTS",
    "PREFECTURES",
    "attach_codes",
    "check_digit",
    "check_digit_expr",
    "code_error_expr",
    "match_codes",
    "match_municipality",
    "normalize_code",
    "normalize_code_expr",
    "prefecture_code",
    "to_six",
]

#: The 47 prefectures by 2-digit code, in JIS X 0401 order.
PREFECTURES: Final[dict[str, str]] = {
    "01": "北海道",
    "02": "青森県",
    "03": "岩手県",
    "04": "宮城県",
    "05": "秋田県",
    "06": "山形県",
    "07": "福島県",
    "08": "茨城県",
    "09": "栃木県",
    "10": "群馬県",
    "11": "埼玉県",
    "12": "千葉県",
    "13": "東京都",
    "14": "神奈川県",
    "15": "新潟県",
    "16": "富山県",
    "17": "石川県",
    "18": "福井県",
    "19": "山梨県",
    "20": "長野県",
    "21": "岐阜県",
    "22": "静岡県",
    "23": "愛知県",
    "24": "三重県",
    "25": "滋賀県",
    "26": "京都府",
    "27": "大阪府",
    "28": "兵庫県",
    "29": "奈良県",
    "30": "和歌山県",
    "31": "鳥取県",
    "32": "島根県",
    "33": "岡山県",
    "34": "広島県",
    "35": "山口県",
    "36": "徳島県",
    "37": "香川県",
    "38": "愛媛県",
    "39": "高知県",
    "40": "福岡県",
    "41": "佐賀県",
    "42": "長崎県",
    "43": "熊本県",
    "44": "大分県",
    "45": "宮崎県",
    "46": "鹿児島県",
    "47": "沖縄県",
}

_WEIGHTS: Final = (6, 5, 4, 3, 2)
_FORMAT_HINT: Final = "（5桁の団体コード 03203、または検査数字付きの6桁 032034 で書いてください）"

# Every way a prefecture is written in files: 岩手県, 岩手, 03, 3.
_PREF_ALIASES: Final[dict[str, str]] = {
    **{name: name for name in PREFECTURES.values()},
    **{name[:-1]: name for name in PREFECTURES.values() if name != "北海道"},
    **{code: name for code, name in PREFECTURES.items()},
    **{str(int(code)): name for code, name in PREFECTURES.items()},
}
# A combined label "石川県 金沢市" / "石川県金沢市": a full prefecture name, then the rest.
_COMBINED = re.compile(r"^(" + "|".join(PREFECTURES.values()) + r")\s*(.*)$")
# "上閉伊郡大槌町" → "大槌町" (tried only when the full name does not match).
_DISTRICT = r"^.+?郡(.+[町村])$"
_MAX_LISTED = 20


# --------------------------------------------------------------------------- scalar helpers


def check_digit(code5: str) -> str:
    """Check digit of a 5-digit code: (11 − Σ dᵢ·wᵢ mod 11) mod 10, w = 6,5,4,3,2.

    >>> check_digit("03203")
    '4'
    >>> check_digit("01101"), check_digit("13206")
    ('1', '3')
    """
    if not (isinstance(code5, str) and len(code5) == 5 and code5.isascii() and code5.isdigit()):
        raise ValueError(f"「{code5}」は5桁の数字ではないので検査数字を計算できません")
    total = sum(int(digit) * weight for digit, weight in zip(code5, _WEIGHTS, strict=True))
    return str((11 - total % 11) % 10)


def _code_text(code: object) -> str:
    if isinstance(code, bool) or not isinstance(code, str | int):
        raise ValueError(f"「{code}」は団体コードとして解釈できません{_FORMAT_HINT}")
    return normalize_text(code)


def normalize_code(code: str | int) -> str:
    """Normalise a 全国地方公共団体コード to the 5-digit string.

    Accepts 4 digits (leading zero dropped), 5 digits, or 6 digits with the
    check digit (which is verified); ints and full-width digits are accepted.

    >>> normalize_code("3203"), normalize_code("０３２０３"), normalize_code("032034")
    ('03203', '03203', '03203')

    Raises
    ------
    ValueError
        In Japanese, for a wrong check digit, a wrong length or an unknown prefecture.
    """
    text = _code_text(code)
    if not (text.isascii() and text.isdigit() and 4 <= len(text) <= 6):
        raise ValueError(f"「{code}」は団体コードの形式ではありません{_FORMAT_HINT}")
    code5 = text.zfill(5) if len(text) < 6 else text[:5]
    if code5[:2] not in PREFECTURES:
        raise ValueError(
            f"「{code}」の都道府県コード「{code5[:2]}」は01〜47の範囲にありません{_FORMAT_HINT}"
        )
    if len(text) == 6 and text[5] != check_digit(code5):
        raise ValueError(
            f"「{code}」は検査数字（6桁目）が正しくありません"
            f"（{code5} の検査数字は {check_digit(code5)}、正しくは {to_six(code5)}）"
        )
    return code5


def to_six(code5: str | int) -> str:
    """The 6-digit form with check digit.

    >>> to_six("03203"), to_six(1100)
    ('032034', '011002')
    """
    code = normalize_code(code5)
    return code + check_digit(code)


def prefecture_code(code: str | int) -> str:
    """The 2-digit prefecture part of a municipal code.

    >>> prefecture_code("032034"), PREFECTURES[prefecture_code(3203)]
    ('03', '岩手県')
    """
    return normalize_code(code)[:2]


# --------------------------------------------------------------------------- expressions


def _as_expr(column: pl.Expr | str) -> pl.Expr:
    return pl.col(column) if isinstance(column, str) else column


def _clean_code_expr(column: pl.Expr | str) -> pl.Expr:
    # Integers arrive as "3203"; Excel floats as "3203.0".
    return (
        _as_expr(column)
        .cast(pl.String)
        .str.normalize("NFKC")
        .str.strip_chars()
        .str.replace(r"^([0-9]+)\.0+$", "$1")
    )


def check_digit_expr(code5: pl.Expr | str) -> pl.Expr:
    """Vectorised :func:`check_digit` of a column of 5-digit strings (null if malformed).

    >>> pl.select(check_digit_expr(pl.lit("03203"))).item()
    '4'
    """
    code = _as_expr(code5)
    valid = code.str.contains(r"^[0-9]{5}$")
    digits = [code.str.slice(i, 1).cast(pl.Int64, strict=False) for i in range(5)]
    total = pl.sum_horizontal(d * w for d, w in zip(digits, _WEIGHTS, strict=True))
    return pl.when(valid).then(((11 - total % 11) % 10).cast(pl.String)).otherwise(None)


def normalize_code_expr(column: pl.Expr | str) -> pl.Expr:
    """Vectorised :func:`normalize_code`; invalid codes become null.

    Pair it with :func:`code_error_expr` to report which rows were invalid.

    >>> s = pl.Series(["032034", "3203", "032035"])
    >>> pl.select(normalize_code_expr(pl.lit(s))).to_series().to_list()
    ['03203', '03203', None]
    """
    text = _clean_code_expr(column)
    code5 = (
        pl.when(text.str.len_chars() == 6).then(text.str.slice(0, 5)).otherwise(text.str.zfill(5))
    )
    return pl.when(code_error_expr(column).is_null()).then(code5).otherwise(None)


def code_error_expr(column: pl.Expr | str) -> pl.Expr:
    """Japanese reason why each code is invalid, or null when it is valid.

    >>> s = pl.Series(["032034", "032035", "abc", None])
    >>> reasons = pl.select(code_error_expr(pl.lit(s))).to_series().to_list()
    >>> reasons[0] is None, reasons[3]
    (True, '空欄です')
    >>> reasons[1]
    '「032035」は検査数字（6桁目）が正しくありません（正しくは 032034）'

    """
    raw = _as_expr(column).cast(pl.String)
    text = _clean_code_expr(column)
    well_formed = text.str.contains(r"^[0-9]{4,6}$")
    code5 = (
        pl.when(text.str.len_chars() == 6).then(text.str.slice(0, 5)).otherwise(text.str.zfill(5))
    )
    pref = code5.str.slice(0, 2)
    expected = check_digit_expr(code5)
    return (
        pl.when(raw.is_null() | (text == ""))
        .then(pl.lit("空欄です"))
        .when(~well_formed)
        .then(pl.format("「{}」は団体コードの形式（数字4〜6桁）ではありません", raw))
        .when(~pref.is_in(list(PREFECTURES)))
        .then(pl.format("「{}」の都道府県コード「{}」は01〜47の範囲にありません", raw, pref))
        .when((text.str.len_chars() == 6) & (text.str.slice(5, 1) != expected))
        .then(
            pl.format(
                "「{}」は検査数字（6桁目）が正しくありません（正しくは {}）",
                raw,
                pl.concat_str(code5, expected),
            )
        )
        .otherwise(None)
    )


# --------------------------------------------------------------------------- name matching


#: Variant kanji that ministry tables use for official names (FY2005–06 主要財政指標一覧:
#: 下条村 = 下條村, 天竜村 = 天龍村, 南木曾町 = 南木曽町), compared as one character.
NAME_VARIANTS: Final[dict[str, str]] = {"ヶ": "ケ", "ヵ": "カ", "條": "条", "龍": "竜", "曾": "曽"}


def _name_key(expr: pl.Expr) -> pl.Expr:
    """NFKC, no whitespace, :data:`NAME_VARIANTS` unified (金ケ崎町 = 金ヶ崎町, 下條村 = 下条村)."""
    key = expr.cast(pl.String).str.normalize("NFKC").str.replace_all(r"\s+", "")
    for variant, common in NAME_VARIANTS.items():
        key = key.str.replace_all(variant, common, literal=True)
    return key


def _pref_key(expr: pl.Expr) -> pl.Expr:
    text = expr.cast(pl.String).str.normalize("NFKC").str.strip_chars()
    return text.replace_strict(_PREF_ALIASES, default=None, return_dtype=pl.String)


def _prepare_master(master: pl.DataFrame, *, first_wins: bool = False) -> pl.DataFrame:
    missing = [c for c in ("area_code", "prefecture", "name") if c not in master.columns]
    if missing:
        raise ValueError(
            f"団体コードの対応表に列 {', '.join(missing)} がありません"
            "（area_code・prefecture・name の3列が必要です）"
        )
    keyed = master.select(
        _pref_key(pl.col("prefecture")).alias("_pref"),
        _name_key(pl.col("name")).alias("_name"),
        normalize_code_expr("area_code").alias("_code"),
        code_error_expr("area_code").alias("_code_error"),
    ).with_row_index("_row", offset=1)
    bad = keyed.filter(pl.col("_code_error").is_not_null() | pl.col("_pref").is_null())
    if bad.height:
        first = bad.row(0, named=True)
        reason = first["_code_error"] or "都道府県名が正しくありません"
        raise ValueError(f"団体コードの対応表 {first['_row']}行目: {reason}")
    if first_wins:
        keyed = keyed.unique(["_pref", "_name"], keep="first", maintain_order=True)
    dupes = keyed.filter(pl.struct("_pref", "_name").is_duplicated())
    if dupes.height:
        first = dupes.row(0, named=True)
        raise ValueError(
            "団体コードの対応表に同じ都道府県・名前の行が複数あります: "
            f"{first['_pref']} {first['_name']}"
        )
    return keyed.select("_pref", "_name", "_code")


def _match_keys(
    df: pl.DataFrame, pref_col: str | None, name_col: str, keyed_master: pl.DataFrame
) -> pl.DataFrame:
    """Per row of ``df``: prefecture and name keys, a conflict flag and the matched ``_code``."""
    name_text = pl.col(name_col).cast(pl.String).str.normalize("NFKC").str.strip_chars()
    pref_in_name = name_text.str.extract(_COMBINED.pattern, 1)
    pref_given = _pref_key(pl.col(pref_col)) if pref_col else pl.lit(None, dtype=pl.String)
    keys = df.select(
        pl.coalesce(pref_in_name, pref_given).alias("_pref"),
        (pref_in_name.is_not_null() & pref_given.is_not_null() & (pref_in_name != pref_given))
        .fill_null(False)
        .alias("_conflict"),
        _name_key(pl.coalesce(name_text.str.extract(_COMBINED.pattern, 2), name_text)).alias(
            "_name"
        ),
    ).with_columns(pl.col("_name").str.extract(_DISTRICT, 1).alias("_name_nodistrict"))

    exact = keys.join(keyed_master, on=["_pref", "_name"], how="left", maintain_order="left")
    fallback = keys.join(
        keyed_master.rename({"_name": "_name_nodistrict", "_code": "_code_nodistrict"}),
        on=["_pref", "_name_nodistrict"],
        how="left",
        maintain_order="left",
    )
    return keys.with_columns(
        pl.when(~pl.col("_conflict"))
        .then(pl.coalesce(exact["_code"], fallback["_code_nodistrict"]))
        .otherwise(None)
        .alias("_code")
    )


def _check_columns(df: pl.DataFrame, pref_col: str | None, name_col: str, code_col: str) -> None:
    if code_col in df.columns:
        raise ValueError(
            f"列「{code_col}」はすでにあります（code_col で別の列名を指定してください）"
        )
    for column in (pref_col, name_col):
        if column is not None and column not in df.columns:
            raise ValueError(f"列「{column}」がありません（列: {', '.join(df.columns)}）")


def match_codes(
    df: pl.DataFrame,
    pref_col: str | None,
    name_col: str,
    master: pl.DataFrame,
    *,
    code_col: str = "area_code",
    first_wins: bool = False,
) -> pl.DataFrame:
    """Like :func:`attach_codes`, but rows that match nothing get a null code instead of an error.

    For files where some names are expected not to match (municipalities merged away);
    the caller decides what to do with them. With ``first_wins`` a master that lists the
    same prefecture + name more than once (several sources, newest first) uses its first
    row instead of refusing.

    >>> master = pl.DataFrame({"area_code": ["03209"], "prefecture": ["岩手県"],
    ...                        "name": ["一関市"]})
    >>> df = pl.DataFrame({"県": ["岩手県", "岩手県"], "名": ["一関市", "藤沢町"]})
    >>> match_codes(df, "県", "名", master)["area_code"].to_list()
    ['03209', None]
    """
    _check_columns(df, pref_col, name_col, code_col)
    keyed_master = _prepare_master(master, first_wins=first_wins)
    keys = _match_keys(df, pref_col, name_col, keyed_master)
    return df.with_columns(keys["_code"].alias(code_col))


def attach_codes(
    df: pl.DataFrame,
    pref_col: str | None,
    name_col: str,
    master: pl.DataFrame,
    *,
    code_col: str = "area_code",
) -> pl.DataFrame:
    """Add the 5-digit ``area_code`` by joining on prefecture + normalised name.

    Names are compared after NFKC, removal of spaces and ヶ→ケ; a district prefix
    (``上閉伊郡大槌町``) is tried when the full name does not match. ``name_col`` may
    hold combined labels (``"石川県 金沢市"``); then ``pref_col`` may be ``None``.
    Never matches on the name alone.

    Parameters
    ----------
    df
        The table to code.
    pref_col
        Column with the prefecture (岩手県, 岩手, 03), or None for combined labels.
    name_col
        Column with the municipality name.
    master
        Code list with columns ``area_code`` (5 or 6 digits), ``prefecture``, ``name``
        (e.g. the ``municipality`` table of :func:`ebpm.national.load_national`).
    code_col
        Name of the new column.

    Raises
    ------
    ValueError
        In Japanese, listing every row that matched no code (rows counted from 1).

    Examples
    --------
    >>> master = pl.DataFrame({"area_code": ["13206", "34208"],
    ...                        "prefecture": ["東京都", "広島県"], "name": ["府中市", "府中市"]})
    >>> df = pl.DataFrame({"地域": ["広島県 府中市", "東京都府中市"]})
    >>> attach_codes(df, None, "地域", master)["area_code"].to_list()
    ['34208', '13206']
    """
    _check_columns(df, pref_col, name_col, code_col)
    keyed_master = _prepare_master(master)
    keys = _match_keys(df, pref_col, name_col, keyed_master)
    unmatched = _unmatched(df, keys, keyed_master, pref_col, name_col)
    if unmatched.height:
        lines = [
            f"  {row['_row']}行目: {row['_label']}{row['_hint']}"
            for row in unmatched.head(_MAX_LISTED).iter_rows(named=True)
        ]
        if unmatched.height > _MAX_LISTED:
            lines.append(f"  ほか {unmatched.height - _MAX_LISTED} 件")
        raise ValueError(
            f"団体コードを付けられない行が {unmatched.height} 件あります"
            "（都道府県名と市区町村名の組で照合しています）:\n" + "\n".join(lines)
        )
    return df.with_columns(keys["_code"].alias(code_col))


def _unmatched(
    df: pl.DataFrame,
    keys: pl.DataFrame,
    keyed_master: pl.DataFrame,
    pref_col: str | None,
    name_col: str,
) -> pl.DataFrame:
    """Rows without a code: row number (from 1), the label as written, and a hint."""
    elsewhere = keyed_master.group_by("_name").agg(
        pl.col("_pref")
        .sort_by("_code")
        .unique(maintain_order=True)
        .str.join("・")
        .alias("_elsewhere")
    )
    shown = [pref_col, name_col] if pref_col else [name_col]
    label = df.select(
        pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in shown], separator=" ")
        .str.strip_chars()
        .alias("_label")
    )
    return (
        pl.concat([keys, label], how="horizontal")
        .with_row_index("_row", offset=1)
        .filter(pl.col("_code").is_null())
        .join(elsewhere, on="_name", how="left", maintain_order="left")
        .select(
            "_row",
            "_label",
            pl.when(pl.col("_conflict"))
            .then(pl.lit("（都道府県名が列と名前とで食い違っています）"))
            .when(pl.col("_pref").is_null())
            .then(pl.lit("（都道府県名がないか、正しくありません）"))
            .when(pl.col("_elsewhere").is_not_null())
            .then(pl.format("（同名の団体は {} にあります）", pl.col("_elsewhere")))
            .otherwise(pl.lit(""))
            .alias("_hint"),
        )
    )


def match_municipality(prefecture: str, name: str, master: pl.DataFrame) -> str:
    """The 5-digit code of one municipality, matched on prefecture + name.

    >>> master = pl.DataFrame({"area_code": ["032034"], "prefecture": ["岩手県"],
    ...                        "name": ["大船渡市"]})
    >>> match_municipality("岩手", "大船渡市", master)
    '03203'

    Raises
    ------
    ValueError
        In Japanese, when no municipality of that prefecture has that name.
    """
    one = pl.DataFrame(
        {"prefecture": [prefecture], "name": [name]},
        schema={"prefecture": pl.String, "name": pl.String},
    )
    try:
        return attach_codes(one, "prefecture", "name", master)["area_code"].item()
    except ValueError as error:
        detail = str(error).partition("1行目: ")[2] or str(error)
        raise ValueError(f"団体コードが見つかりません: {detail}") from None

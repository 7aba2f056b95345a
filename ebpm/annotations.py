"""What planners add beside the numbers: department commentary and the logic-model stage of KPIs.

Two inputs of ``data/raw/kpi/``, read and validated by ``ebpm build`` like the actuals
(file, row and column in every message; all or nothing; Great Expectations):

``commentary/*.csv|xlsx`` → ``kpi_commentary``
    One row per KPI and 年度 written by the department in charge: 担当課, 取組状況,
    要因分析, 今後の方向性 (and サンプル for training rows). The report, workbook and
    documents print it beside the numbers, never mixed into the generated explanation.
``kpi_logic_model.csv`` → ``kpi_logic_stage``
    Which KPIs measure what the city does (アウトプット) and which measure a change in
    citizens, staff or work (アウトカム), with the reason for each. The strategy itself does
    not say; the file is a stated classification (its provenance says who made it and by
    what rule), and a KPI it does not list is shown as 未分類, never guessed.

:func:`make_commentary_template` writes the Excel file a department fills in.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

import polars as pl

from ebpm import jp
from ebpm.readers import (
    ACTUALS_COLUMNS,
    FILE,
    ROW,
    Column,
    InputError,
    named_as_in_files,
    read_table,
    table_files,
)
from ebpm.validation import Check, Suite, validate

__all__ = [
    "COMMENTARY_COLUMNS",
    "COMMENTARY_DIR",
    "COMMENTARY_TEXTS",
    "LOGIC_MODEL_FILE",
    "STAGES",
    "STAGE_COLUMNS",
    "make_commentary_template",
    "read_annotations",
    "write_commentary_template",
]

COMMENTARY_DIR: Final = "commentary"
LOGIC_MODEL_FILE: Final = "kpi_logic_model.csv"
#: The two stages a KPI can measure; インプット and 活動 come from the strategy tree.
STAGES: Final = ("アウトプット", "アウトカム")
#: Longest text accepted in one commentary cell (a table cell in a council document).
MAX_TEXT: Final = 400


def _text(value: str) -> str | None:
    return value.strip() or None


_ACTUAL = {column.name: column for column in ACTUALS_COLUMNS}

#: The three texts of a commentary row, in the order documents print them.
COMMENTARY_TEXTS: Final = {
    "activities": "取組状況",
    "factors": "要因分析",
    "next_steps": "今後の方向性",
}

COMMENTARY_COLUMNS: tuple[Column, ...] = (
    _ACTUAL["kpi_id"],
    _ACTUAL["fiscal_year"],
    Column("department", ("department", "担当課", "所管課"), _text, pl.String()),
    *(
        Column(name, (name, label), _text, pl.String(), False)
        for name, label in COMMENTARY_TEXTS.items()
    ),
    _ACTUAL["is_sample"],
)

STAGE_COLUMNS: tuple[Column, ...] = (
    _ACTUAL["kpi_id"],
    Column("stage", ("stage", "区分"), _text, pl.String()),
    Column("basis", ("basis", "分類の理由"), _text, pl.String()),
)

_COMMENTARY_SCHEMA = {c.name: c.dtype for c in COMMENTARY_COLUMNS} | {
    FILE: pl.String(),
    ROW: pl.Int64(),
}
_STAGE_SCHEMA = {c.name: c.dtype for c in STAGE_COLUMNS} | {FILE: pl.String(), ROW: pl.Int64()}


def _known(kpi_ids: Sequence[str]) -> str:
    if not kpi_ids:
        return "先に kpi/kpi_definitions.csv に指標を登録してください"
    return f"指標ID（{min(kpi_ids)}〜{max(kpi_ids)}）か公表どおりの指標名を入力してください"


def _kpi_check(kpi_ids: Sequence[str]) -> Check:
    return Check(
        lambda gxe: gxe.ExpectColumnValuesToBeInSet(column="kpi_id", value_set=list(kpi_ids)),
        "kpi_id",
        lambda v: f"「{v}」は登録されていない指標です（{_known(kpi_ids)}）",
    )


def _length_check(column: str, label: str) -> Check:
    return Check(
        lambda gxe: gxe.ExpectColumnValueLengthsToBeBetween(column=column, max_value=MAX_TEXT),
        column,
        lambda v: (
            f"{label}が{MAX_TEXT}字を超えています（{len(str(v))}字。資料の表に収まるよう、"
            f"{MAX_TEXT}字以内に要約してください）"
        ),
    )


def commentary_suite(kpi_ids: Sequence[str], first_fy: int, last_fy: int) -> Suite:
    """Checks of the department commentary (every file of ``kpi/commentary/`` together)."""
    texts = list(COMMENTARY_TEXTS)
    return Suite(
        "kpi_commentary",
        [
            _kpi_check(kpi_ids),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeBetween(
                    column="fiscal_year", min_value=first_fy, max_value=last_fy
                ),
                "fiscal_year",
                lambda v: (
                    f"{v}年度は計画の期間外です（{first_fy}〜{last_fy}年度のコメントを入力してください）"
                ),
            ),
            Check(
                lambda gxe: gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=["kpi_id", "fiscal_year"]
                ),
                "kpi_id",
                lambda v: (
                    f"指標「{v}」の同じ年度のコメントが複数あります"
                    "（1指標・1年度につき1行にまとめてください。別のファイルにある行も数えます）"
                ),
            ),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToNotBeNull(column="department"),
                "department",
                lambda v: "担当課が空欄です（コメントを書いた課の名前を入力してください）",
            ),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeInSet(column="has_text", value_set=[True]),
                "activities",
                lambda v: (
                    "取組状況・要因分析・今後の方向性がすべて空欄です"
                    "（少なくとも1つ入力するか、この行を削除してください）"
                ),
            ),
            *(_length_check(name, COMMENTARY_TEXTS[name]) for name in texts),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToNotBeNull(column="is_sample"),
                "is_sample",
                lambda v: "サンプルかどうか（is_sample）を TRUE か FALSE で入力してください",
            ),
        ],
        derive=(pl.any_horizontal(pl.col(texts).is_not_null()).alias("has_text"),),
    )


def stage_suite(kpi_ids: Sequence[str]) -> Suite:
    """Checks of ``kpi_logic_model.csv``."""
    return Suite(
        "kpi_logic_stage",
        [
            _kpi_check(kpi_ids),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeUnique(column="kpi_id"),
                "kpi_id",
                lambda v: f"指標「{v}」の区分が複数あります（1指標につき1行にしてください）",
            ),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeInSet(column="stage", value_set=list(STAGES)),
                "stage",
                lambda v: (
                    f"「{v}」は区分ではありません（{'・'.join(STAGES)} のどちらかを入力してください）"
                ),
            ),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToNotBeNull(column="basis"),
                "basis",
                lambda v: "分類の理由（basis）が空欄です（なぜその区分なのかを書いてください）",
            ),
        ],
    )


def _resolve_names(frame: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    """Published KPI names written instead of IDs become IDs (as for the actuals)."""
    by_name = {
        jp.normalize_text(n): i for n, i in zip(current["name"], current["kpi_id"], strict=True)
    }
    return frame.with_columns(pl.col("kpi_id").replace(by_name))


def _read_commentary(raw_dir: Path, current: pl.DataFrame) -> tuple[pl.DataFrame, list[InputError]]:
    frames: list[pl.DataFrame] = []
    errors: list[InputError] = []
    for path in table_files(raw_dir / "kpi" / COMMENTARY_DIR):
        label = path.relative_to(raw_dir).as_posix()
        frame, file_errors = read_table(path, COMMENTARY_COLUMNS, label)
        errors += file_errors
        if frame.height:
            frames.append(frame)
    if errors or not frames:
        return pl.DataFrame(schema=_COMMENTARY_SCHEMA), errors
    # Rows of the template that a department left empty (only the KPI filled in) are skipped.
    written = pl.any_horizontal(pl.col("department", *COMMENTARY_TEXTS).is_not_null())
    commentary = pl.concat(frames, how="vertical").filter(written)
    if commentary.height == 0:
        return pl.DataFrame(schema=_COMMENTARY_SCHEMA), errors
    commentary = _resolve_names(commentary, current)
    kpi_ids = current["kpi_id"].to_list()
    first = current["base_fy"].min() if current.height else commentary["fiscal_year"].min()
    last = current["target_fy"].max() if current.height else commentary["fiscal_year"].max()
    checked = validate(commentary, commentary_suite(kpi_ids, int(first), int(last)))  # type: ignore[arg-type]
    errors += named_as_in_files(checked, COMMENTARY_COLUMNS)
    return commentary, errors


def _read_stages(raw_dir: Path, current: pl.DataFrame) -> tuple[pl.DataFrame, list[InputError]]:
    path = raw_dir / "kpi" / LOGIC_MODEL_FILE
    if not path.exists():
        return pl.DataFrame(schema=_STAGE_SCHEMA), []
    frame, errors = read_table(path, STAGE_COLUMNS, f"kpi/{LOGIC_MODEL_FILE}", allow_empty=True)
    if errors or frame.height == 0:
        return pl.DataFrame(schema=_STAGE_SCHEMA), errors
    frame = _resolve_names(frame, current)
    errors += named_as_in_files(
        validate(frame, stage_suite(current["kpi_id"].to_list())), STAGE_COLUMNS
    )
    return frame, errors


def read_annotations(
    raw_dir: Path, definitions: pl.DataFrame
) -> tuple[dict[str, pl.DataFrame], list[InputError]]:
    """``kpi_commentary`` and ``kpi_logic_stage``, validated against the current KPIs.

    Both inputs are optional: a workspace without them gets empty tables.
    """
    current = definitions.filter("is_current")
    commentary, errors = _read_commentary(raw_dir, current)
    stages, stage_errors = _read_stages(raw_dir, current)
    return {"kpi_commentary": commentary, "kpi_logic_stage": stages}, errors + stage_errors


# --- the Excel template a department fills in ----------------------------------------------

_GUIDE: Final = (
    ("列", "入力する内容"),
    ("指標ID", "指標ID（指標一覧のとおり）または公表どおりの指標名。必須"),
    ("年度", "コメントの対象年度。2025、R7、令和7年度 のどれでも可。必須"),
    ("担当課", "コメントを書いた課の名前。必須"),
    ("取組状況", f"その年度に行った取組（{MAX_TEXT}字以内）"),
    ("要因分析", f"実績がそうなった理由の分析（{MAX_TEXT}字以内）"),
    ("今後の方向性", f"次年度以降の取組（{MAX_TEXT}字以内）。3つのうち少なくとも1つを入力"),
    ("サンプル", "研修用の架空の記述なら TRUE、実際のコメントなら空欄か FALSE"),
    ("指標名（参照用）", "確認用の列です。ebpm は読みません"),
    ("", ""),
    (
        "保存のしかた",
        f"data/raw/kpi/{COMMENTARY_DIR}/ に置き、同じフォルダの SOURCES.toml に"
        "ファイル名・作成した課・日付を書き足してから ebpm build を実行します。",
    ),
    ("", "CSV（UTF-8 または Shift_JIS）で保存しても読めます。1指標・1年度につき1行です。"),
    ("", "記入しない指標の行は、担当課と3つの欄を空欄のままにしておけば読み飛ばします。"),
    ("", "誤りがあると、ファイル名・行・列と直し方が表示され、ウェアハウスは更新されません。"),
)


def make_commentary_template(
    out: Path, definitions: pl.DataFrame, fiscal_year: int | None = None
) -> Path:
    """Write the commentary workbook: one row per current KPI, the year filled in if given.

    ``definitions`` has ``kpi_id`` and ``name`` (e.g. the latest revision of each KPI).
    Refuses to overwrite an existing file.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from ebpm.csvsafe import protect_workbook

    if out.exists():
        raise FileExistsError(f"{out} はすでにあります（別の名前を指定してください）")
    headers = [
        "指標ID",
        "年度",
        "担当課",
        *COMMENTARY_TEXTS.values(),
        "サンプル",
        "指標名（参照用）",
    ]
    book = Workbook()
    sheet = book.active
    sheet.title = "所管課コメント"
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in definitions.select("kpi_id", "name").iter_rows():
        kpi_id, name = row
        sheet.append([kpi_id, fiscal_year, None, None, None, None, None, name])
    for letter, width in zip("ABCDEFGH", (10, 10, 16, 40, 40, 40, 10, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    for cells in sheet.iter_rows(min_row=2, min_col=4, max_col=6):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    guide = book.create_sheet("入力方法")
    for line in _GUIDE:
        guide.append(line)
    guide.column_dimensions["A"].width = 18
    guide.column_dimensions["B"].width = 90
    protect_workbook(book)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out


def write_commentary_template(
    out: Path, raw_dir: Path | None = None, *, fiscal_year: int | None = None
) -> Path:
    """``ebpm template --commentary``: the workbook with the workspace's current KPIs."""
    from ebpm.template import latest_definitions

    return make_commentary_template(out, latest_definitions(raw_dir), fiscal_year)

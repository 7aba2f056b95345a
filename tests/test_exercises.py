"""Every exercise of the course, judged as a trainee would meet it.

Each lesson's code cells run in order in one namespace (as in the notebook, without a kernel);
at each exercise cell the test tries, in a copy of the namespace at that point:

* the bank's solution → the check says 正解;
* the lesson's stub (``None``) → not correct, with a Japanese hint and where to look;
* every typical wrong answer of the bank → not correct, and the verdict contains its hint;
* a run of the exercise cell that raised after a correct one → a stale-answer verdict.

Wrong answers come from issue 10 (years shifted by one, a placebo run on the full series, raw
sheets instead of per staff, the K10 row drawn with K09's history, ``min_value=0``, a function
that ignores ``band``) and from typical beginner mistakes.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from ebpm.exercises import EXERCISES, evaluate
from ebpm.exercises.core import (
    NotAnswerable,
    Run,
    as_list,
    close_enough,
    decimals_written,
    error_text,
    number_hint,
)

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
MARKER = re.compile(r"^#\s*練習\s*(\d+-\d+)")
_SNAPSHOTS: dict[str, dict[str, dict[str, Any]]] = {}


def _lesson_of(exercise_id: str) -> Path:
    number = int(exercise_id.split("-")[0])
    return next(NOTEBOOKS.glob(f"{number:02d}_*.ipynb"))


def _run(code: str, namespace: dict[str, Any], label: str) -> None:
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile("\n".join(lines), label, "exec"), namespace)


def _snapshots(lesson: Path) -> dict[str, dict[str, Any]]:
    """The namespace just before each exercise cell of a lesson (lessons run once per session)."""
    if lesson.name in _SNAPSHOTS:
        return _SNAPSHOTS[lesson.name]
    notebook = nbformat.read(lesson, as_version=4)
    namespace: dict[str, Any] = {"__name__": "__lesson__"}
    found: dict[str, dict[str, Any]] = {}
    last = max(
        i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and MARKER.match(c.source)
    )
    cwd = Path.cwd()
    os.chdir(lesson.parent)  # notebooks run in notebooks/ (relative paths in the lessons)
    try:
        # The cells after the last exercise only clean up (con.close()); the exercises'
        # functions keep using the lesson's connection, so stop before them.
        for index, cell in enumerate(notebook.cells[: last + 1]):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            if "raises-exception" in cell.metadata.get("tags", []):
                continue
            source = cell.source.strip()
            if source.startswith("# 確認"):
                continue
            match = MARKER.match(source)
            code = cell.source
            if match:
                # Later exercises build on earlier answers (as in the solution notebook).
                found[match.group(1)] = dict(namespace)
                code = EXERCISES[match.group(1)].solution
            _run(code, namespace, f"<{lesson.stem} セル{index}>")
    finally:
        os.chdir(cwd)
    _SNAPSHOTS[lesson.name] = found
    return found


def _try(exercise_id: str, code: str) -> tuple[dict[str, Any], str | None]:
    """Run an exercise cell in the lesson's namespace at that point; (namespace, error).

    ``error`` is what the trainee's check is told about a cell that raised (None if it ran).
    """
    lesson = _lesson_of(exercise_id)
    namespace = dict(_snapshots(lesson)[exercise_id])
    cwd = Path.cwd()
    os.chdir(lesson.parent)
    try:
        _run(code, namespace, f"<練習 {exercise_id}>")
        return namespace, None
    except Exception as error:
        return namespace, error_text(error)
    finally:
        os.chdir(cwd)


def _verdict(exercise_id: str, code: str):
    namespace, error = _try(exercise_id, code)
    runs = [Run(1, code, error is None, error)]
    return evaluate(exercise_id, namespace, source=code, runs=runs)


IDS = list(EXERCISES)
WRONG = [(i, n) for i in IDS for n in range(len(EXERCISES[i].wrong))]
RIGHT = [(i, n) for i in IDS for n in range(len(EXERCISES[i].also_right))]


@pytest.mark.parametrize("exercise_id", IDS)
def test_solution_passes(exercise_id):
    verdict = _verdict(exercise_id, EXERCISES[exercise_id].solution)
    assert verdict.ok, verdict.message
    assert "正解" in verdict.message


@pytest.mark.parametrize(("exercise_id", "index"), RIGHT, ids=[f"{i}-right{n}" for i, n in RIGHT])
def test_other_correct_forms_pass(exercise_id, index):
    code = EXERCISES[exercise_id].also_right[index]
    verdict = _verdict(exercise_id, code)
    assert verdict.ok, f"rejected a right answer:\n{code}\n→ {verdict.message}"


@pytest.mark.parametrize("exercise_id", IDS)
def test_stub_fails_with_a_hint_and_where_to_look(exercise_id):
    exercise = EXERCISES[exercise_id]
    verdict = _verdict(exercise_id, exercise.stub)
    assert not verdict.ok
    assert "None" in verdict.message and "見直す場所" in verdict.message, verdict.message


@pytest.mark.parametrize(("exercise_id", "index"), WRONG, ids=[f"{i}-wrong{n}" for i, n in WRONG])
def test_wrong_answer_fails_with_its_hint(exercise_id, index):
    wrong = EXERCISES[exercise_id].wrong[index]
    verdict = _verdict(exercise_id, wrong.code)
    assert not verdict.ok, f"accepted a wrong answer:\n{wrong.code}\n→ {verdict.message}"
    assert wrong.hint in verdict.message, verdict.message


@pytest.mark.parametrize("exercise_id", IDS)
def test_answer_left_from_an_earlier_run_is_not_accepted(exercise_id):
    exercise = EXERCISES[exercise_id]
    namespace, error = _try(exercise_id, exercise.solution)
    assert error is None, error
    broken = f"{exercise.marker}\n{exercise.answers[0]} = 1 / 0"
    runs = [Run(5, exercise.solution, True), Run(6, broken, False)]
    verdict = evaluate(exercise_id, namespace, runs=runs)
    assert not verdict.ok and verdict.stale
    assert "エラーで止まりました" in verdict.message and "[6]" in verdict.message


def test_exercise_cells_are_already_formatted():
    """sync_exercises writes these cells; `ruff format` must not change them afterwards."""
    ruff = Path(sys.executable).with_name("ruff")
    for exercise in EXERCISES.values():
        for code in (exercise.stub, exercise.solution):
            formatted = subprocess.run(
                [str(ruff), "format", "--stdin-filename", "cell.py", "-"],
                input=code + "\n",
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            assert formatted.rstrip("\n") == code, f"練習 {exercise.id}:\n{formatted}"


def test_a_missing_answer_asks_to_run_the_exercise_cell():
    verdict = evaluate("0-1", {})
    assert not verdict.ok and "まだありません" in verdict.message


def test_an_unknown_exercise_is_a_message_not_an_error():
    verdict = evaluate("99-9", {})
    assert not verdict.ok and "ありません" in verdict.message


def test_a_judge_that_breaks_on_a_strange_answer_still_answers_in_japanese():
    class Strange:
        def __float__(self):
            raise RuntimeError("boom")

    verdict = evaluate("0-1", {"progress_k10": Strange()})
    assert not verdict.ok and verdict.message.startswith("✘ 練習 0-1")


# --------------------------------------------------------------------------- comparing


def test_rounded_answers_are_accepted_at_the_decimals_they_keep():
    assert close_enough(0.31, 0.3103448, min_decimals=2)
    assert close_enough(0.3103, 0.3103448, min_decimals=2)
    assert not close_enough(0.3, 0.3103448, min_decimals=2)
    assert not close_enough(0.32, 0.3103448, min_decimals=2)
    assert not close_enough(0.31, 0.3103448)  # exact only when rounding is not allowed


def test_decimals_are_read_from_how_the_number_is_written():
    assert [decimals_written(v) for v in (0.31, 126.4, 5216000.0, 1e-05)] == [2, 1, 0, 5]


def test_percent_instead_of_fraction_and_the_opposite_sign_get_their_own_hints():
    assert "100倍" in number_hint(31.03, 0.3103448, min_decimals=2)
    assert "符号" in number_hint(-0.3103, 0.3103448, min_decimals=2)
    assert number_hint(0.3103448275862069, 0.3103448275862069) is None


def test_a_tuple_counts_as_a_list_and_a_string_never_does():
    assert as_list((2023, 2024)) == [2023, 2024]
    with pytest.raises(NotAnswerable):
        as_list("2023, 2024")


def test_rounding_tolerance_is_half_a_unit_of_the_last_decimal():
    assert close_enough(13196.5, 13196.5367, min_decimals=0)
    assert close_enough(13197.0, 13196.5367, min_decimals=0)
    assert not close_enough(13198.0, 13196.5367, min_decimals=0)
    assert math.isclose(0.5 * 10.0**-1, 0.05)


def test_in_a_kernel_a_failed_exercise_cell_makes_the_check_report_a_stale_answer():
    """setup() records each cell's run; the check sees that the exercise cell raised last."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    cells = [
        "from ebpm.exercises import check\nfrom ebpm.lesson import setup\n\nsetup(quiet=True)",
        "# 練習 0-2\nprogress_k10 = (120 - 129) / (100 - 129)",
        'check("0-2")',
        "# 練習 0-2\nprogress_k10 = (120 - 129) / (100 - 129\n) / undefined_name",
        'check("0-2")',
    ]
    notebook = new_notebook(cells=[new_code_cell(c) for c in cells])
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True).execute()
    first, after_error = (
        "".join(o.get("text", "") for o in notebook.cells[i].outputs) for i in (2, 4)
    )
    assert first.startswith("✔ 練習 0-2")
    assert after_error.startswith("✘ 練習 0-2") and "エラーで止まりました" in after_error
    error = notebook.cells[3].outputs[0]
    assert error.output_type == "error" and error.traceback[0].startswith("エラー（NameError）")


def test_a_cell_that_failed_before_any_answer_names_its_error_and_keeps_no_old_value():
    error = error_text(
        SyntaxError("invalid character '（' (U+FF08)", ("<cell>", 2, 1, "p = （1）"))
    )
    runs = [Run(3, "# 練習 0-2\nprogress_k10 = （120 - 129） / （100 - 129）", False, error)]
    verdict = evaluate("0-2", {}, runs=runs)
    assert not verdict.ok and verdict.stale
    assert "全角の「（」" in verdict.message
    assert "前に実行したときの値" not in verdict.message


def test_a_decimal_from_a_duckdb_sum_counts_as_a_number():
    from decimal import Decimal

    from ebpm.exercises.core import as_number

    assert as_number(Decimal("13196.54")) == pytest.approx(13196.54)


def test_the_judges_paper_data_is_per_staff_and_flags_electronic_approval_from_october_2022():
    import datetime as dt

    import polars as pl

    from ebpm.exercises.data import paper_by_month

    rows = (
        paper_by_month()
        .filter(pl.col("date").is_in([dt.date(2022, 9, 1), dt.date(2022, 10, 1)]))
        .sort("date")
        .select("sheets", "staff", "sheets_per_staff", "e_approval")
        .rows()
    )
    # training sample: 402,500 ÷ 350 = 1,150; 793,500 ÷ 350 = 2,267.142857…
    assert rows == [
        (402_500, 350.0, 1150.0, False),
        (793_500, 350.0, pytest.approx(2267.142857), True),
    ]

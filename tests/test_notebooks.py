"""The course notebooks: lesson structure, self-checking exercises, and nbval really
comparing stored outputs (a changed number must fail)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
HEADER_ITEMS = ("この章で学ぶこと", "対象レベル", "所要時間", "前提知識")


def solution_of(lesson: Path) -> Path:
    return NOTEBOOKS / "solutions" / f"{lesson.stem}_解答.ipynb"


def check_outputs(path: Path) -> list[str]:
    """Stored stdout of every exercise check cell (cells starting with 「# 確認」)."""
    notebook = nbformat.read(path, as_version=4)
    found = []
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.lstrip().startswith("# 確認"):
            found.append(
                "".join(
                    o.get("text", "") for o in cell.outputs if o.output_type == "stream"
                ).strip()
            )
    return found


def test_course_is_complete():
    numbers = [p.name[:2] for p in LESSONS]
    assert numbers == sorted(set(numbers))
    assert numbers[0] == "00"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_structure(lesson):
    notebook = nbformat.read(lesson, as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {lesson.name[:2]} ")
    for item in HEADER_ITEMS:
        assert item in first.source, item
    assert any(c.cell_type == "markdown" and "## まとめ" in c.source for c in notebook.cells)
    assert any(c.cell_type == "markdown" and "### 練習" in c.source for c in notebook.cells)
    assert solution_of(lesson).exists()


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_exercise_checks_false_in_stub_true_in_solution(lesson):
    stub, solved = check_outputs(lesson), check_outputs(solution_of(lesson))
    assert stub, "every lesson has at least one self-check"
    assert len(stub) == len(solved)
    assert all(out != "True" for out in stub), stub
    assert all(out.endswith("True") and "False" not in out for out in solved), solved


def test_every_stored_output_is_executed():
    for path in NOTEBOOKS.rglob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code" and cell.source.strip():
                assert cell.execution_count is not None, f"{path.name}: unexecuted cell"


def test_nbval_fails_on_a_changed_number(tmp_path):
    lesson = NOTEBOOKS / "00_オリエンテーション.ipynb"
    copy = tmp_path / lesson.name
    text = lesson.read_text(encoding="utf-8")
    assert "進捗率（差を縮めた割合）: 45.8%" in text
    copy.write_text(
        text.replace("進捗率（差を縮めた割合）: 45.8%", "進捗率（差を縮めた割合）: 45.9%"),
        encoding="utf-8",
    )
    shutil.copy(Path(__file__).with_name("nbval_sanitize.cfg"), tmp_path / "sanitize.cfg")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--nbval",
            "--nbval-current-env",
            "--nbval-sanitize-with",
            str(tmp_path / "sanitize.cfg"),
            str(copy),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "EBPM_ROOT": str(NOTEBOOKS.parent)},  # the copy is outside it
        timeout=300,
    )
    assert result.returncode == 1, result.stdout[-2000:]
    assert "45.9%" in result.stdout and "45.8%" in result.stdout
    assert "1 failed" in result.stdout


def test_estat_app_id_never_reaches_notebook_outputs(tmp_path, monkeypatch):
    """Notebook 05 handles ESTAT_APP_ID; run it with a secret and scan what it wrote."""
    from nbclient import NotebookClient

    secret = "appid-SECRET-3f9c2e71"
    monkeypatch.setenv("ESTAT_APP_ID", secret)
    lesson = next(NOTEBOOKS.glob("05_*.ipynb"))
    notebook = nbformat.read(lesson, as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    ).execute()
    written = tmp_path / lesson.name
    nbformat.write(notebook, written)
    assert secret not in written.read_text(encoding="utf-8")

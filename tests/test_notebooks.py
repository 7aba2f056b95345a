"""The course notebooks: structure, stored outputs a trainee reads, exercises written from the bank,
and nbval really comparing stored outputs (a changed number must fail)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))
ALL = [*LESSONS, *SOLUTIONS, *sorted(NOTEBOOKS.glob("[!0-9]*.ipynb"))]
HEADER_ITEMS = ("この章で学ぶこと", "対象レベル", "所要時間", "前提知識")
MARKER = re.compile(r"^#\s*練習\s*(\d+)-(\d+)")
SCIENTIFIC = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[eE][+-]?\d+(?![\w.])")


def solution_of(lesson: Path) -> Path:
    return NOTEBOOKS / "solutions" / f"{lesson.stem}_解答.ipynb"


def code_cells(path: Path) -> list[nbformat.NotebookNode]:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def check_outputs(path: Path) -> list[str]:
    """Stored stdout of every 確認 cell, in order."""
    return [
        "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream").strip()
        for cell in code_cells(path)
        if cell.source.lstrip().startswith("# 確認")
    ]


def text_outputs(cell: nbformat.NotebookNode) -> list[str]:
    texts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            texts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            texts += [str(output.data[k]) for k in ("text/plain", "text/html") if k in output.data]
        elif output.output_type == "error":
            texts += [output.evalue, *output.traceback]
    return texts


def test_course_is_complete():
    numbers = [p.name[:2] for p in LESSONS]
    assert numbers == sorted(set(numbers)) and numbers[0] == "00"
    assert [int(n) for n in numbers] == list(range(len(numbers))), "lesson numbers without gaps"
    assert sorted(SOLUTIONS) == sorted(solution_of(p) for p in LESSONS), "one solution per lesson"
    assert (NOTEBOOKS / "用語集.ipynb").exists() and (
        NOTEBOOKS / "早見表_Excel_polars_SQL.ipynb"
    ).exists()


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_structure(lesson):
    notebook = nbformat.read(lesson, as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {lesson.name[:2]} ")
    for item in HEADER_ITEMS:
        assert item in first.source, item
    assert any(c.cell_type == "markdown" and "## まとめ" in c.source for c in notebook.cells)
    assert any(c.cell_type == "markdown" and "### 練習" in c.source for c in notebook.cells)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_one_setup_call_and_no_boilerplate(lesson):
    cells = code_cells(lesson)
    assert "setup()" in cells[0].source
    for cell in cells:
        assert "pl.Config" not in cell.source and "%xmode" not in cell.source, cell.source
        assert "enable_offline_renderer" not in cell.source, "the setup call chooses the renderer"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_exercise_is_followed_by_its_check(lesson):
    cells = code_cells(lesson)
    number = int(lesson.name[:2])
    found = 0
    for index, cell in enumerate(cells):
        match = MARKER.match(cell.source.strip())
        if not match:
            continue
        found += 1
        assert int(match.group(1)) == number, (
            f"練習 {match.group(0)} belongs to lesson {number:02d}"
        )
        following = cells[index + 1].source
        exercise_id = f"{match.group(1)}-{match.group(2)}"
        assert following.startswith("# 確認") and f'check("{exercise_id}")' in following
    assert found, "every lesson has at least one exercise"


def test_exercise_cells_and_solutions_are_written_from_the_bank():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "sync_exercises.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_checks_hint_in_the_lesson_and_pass_in_the_solution(lesson):
    stub, solved = check_outputs(lesson), check_outputs(solution_of(lesson))
    assert stub and len(stub) == len(solved)
    for output in stub:
        assert output.startswith("✘ 練習") and "None" in output and "見直す場所" in output, output
    for output in solved:
        assert output.startswith("✔ 練習") and "正解" in output, output


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_no_stored_output_in_scientific_notation(path):
    for cell in code_cells(path):
        for text in text_outputs(cell):
            assert not SCIENTIFIC.search(text), f"{path.name}: {SCIENTIFIC.search(text).group(0)}"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_errors_only_where_intended_and_explained_in_japanese(path):
    for cell in code_cells(path):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if not errors:
            continue
        assert "raises-exception" in cell.metadata.get("tags", []), cell.source
        for error in errors:
            assert error.traceback[0].startswith("エラー（"), error.traceback
            assert len(error.traceback) <= 5, "short tracebacks"
            assert any(re.search(r"[ぁ-んァ-ン一-龥]", line) for line in error.traceback)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lessons_do_not_overwrite_the_checker(lesson):
    for cell in code_cells(lesson):
        assert not re.search(r"^(check|setup)\s*=", cell.source, re.M), cell.source


@pytest.mark.parametrize("lesson", [*LESSONS, *SOLUTIONS], ids=lambda p: p.stem)
def test_no_lesson_reads_the_tests_folder(lesson):
    """Lessons read the warehouse, data/raw (12: the real e-Stat response) or notebooks/data."""
    uses_tests = [
        c.source for c in code_cells(lesson) if '"tests"' in c.source or "tests/" in c.source
    ]
    assert uses_tests == []


def test_links_between_notebooks_resolve():
    for path in ALL:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for target in re.findall(r"\]\(([^)#]+\.ipynb)", cell.source):
                assert (path.parent / target).exists(), f"{path.name}: {target}"


def test_every_stored_output_is_executed():
    for path in NOTEBOOKS.rglob("*.ipynb"):
        for cell in code_cells(path):
            if cell.source.strip():
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
    """Lesson 12 handles ESTAT_APP_ID; run it with a secret and scan what it wrote."""
    from nbclient import NotebookClient

    secret = "appid-SECRET-3f9c2e71"
    monkeypatch.setenv("ESTAT_APP_ID", secret)
    lesson = next(NOTEBOOKS.glob("12_*.ipynb"))
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


def test_lesson_example_files_are_regenerated_identically(tmp_path):
    """notebooks/data is written by the seeded scripts/make_lesson_data.py, not by hand."""
    import openpyxl

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_lesson_data
    finally:
        sys.path.pop(0)
    fresh = make_lesson_data.main(tmp_path)
    shipped = NOTEBOOKS / "data"
    csv_file = next(f for f in fresh if f.suffix == ".csv")
    assert csv_file.read_bytes() == (shipped / csv_file.name).read_bytes()
    xlsx = next(f for f in fresh if f.suffix == ".xlsx")

    def cells(path: Path) -> list[tuple]:
        sheet = openpyxl.load_workbook(path).active
        return [
            *sheet.iter_rows(values_only=True),
            tuple(str(r) for r in sheet.merged_cells.ranges),
        ]

    assert cells(xlsx) == cells(shipped / xlsx.name)

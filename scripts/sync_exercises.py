"""Write the exercise cells of the lessons and the solution notebooks from the exercise bank.

    .venv/bin/python scripts/sync_exercises.py           # update notebooks/ and notebooks/solutions/
    .venv/bin/python scripts/sync_exercises.py --check   # only report drift (exit code 1)

One source per exercise: ``ebpm/exercises/lessonNN.py`` holds the stub, the solution and the
typical wrong answers. A lesson notebook is the source of everything else (its prose and
examples); its exercise cells are the code cells whose first line is ``# 練習 N-M``. This script

* replaces each exercise cell of a lesson with the bank's stub,
* writes ``solutions/<lesson>_解答.ipynb``: the lesson with 【解答】 in its title, a note under
  the header, and each exercise cell replaced by the bank's solution.

Cells whose source did not change keep their stored outputs; changed cells lose them, so run
``scripts/execute_notebooks.py`` afterwards (nbval compares stored outputs).
"""

from __future__ import annotations

import copy
import hashlib
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"
MARKER = re.compile(r"^#\s*練習\s*(\d+-\d+)")
LINK = re.compile(r"\]\((?!\.\./|[a-z]+:)([^)\s]+\.ipynb)")
SOLUTION_NOTE = (
    "> **これは解答つきのノートブックです。** 練習のセルに解答例が入っています。"
    "まず `notebooks/` の本編で自分で解き、確認のセルのヒントを読んでから見比べてください。"
)


def lessons() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def solution_path(lesson: Path) -> Path:
    return SOLUTIONS / f"{lesson.stem}_解答.ipynb"


def exercise_id(cell: nbformat.NotebookNode) -> str | None:
    if cell.cell_type != "code":
        return None
    match = MARKER.match(cell.source.strip())
    return match.group(1) if match else None


def _set_source(cell: nbformat.NotebookNode, source: str) -> bool:
    if cell.source == source:
        return False
    cell.source = source
    cell.outputs = []
    cell.execution_count = None
    return True


def _cell_id(notebook_name: str, index: int) -> str:
    return hashlib.sha1(f"{notebook_name}:{index}".encode()).hexdigest()[:8]


def _normalise_ids(notebook: nbformat.NotebookNode, name: str) -> None:
    for index, cell in enumerate(notebook.cells):
        cell["id"] = _cell_id(name, index)


def sync_lesson(lesson: Path, bank: dict) -> tuple[nbformat.NotebookNode, set[str]]:
    notebook = nbformat.read(lesson, as_version=4)
    seen: set[str] = set()
    for cell in notebook.cells:
        ident = exercise_id(cell)
        if ident is None:
            continue
        if ident not in bank:
            raise SystemExit(f"{lesson.name}: 練習 {ident} は ebpm/exercises にありません")
        seen.add(ident)
        _set_source(cell, bank[ident].stub)
    _normalise_ids(notebook, lesson.stem)
    return notebook, seen


def solution_of(lesson_nb: nbformat.NotebookNode, bank: dict, old: Path) -> nbformat.NotebookNode:
    solved = copy.deepcopy(lesson_nb)
    header = solved.cells[0]
    first, _, rest = header.source.partition("\n")
    title = re.sub(r"^(# \d{2} [^：:]+)", r"\1【解答】", first, count=1)
    header.source = f"{title}\n{rest}".rstrip() + f"\n\n{SOLUTION_NOTE}"
    for cell in solved.cells:
        ident = exercise_id(cell)
        if ident is not None:
            cell.source = bank[ident].solution
        elif cell.cell_type == "markdown":  # solutions/ is one folder down
            cell.source = LINK.sub(r"](../\1", cell.source)
    previous = nbformat.read(old, as_version=4) if old.exists() else None
    old_cells = previous.cells if previous is not None else []
    for index, cell in enumerate(solved.cells):
        keep = index < len(old_cells) and old_cells[index].source == cell.source
        if cell.cell_type == "code":
            if keep and old_cells[index].cell_type == "code":
                cell.outputs = old_cells[index].outputs
                cell.execution_count = old_cells[index].execution_count
            elif not keep:
                cell.outputs = []
                cell.execution_count = None
    _normalise_ids(solved, old.stem)
    return solved


def _sources(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in notebook.cells]


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from ebpm.exercises import EXERCISES

    check_only = "--check" in argv
    drift: list[str] = []
    used: set[str] = set()
    for lesson in lessons():
        before = nbformat.read(lesson, as_version=4)
        notebook, seen = sync_lesson(lesson, EXERCISES)
        used |= seen
        target = solution_path(lesson)
        solved = solution_of(notebook, EXERCISES, target)
        existing = nbformat.read(target, as_version=4) if target.exists() else None
        if _sources(before) != _sources(notebook):
            drift.append(f"{lesson.name}: 練習のセルが ebpm/exercises と違います")
            if not check_only:
                nbformat.write(notebook, lesson)
        if existing is None or _sources(existing) != _sources(solved):
            drift.append(f"{target.name}: 本編または ebpm/exercises と違います")
            if not check_only:
                SOLUTIONS.mkdir(exist_ok=True)
                nbformat.write(solved, target)
    unused = sorted(set(EXERCISES) - used)
    if unused:
        drift.append(f"どの章にも練習のセルがない練習: {', '.join(unused)}")
    for line in drift:
        print(line)
    if check_only:
        return 1 if drift else 0
    return 1 if unused else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

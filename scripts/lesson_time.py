"""Estimate how long a beginner needs for each lesson, from what the lesson asks them to do.

    .venv/bin/python scripts/lesson_time.py                 # every lesson in notebooks/
    .venv/bin/python scripts/lesson_time.py notebooks/06_*.ipynb
    .venv/bin/python scripts/lesson_time.py --write         # also write 所要時間 into the lessons

Run it on executed notebooks (outputs count); after ``--write``, run ``sync_exercises.py`` so the
solution notebooks get the same header.

Nobody was timed: this is a walk-through model, applied the same way to every lesson, with its
parameters written below so that anyone can argue with them. It counts what a beginner does:

* reads the prose (Japanese characters of the markdown cells) at READ_CHARS_PER_MIN;
* reads each code cell before running it (SECONDS_PER_CODE_LINE per non-blank line) and runs it
  (SECONDS_PER_CELL: select, Shift+Enter, wait);
* looks at what came out: SECONDS_PER_TABLE per table, SECONDS_PER_CHART per chart, printed
  text at READ_CHARS_PER_MIN, SECONDS_PER_ERROR per intended error;
* does each exercise: thinking, typing, fixing typos and reading the check's hint — the
  minutes per exercise come from the exercise bank (``Exercise.minutes``), default
  DEFAULT_EXERCISE_MINUTES.

Calibration: issue 10 reports that walking through lessons 00–08 of 2026-11 as an Excel-only
beginner (82 exercise attempts) took about 11–13 hours against 7 h 45 min stated in the lessons.
The parameters were set once so that this model gives about 11.4 hours for those lessons
(commit 5d68fbd, exercises counted at DEFAULT_EXERCISE_MINUTES), and have not been tuned per
lesson since. It is an estimate to plan a class, not a measurement: time the first real class.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]

READ_CHARS_PER_MIN = 260
SECONDS_PER_CODE_LINE = 12
SECONDS_PER_CELL = 15
SECONDS_PER_TABLE = 40
SECONDS_PER_CHART = 60
SECONDS_PER_ERROR = 30
DEFAULT_EXERCISE_MINUTES = 10.0

_EXERCISE = re.compile(r"^#\s*練習\s*(\d+-\d+)")


def _exercise_minutes(exercise_id: str) -> float:
    try:
        from ebpm.exercises import EXERCISES
    except ImportError:  # an older checkout without the bank
        return DEFAULT_EXERCISE_MINUTES
    exercise = EXERCISES.get(exercise_id)
    return exercise.minutes if exercise else DEFAULT_EXERCISE_MINUTES


def _text_chars(text: str) -> int:
    text = re.sub(r"<[^>]+>|[|*`#>\-]", "", text)
    return len(re.sub(r"\s+", "", text))


def estimate(path: Path) -> dict[str, float]:
    """Minutes per activity for one notebook."""
    notebook = nbformat.read(path, as_version=4)
    minutes = dict.fromkeys(("読む", "コード", "結果を見る", "練習"), 0.0)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            minutes["読む"] += _text_chars(cell.source) / READ_CHARS_PER_MIN
            continue
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        match = _EXERCISE.match(cell.source.strip())
        if match:
            minutes["練習"] += _exercise_minutes(match.group(1))
            continue
        if re.search(r"= None\s+# ここに", cell.source):  # exercise stub of the 2026-11 lessons
            minutes["練習"] += DEFAULT_EXERCISE_MINUTES
            continue
        if cell.source.lstrip().startswith("# 確認"):
            continue  # counted with the exercise
        lines = [line for line in cell.source.splitlines() if line.strip()]
        minutes["コード"] += (SECONDS_PER_CELL + SECONDS_PER_CODE_LINE * len(lines)) / 60
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            data = output.get("data", {})
            if kind == "error":
                minutes["結果を見る"] += SECONDS_PER_ERROR / 60
            elif kind == "stream":
                minutes["結果を見る"] += _text_chars(output.get("text", "")) / READ_CHARS_PER_MIN
            elif any(k.startswith("image/") for k in data):
                minutes["結果を見る"] += SECONDS_PER_CHART / 60
            elif "text/html" in data or "text/plain" in data:
                minutes["結果を見る"] += SECONDS_PER_TABLE / 60
    return minutes


def rounded(minutes: float) -> int:
    """To the nearest 5 minutes, as stated in a lesson header."""
    return int(round(minutes / 5) * 5)


def write_header(path: Path, minutes: float) -> bool:
    """Put 「約N分」 into the lesson's 所要時間 row; True when the file changed."""
    notebook = nbformat.read(path, as_version=4)
    header = notebook.cells[0]
    text = re.sub(
        r"(\| \*\*所要時間\*\* \| )[^|]*(\|)",
        rf"\g<1>約{rounded(minutes)}分（見積もり） \g<2>",
        header.source,
        count=1,
    )
    if text == header.source:
        return False
    header.source = text
    nbformat.write(notebook, path)
    return True


def main(argv: list[str]) -> None:
    write = "--write" in argv
    paths = [Path(a) for a in argv if a != "--write"]
    targets = paths or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    total = 0.0
    for path in targets:
        parts = estimate(path)
        minutes = sum(parts.values())
        total += minutes
        detail = "、".join(f"{k} {v:.0f}分" for k, v in parts.items())
        print(f"{path.stem}: 約{rounded(minutes)}分（{detail}）")
        if write and write_header(path, minutes):
            print(f"  → {path.name} の所要時間を書き換えました")
    print(f"合計: 約{total / 60:.1f}時間")


if __name__ == "__main__":
    main(sys.argv[1:])

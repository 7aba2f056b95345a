"""Exercises of the course and the one checker that every 確認 cell calls.

In a lesson::

    from ebpm.exercises import check
    check("7-1")        # prints ✔ 正解です / ✘ … with a Japanese hint, never raises

:func:`evaluate` is the same judgement as a value (for tests and tools). The exercises of each
lesson live in ``lessonNN.py`` (stub, solution, typical wrong answers, judge, where to look);
``scripts/sync_exercises.py`` writes the exercise cells of the lesson and solution notebooks
from them.
"""

from __future__ import annotations

from ebpm.exercises.core import (
    Answers,
    Exercise,
    Verdict,
    Wrong,
    check,
    evaluate,
    install_recorder,
    register,
)

__all__ = [
    "EXERCISES",
    "Answers",
    "Exercise",
    "Verdict",
    "Wrong",
    "check",
    "evaluate",
    "install_recorder",
]


def _load() -> dict[str, Exercise]:
    import importlib
    import pkgutil

    registry: dict[str, Exercise] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("lesson"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            register(module.EXERCISES, registry)
    return registry


#: Every exercise of the course by id (``"7-1"``), in lesson order.
EXERCISES: dict[str, Exercise] = _load()

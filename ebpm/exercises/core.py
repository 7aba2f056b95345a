"""The checker behind every 確認 cell: compare like a person, hint in Japanese, never raise.

An :class:`Exercise` is one source for everything about one 練習: the stub cell the lesson
shows, the solution cell, typical wrong answers (with the hint each must get), the judge that
compares an answer, and where in the lesson to look. The lesson and solution notebooks are
written from it (``scripts/sync_exercises.py``), so they cannot drift apart.

How a check decides, in order (the first that applies is the verdict):

1. the answer variable does not exist → run the exercise cell first;
2. the exercise cell's last run raised (recorded by :func:`install_recorder`) → the value is
   left over from an earlier run; fix the error and run the cell again (*stale answer*);
3. the answer is still ``None`` → not answered yet;
4. the exercise must be computed with a given function and the cell never calls it → the
   answer was typed in, not computed;
5. the exercise's judge: ``None`` means correct, a string is the hint (what is wrong);
   an exception inside the judge becomes a Japanese message, never a traceback.

Numbers are compared as a person would: an answer rounded to the number of decimals it was
written with is accepted if it is the correct value rounded that way (0.31 for 0.3103…),
as long as it keeps the decimals the exercise asks for; percent for a fraction, the opposite
sign and too coarse a rounding get their own hints.
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MISSING",
    "Answers",
    "Exercise",
    "NotAnswerable",
    "Run",
    "Verdict",
    "Wrong",
    "as_list",
    "as_number",
    "check",
    "error_text",
    "evaluate",
    "install_recorder",
    "number_hint",
]

MISSING: Any = object()
_MAX_RUNS = 500


class NotAnswerable(Exception):
    """Raised by a judge's helper when the answer has the wrong shape; the message is the hint."""


@dataclass(frozen=True)
class Wrong:
    """A typical wrong exercise cell and a phrase its verdict must contain (tested)."""

    code: str
    hint: str


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check."""

    exercise: str
    ok: bool
    message: str
    stale: bool = False

    def __str__(self) -> str:
        return self.message


@dataclass
class Answers:
    """What a judge sees: the trainee's names, the exercise cell's source, the warehouse."""

    namespace: Mapping[str, Any]
    names: tuple[str, ...]
    source: str | None = None
    _con: Any = None

    @property
    def value(self) -> Any:
        """The (first) answer."""
        return self.namespace[self.names[0]]

    def __getitem__(self, name: str) -> Any:
        return self.namespace[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.namespace.get(name, default)

    @property
    def con(self) -> Any:
        """A read-only warehouse connection, opened on first use and closed after the check."""
        if self._con is None:
            from ebpm.warehouse import connect

            self._con = connect()
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


@dataclass(frozen=True)
class Exercise:
    """One 練習: its cells, its judge, and where to look when the answer is wrong.

    ``also_right`` are other correct cells (a tuple for a list, a differently shaped SQL …)
    that must pass too; ``minutes`` is the walk-through estimate for a beginner
    (``scripts/lesson_time.py``); ``taught`` names the lesson part that taught what it needs.
    """

    id: str
    answers: tuple[str, ...]
    stub: str
    solution: str
    judge: Callable[[Answers], str | None]
    look: str
    uses: tuple[str, ...] = ()
    wrong: tuple[Wrong, ...] = ()
    also_right: tuple[str, ...] = ()
    praise: str = ""
    minutes: float = 8.0
    taught: str = ""

    @property
    def marker(self) -> str:
        """The first line of the exercise cell; the recorder finds the cell by it."""
        return f"# 練習 {self.id}"


@dataclass(frozen=True)
class Run:
    """One executed cell, as recorded after it ran."""

    count: int | None
    source: str
    success: bool
    #: the error the cell stopped with, as the trainee saw it (Japanese where explained)
    error: str | None = None


_RUNS: list[Run] = []


def install_recorder(shell: Any) -> None:
    """Record every executed cell of ``shell`` (idempotent), for stale-answer detection."""
    if getattr(shell, "_ebpm_recorder", False):
        return

    def record(result: Any) -> None:
        error = result.error_in_exec or result.error_before_exec
        _RUNS.append(
            Run(
                result.execution_count,
                result.info.raw_cell or "",
                result.success,
                None if error is None else error_text(error),
            )
        )
        del _RUNS[:-_MAX_RUNS]

    shell.events.register("post_run_cell", record)
    shell._ebpm_recorder = True


def error_text(error: BaseException) -> str:
    """One line for an error an exercise cell stopped with: the lesson's Japanese
    explanation when there is one (:func:`ebpm.lesson.explain_error`), else the message."""
    from ebpm.lesson import explain_error

    explained = explain_error(error)
    # the cell already shows the whole explanation; the check repeats what went wrong
    text = explained[0] if explained else str(error)
    text = " ".join(text.split())
    if len(text) > 300:
        text = text[:299] + "…"
    return f"{type(error).__name__}：{text}" if text else type(error).__name__


def _is_exercise_cell(exercise: Exercise, source: str) -> bool:
    if re.match(rf"\s*#\s*練習\s*{re.escape(exercise.id)}(?![0-9])", source):
        return True
    names = "|".join(re.escape(n) for n in exercise.answers)
    return re.search(rf"^(?:{names})\s*=(?!=)|^def\s+(?:{names})\s*\(", source, re.M) is not None


def last_run(exercise: Exercise, runs: Sequence[Run] | None = None) -> Run | None:
    """The most recent recorded run of the exercise's cell (by its marker or an assignment)."""
    for run in reversed(_RUNS if runs is None else runs):
        if _is_exercise_cell(exercise, run.source):
            return run
    return None


# ----------------------------------------------------------------------------- comparing


def as_number(value: Any, *, what: str = "答え") -> float:
    """The answer as a float, or :class:`NotAnswerable` with a hint about its shape."""
    if isinstance(value, bool):
        raise NotAnswerable(f"{what}が True/False になっています。数値を入れてください。")
    if isinstance(value, int | float | decimal.Decimal):  # DuckDB's sum() is a Decimal
        return float(value)
    try:
        import numpy as np

        if isinstance(value, np.number):
            return float(value)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, str):
        raise NotAnswerable(
            f'{what}が文字列（" " で囲まれた「{value}」）になっています。'
            '数値は " " で囲まずに書きます。'
        )
    if isinstance(value, list | tuple) or type(value).__name__ in {"Series", "DataFrame"}:
        raise NotAnswerable(
            f"{what}が表やリストのままです。1つの数値を取り出してください"
            "（polars の1行1列なら .item()）。"
        )
    raise NotAnswerable(f"{what}が数値ではありません（{type(value).__name__}）。")


def as_list(value: Any, *, what: str = "答え") -> list[Any]:
    """A list from a list, tuple, polars Series or numpy array; otherwise a hint."""
    if isinstance(value, list | tuple):
        return list(value)
    kind = type(value).__name__
    if kind in {"Series", "ndarray"}:
        return list(value.to_list() if hasattr(value, "to_list") else value.tolist())
    if kind == "DataFrame":
        raise NotAnswerable(
            f"{what}が表（DataFrame）のままです。列を選んでリストにしてください"
            '（例：表["kpi_id"].to_list()）。'
        )
    if isinstance(value, set):
        raise NotAnswerable(f"{what}が集合（{{ }}）です。順番のあるリスト [ ] にしてください。")
    raise NotAnswerable(
        f"{what}がリストではありません（{kind}）。[ ] で囲んだリストにしてください。"
    )


def decimals_written(value: float) -> int:
    """How many decimals a number was written with (its shortest repr): 0.31 → 2, 126.0 → 0.

    >>> decimals_written(0.31), decimals_written(126.4), decimals_written(5216000.0)
    (2, 1, 0)
    """
    text = repr(float(value))
    if "e" in text or "E" in text:
        mantissa, exponent = text.lower().split("e")
        digits = len(mantissa.split(".")[1].rstrip("0")) if "." in mantissa else 0
        return max(digits - int(exponent), 0)
    fraction = text.split(".")[1].rstrip("0") if "." in text else ""
    return len(fraction)


def close_enough(answer: float, expected: float, *, min_decimals: int | None = None) -> bool:
    """Equal, or ``expected`` rounded to the decimals the answer was written with.

    A rounded answer needs at least ``min_decimals`` decimals (None: exact only, up to 1e-9).

    >>> close_enough(0.31, 0.3103448, min_decimals=2), close_enough(0.3, 0.3103448, min_decimals=2)
    (True, False)
    >>> close_enough(0.310, 0.3103448, min_decimals=2), close_enough(0.32, 0.3103448, min_decimals=2)
    (True, False)
    """
    if math.isclose(answer, expected, rel_tol=1e-9, abs_tol=1e-12):
        return True
    if min_decimals is None:
        return False
    decimals = decimals_written(answer)
    if decimals < min_decimals:
        return False
    return abs(answer - expected) <= 0.5 * 10.0**-decimals + 1e-12 * max(1.0, abs(expected))


def number_hint(
    answer: Any,
    expected: float,
    *,
    min_decimals: int | None = None,
    percent: bool = True,
    what: str = "答え",
) -> str | None:
    """None if ``answer`` is ``expected`` (see :func:`close_enough`), else a hint.

    Recognised: a string or list instead of a number, percent instead of a fraction, the
    opposite sign, a rounding coarser than ``min_decimals``.
    """
    number = as_number(answer, what=what)
    if close_enough(number, expected, min_decimals=min_decimals):
        return None
    if percent and expected != 0 and close_enough(number, expected * 100, min_decimals=0):
        return f"{what}が % の数字（100倍）になっています。小数で答えます（31% なら 0.31）。"
    if expected != 0 and close_enough(-number, expected, min_decimals=min_decimals):
        return f"{what}の符号（＋と−）が逆です。引き算の順番を確かめてください。"
    written = decimals_written(number)
    if (
        min_decimals is not None
        and written < min_decimals
        and close_enough(number, expected, min_decimals=written)
    ):
        return (
            f"{what}の丸め方が粗すぎます。小数第{min_decimals}位まで"
            "（丸めずにそのままでも可）で答えてください。"
        )
    return f"{what}の値が違います（{_show(number)}）。"


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e15 else repr(value)
    return repr(value)


# ----------------------------------------------------------------------------- verdicts

_OK = "✔ 練習 {id}：正解です。"
_NG = "✘ 練習 {id}：まだ正解ではありません。"
_NOT_YET = "✘ 練習 {id}："


def _registry() -> Mapping[str, Exercise]:
    from ebpm.exercises import EXERCISES

    return EXERCISES


def _wrong(
    exercise: Exercise, hint: str, *, look: bool = True, stale: bool = False, judged: bool = True
) -> Verdict:
    head = _NG if judged else _NOT_YET
    lines = [head.format(id=exercise.id) + hint]
    if look and exercise.look:
        lines.append(f"　見直す場所：{exercise.look}")
    return Verdict(exercise.id, False, "\n".join(lines), stale)


def _stale(exercise: Exercise, run: Run, namespace: Mapping[str, Any]) -> Verdict:
    where = f"（[{run.count}]）" if run.count is not None else ""
    said = f"（{run.error}）" if run.error else ""
    left = [n for n in exercise.answers if namespace.get(n) is not None]
    if left:
        names = "、".join(left)
        hint = (
            f"練習のセル{where}はエラーで止まりました{said}。{names} には前に実行したときの値が"
            "残っているので、いまの答えを確かめられません。エラーを直して、練習のセルをもう一度"
            "実行してから確認してください。"
        )
    else:
        hint = (
            f"練習のセル{where}はエラーで止まりました{said}。エラーの説明を読んで直し、"
            "練習のセルをもう一度実行してから確認してください。"
        )
    return _wrong(exercise, hint, look=bool(run.error), stale=True, judged=False)


def _uses_hint(exercise: Exercise, source: str | None) -> str | None:
    if not exercise.uses or source is None:
        return None
    code = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
    if any(name in code for name in exercise.uses):
        return None
    needed = "・".join(exercise.uses)
    return (
        f"答えを直接書き込んでいませんか？ {needed} を使って求めてください"
        "（データが変わっても同じ式で求められるようにするためです）。"
    )


def evaluate(
    exercise_id: str,
    namespace: Mapping[str, Any],
    *,
    source: str | None = None,
    runs: Sequence[Run] | None = None,
) -> Verdict:
    """Judge an exercise from the names in ``namespace``; never raises.

    Parameters
    ----------
    exercise_id
        ``"6-1"`` etc.
    namespace
        Where the answers live (the notebook's variables).
    source
        The exercise cell as run (for exercises that must call a function); taken from the
        recorded runs when None.
    runs
        Recorded cell runs (default: those of :func:`install_recorder`).
    """
    try:
        exercise = _registry().get(exercise_id)
    except Exception as error:  # pragma: no cover - the bank itself is broken
        return Verdict(exercise_id, False, f"✘ 確認の準備ができませんでした（{error}）。")
    if exercise is None:
        known = "、".join(sorted(_registry()))
        return Verdict(
            exercise_id, False, f"✘ 練習「{exercise_id}」はありません（あるもの：{known}）。"
        )
    try:
        return _evaluate(exercise, namespace, source, runs)
    except Exception as error:  # never a traceback on a check
        return _wrong(
            exercise,
            f"確認の途中で問題が起きました（{type(error).__name__}: {error}）。答えの形を確かめてください。",
        )


def _evaluate(
    exercise: Exercise,
    namespace: Mapping[str, Any],
    source: str | None,
    runs: Sequence[Run] | None,
) -> Verdict:
    run = last_run(exercise, runs)
    if run is not None and not run.success:
        return _stale(exercise, run, namespace)
    if source is None and run is not None:
        source = run.source
    absent = [n for n in exercise.answers if n not in namespace]
    if absent:
        hint = (
            f"「{'」「'.join(absent)}」がまだありません。上の練習のセルを実行してください"
            "（セルを選んで Shift + Enter）。"
        )
        return _wrong(exercise, hint, look=False, judged=False)
    if any(namespace[n] is None for n in exercise.answers):
        unanswered = "、".join(n for n in exercise.answers if namespace[n] is None)
        hint = (
            f"まだ答えが入っていません（{unanswered} が None のままです）。"
            "練習のセルの None を式に書き換えて実行してください。"
        )
        return _wrong(exercise, hint, judged=False)
    uses = _uses_hint(exercise, source)
    if uses:
        return _wrong(exercise, uses)
    answers = Answers(namespace, exercise.answers, source)
    try:
        verdict = exercise.judge(answers)
    except NotAnswerable as shape:
        verdict = str(shape)
    finally:
        answers.close()
    if verdict:
        return _wrong(exercise, verdict)
    message = _OK.format(id=exercise.id) + (exercise.praise or "")
    return Verdict(exercise.id, True, message)


def check(exercise_id: str) -> None:
    """Check an exercise in the running notebook and print the verdict (the 確認 cells)."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover
        shell = None
    if shell is not None:
        namespace: Mapping[str, Any] = shell.user_ns
    else:
        import inspect

        frame = inspect.currentframe()
        namespace = frame.f_back.f_globals if frame and frame.f_back else {}
    print(evaluate(exercise_id, namespace).message)


def same_items(answer: Iterable[Any], expected: Iterable[Any]) -> bool:
    """Same elements in any order (for exercises where the order is not asked for)."""
    return sorted(map(repr, answer)) == sorted(map(repr, expected))


def register(exercises: Iterable[Exercise], into: dict[str, Exercise]) -> None:
    """Add exercises to a registry, refusing duplicate ids."""
    for exercise in exercises:
        if exercise.id in into:
            raise ValueError(f"duplicate exercise id {exercise.id}")
        into[exercise.id] = exercise


def known_wrong(
    answer: float, wrong_values: Mapping[float, str], *, min_decimals: int | None = 2
) -> str | None:
    """The hint of the first typical wrong value that ``answer`` equals (rounded as written)."""
    for value, hint in wrong_values.items():
        if close_enough(answer, value, min_decimals=min_decimals):
            return hint
    return None

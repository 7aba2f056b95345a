"""Findings of the record checks: Japanese messages, capped per file and check.

A 10-million-row export with a systematic mistake must not produce 10 million
messages (nor hold them in memory): each (file, check) keeps its first
:data:`MAX_PER_CHECK` findings and counts the rest into one closing line.
Messages name file, row and column, and the employee only by pseudonym.
"""

from __future__ import annotations

from collections import Counter

from ebpm.readers import InputError

__all__ = ["MAX_PER_CHECK", "Findings", "employee_label"]

MAX_PER_CHECK = 20


def employee_label(pseudonym: str | None) -> str:
    """How a message names a person: by pseudonym only, never by the clear id."""
    return f"職員（仮名 {pseudonym}）" if pseudonym else "職員番号が空欄の行"


class Findings:
    """Errors and notices of one ingest, with a cap per (file, check)."""

    def __init__(self, cap: int = MAX_PER_CHECK) -> None:
        self.cap = cap
        self.errors: list[InputError] = []
        self.notices: list[str] = []
        self._counts: Counter[tuple[str, str]] = Counter()

    def add(self, check: str, error: InputError) -> None:
        key = (error.file, check)
        self._counts[key] += 1
        if self._counts[key] <= self.cap:
            self.errors.append(error)

    def wants(self, file: str, check: str) -> bool:
        """Whether another finding of this kind would still be shown."""
        return self._counts[(file, check)] < self.cap

    def __len__(self) -> int:
        """Errors found so far (shown or not)."""
        return sum(self._counts.values())

    def notice(self, message: str) -> None:
        if message not in self.notices:
            self.notices.append(message)

    def close(self) -> list[InputError]:
        """The errors, plus one line per (file, check) that had more than the cap."""
        closing = [
            InputError(
                file,
                f"同じ種類の誤りがほかに {n - self.cap:,} 行あります（上の例と同じように直してください）",
            )
            for (file, _check), n in self._counts.items()
            if n > self.cap
        ]
        errors = sorted(self.errors, key=lambda e: (e.file, e.row or 0, e.column or ""))
        return errors + closing

"""Validations started from two threads at once (the build reads two groups of folders in
parallel) give each table exactly its own errors, as when run one after the other."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import polars as pl

from ebpm.validation import Suite, _between, _unique, validate


def _messages(frame: pl.DataFrame, suite: Suite) -> list[tuple[str, str, int | None]]:
    return [(e.file, e.message, e.row) for e in validate(frame, suite)]


def test_two_threads_validating_at_once_get_their_own_errors():
    # Table a: rows 2 and 4 hold 120 > 100. Table b: "x" repeats (rows 1 and 3).
    a = pl.DataFrame({"v": [5, 120, 7, 120], "_file": ["a.csv"] * 4, "_row": [1, 2, 3, 4]})
    b = pl.DataFrame({"k": ["x", "y", "x"], "_file": ["b.csv"] * 3, "_row": [1, 2, 3]})
    suite_a = Suite("a", [_between("v", 0, 100, "0〜100")])
    suite_b = Suite("b", [_unique("k", "番号")])
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [
            (pool.submit(_messages, a, suite_a), pool.submit(_messages, b, suite_b))
            for _ in range(3)
        ]
        results = [(x.result(), y.result()) for x, y in runs]
    expected_a = [("a.csv", "「120」: 0〜100", 2), ("a.csv", "「120」: 0〜100", 4)]
    expected_b = [
        ("b.csv", "番号「x」が重複しています（1つだけにしてください）", 1),
        ("b.csv", "番号「x」が重複しています（1つだけにしてください）", 3),
    ]
    assert results == [(expected_a, expected_b)] * 3

"""Starting ``spawn`` worker processes: how many cores there are, and without re-running an
unguarded script a trainee wrote."""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["no_main_module", "usable_cores"]


@contextmanager
def no_main_module() -> Iterator[None]:
    """Start worker processes without the caller's main module.

    ``spawn`` runs the parent's main script again in each worker unless it is guarded by
    ``if __name__ == "__main__":`` — a script a trainee writes without the guard would make
    every worker start the report (or the build) again. The workers need only ebpm's own
    modules, so they are started while ``__main__`` is an empty module.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the OS tells it)."""
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None  # not Windows
    return len(usable) if usable else (os.cpu_count() or 1)

"""Starting ``spawn`` worker processes from code a trainee may call from an unguarded script."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["no_main_module"]


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

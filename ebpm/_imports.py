"""Import cost of the stack: what ebpm declines to load so Altair and Great Expectations start faster.

``jsonschema`` (imported by Altair and Great Expectations) imports ``rfc3987_syntax`` when the
GPL ``rfc3987`` package is absent, only to check the JSON Schema formats ``"iri"`` and
``"iri-reference"``; that import compiles about 38 Lark grammars (≈ 1.8 s on a 2-core PC,
upstream python-jsonschema/jsonschema#1428). Nothing ebpm validates uses those two formats:
the Vega-Lite schema Altair checks charts against uses ``"uri"``, ``"uri-reference"`` (checked by
``rfc3986_validator``, still loaded) and ``"color-hex"``, and ebpm's Great Expectations suites
use no JSON Schema expectation. So ``import ebpm`` marks the module as absent and jsonschema
skips just those two format checks, in this process only.

Great Expectations imports ``scipy.stats`` and ``altair`` at start-up for one expectation
(``ExpectColumnKLDivergenceToBeLessThan``: the divergence and its chart), about a third of its
import time; both are used only inside that expectation's methods. :func:`import_great_expectations`
imports GX with those two names bound to stand-ins that import the real module on their first
attribute read, so every expectation still works (the first use of that one just pays the import
then) and nothing is skipped; the stand-ins leave ``sys.modules`` once GX is imported, so any
later ``import altair`` or ``import scipy.stats`` is the ordinary one.
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType

__all__ = ["DEFERRED_BY_GX", "SKIPPED", "import_great_expectations", "skip_slow_imports"]

#: Modules ebpm keeps out of the process (they only back checks nothing in ebpm uses).
SKIPPED = ("rfc3987_syntax",)

#: Modules Great Expectations imports at start-up only for methods of one expectation.
DEFERRED_BY_GX = ("scipy.stats", "altair")


def skip_slow_imports() -> None:
    """Make ``import rfc3987_syntax`` fail (``ImportError``) unless it is loaded already."""
    for name in SKIPPED:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


class _Deferred(ModuleType):
    """Stands in for module ``name`` until one of its attributes is read.

    The first read imports the real module (an ordinary import, the stand-in gone from
    ``sys.modules``) and every read is answered from it.
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._ebpm_lock = threading.Lock()
        self._ebpm_module: ModuleType | None = None

    def __getattr__(self, attr: str) -> object:  # only for names the stand-in lacks
        with self._ebpm_lock:
            if self._ebpm_module is None:
                if sys.modules.get(self.__name__) is self:
                    del sys.modules[self.__name__]
                self._ebpm_module = importlib.import_module(self.__name__)
        return getattr(self._ebpm_module, attr)


_GX_LOCK = threading.Lock()


def import_great_expectations() -> ModuleType:
    """``import great_expectations``, with :data:`DEFERRED_BY_GX` imported on first use."""
    with _GX_LOCK:  # one thread installs the stand-ins and imports; others wait for it
        if "great_expectations" not in sys.modules:
            stand_ins = {n: _Deferred(n) for n in DEFERRED_BY_GX if n not in sys.modules}
            sys.modules.update(stand_ins)
            try:
                import great_expectations
            finally:
                for name, stand_in in stand_ins.items():
                    if sys.modules.get(name) is stand_in:
                        del sys.modules[name]
    import great_expectations

    return great_expectations

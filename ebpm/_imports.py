"""Import cost of the stack: what ebpm declines to load so Altair and Great Expectations start faster.

``jsonschema`` (imported by Altair and Great Expectations) imports ``rfc3987_syntax`` when the
GPL ``rfc3987`` package is absent, only to check the JSON Schema formats ``"iri"`` and
``"iri-reference"``; that import compiles about 38 Lark grammars (≈ 1.8 s on a 2-core PC,
upstream python-jsonschema/jsonschema#1428). Nothing ebpm validates uses those two formats:
the Vega-Lite schema Altair checks charts against uses ``"uri"``, ``"uri-reference"`` (checked by
``rfc3986_validator``, still loaded) and ``"color-hex"``, and ebpm's Great Expectations suites
use no JSON Schema expectation. So ``import ebpm`` marks the module as absent and jsonschema
skips just those two format checks, in this process only.
"""

from __future__ import annotations

import sys

__all__ = ["SKIPPED", "skip_slow_imports"]

#: Modules ebpm keeps out of the process (they only back checks nothing in ebpm uses).
SKIPPED = ("rfc3987_syntax",)


def skip_slow_imports() -> None:
    """Make ``import rfc3987_syntax`` fail (``ImportError``) unless it is loaded already."""
    for name in SKIPPED:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]

"""What ``import ebpm`` keeps out of the process (ebpm/_imports.py) and that no check is lost."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path


def _fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_altair_after_ebpm_does_not_load_rfc3987_syntax():
    code = "import ebpm, altair, sys; print('rfc3987_syntax' in sys.modules and sys.modules['rfc3987_syntax'] is not None)"
    assert _fresh(code) == "False"


def test_uri_formats_of_the_vega_lite_schema_are_still_checked():
    code = (
        "import ebpm, jsonschema;"
        "checker = jsonschema.Draft7Validator.FORMAT_CHECKER;"
        "print(sorted(f for f in ('uri', 'uri-reference', 'iri') if f in checker.checkers))"
    )
    assert _fresh(code) == "['uri', 'uri-reference']"


def test_the_vega_lite_schema_uses_no_iri_format():
    import altair

    schema = Path(altair.__file__).parent / "vegalite" / "v6" / "schema" / "vega-lite-schema.json"
    formats = set(re.findall(r'"format": "([^"]+)"', schema.read_text("utf-8")))
    assert formats == {"uri", "uri-reference", "color-hex"}
    assert json.loads(schema.read_text("utf-8"))["$schema"].startswith("http://json-schema.org/")


def test_ebpm_suites_use_no_json_schema_expectation():
    source = (Path(__file__).resolve().parents[1] / "ebpm").rglob("*.py")
    assert not [p.name for p in source if "json_schema" in p.read_text("utf-8").lower()]

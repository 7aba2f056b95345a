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


# Great Expectations' start-up imports of scipy.stats and altair wait for their first use.

_KL_SUITE = """
import polars as pl
from ebpm.validation import Check, Suite, validate
kl = Check(
    lambda gxe: gxe.ExpectColumnKLDivergenceToBeLessThan(
        column="x", partition_object={"bins": [0, 1, 2], "weights": [0.5, 0.5]}, threshold=0.1
    ),
    "x",
    lambda v: f"{v:.4f}",
)
def kl_errors(values):
    return [e.message for e in validate(pl.DataFrame({"x": values}), Suite("kl", [kl]))]
"""


def test_validating_leaves_scipy_stats_and_altair_unimported():
    code = (
        "import sys, polars as pl\n"
        "from ebpm.validation import Suite, _between, validate\n"
        "suite = Suite('t', [_between('x', 0, 9, 'x')])\n"
        "print(validate(pl.DataFrame({'x': [1, 2]}), suite),"
        " [m in sys.modules for m in ('great_expectations', 'scipy.stats', 'altair')])"
    )
    assert _fresh(code) == "[] [True, False, False]"


def test_the_expectation_that_uses_scipy_still_runs():
    # KL divergence of observed weights (0.75, 0.25) from (0.5, 0.5):
    # 0.75·ln(1.5) + 0.25·ln(0.5) = 0.30410 − 0.17329 = 0.1308 > 0.1; equal weights give 0.
    code = _KL_SUITE + "print(kl_errors([0.5, 1.5]), kl_errors([0.5, 0.5, 0.5, 1.5]))"
    assert _fresh(code) == "[] ['0.1308']"


def test_altair_and_scipy_stats_imported_after_gx_are_the_real_modules():
    code = (
        "import sys, types\n"
        "from ebpm._imports import import_great_expectations\n"
        "import_great_expectations()\n"
        "import altair, scipy.stats\n"
        "print([type(m) is types.ModuleType for m in (altair, scipy.stats,"
        " sys.modules['altair'], sys.modules['scipy.stats'])],"
        " altair.Chart.__name__, scipy.stats.norm.cdf(0))"
    )
    assert _fresh(code) == "[True, True, True, True] Chart 0.5"


def test_configure_kernels_names_the_extension_once_and_keeps_other_settings(tmp_path):
    from ebpm.cli import KERNEL_EXTENSION, configure_kernels

    config = tmp_path / "etc" / "ipython" / "ipython_kernel_config.json"
    config.parent.mkdir(parents=True)
    mine = {"InteractiveShellApp": {"extensions": ["autoreload"]}, "IPKernelApp": {"x": 1}}
    config.write_text(json.dumps(mine), encoding="utf-8")
    assert configure_kernels(tmp_path) == config
    configure_kernels(tmp_path)  # idempotent
    assert json.loads(config.read_text(encoding="utf-8")) == {
        "InteractiveShellApp": {"extensions": ["autoreload", KERNEL_EXTENSION]},
        "IPKernelApp": {"x": 1},
    }


def test_a_kernel_of_this_environment_imports_altair_first_without_rfc3987_syntax(tmp_path):
    """A trainee's notebook that imports Altair before ebpm: the kernel has loaded ebpm (the
    environment's kernel config), so jsonschema skips the slow module; no name is added."""
    import os

    from jupyter_client.manager import start_new_kernel

    from ebpm.cli import configure_kernels

    # without ebpm, importing Altair loads it (what the kernel config avoids)
    assert (
        _fresh("import altair, sys; print(sys.modules.get('rfc3987_syntax') is not None)") == "True"
    )
    configure_kernels()  # as scripts/setup.sh does (ebpm lab --configure-only)
    # an empty IPython folder: no profile startup files, only the environment's config
    env = {**os.environ, "IPYTHONDIR": str(tmp_path)}
    manager, client = start_new_kernel(kernel_name="python3", env=env)
    shown: list[str] = []
    try:
        client.execute_interactive(
            "import altair\nimport sys\n"
            "print(repr(sys.modules.get('rfc3987_syntax', 'absent')), 'ebpm' in globals())",
            output_hook=lambda m: shown.append(m["content"].get("text", "")),
            timeout=120,
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert "".join(shown).split() == ["None", "False"]

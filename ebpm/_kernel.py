"""An IPython extension that every notebook kernel of ebpm's environment loads.

``ebpm lab`` (and ``scripts/setup.sh``) name it in the environment's
``etc/ipython/ipython_kernel_config.json`` (:func:`ebpm.cli.configure_kernels`). Loading it
imports ebpm, which keeps jsonschema from compiling ``rfc3987_syntax`` (see
:mod:`ebpm._imports`), so a notebook whose first cell imports Altair before ebpm starts
about a second sooner. It defines no names in the notebook and changes no settings.
"""

from __future__ import annotations

import ebpm  # noqa: F401  (the import is the point)


def load_ipython_extension(ipython: object) -> None:
    """Nothing to set up: importing this module has done it."""

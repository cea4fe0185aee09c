"""The Python behind scripts/: running the notebooks in the real Rust kernel.

Modules:
  rule      the one rule for "a cell failed", used by every path that runs notebooks
  kernel    finds the notebooks and executes one in a fresh kernel (nbclient)
  checks    the notebook tests: format, two runs with identical outputs, recovery probes
  warm      pre-builds the notebooks' dependencies in the kernel (scripts/setup)
  install   the set-up steps after the venv: npm packages, evcxr_jupyter, kernelspec, Chromium
  export    the offline HTML site (scripts/export-html)
  suite     every test stage in order (scripts/test)
  report    the step timer and the "N passed, N failed" reporter

Run `python -m llm_math_tools --help` (with the project's venv) for the commands.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
NOTEBOOKS = ROOT / "notebooks"
VENV = ROOT / ".venv"
JUPYTER_PATH = VENV / "share" / "jupyter"
# The kernel scripts/setup registers (inside the venv, never globally).
KERNEL = "rust"
TEMPLATES = Path(__file__).resolve().parent / "templates"
# Figures scale to the width of their cell: JupyterLab's custom.css
# (install.lab_css) and the export's pages both use this file.
FIGURES_CSS = TEMPLATES / "figures.css"
# Build caches every clone of the project on this machine shares, so that a
# second clone (CI's, a learner's fresh copy) does not build everything again:
# evcxr_jupyter's cargo target directory, the test stages' cargo target
# directory, and a store of evcxr's compiled dependencies that set-up links
# into the project's own .cache/. Only ever a cache: deleting it costs time,
# nothing else. LLM_MATH_SHARED_CACHE moves it.
SHARED_CACHE = Path(os.environ.get("LLM_MATH_SHARED_CACHE")
                    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "llm-math")


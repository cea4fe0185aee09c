"""Every test, in order (scripts/test runs scripts/setup, then this).

1. the tooling's own tests (tooling/tests: the cell-failure rule on made-up cells)
2. the crate: unit tests and doctests, without and with the `tables` feature
3. every notebook twice in the real kernel, with format, expected-number,
   exercise and recovery checks (`checks`); the executed notebooks of the
   first run are kept
4. failing and runaway cells (`runaway`): a panic, a `?` error, an interrupted
   `loop {}`, a stack overflow, an allocation beyond memory, and the replay of
   lost variables, each as Jupyter receives it
5. the perturbation test (`perturb`): the play cells' float literals ×1.1,
   each cell on its own and then all at once; no cell may break
6. many kernels at once (`concurrent`): four notebooks together, with a cold
   and then a warm shared build cache, each showing its expected numbers
7. real clients (unless `browser` is false): the HTML export of those executed
   notebooks, the site checked as files and in headless Chromium
   (tests/browser/site.mjs), and JupyterLab driven by Playwright
   (tests/browser/lab.mjs)
8. the classroom image (`image`, unless `with_image` or `browser` is false): built from a fresh
   clone with podman, JupyterLab started from it as a non-root user with an
   empty home, notebook 01 run through it; its first kernel must take every
   dependency from the image's warm cache (docs/deploy.md)

Stops at the first stage that fails, naming it.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from . import ROOT, SHARED_CACHE, VENV, checks, concurrent, export, image, install, perturb, runaway
from .report import Steps, say


def stage(steps, what, status):
    """Ends a stage: stops the run if it failed."""
    if status != 0:
        say(f"\nFAILED: {what} (exit status {status}); later stages were not run")
        sys.exit(1)
    steps.done()


def command(steps, what, *cmd):
    steps.step(what)
    stage(steps, what, subprocess.run([str(c) for c in cmd], cwd=ROOT).returncode)


def test(browser=True, with_image=True):
    steps = Steps()
    # The crate's builds (default features, then polars) in the target directory every
    # clone on this machine shares: another clone rebuilds only the project's own crates.
    os.environ.setdefault("CARGO_TARGET_DIR", str(SHARED_CACHE / "cargo-target"))
    command(steps, "The tooling's own tests: the cell-failure rule (python -m unittest, tooling/tests)",
            VENV / "bin" / "python", "-m", "unittest", "discover", "--start-directory", "tooling/tests")
    command(steps, "The crate's unit tests and doctests (cargo test --workspace)", "cargo", "test", "--workspace")
    command(steps, "A model saved by the crate, read by Python's safetensors (NumPy): tensors, shapes, and a NumPy "
            "forward and backward pass giving the crate's logits and gradients (tests/python/read_safetensors.py)",
            VENV / "bin" / "python", "tests/python/read_safetensors.py")
    # The tables feature on its own: polars' feature choices would otherwise
    # spill onto the shared dependencies of the default build.
    command(steps, "The crate's tables feature (polars): tests and doctests", "cargo", "test", "-p", "llm-math", "--all-features")
    with tempfile.TemporaryDirectory(prefix="llm-math-test-") as tmp:
        executed, site = Path(tmp) / "executed", Path(tmp) / "site"
        what = "Every notebook twice in the real Jupyter kernel: format, identical runs, recovery probes"
        steps.step(what)
        stage(steps, what, checks.check(save_dir=executed))
        what = ("Failing and runaway cells in the real kernel: panic, ? error, interrupt, stack overflow, "
                "out of memory, replay")
        steps.step(what)
        stage(steps, what, runaway.runaway())
        what = "Perturbation: every play cell's floats ×1.1 on their own, then all at once; no cell may break"
        steps.step(what)
        stage(steps, what, perturb.perturb())
        what = "Many kernels at once: 4 notebooks together, cold then warm build cache (a temporary one)"
        steps.step(what)
        stage(steps, what, concurrent.many())
        if browser:
            install.browser(steps)
            what = "Real clients: the HTML export of the notebooks executed above (no third execution)"
            steps.step(what)
            stage(steps, what, export.export(site, executed=executed))
            command(steps, "Real clients: the exported site as files and in headless Chromium, network blocked "
                    "(screenshots in site-screens/)", "node", "tests/browser/site.mjs", site, ROOT / "site-screens")
            command(steps, "Real clients: JupyterLab in Chromium — open, run all, edit, rerun (tests/browser/lab.mjs)",
                    "node", "tests/browser/lab.mjs")
    if browser and with_image:  # --no-browser stops after the kernel runs: no image either
        what = ("The classroom image: built from a fresh clone (podman), JupyterLab from it as uid 1000 with an "
                "empty home, notebook 01 through it, no dependency compiled by the first kernel")
        steps.step(what)
        stage(steps, what, image.test())
    say("\nAll tests passed.")
    return 0

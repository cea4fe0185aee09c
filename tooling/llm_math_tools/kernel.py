"""Finds the notebooks and executes them in the real Rust kernel, through nbclient.

The kernel is the one scripts/setup registers inside the venv: it starts
through scripts/kernel, so a test run, an export and a learner's JupyterLab
compile cells the same way. Needs JUPYTER_PATH pointing at the venv's
share/jupyter (the `llm_math_tools` command line sets it).
"""

import multiprocessing
import os
import time

import nbformat

from . import KERNEL, NOTEBOOKS
from .report import say

# A cold kernel may compile every dependency inside its first cell.
CELL_TIMEOUT_S = 1800


def notebooks(names=()):
    """The course's notebooks in order; with `names`, those whose file name contains one of them."""
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if names:
        paths = [p for p in paths if any(n in p.name for n in names)]
    return paths


def workers():
    """How many kernels the test stages run side by side: one per core (LLM_MATH_TEST_WORKERS overrides).

    Each kernel compiles its cells on one core, so on 2 cores two notebooks take
    little longer than one; each has its own build directory (scripts/kernel)."""
    return max(1, int(os.environ.get("LLM_MATH_TEST_WORKERS") or os.cpu_count() or 1))


def in_parallel(function, jobs):
    """Yields `function(*job)` for each job, in the order of `jobs`, running `workers()` of them at once.

    Each job runs in its own fresh interpreter (its own kernel client); `function`
    must be a module-level function and its arguments and result picklable."""
    jobs = list(jobs)
    if workers() == 1 or len(jobs) < 2:
        for job in jobs:
            yield function(*job)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(min(workers(), len(jobs))) as pool:
        pending = [pool.apply_async(function, job) for job in jobs]
        for job in pending:
            yield job.get()


def read(path):
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def execute(nb, name, then=None, quiet=False):
    """Executes every code cell of `nb` in order in a fresh kernel, printing each cell's time.

    Outputs land in `nb`. Cells are never stopped at the first failure (the
    caller judges them with the rule). `then(run)`, if given, is called while
    the kernel is still up, with a function that executes extra code in it
    and returns the executed cell (the recovery probes use that).
    """
    from nbclient import NotebookClient  # here, not above: it takes seconds to import, and set-up rarely needs it

    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT_S,
        # Every cell runs, failing or not: the rule judges them all afterwards.
        allow_errors=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    code = code_cells(nb)
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            started = time.monotonic()
            client.execute_cell(cell, index)
            if not quiet:
                say(f"  {name}: cell {code.index(cell) + 1}/{len(code)} ({time.monotonic() - started:.1f} s)")
        if then:
            def run(source):
                # nbclient stores the executed cell back at its index, so the
                # extra cell lives at the end of the notebook while it runs.
                nb.cells.append(nbformat.v4.new_code_cell(source))
                try:
                    return client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
                finally:
                    nb.cells.pop()
            then(run)
    return nb

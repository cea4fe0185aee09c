"""Pre-builds the notebooks' dependencies in the real kernel, so nobody waits for them later.

Each distinct setup cell (the first code cell of a notebook) runs once in a
fresh kernel, followed by a cell that stores a variable (the first such cell
pays a one-off cost per kernel). The builds land in evcxr's compilation
cache under .cache/, shared by every later kernel.
"""

import time

import nbformat

from . import KERNEL, kernel
from .report import say
from .rule import notebook_failures


def setup_cells(names=()):
    """Each distinct setup cell, without comments, mapped to the first notebook that has it."""
    cells = {}
    for path in kernel.notebooks(names):
        code = kernel.code_cells(kernel.read(path))
        if code:
            # Comments do not change what the kernel builds; cells differing only in them warm once.
            source = "\n".join(line for line in code[0].source.splitlines() if not line.strip().startswith("//"))
            cells.setdefault(source, path.name)
    return cells


def warm(names=()):
    """Runs each distinct setup cell once in the real kernel; returns the exit status."""
    for source, name in setup_cells(names).items():
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": KERNEL, "display_name": "Rust", "language": "rust"}})
        nb.cells = [nbformat.v4.new_code_cell(source), nbformat.v4.new_code_cell("let warm_up = 1 + 1;\nwarm_up")]
        started = time.monotonic()
        what = f"setup cell of {name}"
        kernel.execute(nb, what)
        problems = notebook_failures(nb, what)
        if problems:
            say("\n".join(problems))
            return 1
        say(f"  warmed the {what} in {time.monotonic() - started:.1f} s")
    return 0

"""Run the notebooks in the real Jupyter kernel (evcxr_jupyter), through nbclient.

  nbrun.py warm            run each notebook's setup cell once, so dependency
                           builds are cached before anyone opens a notebook
  nbrun.py setup-cells     print the distinct setup cells (set-up's warm-up stamp)
  nbrun.py check [NB ...]  run every notebook top to bottom twice in fresh
                           kernels; fail on any error, panic or stderr output
                           (cells tagged raises-exception must fail instead),
                           and on any output that differs between the runs

Run it with the project's venv Python and JUPYTER_PATH pointing at the venv's
share/jupyter (scripts/setup and scripts/test do both).
"""

import copy
import json
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "rust"
# A cold kernel may compile every dependency inside its first cell.
CELL_TIMEOUT_S = 1800


def notebooks(names):
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if names:
        paths = [p for p in paths if any(n in p.name for n in names)]
    return paths


def execute(nb, name):
    """Executes a notebook in a fresh kernel, printing progress per cell."""
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT_S,
        # We judge cells ourselves: a panic or an error returned with `?` only
        # reaches stderr, which nbclient does not treat as an error.
        allow_errors=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            number = code_cells.index(cell) + 1
            started = time.monotonic()
            client.execute_cell(cell, index)
            print(f"  {name}: cell {number}/{len(code_cells)} ({time.monotonic() - started:.1f} s)", flush=True)
    return nb


def failures(nb, name):
    """Why cells failed: errors or stderr where none is expected, or no error in a raises-exception cell."""
    problems = []
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, 1):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        stderr = "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr")
        failed = bool(errors) or bool(stderr.strip())
        expected = "raises-exception" in cell.metadata.get("tags", [])
        first = "\n".join("    | " + line for line in cell.source.splitlines()[:3])
        debug_text = figure_as_debug_text(cell)
        if debug_text:
            problems.append(f"{name}: code cell {number}: {debug_text}\n{first}")
        if failed and not expected:
            # The message is what a reader needs; a RUST_BACKTRACE backtrace is noise here.
            detail = "\n".join(f"{e.ename}: {e.evalue}" for e in errors) + stderr.split("stack backtrace:")[0]
            kind = "a panic" if "panicked at" in stderr else "an error"
            problems.append(f"{name}: code cell {number} raised {kind}\n{first}\n{detail.strip()}")
        elif expected and not failed:
            problems.append(f"{name}: code cell {number} is tagged raises-exception but ran without error\n{first}")
    return problems


DISPLAY_TYPES = ("Chart {", "Grid {", "Figure {", "Table {")


def figure_as_debug_text(cell):
    """Same rule as tests/notebooks.rs: a figure or table shown as its Debug text.

    evcxr falls back to Debug, silently, when the final expression moves a
    variable the notebook keeps."""
    for o in cell.outputs:
        text = "".join(o.get("data", {}).get("text/plain", "")) if o.output_type == "execute_result" else ""
        kind = next((t for t in DISPLAY_TYPES if text.lstrip().startswith(t)), None)
        if kind:
            return (f"the cell ends in a {kind[:-2]} but showed its Debug text, not the figure or table: "
                    "the final expression probably moves a variable of the notebook; borrow it (&x) or clone it (x.clone())")
    return None


def outputs_of(nb):
    """The outputs of every code cell, without execution counts or timing metadata."""
    result = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            outs = []
            for o in cell.outputs:
                o = dict(copy.deepcopy(o))
                o.pop("execution_count", None)
                o.pop("metadata", None)
                outs.append(o)
            result.append(outs)
    return result


def check(names):
    paths = notebooks(names)
    if not paths:
        print(f"no notebooks matched {names}", file=sys.stderr)
        return 1
    passed, failed = 0, 0
    for path in paths:
        runs = []
        for attempt in (1, 2):
            nb = nbformat.read(path, as_version=4)
            started = time.monotonic()
            execute(nb, path.name)
            seconds = time.monotonic() - started
            problems = failures(nb, path.name)
            test = f"kernel run {attempt} {path.name}"
            if problems:
                failed += 1
                print(f"test {test} ... FAILED ({seconds:.1f} s)\n" + "\n".join(problems), flush=True)
            else:
                passed += 1
                print(f"test {test} ... ok ({seconds:.1f} s)", flush=True)
            runs.append(outputs_of(nb))
        test = f"kernel runs identical {path.name}"
        diffs = [i + 1 for i, (a, b) in enumerate(zip(*runs)) if a != b]
        if diffs:
            failed += 1
            print(f"test {test} ... FAILED: outputs of code cells {diffs} differ between two runs", flush=True)
        else:
            passed += 1
            print(f"test {test} ... ok", flush=True)
    print(f"\n{passed} passed, {failed} failed")
    return 1 if failed else 0


def setup_cells(names):
    """Each distinct setup cell (the first code cell), with the first notebook that has it."""
    setups = {}
    for path in notebooks(names):
        nb = nbformat.read(path, as_version=4)
        first = next((c.source for c in nb.cells if c.cell_type == "code"), None)
        if first:
            # Comments do not change what the kernel builds; cells differing only in them warm once.
            code = "\n".join(line for line in first.splitlines() if not line.strip().startswith("//"))
            setups.setdefault(code, path.name)
    return setups


def print_setup_cells(names):
    for source in sorted(setup_cells(names)):
        print(source)
    return 0


def warm(names):
    """Runs each distinct setup cell once in the real kernel."""
    for source, name in setup_cells(names).items():
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": KERNEL, "display_name": "Rust", "language": "rust"}})
        # The first cell that defines a variable pays a one-off cost per kernel; warm that too.
        nb.cells = [nbformat.v4.new_code_cell(source), nbformat.v4.new_code_cell("let warm_up = 1 + 1;\nwarm_up")]
        started = time.monotonic()
        execute(nb, f"setup cell of {name}")
        problems = failures(nb, f"setup cell of {name}")
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 1
        print(f"  warmed the setup cell of {name} in {time.monotonic() - started:.1f} s", flush=True)
    return 0


def main(argv):
    commands = {"check": check, "warm": warm, "setup-cells": print_setup_cells}
    if len(argv) < 2 or argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[1]](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))

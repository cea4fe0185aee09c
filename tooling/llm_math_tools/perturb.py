"""The perturbation test: change the numbers a learner would change, and see
that every cell still runs or says clearly what is wrong.

For each notebook, one kernel:

1. every code cell in order; before each play cell that has float
   literals, a copy of it with those literals scaled by `CELL_FACTOR` runs
   first and is judged, then the original runs, so the cells below see the
   notebook's own state ("each cell's literals changed on their own");
2. then, in the same kernel, every play cell again in order, all with their
   float literals scaled by `ALL_FACTOR` at once, so changed values flow from
   cell to cell ("all floats scaled at once").

Each perturbed cell is judged with the one rule (`rule.cell_failure`) and
sorted into: **runs**; **clear error** (it failed with one of the crate's own
error messages, read from crates/llm-math/src/error.rs, because the new input
is really invalid: the message says what is wrong); **broken** (a panic, a
failed `assert!` on a value that only held for the old numbers, a compile
error, any other failure). Broken must be 0. In step 2, a cell that returns a
clear error runs again unchanged, so its variables are set and every cell
below is still tried with its scaled floats.

Which literals: float literals (`0.5`, `1e-3`, `2.0f64`, `60f64`), outside
comments and strings. Integer literals are left alone: in these notebooks they
fix shapes, indices, counts, seeds and epochs (`array![..]` sizes, `s![..4]`,
`seeded_rng(42)`, `for _ in 0..100`), and changing them tests Rust's indexing,
not the maths. Play cells are every code cell except the setup cell and the
cells tagged `answer`, `check` or `solution` (an exercise's check is meant to
say "not right" when its numbers change) or `raises-exception`.
"""

import re
from pathlib import Path

from . import ROOT, kernel
from .report import Reporter, say
from .rule import cell_failure, error_text

CELL_FACTOR = 1.1
ALL_FACTOR = 1.1
NOT_PLAY_TAGS = {"answer", "check", "solution", "raises-exception"}
ERROR_RS = ROOT / "crates" / "llm-math" / "src" / "error.rs"

# Code between comments and string or char literals.
_SKIP = re.compile(r"""//[^\n]*|/\*.*?\*/|r(\#*)".*?"\1|b?"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\\n])'""", re.S)
# A float literal: digits with a fraction or an exponent, or any number with
# an f32/f64 suffix. Not a tuple index (`pair.0`), not a range (`0..10`).
_FLOAT = re.compile(r"""(?<![\w.])(?:
      (?P<frac>\d[\d_]*\.\d[\d_]*(?:[eE][+-]?\d+)?)
    | (?P<exp>\d[\d_]*[eE][+-]?\d+)
    | (?P<dot>\d[\d_]*\.)(?![.\w])
    | (?P<int>\d[\d_]*)(?=_?f(?:32|64)\b)
    )(?P<suffix>_?f(?:32|64))?""", re.X)


def float_literals(source):
    """(start, end, value) of every float literal in Rust `source`, outside comments and strings."""
    found, position = [], 0
    for skipped in list(_SKIP.finditer(source)) + [None]:
        end = skipped.start() if skipped else len(source)
        for m in _FLOAT.finditer(source, position, end):
            text = next(g for g in ("frac", "exp", "dot", "int") if m.group(g))
            found.append((m.start(), m.end(), float(m.group(text).replace("_", ""))))
        position = skipped.end() if skipped else end
    return found


def scale_floats(source, factor):
    """`source` with every float literal multiplied by `factor` (the type suffix kept)."""
    pieces, last = [], 0
    for start, end, value in float_literals(source):
        suffix = re.search(r"_?f(?:32|64)$", source[start:end])
        number = repr(value * factor)  # always has a '.' or an 'e': still a float literal
        pieces += [source[last:start], number + (suffix.group(0) if suffix else "")]
        last = end
    return "".join(pieces) + source[last:]


def crate_error_patterns(path=ERROR_RS):
    """Regexes for the crate's error messages, from the `#[error("...")]` attributes of its Error."""
    patterns = []
    # `#[error("...")]`, possibly over several lines and with format arguments after the text.
    for template in re.findall(r'#\[error\(\s*"((?:\\.|[^"\\])*)"[^\]]*\)\]', path.read_text(encoding="utf-8")):
        template = template.replace('\\"', '"')
        parts = re.split(r"\{[^{}]*\}", template)
        patterns.append(re.compile(".+?".join(re.escape(p) for p in parts), re.S))
    if not patterns:
        raise RuntimeError(f"no #[error(...)] messages found in {path}")
    return patterns


def classify(cell, patterns):
    """'runs', 'clear error' or 'broken', with the reason for the last two."""
    why = cell_failure(cell)
    if why is None:
        return "runs", ""
    text = error_text(cell.get("outputs", []))
    if "panicked at" not in text and any(p.search(text) for p in patterns):
        return "clear error", text.strip().splitlines()[-1]
    return "broken", why


def _tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def play_cells(nb):
    """The code cells a learner is invited to change (all but the setup cell and exercise/expected-error cells)."""
    code = kernel.code_cells(nb)
    return [c for c in code[1:] if not (_tags(c) & NOT_PLAY_TAGS)]


def perturb_notebook(path, patterns=None):
    """Runs both perturbations of one notebook; returns (counts per step, problems, clear errors met)."""
    path = Path(path)
    patterns = patterns or crate_error_patterns()
    nb = kernel.read(path)
    code = kernel.code_cells(nb)
    play = play_cells(nb)
    setup_only = kernel.read(path)
    setup_only.cells = [c for c in setup_only.cells if c.cell_type == "code"][:1]
    counts = {"each": {"runs": 0, "clear error": 0, "broken": 0},
              "all": {"runs": 0, "clear error": 0, "broken": 0}}
    problems, examples = [], []

    def label(cell):
        return f"code cell {code.index(cell) + 1} ({cell.get('id', '?')})"

    def steps(run):
        for cell in code[1:]:
            source = cell.source
            if cell in play and float_literals(source):
                kind, why = classify(run(scale_floats(source, CELL_FACTOR)), patterns)
                counts["each"][kind] += 1
                if kind == "broken":
                    problems.append(f"{path.name}: {label(cell)} with its floats ×{CELL_FACTOR} {why}")
                elif kind == "clear error":
                    examples.append(f"{label(cell)} ×{CELL_FACTOR}: {why}")
            original = run(source)
            why = cell_failure(original)
            if why:
                problems.append(f"{path.name}: {label(cell)} failed when run again after its perturbed copy: {why}")
        for cell in play:
            kind, why = classify(run(scale_floats(cell.source, ALL_FACTOR)), patterns)
            counts["all"][kind] += 1
            if kind == "broken":
                problems.append(f"{path.name}: {label(cell)} with every float ×{ALL_FACTOR} {why}")
            elif kind == "clear error":
                examples.append(f"{label(cell)} with every float ×{ALL_FACTOR}: {why}")
                # The scaled input was really invalid: the original sets the
                # cell's variables, so the cells below are still tried scaled
                # (it may fail clearly too, on scaled input from above; the
                # variables of the first pass are then still there).
                kind, why = classify(run(cell.source), patterns)
                if kind == "broken":
                    problems.append(f"{path.name}: {label(cell)} failed when run unchanged after its clear error: {why}")

    kernel.execute(setup_only, path.name, then=steps)
    return counts, problems, examples


def perturb(names=()):
    """The perturbation test over the selected notebooks; prints a table per notebook; returns the exit status."""
    reporter = Reporter()
    rows = []
    paths = kernel.notebooks(names)
    # One kernel per notebook, side by side (`kernel.in_parallel`), reported in order.
    results = kernel.in_parallel(perturb_notebook, [(str(path),) for path in paths])
    for path, (counts, problems, examples) in zip(paths, results):
        each, every = counts["each"], counts["all"]
        rows.append(f"| {path.stem} | {each['runs']} | {each['clear error']} | {each['broken']} "
                    f"| {every['runs']} | {every['clear error']} | {every['broken']} |")
        for example in examples:
            say(f"    clear error: {example}")
        reporter.report(f"perturbed {path.name}", problems)
    say("\n| notebook | each cell ×1.1: runs | clear error | broken | all floats ×1.1: runs | clear error "
        "| broken |\n|---|---:|---:|---:|---:|---:|---:|\n" + "\n".join(rows) + "\n")
    return reporter.finish()

"""The notebook tests, in the real Rust kernel.

For every notebook, as separate checks:

- `format`: nbformat 4, the Rust kernelspec, committed without outputs or
  execution counts, one setup cell (the first code cell, and only it,
  loads llm-math with `:dep` and `use llm_math::prelude::*`), no code line
  over 100 characters, and exercises laid out as answer, check and collapsed
  solution cells (`exercises`);
- `kernel run 1`, `kernel run 2`: every code cell in order in a fresh kernel,
  each judged by the rule (`rule.cell_failure`);
- `expected numbers`: run 1 shows the numbers kept in
  notebooks/expected/<notebook>.json, within a tolerance (`expected`);
- `exercises`: in run 1, each check said "not done yet" for the empty
  answer and each solution was judged right;
- `identical`: both runs show the same outputs (execution counts aside);
- `recovery`: in the kernel of the second run, after the last cell, a cell
  that does not compile, one that panics and one whose `?` returns an error
  each fail with a clear message, and every variable defined before them is
  still there (`:vars`) and usable;
- `pinned versions`: the Cargo.lock that kernel built with (in its build
  directory) lists only packages at the versions the project's Cargo.lock
  pins, so what the notebooks use is what the tests of the crate use.

With `save_dir`, the executed notebooks (first run) are written there, so the
HTML export can use them instead of executing everything again.
"""

import copy
import json
import time
import tomllib
from pathlib import Path

import nbformat

from . import ROOT, exercises, expected, kernel
from .report import Reporter, say
from .rule import as_str, cell_failure, error_text, notebook_failures

# (what it breaks, the cell, what its error must say)
RECOVERY_PROBES = [
    ("a cell that does not compile", 'let broken_probe: i32 = "text";', "mismatched types"),
    ("a cell that panics", "let empty_probe: Vec<i32> = Vec::new();\nempty_probe[3]", "index out of bounds"),
    ("a cell whose ? returns an error", "let bad_shapes_probe = matmul(&[[1.0, 2.0]], &[[1.0, 2.0]])?;",
     "shape mismatch in matmul: left is [1, 2], right is [1, 2]"),
]


def check_format(path):
    """Problems with the committed file: format, kernelspec, outputs, setup cell."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        return [f"{path.name} is not valid JSON: {e}"]
    problems = []
    try:
        nbformat.validate(nbformat.from_dict(raw))
    except nbformat.ValidationError as e:
        problems.append(f"not a valid notebook: {str(e).splitlines()[0]}")
    if raw.get("nbformat") != 4:
        problems.append(f"nbformat is {raw.get('nbformat')}, expected 4")
    spec = raw.get("metadata", {}).get("kernelspec", {})
    if spec.get("name") != "rust" or spec.get("language") != "rust":
        problems.append(f'kernelspec is {spec}, expected name "rust", language "rust"')
    code = [c for c in raw.get("cells", []) if c.get("cell_type") == "code"]
    for number, cell in enumerate(code, 1):
        if cell.get("outputs"):
            problems.append(f"code cell {number} carries outputs (commit notebooks without outputs)")
        if cell.get("execution_count") is not None:
            problems.append(f"code cell {number} carries an execution_count")
    sources = ["".join(c.get("source", "")) if isinstance(c.get("source"), list) else c.get("source", "") for c in code]
    with_dep = [n for n, s in enumerate(sources, 1) if any(line.lstrip().startswith(":dep") for line in s.splitlines())]
    first = sources[0] if sources else ""
    if with_dep != [1] or "llm_math::prelude::*" not in first or "../crates/llm-math" not in first:
        problems.append('the first code cell, and only it, must be the setup cell (`:dep llm-math = { path = '
                        '"../crates/llm-math" }` and `use llm_math::prelude::*;`); :dep found in code cells '
                        f"{with_dep}")
    problems += exercises.long_lines(code)
    problems += exercises.exercise_layout(code)
    return problems


def outputs_of(nb):
    """Every code cell's outputs, without execution counts or timing metadata.

    Consecutive stream outputs of one name are joined, as Jupyter shows them:
    how the kernel's lines were cut into messages depends on timing, not on
    what the cell printed."""
    result = []
    for cell in kernel.code_cells(nb):
        outs = []
        for output in cell.outputs:
            output = dict(copy.deepcopy(output))
            output.pop("execution_count", None)
            output.pop("metadata", None)
            last = outs[-1] if outs else {}
            if (output.get("output_type") == "stream" and last.get("output_type") == "stream"
                    and last.get("name") == output.get("name")):
                last["text"] = as_str(last["text"]) + as_str(output["text"])
                continue
            outs.append(output)
        result.append(outs)
    return result


def first_difference(first, second):
    """Where two runs' outputs of one cell first part, as one line of each run."""
    a, b = _lines(first), _lines(second)
    for n, (x, y) in enumerate(zip(a, b), 1):
        if x != y:
            return f"output line {n} is {_short(x)} in run 1 and {_short(y)} in run 2"
    longer, name = (a, "run 1") if len(a) > len(b) else (b, "run 2")
    n = min(len(a), len(b))
    return f"{name} has {len(longer) - n} more output line(s), from line {n + 1}: {_short(longer[n])}"


def _lines(outputs):
    """A cell's outputs as text lines: each output's kind, then its text or data."""
    lines = []
    for output in outputs:
        lines.append(f"[{output.get('output_type')} {output.get('name', '')}]".replace(" ]", "]"))
        if "text" in output:
            lines += as_str(output["text"]).splitlines()
        for mime, data in sorted(output.get("data", {}).items()):
            lines += [f"{mime}: {line}" for line in as_str(data).splitlines()]
        if "ename" in output:
            lines.append(f"{output['ename']}: {output.get('evalue', '')}")
    return lines


def _short(line, limit=120):
    return repr(line if len(line) <= limit else line[:limit] + "…")


def variables(run):
    """The kernel's variables as (name, type) pairs, from evcxr's `:vars`."""
    cell = run(":vars")
    text = "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs if o.output_type == "execute_result")
    return [tuple(line.split(": ", 1)) for line in text.splitlines() if ": " in line]


def recovery(run):
    """Breaks three cells the way learners do; returns the problems found (empty when all is well)."""
    problems = []
    before = variables(run)
    if not before:
        problems.append("`:vars` listed no variable after the notebook ran, so nothing could be checked")
    for what, source, expected in RECOVERY_PROBES:
        cell = run(source)
        if cell_failure(cell) is None:
            problems.append(f"{what}: no error was reported")
        elif expected not in error_text(cell.outputs):
            problems.append(f"{what}: the error does not say {expected!r}:\n{error_text(cell.outputs)}")
    after = variables(run)
    lost = [name for name, ty in before if (name, ty) not in after]
    if lost:
        problems.append(f"variables lost after the broken cells: {lost}")
    if before:
        name = before[0][0]
        why = cell_failure(run(f"let _ = &{name};"))
        if why:
            problems.append(f"variable `{name}` cannot be used after the broken cells: {why}")
    return problems


def unpinned(lock_text, pinned_text):
    """Packages of a kernel's Cargo.lock at versions the project's lock does not pin.

    Returns "name version" strings; evcxr's own crate (`ctx`) is not a dependency."""
    pinned = {(p["name"], p["version"]) for p in tomllib.loads(pinned_text).get("package", [])}
    used = tomllib.loads(lock_text).get("package", [])
    return [f"{p['name']} {p['version']}" for p in used
            if p["name"] != "ctx" and (p["name"], p["version"]) not in pinned]


# A cell that shows the kernel's build directory (scripts/kernel's EVCXR_TMPDIR).
BUILD_DIR_CELL = 'std::env::var("EVCXR_TMPDIR").unwrap_or_default()'


def unpinned_in(shown):
    """`unpinned` for the Cargo.lock of the build directory a BUILD_DIR_CELL showed (its text),
    or None when there is no such lock."""
    lock = Path(shown.strip().strip('"')) / "Cargo.lock"
    if not shown.strip() or not lock.is_file():
        return None
    return unpinned(lock.read_text(), (ROOT / "Cargo.lock").read_text())


def pinned_versions(run):
    """Problems with the versions the kernel behind `run` built against (empty when all are pinned)."""
    cell = run(BUILD_DIR_CELL)
    text = "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs if o.output_type == "execute_result")
    wrong = unpinned_in(text)
    if wrong is None:
        return [f"the kernel's build directory has no Cargo.lock (EVCXR_TMPDIR is {text!r})"]
    return [f"the kernel built against versions Cargo.lock does not pin: {', '.join(wrong)}"] if wrong else []


def _run(path, attempt):
    """One run of a notebook in a fresh kernel (the second with the recovery probes after it).

    Returns (the executed notebook as JSON, seconds, the probes' problems, the lock's problems)."""
    path = Path(path)
    nb = kernel.read(path)
    probe_problems = []
    lock_problems = []

    def then(run):
        probe_problems.extend(recovery(run))
        lock_problems.extend(pinned_versions(run))

    started = time.monotonic()
    kernel.execute(nb, f"{path.name} (run {attempt})", then=then if attempt == 2 else None)
    return nbformat.writes(nb), time.monotonic() - started, probe_problems, lock_problems


def check(names=(), save_dir=None):
    """Runs every check on the selected notebooks; returns the exit status.

    The kernel runs go side by side (`kernel.in_parallel`); the checks are
    reported in the notebooks' order."""
    paths = kernel.notebooks(names)
    reporter = Reporter()
    if not paths:
        reporter.report(f"notebooks matching {list(names)}", "no notebook matched")
    results = kernel.in_parallel(_run, [(str(path), attempt) for path in paths for attempt in (1, 2)])
    for path in paths:
        reporter.report(f"format {path.name}", check_format(path))
        runs, probe_problems, lock_problems = [], [], []
        for attempt in (1, 2):
            text, seconds, problems, lock = next(results)
            nb = nbformat.reads(text, as_version=4)
            probe_problems += problems
            lock_problems += lock
            reporter.report(f"kernel run {attempt} {path.name} ({seconds:.1f} s)", notebook_failures(nb, path.name))
            runs.append(outputs_of(nb))
            if attempt == 1:
                reporter.report(f"expected numbers {path.name}", expected.compare(path, nb))
                reporter.report(f"exercises {path.name}", exercises.exercise_verdicts(nb))
            if attempt == 1 and save_dir:
                save_dir.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, save_dir / path.name)
        differ = [n for n, (a, b) in enumerate(zip(*runs), 1) if a != b]
        reporter.report(f"kernel runs identical {path.name}",
                        f"outputs of code cells {differ} differ between two runs; cell {differ[0]}: "
                        + first_difference(*(run[differ[0] - 1] for run in runs)) if differ else None)
        reporter.report(f"recovery {path.name}", probe_problems)
        reporter.report(f"pinned versions {path.name}", lock_problems)
    if save_dir:
        say(f"executed notebooks saved in {save_dir}")
    return reporter.finish()


def judge(path):
    """Judges an already executed notebook with the rule (the JupyterLab test calls this)."""
    nb = kernel.read(path)
    problems = notebook_failures(nb, path.name)
    for problem in problems:
        say(problem)
    return 1 if problems else 0

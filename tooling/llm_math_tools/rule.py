"""The one rule that decides whether an executed notebook cell failed.

Every path that runs notebooks judges cells with `cell_failure`: the test
suite's kernel runs (`checks`), the HTML export (`export`), the JupyterLab
test (through `python -m llm_math_tools judge`) and the benchmark
(`bench/kernels.py`). A code cell failed when its outputs hold

- an error output (a compile error, `:dep` failing, a panic, an error
  returned with `?`, a crash or an interrupt: the project's patched evcxr
  reports each of these as an error),
- anything on stderr (a cell that writes to stderr on purpose is a failed
  cell too: a clean run shows no red),
- a figure, grid or table shown as its `Debug` text instead of the picture
  (evcxr falls back to `Debug`, silently, when the cell's final expression
  moves a variable the notebook keeps), or an array shown as ndarray's
  `Debug` text (`strides=[..], layout=..`) instead of its readable text, for
  the same reason.

A cell tagged `raises-exception` (Jupyter's convention) is expected to fail
with an error or on stderr, and fails the rule when it does not. Showing a
figure as `Debug` text is never what a cell meant, tag or no tag.
"""

# The crate's displayable types, by the start of their `Debug` text.
DISPLAY_TYPES = ("Chart {", "Grid {", "Figure {", "Table {")
EXPECTED_TAG = "raises-exception"


def as_str(value):
    """nbformat keeps multi-line strings either as one string or as a list of lines."""
    return "".join(value) if isinstance(value, list) else (value or "")


def _first_lines(source, n=3):
    return "\n".join("    | " + line for line in as_str(source).splitlines()[:n])


def debug_text_instead_of_figure(outputs):
    """The kind of display value a cell showed as `Debug` text, or None."""
    for output in outputs:
        if output.get("output_type") != "execute_result":
            continue
        text = as_str(output.get("data", {}).get("text/plain", "")).lstrip()
        kind = next((t[:-2] for t in DISPLAY_TYPES if text.startswith(t)), None)
        if kind:
            return kind
        if "strides=[" in text and "layout=" in text:
            return "array"
    return None


def _stderr(outputs):
    return "".join(as_str(o.get("text")) for o in outputs
                   if o.get("output_type") == "stream" and o.get("name") == "stderr")


def error_text(outputs):
    """What the cell reported as an error (error outputs and stderr), without backtraces."""
    errors = [f"{o.get('ename', '')}: {o.get('evalue', '')}".strip(": ")
              for o in outputs if o.get("output_type") == "error"]
    # The message is what a reader needs; a RUST_BACKTRACE backtrace is noise here.
    stderr = _stderr(outputs).split("stack backtrace:")[0].strip()
    return "\n".join(part for part in errors + [stderr] if part)


def cell_failure(cell):
    """Why this executed code cell failed (a phrase starting with a verb), or None if it passed."""
    outputs = cell.get("outputs", [])
    expected = EXPECTED_TAG in cell.get("metadata", {}).get("tags", [])
    first = _first_lines(cell.get("source", ""))
    kind = debug_text_instead_of_figure(outputs)
    if kind:
        return (f"showed its {kind} as Debug text instead of the figure, table or readable numbers: the final expression "
                f"probably moves a variable of the notebook; borrow it (&x) or clone it (x.clone())\n{first}")
    error = error_text(outputs)
    if error and not expected:
        panicked = "panicked at" in _stderr(outputs) or any(o.get("ename") == "panic" for o in outputs)
        what = "a panic" if panicked else "an error"
        return f"raised {what}\n{first}\n{error}"
    if expected and not error:
        return f"is tagged {EXPECTED_TAG} but ran without error\n{first}"
    return None


def notebook_failures(nb, name):
    """One line per failed code cell of an executed notebook, naming the notebook and the cell."""
    code = [c for c in nb["cells"] if c.get("cell_type") == "code"]
    problems = []
    for number, cell in enumerate(code, 1):
        why = cell_failure(cell)
        if why:
            problems.append(f"{name}: code cell {number} of {len(code)} {why}")
    return problems

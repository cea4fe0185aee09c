"""The numbers each notebook shows, kept beside it and checked by the tests.

A learner's cells do not assert today's numbers (change one and the cell
would panic); the test suite checks them instead. `notebooks/expected/
<notebook>.json` maps each code cell's id to the text the cell showed (its
plain-text result and anything it printed; figures are checked elsewhere).
After kernel run 1, `checks` compares every cell with it:

- the words must match exactly, spaces aside (so a column that widens does
  not matter);
- each number must be within 1e-4 of the expected one relative to its size,
  or within one unit of its last digit when it is written with 4 or more
  decimals (an array entry that rounds the other way).

`python -m llm_math_tools expected [NOTEBOOK ...]` rewrites the files from a
fresh run (or from executed notebooks with `--executed DIR`); review the diff
before committing it, as you would a changed assertion.
"""

import json
import re

from . import NOTEBOOKS, kernel
from .rule import as_str

EXPECTED_DIR = NOTEBOOKS / "expected"
RELATIVE = 1e-4
_NUMBER = re.compile(r"-?(?:\d+\.\d+|\d+)(?:e-?\d+)?|NaN|-?inf")


def path_for(notebook_path):
    return EXPECTED_DIR / f"{notebook_path.stem}.json"


def shown_text(cell):
    """The text an executed code cell showed: its plain-text results and stdout, figures aside."""
    parts = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream" and output.get("name") == "stdout":
            parts.append(as_str(output.get("text")))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            if "image/svg+xml" not in data and "text/plain" in data:
                parts.append(as_str(data["text/plain"]))
    return "".join(parts).strip()


def shown(nb):
    """{cell id: the text it showed} for every code cell that showed text."""
    result = {}
    for cell in kernel.code_cells(nb):
        text = shown_text(cell)
        if text:
            result[cell.get("id")] = text
    return result


def _tolerance(token, expected):
    decimals = len(token.split("e")[0].split(".")[1]) if "." in token else 0
    exponent = int(token.split("e")[1]) if "e" in token else 0
    tolerance = RELATIVE * abs(expected)
    if decimals >= 4:
        tolerance = max(tolerance, 1.01 * 10.0 ** (exponent - decimals))
    return tolerance + 1e-300


def differences(expected, actual):
    """Why `actual` text does not show the `expected` numbers (an empty list when it does)."""
    words_e, words_a = ("".join(_NUMBER.sub("#", t).split()) for t in (expected, actual))
    if words_e != words_a:
        return [f"the text differs: expected\n{expected}\n  got\n{actual}"]
    problems = []
    for token_e, token_a in zip(_NUMBER.findall(expected), _NUMBER.findall(actual)):
        e, a = float(token_e), float(token_a)
        same = (e == a) or (abs(a - e) <= _tolerance(token_e, e))
        if not same and not (token_e == token_a):
            problems.append(f"{token_a} where {token_e} was expected")
    return problems


def compare(path, nb):
    """Problems of an executed notebook against its expected file."""
    file = path_for(path)
    if not file.exists():
        return [f"{file.relative_to(NOTEBOOKS.parent)} is missing: run `python -m llm_math_tools expected "
                f"{path.stem[:2]}` and review it"]
    expected = json.loads(file.read_text(encoding="utf-8"))
    actual = shown(nb)
    problems = []
    for cell_id in sorted(set(expected) | set(actual)):
        if cell_id not in actual:
            problems.append(f"cell {cell_id} showed nothing, expected:\n{expected[cell_id]}")
        elif cell_id not in expected:
            problems.append(f"cell {cell_id} shows text that {file.name} does not have:\n{actual[cell_id]}")
        else:
            problems += [f"cell {cell_id}: {p}" for p in differences(expected[cell_id], actual[cell_id])]
    return problems


def write(path, nb):
    file = path_for(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(shown(nb), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return file


def update(names=(), executed=None):
    """Rewrites the expected files from executed notebooks (or a fresh run); returns the exit status."""
    for path in kernel.notebooks(names):
        if executed:
            nb = kernel.read(executed / path.name)
        else:
            nb = kernel.execute(kernel.read(path), path.name)
        print(f"wrote {write(path, nb)}")
    return 0

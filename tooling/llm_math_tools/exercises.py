"""What the tests ask of a notebook's exercises and of its code lines.

An exercise is three code cells in a row, told apart by their tags:

- `answer`: where the learner writes, committed empty
  (`let answer_1_2: Option<f64> = None;`);
- `check`: calls the crate's `exercise(..)` check, which shows a verdict;
- `solution`: the worked solution, collapsed (`jupyter.source_hidden`), which
  sets the answer and runs the same check.

`exercise_layout` reads the committed notebook (every notebook ends with at
least one exercise; the three cells come in that order; the answer is empty;
the solution is collapsed). `exercise_verdicts` reads the executed notebook:
each check said "not done yet" for the empty answer, not a crash, and each
solution was judged right. `long_lines` keeps every code line within
`MAX_LINE` characters, so cells read without scrolling sideways.
"""

from .expected import shown_text
from .rule import as_str

MAX_LINE = 100
TAGS = ("answer", "check", "solution")
NOT_DONE = "not done yet"
RIGHT = "✓ Exercise"
WRONG = "✗ Exercise"


def _tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def _role(cell):
    roles = _tags(cell) & set(TAGS)
    return roles.pop() if len(roles) == 1 else ("several" if roles else None)


def exercise_layout(cells):
    """Problems with the exercises of a notebook's code cells (committed, not executed)."""
    problems = []
    roles = [_role(c) for c in cells]
    for number, (cell, role) in enumerate(zip(cells, roles), 1):
        if role == "several":
            problems.append(f"code cell {number} has more than one of the tags {TAGS}")
        if role == "answer":
            following = roles[number:number + 2]
            if following != ["check", "solution"]:
                problems.append(f"code cell {number} is an answer cell, but the next two code cells are tagged "
                                f"{following}, not ['check', 'solution']")
            if "= None;" not in as_str(cell.get("source")):
                problems.append(f"code cell {number} is an answer cell but is not committed empty (`= None;`)")
        if role == "check" and (number < 2 or roles[number - 2] != "answer"):
            problems.append(f"code cell {number} is a check cell without an answer cell just before it")
        if role == "solution":
            if number < 2 or roles[number - 2] != "check":
                problems.append(f"code cell {number} is a solution cell without a check cell just before it")
            if not cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"):
                problems.append(f"code cell {number} is a solution but is not collapsed "
                                "(metadata jupyter.source_hidden)")
    if "answer" not in roles:
        problems.append("the notebook has no exercise (an answer, a check and a solution cell)")
    return problems


def exercise_verdicts(nb):
    """Problems with what the exercise cells of an executed notebook showed."""
    problems = []
    for number, cell in enumerate([c for c in nb.cells if c.cell_type == "code"], 1):
        role, shown = _role(cell), shown_text(cell)
        if role == "check" and NOT_DONE not in shown:
            problems.append(f"code cell {number}, a check, did not say {NOT_DONE!r} for the empty answer; "
                            f"it showed: {shown[:200]!r}")
        if role == "solution" and (RIGHT not in shown or WRONG in shown):
            problems.append(f"code cell {number}, a solution, was not judged right; it showed: {shown[:200]!r}")
    return problems


def long_lines(cells):
    """One problem per code line longer than MAX_LINE characters."""
    problems = []
    for number, cell in enumerate(cells, 1):
        for line_number, line in enumerate(as_str(cell.get("source")).splitlines(), 1):
            if len(line) > MAX_LINE:
                problems.append(f"code cell {number}, line {line_number} is {len(line)} characters long "
                                f"(at most {MAX_LINE}): {line[:60]}…")
    return problems

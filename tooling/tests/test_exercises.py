"""The exercise layout, the verdicts an executed notebook must show, and the line limit."""

import unittest

import nbformat

from llm_math_tools.exercises import MAX_LINE, exercise_layout, exercise_verdicts, long_lines


def cell(source, *tags, hidden=False, shows=None):
    made = nbformat.v4.new_code_cell(source)
    if tags:
        made.metadata["tags"] = list(tags)
    if hidden:
        made.metadata["jupyter"] = {"source_hidden": True}
    if shows is not None:
        made.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": shows}, execution_count=1)]
    return made


CHECK = 'exercise("1.1 x").close_to(answer_1_1, 2.0, 1e-9)?'


def one_exercise(answer="let answer_1_1: Option<f64> = None;", hidden=True):
    return [cell(":dep llm-math"), cell(answer, "answer"), cell(CHECK, "check"),
            cell("let answer_1_1 = Some(2.0);\n" + CHECK, "solution", hidden=hidden)]


class Layout(unittest.TestCase):
    def test_answer_check_collapsed_solution_passes(self):
        self.assertEqual(exercise_layout(one_exercise()), [])

    def test_a_notebook_without_exercise_fails(self):
        self.assertIn("no exercise", " ".join(exercise_layout([cell(":dep llm-math"), cell("1 + 1")])))

    def test_cells_out_of_order_fail(self):
        setup, answer, check, solution = one_exercise()
        problems = " ".join(exercise_layout([setup, answer, solution, check]))
        self.assertIn("not ['check', 'solution']", problems)
        self.assertIn("without an answer cell", problems)

    def test_a_committed_answer_or_an_open_solution_fails(self):
        self.assertIn("committed empty", " ".join(exercise_layout(one_exercise(answer="let answer_1_1 = Some(2.0);"))))
        self.assertIn("not collapsed", " ".join(exercise_layout(one_exercise(hidden=False))))


class Verdicts(unittest.TestCase):
    def executed(self, check_shows, solution_shows):
        nb = nbformat.v4.new_notebook()
        nb.cells = [cell(":dep llm-math", shows=""), cell("let answer_1_1: Option<f64> = None;", "answer"),
                    cell(CHECK, "check", shows=check_shows), cell(CHECK, "solution", shows=solution_shows)]
        return nb

    def test_not_done_then_right_passes(self):
        nb = self.executed("… Exercise 1.1 x: not done yet. Replace `None`", "✓ Exercise 1.1 x: right.")
        self.assertEqual(exercise_verdicts(nb), [])

    def test_a_check_that_crashed_or_a_wrong_solution_fails(self):
        nb = self.executed("", "✗ Exercise 1.1 x: not right yet: 3.0, not within 1e-9. Hint: h")
        problems = exercise_verdicts(nb)
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("not done yet", problems[0])
        self.assertIn("not judged right", problems[1])


class Lines(unittest.TestCase):
    def test_the_limit_is_inclusive(self):
        self.assertEqual(long_lines([cell("x" * MAX_LINE)]), [])
        problems = long_lines([cell("ok\n" + "y" * (MAX_LINE + 1))])
        self.assertEqual(len(problems), 1)
        self.assertIn("code cell 1, line 2", problems[0])


if __name__ == "__main__":
    unittest.main()

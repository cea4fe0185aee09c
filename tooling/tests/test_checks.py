"""The two-runs comparison (llm_math_tools.checks.outputs_of) sees what Jupyter shows."""

import unittest

import nbformat

from llm_math_tools.checks import outputs_of


def notebook(*outputs):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("for h in 0..2 { println!(\"head {h}\"); }")
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    nb.cells = [cell]
    return nb


def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


class TwoRuns(unittest.TestCase):
    def test_the_same_lines_cut_into_other_messages_are_the_same_output(self):
        one = outputs_of(notebook(stream("head 0\nhead 1\n")))
        two = outputs_of(notebook(stream("head 0\n"), stream("head 1\n")))
        self.assertEqual(one, two)

    def test_different_text_or_stream_is_still_a_difference(self):
        self.assertNotEqual(outputs_of(notebook(stream("head 0\n"))), outputs_of(notebook(stream("head 1\n"))))
        self.assertNotEqual(outputs_of(notebook(stream("a\n"), stream("b\n", "stderr"))),
                            outputs_of(notebook(stream("a\nb\n"))))


if __name__ == "__main__":
    unittest.main()

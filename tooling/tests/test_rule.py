"""The cell-failure rule (llm_math_tools.rule) on made-up executed cells, one case per clause."""

import unittest

import nbformat

from llm_math_tools.rule import cell_failure, notebook_failures


def cell(*outputs, tags=()):
    c = nbformat.v4.new_code_cell("let x = 1;\nx")
    c.outputs = [nbformat.from_dict(o) for o in outputs]
    if tags:
        c.metadata["tags"] = list(tags)
    return c


def result(text):
    return {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": text}}


def stderr(text):
    return {"output_type": "stream", "name": "stderr", "text": text}


ERROR = {"output_type": "error", "ename": "Error", "evalue": "mismatched types", "traceback": []}
PANIC = stderr("thread '<unnamed>' panicked at src/lib.rs:1:1:\nindex out of bounds\nstack backtrace:\n   0: frame\n")
FIGURE = {"output_type": "display_data", "metadata": {}, "data": {"image/svg+xml": "<svg></svg>"}}
CHART_AS_DEBUG = result('Chart { title: "loss", layers: [] }')


class Rule(unittest.TestCase):
    def test_a_clean_cell_passes(self):
        self.assertIsNone(cell_failure(cell(result("32.0"))))
        self.assertIsNone(cell_failure(cell(FIGURE, {"output_type": "stream", "name": "stdout", "text": "step 1\n"})))
        self.assertIsNone(cell_failure(cell()))

    def test_an_array_shown_as_ndarray_debug_text_fails(self):
        debug = result("([[1.0, 2.0]], shape=[1, 2], strides=[2, 1], layout=CFcf (0xf), const ndim=2, 3)")
        why = cell_failure(cell(debug))
        self.assertIsNotNone(why)
        self.assertIn("array as Debug text", why)
        self.assertIsNone(cell_failure(cell(result("[[1.0, 2.0]]  shape (1, 2)"))))

    def test_an_error_output_fails_and_is_quoted(self):
        why = cell_failure(cell(ERROR))
        self.assertTrue(why.startswith("raised an error"), why)
        self.assertIn("mismatched types", why)

    def test_a_panic_fails_as_a_panic_without_its_backtrace(self):
        why = cell_failure(cell(PANIC))
        self.assertTrue(why.startswith("raised a panic"), why)
        self.assertIn("index out of bounds", why)
        self.assertNotIn("stack backtrace", why)

    def test_a_panic_error_output_fails_as_a_panic(self):
        # What the patched evcxr sends for a panic: an error output named "panic".
        reported = {"output_type": "error", "ename": "panic", "traceback": [],
                    "evalue": "panicked at line 3: index out of bounds: the len is 0 but the index is 3"}
        why = cell_failure(cell(reported))
        self.assertTrue(why.startswith("raised a panic"), why)
        self.assertIn("line 3", why)

    def test_anything_on_stderr_fails(self):
        self.assertIn("careful", cell_failure(cell(stderr("Error: careful\n"))))

    def test_blank_stderr_does_not_count(self):
        self.assertIsNone(cell_failure(cell(stderr("\n"))))

    def test_a_figure_or_table_shown_as_debug_text_fails(self):
        for kind in ("Chart", "Grid", "Figure", "Table"):
            why = cell_failure(cell(result(f"{kind} {{ inner: 1 }}")))
            self.assertTrue(why.startswith(f"showed its {kind} as Debug text"), why)
        # Only a value that is one of these types, not text that mentions one.
        self.assertIsNone(cell_failure(cell(result('"a Chart { in a string"'))))

    def test_raises_exception_cells_must_fail(self):
        self.assertIsNone(cell_failure(cell(ERROR, tags=["raises-exception"])))
        self.assertIsNone(cell_failure(cell(PANIC, tags=["raises-exception"])))
        why = cell_failure(cell(result("1"), tags=["raises-exception"]))
        self.assertTrue(why.startswith("is tagged raises-exception but ran without error"), why)

    def test_debug_text_fails_even_in_a_raises_exception_cell(self):
        # The case the old Rust and Python copies of the rule disagreed on.
        why = cell_failure(cell(CHART_AS_DEBUG, stderr("Error: x\n"), tags=["raises-exception"]))
        self.assertTrue(why.startswith("showed its Chart as Debug text"), why)

    def test_notebook_failures_name_the_notebook_and_the_cell(self):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell("# t"), cell(result("1")), cell(ERROR)]
        problems = notebook_failures(nb, "01-x.ipynb")
        self.assertEqual(len(problems), 1)
        self.assertTrue(problems[0].startswith("01-x.ipynb: code cell 2 of 2 raised an error"), problems[0])


if __name__ == "__main__":
    unittest.main()

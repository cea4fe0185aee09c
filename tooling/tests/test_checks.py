"""The two-runs comparison (llm_math_tools.checks.outputs_of) sees what Jupyter shows; the
pinned-versions check (checks.unpinned) sees a kernel that drifted from Cargo.lock."""

import unittest

import nbformat

from llm_math_tools.checks import first_difference, outputs_of, unpinned


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

    def test_a_difference_is_reported_with_the_lines_that_differ(self):
        short = outputs_of(notebook(stream("step 0 loss 4.17\n")))[0]
        full = outputs_of(notebook(stream("step 0 loss 4.17\n"), stream("step 500 loss 2.31\n")))[0]
        self.assertEqual(first_difference(full, short),
                         "run 1 has 1 more output line(s), from line 3: 'step 500 loss 2.31'")
        changed = outputs_of(notebook(stream("step 0 loss 4.18\n")))[0]
        self.assertEqual(first_difference(short, changed),
                         "output line 2 is 'step 0 loss 4.17' in run 1 and 'step 0 loss 4.18' in run 2")

    def test_different_text_or_stream_is_still_a_difference(self):
        self.assertNotEqual(outputs_of(notebook(stream("head 0\n"))), outputs_of(notebook(stream("head 1\n"))))
        self.assertNotEqual(outputs_of(notebook(stream("a\n"), stream("b\n", "stderr"))),
                            outputs_of(notebook(stream("a\nb\n"))))


if __name__ == "__main__":
    unittest.main()


PINNED = """version = 4

[[package]]
name = "hashbrown"
version = "0.17.1"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "llm-math"
version = "0.1.0"
"""


class PinnedVersions(unittest.TestCase):
    def lock(self, *packages):
        return "version = 4\n" + "".join(f'\n[[package]]\nname = "{n}"\nversion = "{v}"\n' for n, v in packages)

    def test_a_kernel_on_the_pinned_versions_passes(self):
        self.assertEqual(unpinned(self.lock(("ctx", "1.0.0"), ("hashbrown", "0.17.1"), ("llm-math", "0.1.0")), PINNED), [])

    def test_a_newer_compatible_version_is_named(self):
        self.assertEqual(unpinned(self.lock(("ctx", "1.0.0"), ("hashbrown", "0.17.2")), PINNED), ["hashbrown 0.17.2"])

    def test_a_package_the_project_does_not_use_is_named(self):
        self.assertEqual(unpinned(self.lock(("rand", "0.9.2")), PINNED), ["rand 0.9.2"])

"""The reporter's summary: the tail of a long log names each failure and its first reasons."""

import contextlib
import io
import unittest

from llm_math_tools.report import SUMMARY_LINES, Reporter


def finished(reports):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        reporter = Reporter()
        for name, problems in reports:
            reporter.report(name, problems)
        status = reporter.finish()
    return status, out.getvalue()


class SummaryTest(unittest.TestCase):
    def test_all_passing_ends_with_the_count_and_no_failure_list(self):
        status, out = finished([("a", None), ("b", [])])
        self.assertEqual(status, 0)
        self.assertNotIn("failures:", out)
        self.assertTrue(out.rstrip().endswith("2 passed, 0 failed"))

    def test_failures_are_repeated_after_every_report_with_their_reasons(self):
        reasons = [f"line {i}" for i in range(SUMMARY_LINES + 5)]
        status, out = finished([("cold cache: 01", "E0460 found possibly newer version of crate `serde_core`"),
                                ("warm cache: 01", None), ("no lock left", "\n".join(reasons))])
        self.assertEqual(status, 1)
        tail = out[out.index("failures:"):]
        self.assertIn("    cold cache: 01\n        E0460 found possibly newer version", tail)
        self.assertNotIn("warm cache", tail)
        self.assertIn(f"        line {SUMMARY_LINES - 1}\n", tail)
        self.assertNotIn(f"line {SUMMARY_LINES}\n", tail)
        self.assertIn("(5 more lines above)", tail)
        self.assertTrue(tail.rstrip().endswith("1 passed, 2 failed"))


if __name__ == "__main__":
    unittest.main()

"""Comparing the numbers a cell shows with the expected ones."""

import unittest

from llm_math_tools.expected import differences


class Differences(unittest.TestCase):
    def test_same_text_passes(self):
        self.assertEqual(differences("[0.3501, 1.0]  shape (2,)", "[0.3501, 1.0]  shape (2,)"), [])

    def test_a_last_digit_rounding_the_other_way_passes_at_four_decimals(self):
        self.assertEqual(differences("[0.3501, 0.1000]", "[0.3502, 0.1000]"), [])

    def test_a_real_change_fails(self):
        self.assertTrue(differences("32.0", "32.1"))
        self.assertTrue(differences("[0.3501, 0.1000]", "[0.3504, 0.1000]"))
        self.assertTrue(differences("1.22465e-16", "2.5e-16"))

    def test_wider_columns_do_not_matter_but_words_do(self):
        self.assertEqual(differences("[ 1.0, 2.0]", "[1.0,  2.0]"), [])
        self.assertTrue(differences("✓ Exercise 1: right.", "… Exercise 1: not done yet."))
        self.assertTrue(differences("(1.0, 2.0)", "(1.0, 2.0, 3.0)"))

    def test_nan_matches_only_nan(self):
        self.assertEqual(differences("[NaN, 1.0]", "[NaN, 1.0]"), [])
        self.assertTrue(differences("[NaN, 1.0]", "[0.5, 1.0]"))


if __name__ == "__main__":
    unittest.main()

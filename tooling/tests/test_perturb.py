"""The perturbation test's literal finder and scaler, on made-up Rust."""

import unittest

from llm_math_tools.perturb import ERROR_RS, crate_error_patterns, float_literals, scale_floats


class FloatLiterals(unittest.TestCase):
    def values(self, source):
        return [v for _, _, v in float_literals(source)]

    def test_finds_every_float_form(self):
        self.assertEqual(self.values("let a = 0.5 + 1e-3 * 2.0f64 - 60f64 + 1_000.25 + 3.;"),
                         [0.5, 1e-3, 2.0, 60.0, 1000.25, 3.0])

    def test_skips_integers_ranges_tuple_fields_and_methods(self):
        self.assertEqual(self.values("for i in 0..10 { v[i] = pair.0 + x.1; } s![..4]; seeded_rng(42); 2.0.sqrt()"),
                         [2.0])

    def test_skips_comments_strings_and_chars(self):
        source = 'let s = "p = 0.5"; // 0.25 in a comment\n/* 1.5 */ let c = \'1\'; let r = r#"2.5"#; 0.75'
        self.assertEqual(self.values(source), [0.75])

    def test_scaling_keeps_suffix_and_stays_a_float(self):
        self.assertEqual(scale_floats("f(2.0, 60f64, 1e-5_f64, 3)", 1.1), "f(2.2, 66.0f64, 1.1000000000000001e-05_f64, 3)")
        self.assertEqual(scale_floats("x.powi(2) * 0.0", 1.1), "x.powi(2) * 0.0")


class CrateErrors(unittest.TestCase):
    def test_every_message_of_the_crate_is_recognised(self):
        patterns = crate_error_patterns()
        for message in [
            "Error: shape mismatch in matmul: left is [1, 2], right is [1, 2] (the left's columns must equal the right's rows)",
            "not a probability distribution: the probabilities sum to 1.1, not 1 (tolerance 1e-9); normalise them, e.g. with softmax",
            "invalid argument `lr` = -0.1: a learning rate is > 0",
        ]:
            self.assertTrue(any(p.search(message) for p in patterns), message)
        self.assertFalse(any(p.search("thread 'main' panicked at src/lib.rs:1:1: assertion failed") for p in patterns))
        # Every #[error(...)] of error.rs is read, also those written over several lines with arguments.
        self.assertEqual(len(patterns), ERROR_RS.read_text(encoding="utf-8").count("#[error("))


if __name__ == "__main__":
    unittest.main()

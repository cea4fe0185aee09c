//! Exercises that check themselves.
//!
//! A notebook's exercise has three cells: an answer cell the learner fills in
//! (`let answer_1: Option<f64> = None;`), a check cell, and a collapsed
//! solution. The check never panics: it shows a [`Verdict`] — not done yet
//! (the answer is still `None`), right, or not right with what is off and a
//! hint — so Run All goes on past an exercise that is not done.
//!
//! # Examples
//! ```
//! use llm_math::prelude::*;
//! let ex = exercise("1.1 the dot product").hint("multiply entry by entry, then add up");
//! let expected = dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0])?;
//! let answer: Option<f64> = None;
//! assert!(ex.close_to(answer, expected, 1e-9)?.is_not_done());
//! assert!(ex.close_to(Some(31.0), expected, 1e-9)?.to_string().contains("multiply entry by entry"));
//! assert!(ex.close_to(Some(32.0), expected, 1e-9)?.is_right());
//! # Ok::<(), llm_math::Error>(())
//! ```

use std::cmp::Ordering;
use std::fmt;

use ndarray::{ArrayBase, Data, Dimension};

use crate::display::Readable;
use crate::error::{Error, Result};

/// An exercise: its title and the hint shown with a wrong answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Exercise {
    title: String,
    hint: String,
}

/// Starts an exercise check; add a hint with [`Exercise::hint`].
pub fn exercise(title: &str) -> Exercise {
    Exercise {
        title: title.to_string(),
        hint: String::new(),
    }
}

/// Numbers an answer can be: a number, or a vector or array of them.
pub trait Numbers {
    /// The shape (empty for one number) and the entries in logical order.
    fn shape_and_values(&self) -> (Vec<usize>, Vec<f64>);
}

impl Numbers for f64 {
    fn shape_and_values(&self) -> (Vec<usize>, Vec<f64>) {
        (vec![], vec![*self])
    }
}

impl Numbers for [f64] {
    fn shape_and_values(&self) -> (Vec<usize>, Vec<f64>) {
        (vec![self.len()], self.to_vec())
    }
}

impl<const N: usize> Numbers for [f64; N] {
    fn shape_and_values(&self) -> (Vec<usize>, Vec<f64>) {
        (vec![N], self.to_vec())
    }
}

impl Numbers for Vec<f64> {
    fn shape_and_values(&self) -> (Vec<usize>, Vec<f64>) {
        self.as_slice().shape_and_values()
    }
}

impl<S: Data<Elem = f64>, D: Dimension> Numbers for ArrayBase<S, D> {
    fn shape_and_values(&self) -> (Vec<usize>, Vec<f64>) {
        (self.shape().to_vec(), self.iter().copied().collect())
    }
}

impl<T: Numbers + ?Sized> Numbers for &T {
    fn shape_and_values(&self) -> (Vec<usize>, Vec<f64>) {
        (**self).shape_and_values()
    }
}

fn shape_text(shape: &[usize]) -> String {
    match shape {
        [] => "a single number".into(),
        [n] => format!("shape ({n},)"),
        _ => format!(
            "shape ({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl Exercise {
    /// The hint shown when the answer is not right.
    pub fn hint(mut self, hint: &str) -> Self {
        self.hint = hint.to_string();
        self
    }

    /// Right when `answer` has `expected`'s shape and every entry is within
    /// `tolerance` of it (absolute difference). `None` is "not done yet".
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `tolerance` is negative or not finite,
    /// or `expected` holds a NaN or an infinity (a mistake in the check, not
    /// in the answer).
    pub fn close_to<A: Numbers, E: Numbers>(
        &self,
        answer: Option<A>,
        expected: E,
        tolerance: f64,
    ) -> Result<Verdict> {
        if !(tolerance.is_finite() && tolerance >= 0.0) {
            return Err(Error::InvalidArgument {
                name: "tolerance",
                value: format!("{tolerance}"),
                why: "a tolerance is a finite number ≥ 0".into(),
            });
        }
        let (shape, right) = expected.shape_and_values();
        if let Some(bad) = right.iter().find(|v| !v.is_finite()) {
            return Err(Error::InvalidArgument {
                name: "expected",
                value: format!("{bad}"),
                why: "the expected answer must be finite numbers".into(),
            });
        }
        let Some(answer) = answer else {
            return Ok(self.not_done());
        };
        let (answer_shape, given) = answer.shape_and_values();
        if answer_shape != shape {
            let why = format!(
                "your answer is {}, the right one is {}",
                shape_text(&answer_shape),
                shape_text(&shape)
            );
            return Ok(self.wrong(why));
        }
        // A NaN difference compares as None: never within the tolerance.
        let outside = |g: &f64, r: &f64| {
            !matches!(
                (g - r).abs().partial_cmp(&tolerance),
                Some(Ordering::Less | Ordering::Equal)
            )
        };
        let off = given.iter().zip(&right).position(|(g, r)| outside(g, r));
        Ok(match off {
            None => self.right(),
            Some(i) => {
                let place = if shape.is_empty() {
                    String::new()
                } else {
                    format!(" entry {i} (in reading order),")
                };
                let why = format!(
                    "at{place} your answer is {}, not within {} of the right value",
                    given[i].readable(),
                    tolerance.readable()
                );
                self.wrong(if shape.is_empty() {
                    why.replacen("at ", "", 1)
                } else {
                    why
                })
            }
        })
    }

    /// Right when `judge` accepts the answer; its `Err` says what is off.
    /// `None` is "not done yet". For answers that are not numbers (a
    /// function, a word, a choice).
    pub fn check_with<T>(
        &self,
        answer: Option<T>,
        judge: impl FnOnce(&T) -> std::result::Result<(), String>,
    ) -> Verdict {
        match answer {
            None => self.not_done(),
            Some(answer) => match judge(&answer) {
                Ok(()) => self.right(),
                Err(why) => self.wrong(why),
            },
        }
    }

    fn not_done(&self) -> Verdict {
        Verdict {
            title: self.title.clone(),
            outcome: Outcome::NotDone,
        }
    }

    fn right(&self) -> Verdict {
        Verdict {
            title: self.title.clone(),
            outcome: Outcome::Right,
        }
    }

    fn wrong(&self, why: String) -> Verdict {
        Verdict {
            title: self.title.clone(),
            outcome: Outcome::Wrong {
                why,
                hint: self.hint.clone(),
            },
        }
    }
}

/// What a check found; shown in the notebook as a coloured line.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    title: String,
    outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    NotDone,
    Right,
    Wrong { why: String, hint: String },
}

impl Verdict {
    /// The answer is right.
    pub fn is_right(&self) -> bool {
        self.outcome == Outcome::Right
    }

    /// The answer is still empty (`None`).
    pub fn is_not_done(&self) -> bool {
        self.outcome == Outcome::NotDone
    }

    /// Shows the verdict (called by the kernel): HTML with a plain-text copy.
    pub fn evcxr_display(&self) {
        let (class, colour) = match self.outcome {
            Outcome::Right => ("right", "#1a7f37"),
            Outcome::Wrong { .. } => ("wrong", "#b35900"),
            Outcome::NotDone => ("not-done", "#57606a"),
        };
        let text = html_escape(&self.to_string());
        crate::display::emit(
            "text/html",
            &format!(
                "<div class=\"llm-math-verdict {class}\" style=\"color:{colour};font-weight:600\">{text}</div>"
            ),
        );
        crate::display::emit("text/plain", &self.to_string());
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let title = &self.title;
        match &self.outcome {
            Outcome::Right => write!(f, "✓ Exercise {title}: right."),
            Outcome::NotDone => write!(
                f,
                "… Exercise {title}: not done yet. Replace `None` with `Some(your answer)` and run the two cells."
            ),
            Outcome::Wrong { why, hint } if hint.is_empty() => {
                write!(f, "✗ Exercise {title}: not right yet: {why}.")
            }
            Outcome::Wrong { why, hint } => {
                write!(f, "✗ Exercise {title}: not right yet: {why}. Hint: {hint}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn an_empty_answer_is_not_done_not_a_crash() {
        let ex = exercise("2").hint("h");
        let verdict = ex.close_to(None::<f64>, 1.0, 1e-9).unwrap();
        assert!(verdict.is_not_done() && !verdict.is_right());
        assert!(verdict.to_string().contains("not done yet"), "{verdict}");
        assert!(ex.check_with(None::<&str>, |_| Ok(())).is_not_done());
    }

    #[test]
    fn right_within_the_tolerance_and_wrong_outside_it() {
        let ex = exercise("3").hint("add them");
        assert!(
            ex.close_to(Some(1.0 + 1e-10), 1.0, 1e-9)
                .unwrap()
                .is_right()
        );
        let wrong = ex.close_to(Some(1.1), 1.0, 1e-9).unwrap();
        assert!(!wrong.is_right() && !wrong.is_not_done());
        assert_eq!(
            wrong.to_string(),
            "✗ Exercise 3: not right yet: your answer is 1.1, not within 1.0e-9 of the right value. Hint: add them"
        );
    }

    #[test]
    fn arrays_compare_shape_then_entries() {
        let ex = exercise("4");
        let expected = array![[1.0, 2.0], [3.0, 4.0]];
        assert!(
            ex.close_to(Some(expected.clone()), &expected, 0.0)
                .unwrap()
                .is_right()
        );
        let transposed = ex.close_to(Some(expected.t()), &expected, 0.0).unwrap();
        assert!(transposed.to_string().contains("entry 1"), "{transposed}");
        let flat = ex
            .close_to(Some(vec![1.0, 2.0, 3.0, 4.0]), &expected, 0.0)
            .unwrap();
        assert!(
            flat.to_string()
                .contains("shape (4,), the right one is shape (2, 2)"),
            "{flat}"
        );
        assert!(
            ex.close_to(Some([1.0, 2.0]), vec![1.0, 2.0], 0.0)
                .unwrap()
                .is_right()
        );
    }

    #[test]
    fn a_nan_answer_is_wrong_never_right() {
        let ex = exercise("5");
        assert!(!ex.close_to(Some(f64::NAN), 1.0, 1e9).unwrap().is_right());
        assert!(
            !ex.close_to(Some(vec![f64::INFINITY]), vec![1.0], 1e9)
                .unwrap()
                .is_right()
        );
    }

    #[test]
    fn a_broken_check_is_an_error_naming_the_argument() {
        let ex = exercise("6");
        for tolerance in [-1.0, f64::NAN, f64::INFINITY] {
            let err = ex.close_to(Some(1.0), 1.0, tolerance).unwrap_err();
            assert!(err.to_string().contains("tolerance"), "{err}");
        }
        let err = ex.close_to(Some(1.0), f64::NAN, 0.1).unwrap_err();
        assert!(err.to_string().contains("expected"), "{err}");
    }

    #[test]
    fn generated_answers_and_tolerances_never_panic() {
        use rand::RngExt;
        let mut rng = crate::random::seeded_rng(11);
        let ex = exercise("8").hint("h");
        let specials = [f64::NAN, f64::INFINITY, -f64::INFINITY, -1.0, 0.0, 1e300];
        for _ in 0..2_000 {
            let pick = |rng: &mut crate::random::SeededRng| {
                if rng.random_range(0..4) == 0 { specials[rng.random_range(0..6)] } else { f64::from_bits(rng.random()) }
            };
            let (answer, expected, tolerance) = (pick(&mut rng), pick(&mut rng), pick(&mut rng));
            match ex.close_to(Some(answer), expected, tolerance) {
                Err(e) => assert!(!(tolerance.is_finite() && tolerance >= 0.0 && expected.is_finite()), "{e}"),
                Ok(v) => {
                    assert!(tolerance >= 0.0 && expected.is_finite());
                    assert_eq!(v.is_right(), (answer - expected).abs() <= tolerance, "{answer} {expected} {tolerance}");
                }
            }
            let n = rng.random_range(0..4);
            let values: Vec<f64> = (0..n).map(|_| pick(&mut rng)).collect();
            let _ = ex.close_to(Some(values.clone()), vec![1.0; rng.random_range(0..4)], 0.5);
        }
    }

    #[test]
    fn check_with_passes_the_judges_words_and_the_hint() {
        let ex = exercise("7").hint("think of the shape");
        let verdict = ex.check_with(Some((2, 3)), |&(r, c)| {
            if r * c == 6 {
                Err("rows and columns swapped".into())
            } else {
                Ok(())
            }
        });
        assert_eq!(
            verdict.to_string(),
            "✗ Exercise 7: not right yet: rows and columns swapped. Hint: think of the shape"
        );
        assert!(ex.check_with(Some(1), |_| Ok(())).is_right());
    }
}

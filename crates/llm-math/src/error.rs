//! The crate's one error type.
//!
//! Every mistake a learner can make in a notebook cell (a shape that does not
//! fit, an argument out of range, a file that cannot be written) comes back as
//! an [`Error`] whose message names what was wrong and the values involved, so
//! the cell can be fixed without reading this crate's source. In a notebook it
//! costs one `?`.


/// Everything that can go wrong in `llm-math`.
///
/// The variants carry data, not just a message, so tests (and curious
/// learners) can match on them.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
///
/// let err = dot(&[1.0, 2.0], &[1.0, 2.0, 3.0]).unwrap_err();
/// assert!(matches!(err, Error::ShapeMismatch { op: "dot", .. }));
/// assert_eq!(
///     err.to_string(),
///     "shape mismatch in dot: left is [2], right is [3] (both vectors need the same length)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two inputs whose shapes do not fit together, e.g. `(2, 3) · (2, 2)`.
    #[error("shape mismatch in {op}: left is {left:?}, right is {right:?} ({rule})")]
    ShapeMismatch {
        /// The operation that was attempted.
        op: &'static str,
        /// Shape of the first (left-hand) input.
        left: Vec<usize>,
        /// Shape of the second (right-hand) input.
        right: Vec<usize>,
        /// The rule the shapes break, in words.
        rule: &'static str,
    },
    /// One input whose shape is wrong for the operation, e.g. a non-square
    /// matrix given to an eigen-decomposition.
    #[error("bad shape in {op}: got {got:?}, expected {expected}")]
    BadShape {
        /// The operation that was attempted.
        op: &'static str,
        /// The shape that was passed.
        got: Vec<usize>,
        /// What the operation needs, in words.
        expected: &'static str,
    },
    /// An argument outside the values the operation accepts.
    #[error("invalid argument `{name}` = {value}: {why}")]
    InvalidArgument {
        /// The parameter's name, as in the function's signature.
        name: &'static str,
        /// The value that was passed, formatted.
        value: String,
        /// Why it is not allowed, and what would be.
        why: String,
    },
    /// A vector that should be a probability distribution but does not sum to
    /// 1 (within the stated tolerance).
    #[error(
        "not a probability distribution: the probabilities sum to {}, not 1 (tolerance {}); normalise them, e.g. with softmax",
        shown(.sum), shown(.tolerance)
    )]
    NotADistribution {
        /// What the entries add up to.
        sum: f64,
        /// How far from 1 the sum may be.
        tolerance: f64,
    },
    /// An input containing NaN or an infinity where a finite number is needed.
    #[error("{op} needs finite numbers, but its input contains {} at index {index:?}", shown(.value))]
    NonFinite {
        /// The operation that was attempted.
        op: &'static str,
        /// Where the first non-finite value sits.
        index: Vec<usize>,
        /// The value found there (NaN, inf or -inf).
        value: f64,
    },
    /// Finite input whose result is beyond the largest f64 (about 1.8e308),
    /// returned as an error rather than as an infinity or NaN that would
    /// look like an answer.
    #[error("{op}: the result at index {index:?} is beyond the largest f64 (the input is too large or too spread out); scale it down")]
    Overflow {
        /// The operation that was attempted.
        op: &'static str,
        /// Where the first such entry of the result sits.
        index: Vec<usize>,
    },
    /// A numerical routine that did not converge.
    #[error("{op} did not converge after {iterations} iterations")]
    NoConvergence {
        /// The routine that gave up.
        op: &'static str,
        /// How many iterations it ran.
        iterations: usize,
    },
    /// An error inside one layer of a network, naming the layer.
    #[error("layer {index} ({layer}) of the network: {error}")]
    InLayer {
        /// Position of the layer, from 0.
        index: usize,
        /// The layer's name, e.g. `Linear(2 → 16)`.
        layer: String,
        /// What went wrong in it.
        error: Box<Error>,
    },
    /// A figure that could not be drawn.
    #[error("cannot draw the figure: {0}")]
    Plot(String),
    /// A chart built against its own rules, e.g. a line added to a bar
    /// chart. The builder call that broke the rule is remembered and
    /// reported when the chart is drawn.
    #[error("chart \"{chart}\" cannot take the {layer} layer: {rule}")]
    ChartMisuse {
        /// The chart's title.
        chart: String,
        /// The layer that was refused, named by its builder method (`"bars"`, `"line"`, …).
        layer: &'static str,
        /// The rule it broke, in words.
        rule: &'static str,
    },
    /// A file that could not be written or read.
    #[error("cannot write {path}: {message}")]
    Io {
        /// The path involved.
        path: String,
        /// What the operating system said.
        message: String,
    },
    /// A file that could not be loaded: missing, truncated, not in the
    /// expected format, or holding tensors that do not fit the model.
    #[error("cannot load {path}: {problem}")]
    BadFile {
        /// The path involved.
        path: String,
        /// What is wrong with it, in words.
        problem: String,
    },
}

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::InvalidArgument`]; a float value is written
    /// readably (`1.0e-200`, not 200 digits).
    pub(crate) fn invalid(name: &'static str, value: impl ShownValue, why: impl Into<String>) -> Self {
        Error::InvalidArgument { name, value: value.shown(), why: why.into() }
    }
}

/// How a value is written in an error message: floats readably (6
/// significant digits, `1.0e-9` rather than `0.000000001`), everything else
/// as it displays.
pub(crate) trait ShownValue {
    fn shown(&self) -> String;
}

impl ShownValue for f64 {
    fn shown(&self) -> String {
        shown(self)
    }
}

macro_rules! shown_as_display {
    ($($t:ty),*) => {$(
        impl ShownValue for $t {
            fn shown(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
shown_as_display!(usize, u64, u32, i64, i32, bool, str, String);

impl<T: ShownValue + ?Sized> ShownValue for &T {
    fn shown(&self) -> String {
        (**self).shown()
    }
}

/// A float as error messages write it.
fn shown(value: &f64) -> String {
    crate::display::Readable::readable(value)
}

/// Returns [`Error::ShapeMismatch`] unless two vectors have the same length
/// (`left` and `right` are their lengths; `rule` says why they must match).
pub(crate) fn check_same_len(op: &'static str, left: usize, right: usize, rule: &'static str) -> Result<()> {
    if left == right { Ok(()) } else { Err(Error::ShapeMismatch { op, left: vec![left], right: vec![right], rule }) }
}

/// Returns [`Error::NonFinite`] for the first NaN or infinity in `values`.
pub(crate) fn check_finite<'a, D: ndarray::Dimension>(
    op: &'static str,
    values: &ndarray::ArrayView<'a, f64, D>,
) -> Result<()> {
    // Fast path, vectorised: v − v is 0 for a finite v and NaN for ±∞ or NaN,
    // so these sums are all 0 exactly when every value is finite.
    let all_finite = match values.as_slice_memory_order() {
        Some(values) => {
            #[allow(clippy::eq_op)] // v − v on purpose: 0 or NaN
            let (lanes, rest) = crate::fastmath::fold8(values, 0.0, |acc, v| acc + (v - v));
            lanes.iter().all(|&lane| lane == 0.0) && rest.iter().all(|v| v.is_finite())
        }
        None => values.iter().all(|v| v.is_finite()),
    };
    if all_finite {
        return Ok(());
    }
    // Slow path: find the first offender and its index for the message.
    match values.indexed_iter().find(|(_, v)| !v.is_finite()) {
        Some((index, &value)) => Err(Error::NonFinite {
            op,
            index: ndarray::IntoDimension::into_dimension(index).slice().to_vec(),
            value,
        }),
        None => Ok(()),
    }
}

/// Returns [`Error::Overflow`] for the first NaN or infinity in a result
/// computed from finite input.
pub(crate) fn check_result<'a, D: ndarray::Dimension>(
    op: &'static str,
    values: &ndarray::ArrayView<'a, f64, D>,
) -> Result<()> {
    match check_finite(op, values) {
        Err(Error::NonFinite { op, index, .. }) => Err(Error::Overflow { op, index }),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_in_messages_are_written_readably_not_digit_by_digit() {
        // `{}` on 1e-200 writes 200 zeros and a 1.
        assert_eq!(Error::invalid("x", 1e-200, "why").to_string(), "invalid argument `x` = 1.0e-200: why");
        assert_eq!(Error::invalid("x", 0.1 + 0.2, "why").to_string(), "invalid argument `x` = 0.3: why");
        let message = crate::optim::Sgd::new(-1e-200).unwrap_err().to_string();
        assert!(message.starts_with("invalid argument `lr` = -1.0e-200: ") && message.len() < 120, "{message}");
    }
}

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

/// Returns [`Error::ShapeMismatch`] unless two shapes are the same (`left`
/// and `right` go into the message as they are; `rule` says why they must
/// match).
pub(crate) fn check_same_shape(op: &'static str, left: &[usize], right: &[usize], rule: &'static str) -> Result<()> {
    if left == right { Ok(()) } else { Err(Error::ShapeMismatch { op, left: left.to_vec(), right: right.to_vec(), rule }) }
}

/// How many rows [`check_cols`] asks of a matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rows {
    /// Any number, 0 too.
    Any,
    /// At least one (a batch with no example in it is refused).
    AtLeastOne,
}

/// Returns [`Error::ShapeMismatch`] unless the matrix `x` has `cols` columns
/// (and, with [`Rows::AtLeastOne`], a row): the message gives `x`'s shape as
/// the left and `right`, the shape of what `x` must fit, as the right;
/// `rule` says what fits.
pub(crate) fn check_cols<S: ndarray::RawData>(
    op: &'static str,
    x: &ndarray::ArrayBase<S, ndarray::Ix2>,
    rows: Rows,
    cols: usize,
    right: &[usize],
    rule: &'static str,
) -> Result<()> {
    if x.ncols() == cols && (rows == Rows::Any || x.nrows() > 0) {
        Ok(())
    } else {
        Err(Error::ShapeMismatch { op, left: x.shape().to_vec(), right: right.to_vec(), rule })
    }
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

    #[test]
    fn check_cols_names_both_shapes_and_asks_for_a_row_only_when_told() {
        let empty = ndarray::Array2::<f64>::zeros((0, 3));
        assert_eq!(check_cols("op", &empty, Rows::Any, 3, &[3], "why"), Ok(()));
        assert_eq!(
            check_cols("op", &empty.view(), Rows::AtLeastOne, 3, &[3], "why"),
            Err(Error::ShapeMismatch { op: "op", left: vec![0, 3], right: vec![3], rule: "why" })
        );
        let x = ndarray::Array2::<f64>::zeros((2, 4));
        assert_eq!(check_cols("op", &x, Rows::AtLeastOne, 4, &[4, 5], "why"), Ok(()));
        assert_eq!(
            check_cols("op", &x, Rows::Any, 3, &[3, 5], "why").unwrap_err().to_string(),
            "shape mismatch in op: left is [2, 4], right is [3, 5] (why)"
        );
        assert_eq!(check_same_shape("op", &[2, 3], &[2, 3], "why"), Ok(()));
        assert_eq!(
            check_same_shape("op", &[2, 3], &[3, 2], "why"),
            Err(Error::ShapeMismatch { op: "op", left: vec![2, 3], right: vec![3, 2], rule: "why" })
        );
    }

    /// The full message of every place that checks a shape with
    /// `check_cols` or `check_same_shape`, as it was before they shared
    /// those helpers: learners' cells and notebooks' expected outputs show
    /// these texts.
    #[test]
    fn shape_messages_of_the_shared_checks_stay_the_same() {
        use crate::attention::{MultiHeadAttention, concat_heads, scaled_dot_product_attention};
        use crate::nn::{Layer, Linear};
        use crate::random::seeded_rng;
        use crate::transformer::{Embedding, LayerNorm, PositionalEncoding, Residual, RmsNorm, SelfAttention};
        use ndarray::{Array1, Array2};
        let z = |r: usize, c: usize| Array2::<f64>::zeros((r, c));
        let message = |r: Result<Array2<f64>>| r.unwrap_err().to_string();
        let ln = LayerNorm::new(3).unwrap();
        assert_eq!(message(ln.predict(&z(2, 4))), "shape mismatch in LayerNorm.forward: left is [2, 4], right is [3] (X (left) needs at least one row and one column per entry of γ (right): (T, d_model))");
        assert_eq!(message(ln.predict(&z(0, 3))), "shape mismatch in LayerNorm.forward: left is [0, 3], right is [3] (X (left) needs at least one row and one column per entry of γ (right): (T, d_model))");
        assert_eq!(message(RmsNorm::new(3).unwrap().predict(&z(0, 3))), "shape mismatch in RmsNorm.forward: left is [0, 3], right is [3] (X (left) needs at least one row and one column per entry of γ (right): (T, d_model))");
        let pe = PositionalEncoding::sinusoidal(4, 2).unwrap();
        assert_eq!(message(pe.predict(&z(3, 3))), "shape mismatch in PositionalEncoding.forward: left is [3, 3], right is [4, 2] (X (T, d_model) needs at least one row and the table's d_model columns)");
        assert_eq!(message(pe.predict(&z(0, 2))), "shape mismatch in PositionalEncoding.forward: left is [0, 2], right is [4, 2] (X (T, d_model) needs at least one row and the table's d_model columns)");
        let attn = SelfAttention::init(&mut seeded_rng(0), 4, 2, true).unwrap();
        assert_eq!(message(attn.predict(&z(0, 4))), "shape mismatch in SelfAttention.forward: left is [0, 4], right is [4, 4] (X (left) needs at least one row (token) and d_model columns, one per row of W_Q (right))");
        assert_eq!(message(attn.predict(&z(2, 3))), "shape mismatch in SelfAttention.forward: left is [2, 3], right is [4, 4] (X (left) needs at least one row (token) and d_model columns, one per row of W_Q (right))");
        let emb = Embedding::new(z(5, 2) + 1.0).unwrap();
        assert_eq!(message(emb.predict_logits(&z(1, 3))), "shape mismatch in Embedding.forward_logits: left is [1, 3], right is [5, 2] (H·Eᵀ needs at least one row in H and H's columns equal to the table's (d_model))");
        assert_eq!(message(emb.predict_logits(&z(0, 2))), "shape mismatch in Embedding.forward_logits: left is [0, 2], right is [5, 2] (H·Eᵀ needs at least one row in H and H's columns equal to the table's (d_model))");
        assert_eq!(Linear::new(z(2, 3), Array1::zeros(2)).unwrap_err().to_string(), "shape mismatch in Linear::new: left is [2, 3], right is [2] (the bias needs one entry per column of W (d_out))");
        let mut linear = Linear::new(z(2, 3), Array1::zeros(3)).unwrap();
        assert_eq!(message(linear.predict(&z(0, 2))), "shape mismatch in Linear.forward: left is [0, 2], right is [2, 3] (X·W needs at least one row in X and X's columns equal to W's rows (d_in))");
        assert_eq!(message(linear.predict(&z(1, 3))), "shape mismatch in Linear.forward: left is [1, 3], right is [2, 3] (X·W needs at least one row in X and X's columns equal to W's rows (d_in))");
        linear.forward(&z(1, 2)).unwrap();
        assert_eq!(message(linear.backward(&z(1, 2))), "shape mismatch in Linear.backward: left is [1, 2], right is [1, 3] (grad_output must have the shape of the layer's last output)");
        assert_eq!(message(crate::linalg::matmul(&z(2, 3), &z(2, 2))), "shape mismatch in matmul: left is [2, 3], right is [2, 2] ((m×n)·(n×p): the left's columns must equal the right's rows)");
        assert_eq!(scaled_dot_product_attention(&z(2, 3), &z(2, 2), &z(2, 2), None).unwrap_err().to_string(), "shape mismatch in attention: Q·Kᵀ: left is [2, 3], right is [2, 2] (Q (left) and K (right) need the same number of columns, d_k)");
        let mut mha = MultiHeadAttention::random(&mut seeded_rng(0), 4, 2).unwrap();
        assert_eq!(mha.forward(&z(2, 3), None).unwrap_err().to_string(), "shape mismatch in multi-head attention: X·W_Q: left is [2, 3], right is [4, 4] (X (left) needs d_model columns, one per row of W_Q (right))");
        assert_eq!(MultiHeadAttention::new(z(4, 4), z(4, 4), z(4, 3), z(4, 4), 2).unwrap_err().to_string(), "shape mismatch in MultiHeadAttention::new: left is [4, 4], right is [4, 3] (W_K, W_V and W_O (right) need the shape of W_Q (left): (d_model, d_model))");
        mha.w_v = z(3, 3);
        assert_eq!(mha.forward(&z(2, 4), None).unwrap_err().to_string(), "shape mismatch in multi-head attention: a replaced weight matrix: left is [3, 3], right is [4, 4] (every weight matrix (left) must be (d_model, d_model), d_model taken from W_Q (right))");
        assert_eq!(concat_heads(&[z(2, 2), z(2, 2), z(2, 3)]).unwrap_err().to_string(), "shape mismatch in concat_heads: left is [2, 2], right is [2, 3] (every head's output needs the same shape (T, d_head))");
        let residual = Residual::new(Linear::new(z(2, 3), Array1::zeros(3)).unwrap());
        assert_eq!(message(residual.predict(&z(1, 2))), "shape mismatch in Residual.forward: left is [1, 2], right is [1, 3] (X + f(X) needs a layer f that keeps the shape of its input (T, d_model))");
    }
}

//! Attention: scaled dot-product attention, masks, and multi-head attention.
//!
//! Taught in `notebooks/05-attention.ipynb`.
//!
//! Every token asks a question (its **query**), every token offers a
//! description of itself (its **key**) and some content (its **value**). A
//! query's dot product with each key says how relevant that token is; softmax
//! turns the relevances into weights; the output is the weighted average of
//! the values:
//!
//! ```text
//! Attention(Q, K, V) = softmax(Q·Kᵀ / √d_k) · V
//! Q: (T, d_k)   K: (S, d_k)   V: (S, d_v)   ->   weights: (T, S), output: (T, d_v)
//! ```
//!
//! `T` queries attend over `S` keys (in self-attention both are the sequence,
//! `T = S = seq_len`). The order here follows the notebook:
//! [`scaled_dot_product_attention`] with an optional [`Mask`] (the causal
//! mask hides the future), then [`MultiHeadAttention`], which splits
//! `d_model` into `n_heads` heads of `d_head = d_model / n_heads` columns
//! ([`split_heads`]), attends in each, and joins them again
//! ([`concat_heads`]) before an output projection.
//!
//! Rows are tokens (the row-vector convention of [`linalg`](crate::linalg)):
//! projections are `X·W`.

use ndarray::{Array1, Array2, ArrayView2, AsArray, Axis, Ix2, s};
use rand::Rng;

use crate::error::{Error, Result, Rows, check_cols, check_finite, check_same_shape};
use crate::probability::softmax_in_place;
use crate::random::randn;

// ---------------------------------------------------------------------------
// Masks
// ---------------------------------------------------------------------------

/// Which keys each query may attend to.
///
/// A masked (query, key) pair gets weight exactly 0: its score is left out
/// of the softmax, which is what frameworks do by setting it to `-inf`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// // The causal mask: token i sees tokens 0..=i, never a later one.
/// assert_eq!(Mask::Causal.allowed(3, 3)?, array![[true, false, false], [true, true, false], [true, true, true]]);
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Mask {
    /// Query `i` may attend to key `j` only if `j ≤ i`: no peeking at later
    /// tokens. (For `T ≠ S` this is aligned at the top-left, as PyTorch's
    /// `is_causal` does.)
    Causal,
    /// An explicit `(T, S)` matrix: `true` where the query (row) may attend
    /// to the key (column).
    Allowed(Array2<bool>),
}

impl Mask {
    /// The mask as a `(t, s)` boolean matrix, `true` = may attend.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if an [`Allowed`](Mask::Allowed) matrix is not
    /// `(t, s)`.
    pub fn allowed(&self, t: usize, s: usize) -> Result<Array2<bool>> {
        match self {
            Mask::Causal => Ok(Array2::from_shape_fn((t, s), |(i, j)| j <= i)),
            Mask::Allowed(m) if m.dim() == (t, s) => Ok(m.clone()),
            Mask::Allowed(m) => Err(Error::ShapeMismatch {
                op: "attention mask",
                left: m.shape().to_vec(),
                right: vec![t, s],
                rule: "the mask (left) needs one row per query and one column per key: (T, S) (right)",
            }),
        }
    }
}

// ---------------------------------------------------------------------------
// Scaled dot-product attention
// ---------------------------------------------------------------------------

/// What [`scaled_dot_product_attention`] computes, step by step.
#[derive(Debug, Clone, PartialEq)]
pub struct Attention {
    /// The scaled scores `Q·Kᵀ / √d_k`, before any mask. Shape `(T, S)`.
    pub scores: Array2<f64>,
    /// The attention weights: each row is a softmax over the keys the query
    /// may see (masked keys get exactly 0); every row sums to 1. Shape `(T, S)`.
    pub weights: Array2<f64>,
    /// `weights · V`: for each query, the weighted average of the values.
    /// Shape `(T, d_v)`.
    pub output: Array2<f64>,
}

/// Scaled dot-product attention, returning the scores, the weights and the
/// output.
///
/// ```text
/// scores  = Q·Kᵀ / √d_k                                  (T, S)
/// weights = softmax over each row (masked entries → 0)   (T, S)
/// output  = weights · V                                  (T, d_v)
/// ```
///
/// Dividing by `√d_k` keeps the scores' variance near 1 whatever `d_k` is:
/// a dot product of `d_k` independent unit-variance terms has variance `d_k`,
/// and large scores would push softmax towards a one-hot choice with
/// vanishing gradients.
///
/// Shapes: `q: (T, d_k)`, `k: (S, d_k)`, `v: (S, d_v)`, mask `(T, S)`.
///
/// # Errors
/// [`Error::BadShape`] if any input has no rows or no columns;
/// [`Error::ShapeMismatch`] if `q` and `k` differ in `d_k`, if `v` does not
/// have one row per key, or if the mask is not `(T, S)`;
/// [`Error::InvalidArgument`] if the mask leaves a query with no key to
/// attend to; [`Error::NonFinite`] for NaN or infinite inputs.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// // Two keys; the query matches the first much better.
/// let q = array![[4.0, 0.0]];
/// let k = array![[4.0, 0.0], [0.0, 4.0]];
/// let v = array![[1.0, 10.0], [-1.0, 20.0]];
/// let att = scaled_dot_product_attention(&q, &k, &v, None)?;
/// assert_eq!(att.scores, array![[16.0 / 2f64.sqrt(), 0.0]]); // (4·4 + 0·0) / √2
/// assert!(att.weights[[0, 0]] > 0.9999);                    // 1 / (1 + e^(−16/√2))
/// assert!((att.weights.sum() - 1.0).abs() < 1e-12);
/// assert!((&att.output - &array![[1.0, 10.0]]).iter().all(|d| d.abs() < 1e-3)); // ≈ the first value
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn scaled_dot_product_attention<'a, 'b, 'c>(
    q: impl AsArray<'a, f64, Ix2>,
    k: impl AsArray<'b, f64, Ix2>,
    v: impl AsArray<'c, f64, Ix2>,
    mask: Option<&Mask>,
) -> Result<Attention> {
    let (q, k, v) = (q.into(), k.into(), v.into());
    for (m, expected) in [
        (&q, "Q with at least one row and one column: (T, d_k)"),
        (&k, "K with at least one row and one column: (S, d_k)"),
        (&v, "V with at least one row and one column: (S, d_v)"),
    ] {
        if m.is_empty() {
            return Err(Error::BadShape { op: "attention", got: m.shape().to_vec(), expected });
        }
    }
    check_cols("attention: Q·Kᵀ", &q, Rows::Any, k.ncols(), k.shape(), "Q (left) and K (right) need the same number of columns, d_k")?;
    if v.nrows() != k.nrows() {
        return Err(Error::ShapeMismatch {
            op: "attention: weights·V",
            left: k.shape().to_vec(),
            right: v.shape().to_vec(),
            rule: "V (right) needs one row per key in K (left): S rows",
        });
    }
    check_finite("attention (Q)", &q)?;
    check_finite("attention (K)", &k)?;
    check_finite("attention (V)", &v)?;
    let allowed = mask.map(|m| m.allowed(q.nrows(), k.nrows())).transpose()?;

    let d_k = q.ncols() as f64;
    let scores = q.dot(&k.t()) / d_k.sqrt(); // (T, d_k)·(d_k, S) -> (T, S)
    // Finite Q and K can still give infinite scores (entries near 1e154 and
    // up); softmax would turn them into NaN weights.
    check_finite("attention scores Q·Kᵀ/√d_k (too large for an f64: scale Q and K down)", &scores.view())?;
    let weights = masked_softmax_rows(&scores.view(), allowed.as_ref())?; // (T, S)
    let output = weights.dot(&v); // (T, S)·(S, d_v) -> (T, d_v)
    Ok(Attention { scores, weights, output })
}

/// Softmax of each row over the allowed entries (the stable softmax of
/// [`probability`](crate::probability)); masked entries get 0.
fn masked_softmax_rows(scores: &ArrayView2<f64>, allowed: Option<&Array2<bool>>) -> Result<Array2<f64>> {
    let Some(allowed) = allowed else {
        // No mask: every row is an ordinary softmax, done in place.
        let mut weights = scores.to_owned(); // (T, S)
        for mut row in weights.outer_iter_mut() {
            softmax_in_place(&mut row, 1.0); // (S,) -> (S,)
        }
        return Ok(weights);
    };
    let mut weights = Array2::zeros(scores.raw_dim()); // (T, S)
    for (i, (row, mut out)) in scores.outer_iter().zip(weights.outer_iter_mut()).enumerate() {
        let keys: Vec<usize> = (0..row.len()).filter(|&j| allowed[[i, j]]).collect();
        if keys.is_empty() {
            return Err(Error::invalid(
                "mask",
                format!("row {i} all false"),
                format!("query {i} may attend to no key, so its weights cannot sum to 1; allow at least one key in every row"),
            ));
        }
        let mut visible: Array1<f64> = keys.iter().map(|&j| row[j]).collect(); // (allowed keys,)
        softmax_in_place(&mut visible.view_mut(), 1.0);
        for (&j, &w) in keys.iter().zip(&visible) {
            out[j] = w;
        }
    }
    Ok(weights)
}

// ---------------------------------------------------------------------------
// Multi-head attention
// ---------------------------------------------------------------------------

/// Splits the columns of `x` into `n_heads` equal blocks, one per head.
///
/// Shapes: `x: (T, d_model)` → `n_heads × (T, d_head)`,
/// `d_head = d_model / n_heads`.
///
/// # Errors
/// [`Error::InvalidArgument`] if `n_heads` is 0 or does not divide `d_model`
/// (the message names both numbers).
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let x = array![[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]; // (2, 4)
/// let heads = split_heads(&x, 2)?;                            // 2 × (2, 2)
/// assert_eq!(heads[1], array![[3.0, 4.0], [7.0, 8.0]]);
/// assert_eq!(concat_heads(&heads)?, x);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn split_heads<'a>(x: impl AsArray<'a, f64, Ix2>, n_heads: usize) -> Result<Vec<Array2<f64>>> {
    let x = x.into();
    let d_head = head_size(x.ncols(), n_heads)?;
    Ok((0..n_heads).map(|h| x.slice(s![.., h * d_head..(h + 1) * d_head]).to_owned()).collect()) // (T, d_head) each
}

/// Joins per-head outputs side by side, the inverse of [`split_heads`].
///
/// Shapes: `n_heads × (T, d_head)` → `(T, n_heads·d_head)`.
///
/// # Errors
/// [`Error::BadShape`] for an empty list; [`Error::ShapeMismatch`] if the
/// heads differ in shape.
pub fn concat_heads(heads: &[Array2<f64>]) -> Result<Array2<f64>> {
    let first = heads.first().ok_or(Error::BadShape { op: "concat_heads", got: vec![0], expected: "at least one head" })?;
    for other in heads {
        check_same_shape("concat_heads", first.shape(), other.shape(), "every head's output needs the same shape (T, d_head)")?;
    }
    let views: Vec<_> = heads.iter().map(|h| h.view()).collect();
    Ok(ndarray::concatenate(Axis(1), &views).expect("shapes checked above")) // (T, n_heads·d_head)
}

/// Multi-head self-attention: project, split into heads, attend in each head,
/// concatenate, project again.
///
/// ```text
/// Q = X·W_Q,  K = X·W_K,  V = X·W_V                 (T, d_model) each
/// Q_h, K_h, V_h = columns h·d_head .. (h+1)·d_head  (T, d_head)  for h = 0..n_heads
/// head_h = Attention(Q_h, K_h, V_h)                 (T, d_head)
/// output = [head_0 … head_{n_heads−1}] · W_O        (T, d_model)
/// ```
///
/// Each head sees its own `d_head`-dimensional slice of the projections, so
/// heads can learn to look for different things (one the previous token, one
/// the subject of the sentence, …) at the same total cost as one big head.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiHeadAttention {
    /// Query projection, `(d_model, d_model)`.
    pub w_q: Array2<f64>,
    /// Key projection, `(d_model, d_model)`.
    pub w_k: Array2<f64>,
    /// Value projection, `(d_model, d_model)`.
    pub w_v: Array2<f64>,
    /// Output projection, `(d_model, d_model)`.
    pub w_o: Array2<f64>,
    n_heads: usize,
}

/// Every intermediate of [`MultiHeadAttention::forward`], for inspection.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiHeadOutput {
    /// `X·W_Q`, `(T, d_model)`.
    pub q: Array2<f64>,
    /// `X·W_K`, `(T, d_model)`.
    pub k: Array2<f64>,
    /// `X·W_V`, `(T, d_model)`.
    pub v: Array2<f64>,
    /// Each head's attention (scores and weights `(T, T)`, output `(T, d_head)`).
    pub heads: Vec<Attention>,
    /// The heads' outputs side by side, `(T, d_model)`.
    pub concat: Array2<f64>,
    /// `concat · W_O`, `(T, d_model)`: the layer's output.
    pub output: Array2<f64>,
}

impl MultiHeadAttention {
    /// A layer from its four `(d_model, d_model)` projection matrices.
    ///
    /// # Errors
    /// [`Error::BadShape`] if `w_q` is not square and non-empty;
    /// [`Error::ShapeMismatch`] if another matrix differs from `w_q` in
    /// shape; [`Error::InvalidArgument`] if `n_heads` is 0 or does not divide
    /// `d_model`.
    pub fn new(w_q: Array2<f64>, w_k: Array2<f64>, w_v: Array2<f64>, w_o: Array2<f64>, n_heads: usize) -> Result<Self> {
        if w_q.is_empty() || !w_q.is_square() {
            return Err(Error::BadShape {
                op: "MultiHeadAttention::new",
                got: w_q.shape().to_vec(),
                expected: "W_Q square and non-empty: (d_model, d_model)",
            });
        }
        for w in [&w_k, &w_v, &w_o] {
            check_same_shape("MultiHeadAttention::new", w_q.shape(), w.shape(), "W_K, W_V and W_O (right) need the shape of W_Q (left): (d_model, d_model)")?;
        }
        for (op, w) in [
            ("MultiHeadAttention::new (W_Q)", &w_q),
            ("MultiHeadAttention::new (W_K)", &w_k),
            ("MultiHeadAttention::new (W_V)", &w_v),
            ("MultiHeadAttention::new (W_O)", &w_o),
        ] {
            check_finite(op, &w.view())?;
        }
        head_size(w_q.nrows(), n_heads)?;
        Ok(MultiHeadAttention { w_q, w_k, w_v, w_o, n_heads })
    }

    /// A layer with random projections, entries `N(0, 1/d_model)` (so that
    /// `X·W` keeps the scale of `X`), from a seeded generator.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `d_model` is 0, or `n_heads` is 0 or
    /// does not divide `d_model`.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let mha = MultiHeadAttention::random(&mut seeded_rng(0), 8, 2)?;
    /// assert_eq!((mha.d_model(), mha.n_heads(), mha.d_head()), (8, 2, 4));
    /// let err = MultiHeadAttention::random(&mut seeded_rng(0), 10, 3).unwrap_err();
    /// assert!(err.to_string().contains("d_model = 10") && err.to_string().contains("`n_heads` = 3"));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn random<R: Rng + ?Sized>(rng: &mut R, d_model: usize, n_heads: usize) -> Result<Self> {
        if d_model == 0 {
            return Err(Error::invalid("d_model", d_model, "a model needs at least one dimension"));
        }
        head_size(d_model, n_heads)?;
        let scale = 1.0 / (d_model as f64).sqrt();
        let mut w = || randn(rng, (d_model, d_model)) * scale; // (d_model, d_model)
        let (w_q, w_k, w_v, w_o) = (w(), w(), w(), w());
        MultiHeadAttention::new(w_q, w_k, w_v, w_o, n_heads)
    }

    /// The model width, `d_model`.
    pub fn d_model(&self) -> usize {
        self.w_q.nrows()
    }

    /// The number of heads.
    pub fn n_heads(&self) -> usize {
        self.n_heads
    }

    /// Columns per head, `d_head = d_model / n_heads`.
    pub fn d_head(&self) -> usize {
        self.d_model() / self.n_heads
    }

    /// The weights are public, so a learner may replace one: each must still
    /// be `(d_model, d_model)` and finite, checked here where they are used.
    fn check_weights(&self) -> Result<()> {
        let d = self.d_model();
        let weights = [
            ("multi-head attention (W_Q)", &self.w_q),
            ("multi-head attention (W_K)", &self.w_k),
            ("multi-head attention (W_V)", &self.w_v),
            ("multi-head attention (W_O)", &self.w_o),
        ];
        for (name, w) in weights {
            check_same_shape("multi-head attention: a replaced weight matrix", w.shape(), &[d, d], "every weight matrix (left) must be (d_model, d_model), d_model taken from W_Q (right)")?;
            check_finite(name, &w.view())?;
        }
        if !d.is_multiple_of(self.n_heads) {
            return Err(Error::invalid("n_heads", self.n_heads, format!("d_model = {d} must split evenly into the heads")));
        }
        Ok(())
    }

    /// Runs the layer on `x`, one token per row, keeping every intermediate.
    ///
    /// Shapes: `x: (T, d_model)` → `output: (T, d_model)`; the mask, if any,
    /// is `(T, T)` and applies to every head.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `x` does not have `d_model` columns;
    /// [`Error::BadShape`] if it has no rows; [`Error::NonFinite`] for NaN or
    /// infinite entries; the mask errors of
    /// [`scaled_dot_product_attention`].
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let mha = MultiHeadAttention::random(&mut seeded_rng(0), 8, 2)?;
    /// let x = randn(&mut seeded_rng(1), (5, 8));                 // 5 tokens, d_model = 8
    /// let out = mha.forward(&x, Some(&Mask::Causal))?;
    /// assert_eq!(out.output.dim(), (5, 8));
    /// assert_eq!((out.heads.len(), out.heads[0].weights.dim(), out.heads[0].output.dim()), (2, (5, 5), (5, 4)));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn forward<'a>(&self, x: impl AsArray<'a, f64, Ix2>, mask: Option<&Mask>) -> Result<MultiHeadOutput> {
        let x = x.into();
        check_cols("multi-head attention: X·W_Q", &x, Rows::Any, self.d_model(), self.w_q.shape(), "X (left) needs d_model columns, one per row of W_Q (right)")?;
        if x.nrows() == 0 {
            return Err(Error::BadShape { op: "multi-head attention", got: x.shape().to_vec(), expected: "at least one token (row)" });
        }
        check_finite("multi-head attention (X)", &x)?;
        self.check_weights()?;
        let q = x.dot(&self.w_q); // (T, d_model)·(d_model, d_model) -> (T, d_model)
        let k = x.dot(&self.w_k); // (T, d_model)
        let v = x.dot(&self.w_v); // (T, d_model)
        let (q_heads, k_heads, v_heads) =
            (split_heads(&q, self.n_heads)?, split_heads(&k, self.n_heads)?, split_heads(&v, self.n_heads)?); // n_heads × (T, d_head)
        let heads = (0..self.n_heads)
            .map(|h| scaled_dot_product_attention(&q_heads[h], &k_heads[h], &v_heads[h], mask)) // (T, d_head) each
            .collect::<Result<Vec<_>>>()?;
        let outputs: Vec<Array2<f64>> = heads.iter().map(|a| a.output.clone()).collect();
        let concat = concat_heads(&outputs)?; // n_heads × (T, d_head) -> (T, d_model)
        let output = concat.dot(&self.w_o); // (T, d_model)·(d_model, d_model) -> (T, d_model)
        Ok(MultiHeadOutput { q, k, v, heads, concat, output })
    }
}

/// `d_model / n_heads`, or an error naming both numbers.
pub(crate) fn head_size(d_model: usize, n_heads: usize) -> Result<usize> {
    if n_heads == 0 {
        return Err(Error::invalid("n_heads", n_heads, "attention needs at least one head"));
    }
    if n_heads > d_model {
        return Err(Error::invalid(
            "n_heads",
            n_heads,
            format!("each head needs at least one of the d_model = {d_model} columns, so at most {d_model} heads"),
        ));
    }
    if !d_model.is_multiple_of(n_heads) {
        return Err(Error::invalid(
            "n_heads",
            n_heads,
            format!(
                "d_model = {d_model} must be divisible by the number of heads ({d_model} / {n_heads} is not whole); \
                 try n_heads = {}",
                divisors_near(d_model, n_heads)
            ),
        ));
    }
    Ok(d_model / n_heads)
}

/// The divisor of `d_model` closest to `n_heads` (for the error message).
fn divisors_near(d_model: usize, n_heads: usize) -> usize {
    (1..=d_model).filter(|&h| d_model.is_multiple_of(h)).min_by_key(|h| h.abs_diff(n_heads)).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::seeded_rng;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    /// Attention written out with loops and explicit exponentials, as an
    /// independent route to the same numbers (masked pairs skipped).
    fn naive(q: &Array2<f64>, k: &Array2<f64>, v: &Array2<f64>, allowed: &dyn Fn(usize, usize) -> bool) -> (Array2<f64>, Array2<f64>) {
        let (t, s, d_k, d_v) = (q.nrows(), k.nrows(), q.ncols(), v.ncols());
        let mut weights = Array2::zeros((t, s));
        let mut out = Array2::zeros((t, d_v));
        for i in 0..t {
            let mut raw = vec![0.0; s];
            for j in 0..s {
                if allowed(i, j) {
                    let dot: f64 = (0..d_k).map(|c| q[[i, c]] * k[[j, c]]).sum();
                    raw[j] = (dot / (d_k as f64).sqrt()).exp();
                }
            }
            let total: f64 = raw.iter().sum();
            for j in 0..s {
                weights[[i, j]] = raw[j] / total;
                for c in 0..d_v {
                    out[[i, c]] += weights[[i, j]] * v[[j, c]];
                }
            }
        }
        (weights, out)
    }

    fn example() -> (Array2<f64>, Array2<f64>, Array2<f64>) {
        let mut rng = seeded_rng(5);
        (randn(&mut rng, (4, 3)), randn(&mut rng, (6, 3)), randn(&mut rng, (6, 2)))
    }

    #[test]
    fn matches_a_loop_implementation_without_and_with_masks() {
        let (q, k, v) = example();
        let att = scaled_dot_product_attention(&q, &k, &v, None).unwrap();
        let (w, out) = naive(&q, &k, &v, &|_, _| true);
        assert_abs_diff_eq!(att.weights, w, epsilon = 1e-12);
        assert_abs_diff_eq!(att.output, out, epsilon = 1e-12);
        assert_abs_diff_eq!(att.scores, q.dot(&k.t()) / 3f64.sqrt(), epsilon = 1e-12);

        let causal = scaled_dot_product_attention(&q, &k, &v, Some(&Mask::Causal)).unwrap();
        let (w, out) = naive(&q, &k, &v, &|i, j| j <= i);
        assert_abs_diff_eq!(causal.weights, w, epsilon = 1e-12);
        assert_abs_diff_eq!(causal.output, out, epsilon = 1e-12);

        let pattern = Array2::from_shape_fn((4, 6), |(i, j)| (i + j) % 3 != 1);
        let custom = scaled_dot_product_attention(&q, &k, &v, Some(&Mask::Allowed(pattern.clone()))).unwrap();
        let (w, out) = naive(&q, &k, &v, &|i, j| pattern[[i, j]]);
        assert_abs_diff_eq!(custom.weights, w, epsilon = 1e-12);
        assert_abs_diff_eq!(custom.output, out, epsilon = 1e-12);
    }

    #[test]
    fn rows_sum_to_one_and_masked_weights_are_exactly_zero() {
        let (q, k, v) = example();
        let att = scaled_dot_product_attention(&q, &k, &v, Some(&Mask::Causal)).unwrap();
        for row in att.weights.rows() {
            assert_abs_diff_eq!(row.sum(), 1.0, epsilon = 1e-12);
        }
        for ((i, j), &w) in att.weights.indexed_iter() {
            if j > i {
                assert_eq!(w, 0.0, "query {i} sees the future key {j}");
            }
        }
        // The first token can only see itself: its output is its own value.
        assert_abs_diff_eq!(att.output.row(0), v.row(0), epsilon = 1e-15);
    }

    #[test]
    fn identical_keys_give_uniform_weights_and_the_mean_value() {
        let q = array![[1.0, -2.0], [0.3, 0.7]];
        let k = array![[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]];
        let v = array![[1.0, 0.0], [2.0, 3.0], [6.0, -3.0]];
        let att = scaled_dot_product_attention(&q, &k, &v, None).unwrap();
        assert_abs_diff_eq!(att.weights, Array2::from_elem((2, 3), 1.0 / 3.0), epsilon = 1e-15);
        assert_abs_diff_eq!(att.output.row(1), array![3.0, 0.0], epsilon = 1e-14);
    }

    #[test]
    fn permuting_keys_with_their_values_changes_nothing() {
        let (q, k, v) = example();
        let order = [3, 0, 5, 1, 4, 2];
        let (kp, vp) = (k.select(Axis(0), &order), v.select(Axis(0), &order));
        let a = scaled_dot_product_attention(&q, &k, &v, None).unwrap();
        let b = scaled_dot_product_attention(&q, &kp, &vp, None).unwrap();
        assert_abs_diff_eq!(a.output, b.output, epsilon = 1e-12);
    }

    #[test]
    fn huge_scores_do_not_overflow() {
        let q = array![[1000.0, 0.0]];
        let k = array![[1000.0, 0.0], [999.0, 0.0]];
        let v = array![[1.0], [0.0]];
        let att = scaled_dot_product_attention(&q, &k, &v, None).unwrap();
        assert!(att.weights.iter().all(|w| w.is_finite()));
        assert_abs_diff_eq!(att.output[[0, 0]], 1.0, epsilon = 1e-12);
    }

    #[test]
    fn shape_errors_name_the_shapes() {
        let (q, k, v) = example();
        let err = scaled_dot_product_attention(&q, k.slice(s![.., ..2]), &v, None).unwrap_err();
        assert!(matches!(err, Error::ShapeMismatch { op: "attention: Q·Kᵀ", ref left, ref right, .. } if *left == vec![4, 3] && *right == vec![6, 2]));
        let err = scaled_dot_product_attention(&q, &k, v.slice(s![..5, ..]), None).unwrap_err();
        assert!(matches!(err, Error::ShapeMismatch { op: "attention: weights·V", ref right, .. } if *right == vec![5, 2]));
        let err = scaled_dot_product_attention(&q, &k, &v, Some(&Mask::Allowed(Array2::from_elem((4, 4), true)))).unwrap_err();
        assert!(matches!(err, Error::ShapeMismatch { op: "attention mask", ref left, ref right, .. } if *left == vec![4, 4] && *right == vec![4, 6]));
        let empty = Array2::<f64>::zeros((0, 3));
        assert!(matches!(scaled_dot_product_attention(&empty, &k, &v, None), Err(Error::BadShape { .. })));
    }

    #[test]
    fn a_query_that_may_see_nothing_is_an_invalid_mask() {
        let (q, k, v) = example();
        let mut pattern = Array2::from_elem((4, 6), true);
        pattern.row_mut(2).fill(false);
        let err = scaled_dot_product_attention(&q, &k, &v, Some(&Mask::Allowed(pattern))).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "mask", .. }));
        assert!(err.to_string().contains("query 2 may attend to no key"));
    }

    #[test]
    fn nan_inputs_are_non_finite() {
        let (q, mut k, v) = example();
        k[[1, 2]] = f64::NAN;
        assert!(matches!(
            scaled_dot_product_attention(&q, &k, &v, None),
            Err(Error::NonFinite { op: "attention (K)", ref index, .. }) if *index == vec![1, 2]
        ));
    }

    #[test]
    fn split_and_concat_heads_are_inverse_and_check_their_shapes() {
        let x = randn(&mut seeded_rng(2), (3, 12));
        for n_heads in [1, 2, 3, 4, 6, 12] {
            let heads = split_heads(&x, n_heads).unwrap();
            assert_eq!(heads.len(), n_heads);
            assert!(heads.iter().all(|h| h.dim() == (3, 12 / n_heads)));
            assert_eq!(concat_heads(&heads).unwrap(), x);
        }
        let err = split_heads(&x, 5).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "n_heads", .. }));
        let text = err.to_string();
        assert!(text.contains("d_model = 12") && text.contains("`n_heads` = 5") && text.contains("try n_heads = 4"), "{text}");
        assert!(matches!(split_heads(&x, 0), Err(Error::InvalidArgument { name: "n_heads", .. })));
        assert!(matches!(concat_heads(&[]), Err(Error::BadShape { .. })));
        assert!(matches!(concat_heads(&[Array2::zeros((3, 2)), Array2::zeros((2, 2))]), Err(Error::ShapeMismatch { .. })));
    }

    #[test]
    fn multi_head_equals_attention_per_head_then_the_output_projection() {
        let mha = MultiHeadAttention::random(&mut seeded_rng(0), 6, 3).unwrap();
        let x = randn(&mut seeded_rng(1), (4, 6));
        let out = mha.forward(&x, Some(&Mask::Causal)).unwrap();
        // Per head by hand: columns 2h..2h+2 of the projections.
        let mut joined = Array2::zeros((4, 6));
        for h in 0..3 {
            let cols = s![.., 2 * h..2 * h + 2];
            let (qh, kh, vh) = (x.dot(&mha.w_q.slice(cols)), x.dot(&mha.w_k.slice(cols)), x.dot(&mha.w_v.slice(cols)));
            let (w, o) = naive(&qh, &kh, &vh, &|i, j| j <= i);
            assert_abs_diff_eq!(out.heads[h].weights, w, epsilon = 1e-12);
            joined.slice_mut(cols).assign(&o);
        }
        assert_abs_diff_eq!(out.concat, joined, epsilon = 1e-12);
        assert_abs_diff_eq!(out.output, joined.dot(&mha.w_o), epsilon = 1e-12);
    }

    #[test]
    fn one_head_is_plain_attention_on_the_projections() {
        let mha = MultiHeadAttention::random(&mut seeded_rng(3), 4, 1).unwrap();
        let x = randn(&mut seeded_rng(4), (5, 4));
        let out = mha.forward(&x, None).unwrap();
        let att = scaled_dot_product_attention(&x.dot(&mha.w_q), &x.dot(&mha.w_k), &x.dot(&mha.w_v), None).unwrap();
        assert_abs_diff_eq!(out.output, att.output.dot(&mha.w_o), epsilon = 1e-12);
    }

    #[test]
    fn random_projections_keep_the_scale_of_the_input() {
        // Entries N(0, 1/d_model): a unit-variance input stays unit variance after X·W.
        let mha = MultiHeadAttention::random(&mut seeded_rng(0), 64, 8).unwrap();
        let x = randn(&mut seeded_rng(1), (200, 64));
        let q = x.dot(&mha.w_q);
        let var = q.var(0.0);
        assert!((var - 1.0).abs() < 0.2, "variance {var}");
        assert_eq!(mha.d_head(), 8);
    }

    #[test]
    fn layer_shape_errors_name_the_numbers() {
        let w = || Array2::<f64>::zeros((4, 4));
        assert!(matches!(
            MultiHeadAttention::new(Array2::zeros((4, 3)), w(), w(), w(), 2),
            Err(Error::BadShape { op: "MultiHeadAttention::new", .. })
        ));
        assert!(matches!(
            MultiHeadAttention::new(w(), w(), Array2::zeros((3, 3)), w(), 2),
            Err(Error::ShapeMismatch { ref right, .. }) if *right == vec![3, 3]
        ));
        let err = MultiHeadAttention::new(w(), w(), w(), w(), 3).unwrap_err();
        assert!(err.to_string().contains("d_model = 4 must be divisible by the number of heads (4 / 3 is not whole)"), "{err}");
        assert!(matches!(MultiHeadAttention::random(&mut seeded_rng(0), 0, 1), Err(Error::InvalidArgument { name: "d_model", .. })));
        let mha = MultiHeadAttention::random(&mut seeded_rng(0), 4, 2).unwrap();
        let err = mha.forward(&Array2::zeros((3, 5)), None).unwrap_err();
        assert!(matches!(err, Error::ShapeMismatch { ref left, ref right, .. } if *left == vec![3, 5] && *right == vec![4, 4]));
    }

    #[test]
    fn a_weight_matrix_replaced_by_hand_is_an_error_not_a_panic() {
        let eye = Array2::<f64>::eye(4);
        let x = Array2::<f64>::ones((3, 4));
        let mut mha = MultiHeadAttention::new(eye.clone(), eye.clone(), eye.clone(), eye.clone(), 2).unwrap();
        mha.w_k = Array2::ones((4, 3)); // a learner swaps in a matrix of another shape
        let message = mha.forward(&x, None).unwrap_err().to_string();
        assert!(message.contains("[4, 3]") && message.contains("(d_model, d_model)"), "{message}");
        mha.w_k = eye.clone();
        mha.w_o[[0, 0]] = f64::NAN;
        let message = mha.forward(&x, None).unwrap_err().to_string();
        assert!(message.contains("W_O"), "{message}");
        mha.w_o = eye;
        assert!(mha.forward(&x, None).is_ok());
    }

    #[test]
    fn scores_that_overflow_are_an_error_not_nan_weights() {
        let q = array![[1e200, 1e200]];
        let message = scaled_dot_product_attention(&q, &q, &q, None).unwrap_err().to_string();
        assert!(message.contains("attention scores") && message.contains("inf"), "{message}");
    }
}

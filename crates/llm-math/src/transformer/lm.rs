//! The language-model objective: predict every next token.

use ndarray::Array2;

use super::check_ids;
use crate::error::{Error, Result, check_finite};
use crate::nn::{Loss, softmax_cross_entropy};

/// The language-model loss of one sequence: cross-entropy at every position
/// against the token that comes next, averaged over the positions, with its
/// gradient with respect to the logits.
///
/// The model reads `tokens[..T]` and its logits row `t` is its guess at
/// `tokens[t + 1]`: the targets are the inputs shifted by one, so `tokens`
/// has `T + 1` entries for `T` rows of logits.
///
/// ```text
/// pₜ = softmax(logits[t, :])
/// L = −(1/T) Σₜ log pₜ[tokens[t + 1]]           t = 0 … T − 1
/// ∂L/∂logits[t, :] = (pₜ − onehot(tokens[t + 1])) / T
/// ```
///
/// A model that spreads its probability evenly over `V` tokens scores
/// `ln V` (GPT-2's `V = 50 257`: 10.82); see [`perplexity`].
///
/// Shapes: `logits: (T, V)`, `tokens: (T + 1,)` with entries in `0..V`.
///
/// # Errors
/// [`Error::BadShape`] for empty logits; [`Error::ShapeMismatch`] unless
/// `tokens` has one more entry than `logits` has rows;
/// [`Error::InvalidArgument`] (named `tokens`, the value naming the
/// position) for a token `≥ V`; [`Error::NonFinite`] for NaN or infinite
/// logits.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// // "a b a" read as "a b" (T = 2) with targets "b a"; V = 2.
/// let logits = array![[0.0, 2.0], [1.0, 1.0]];
/// let loss = lm_loss(&logits, &[0, 1, 0])?;
/// let expected = -(log_softmax(&[0.0, 2.0])?[1] + log_softmax(&[1.0, 1.0])?[0]) / 2.0;
/// assert!((loss.value - expected).abs() < 1e-15);
/// assert_eq!(loss.grad.dim(), (2, 2));
/// let err = lm_loss(&logits, &[0, 1]).unwrap_err(); // T + 1 = 3 tokens needed
/// assert!(err.to_string().contains("left is [2, 2], right is [2]"));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn lm_loss(logits: &Array2<f64>, tokens: &[usize]) -> Result<Loss> {
    const OP: &str = "lm_loss";
    if logits.is_empty() {
        return Err(Error::BadShape { op: OP, got: logits.shape().to_vec(), expected: "non-empty logits (T, V): one row per position, one column per token" });
    }
    if tokens.len() != logits.nrows() + 1 {
        return Err(Error::ShapeMismatch {
            op: OP,
            left: logits.shape().to_vec(),
            right: vec![tokens.len()],
            rule: "T rows of logits (left) need T + 1 tokens (right): the T the model read, then the one after the last as the last target",
        });
    }
    check_ids("tokens", tokens, logits.ncols())?;
    check_finite(OP, &logits.view())?;
    softmax_cross_entropy(logits, &tokens[1..]).map_err(|e| match e {
        Error::Overflow { index, .. } => Error::Overflow { op: OP, index },
        other => other,
    })
}

/// Perplexity, `exp(loss)` for a loss in nats: the number of equally likely
/// tokens a model is as unsure as. A uniform guess over `V` tokens has loss
/// `ln V` and perplexity `V`; a perfect model perplexity 1.
///
/// ```text
/// perplexity = e^L
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] for a negative or non-finite loss (a
/// cross-entropy is ≥ 0); [`Error::Overflow`] above `ln f64::MAX ≈ 709.8`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let v = 50_257;
/// let loss = lm_loss(&Array2::zeros((4, v)), &[0, 1, 2, 3, 4])?; // uniform logits
/// assert!((loss.value - 10.825).abs() < 1e-3);                  // ln 50 257
/// assert!((perplexity(loss.value)? - v as f64).abs() < 1e-6);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn perplexity(loss: f64) -> Result<f64> {
    if !(loss.is_finite() && loss >= 0.0) {
        return Err(Error::invalid("loss", loss, "a cross-entropy loss is a finite number ≥ 0 (in nats)"));
    }
    let p = loss.exp();
    if !p.is_finite() {
        return Err(Error::Overflow { op: "perplexity", index: vec![] });
    }
    Ok(p)
}

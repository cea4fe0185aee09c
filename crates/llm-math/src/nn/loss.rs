//! Losses with their gradients, and reading predictions off logits.

use ndarray::{Array2, Axis};

use crate::error::{Error, Result, check_finite, check_result};
use crate::probability::log_softmax_rows;

/// A loss value and its gradient with respect to the predictions (or
/// logits), ready for [`Layer::backward`](super::Layer::backward).
#[derive(Debug, Clone, PartialEq)]
pub struct Loss {
    /// The loss, averaged over the batch.
    pub value: f64,
    /// `∂value/∂predictions`, the shape of the predictions.
    pub grad: Array2<f64>,
}

/// Mean squared error over every entry, with its gradient (PyTorch's
/// `mse_loss` with `reduction="mean"`):
///
/// ```text
/// L = (1/N) Σ (ŷ − y)²        ∂L/∂ŷ = (2/N)(ŷ − y)        N = n·d entries
/// ```
///
/// Shapes: `predictions: (n, d)`, `targets: (n, d)`.
///
/// # Errors
/// [`Error::ShapeMismatch`] unless both have the same non-empty shape;
/// [`Error::NonFinite`] for NaN or infinite entries; [`Error::Overflow`]
/// if the loss is beyond f64.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::nn::mse_loss;
/// let loss = mse_loss(&array![[1.0, 2.0]], &array![[0.0, 4.0]])?;
/// assert_eq!(loss.value, (1.0 + 4.0) / 2.0);
/// assert_eq!(loss.grad, array![[1.0, -2.0]]); // 2/2 · (ŷ − y)
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn mse_loss(predictions: &Array2<f64>, targets: &Array2<f64>) -> Result<Loss> {
    if predictions.dim() != targets.dim() || predictions.is_empty() {
        return Err(Error::ShapeMismatch {
            op: "mse_loss",
            left: predictions.shape().to_vec(),
            right: targets.shape().to_vec(),
            rule: "predictions and targets need the same non-empty shape",
        });
    }
    check_finite("mse_loss (predictions)", &predictions.view())?;
    check_finite("mse_loss (targets)", &targets.view())?;
    let n = predictions.len() as f64;
    let diff = predictions - targets; // (n, d)
    let value = diff.mapv(|d| d * d).sum() / n;
    let grad = diff * (2.0 / n);
    if !value.is_finite() {
        return Err(Error::Overflow { op: "mse_loss", index: vec![] });
    }
    check_result("mse_loss (gradient)", &grad.view())?;
    Ok(Loss { value, grad })
}

/// Softmax followed by cross-entropy, averaged over a batch with integer
/// class targets (PyTorch's `cross_entropy` with `reduction="mean"`), and
/// its gradient with respect to the logits:
///
/// ```text
/// pᵢ = softmax(zᵢ)      L = −(1/n) Σᵢ log pᵢ[yᵢ]      ∂L/∂zᵢ = (pᵢ − onehot(yᵢ)) / n
/// ```
///
/// Computed from log-softmax, so a logit of 1000 is no problem. The
/// gradient is the softmax Jacobian `diag(p) − p·pᵀ` times `∂L/∂p =
/// −onehot/p`, which collapses to `p − onehot`.
///
/// Shapes: `logits: (n, k)`, `targets: (n,)` with entries in `0..k`.
///
/// # Errors
/// [`Error::ShapeMismatch`] unless there is one target per row;
/// [`Error::BadShape`] for empty logits; [`Error::InvalidArgument`] for a
/// target outside `0..k` (the message names the index and the number of
/// classes); [`Error::NonFinite`] for NaN or infinite logits.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::nn::softmax_cross_entropy;
/// // Equal logits: p = 1/3 for each class, L = ln 3.
/// let loss = softmax_cross_entropy(&array![[0.0, 0.0, 0.0]], &[2])?;
/// assert!((loss.value - 3f64.ln()).abs() < 1e-15);
/// assert!((&loss.grad - &array![[1.0 / 3.0, 1.0 / 3.0, -2.0 / 3.0]]).iter().all(|d| d.abs() < 1e-15));
///
/// let err = softmax_cross_entropy(&array![[0.0, 0.0]], &[2]).unwrap_err();
/// assert!(err.to_string().contains("targets[0] = 2") && err.to_string().contains("2 classes"));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn softmax_cross_entropy(logits: &Array2<f64>, targets: &[usize]) -> Result<Loss> {
    if logits.is_empty() {
        return Err(Error::BadShape { op: "softmax_cross_entropy", got: logits.shape().to_vec(), expected: "non-empty logits (n, k): one row per example, one column per class" });
    }
    check_targets("softmax_cross_entropy", logits, targets)?;
    check_finite("softmax_cross_entropy", &logits.view())?;
    let log_p = log_softmax_rows(logits).map_err(|e| match e {
        Error::Overflow { index, .. } => Error::Overflow { op: "softmax_cross_entropy", index },
        other => other,
    })?; // (n, k)
    let n = logits.nrows() as f64;
    let value = -targets.iter().enumerate().map(|(i, &t)| log_p[[i, t]]).sum::<f64>() / n;
    let mut grad = log_p.mapv(f64::exp); // p, (n, k)
    for (i, &t) in targets.iter().enumerate() {
        grad[[i, t]] -= 1.0;
    }
    grad /= n;
    if !value.is_finite() {
        return Err(Error::Overflow { op: "softmax_cross_entropy", index: vec![] });
    }
    Ok(Loss { value, grad })
}

/// `ShapeMismatch` unless there is one target per row of `x` (a batch of
/// examples, one per row).
pub(super) fn check_one_target_per_row(op: &'static str, x: &Array2<f64>, targets: &[usize]) -> Result<()> {
    if targets.len() == x.nrows() {
        return Ok(());
    }
    Err(Error::ShapeMismatch { op, left: x.shape().to_vec(), right: vec![targets.len()], rule: "one integer target per row" })
}

/// One target per row of `scores` (n, k), each a class in `0..k`: else
/// `ShapeMismatch`, or `InvalidArgument` naming the first target out of range.
fn check_targets(op: &'static str, scores: &Array2<f64>, targets: &[usize]) -> Result<()> {
    check_one_target_per_row(op, scores, targets)?;
    let classes = scores.ncols();
    match targets.iter().enumerate().find(|(_, t)| **t >= classes) {
        Some((i, t)) => Err(Error::invalid(
            "targets",
            format!("targets[{i}] = {t}"),
            format!("a class index must be below the number of classes, {classes} classes (0 to {})", classes.saturating_sub(1)),
        )),
        None => Ok(()),
    }
}

/// The column of the largest entry in each row (the first, on a tie): the
/// predicted class of each example.
///
/// Shape: `(n, k)` → `n` indices.
///
/// # Errors
/// [`Error::BadShape`] for an empty matrix; [`Error::NonFinite`] for NaN
/// (which has no order).
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::nn::argmax_rows;
/// assert_eq!(argmax_rows(&array![[0.1, 0.9], [2.0, -1.0]])?, vec![1, 0]);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn argmax_rows(scores: &Array2<f64>) -> Result<Vec<usize>> {
    if scores.is_empty() {
        return Err(Error::BadShape { op: "argmax_rows", got: scores.shape().to_vec(), expected: "a non-empty matrix (n, k)" });
    }
    if let Some(((i, j), _)) = scores.indexed_iter().find(|(_, v)| v.is_nan()) {
        return Err(Error::NonFinite { op: "argmax_rows", index: vec![i, j], value: f64::NAN });
    }
    Ok(scores
        .axis_iter(Axis(0))
        .map(|row| row.iter().enumerate().fold(0, |best, (j, &v)| if v > row[best] { j } else { best }))
        .collect())
}

/// The fraction of rows whose largest score is at the target class.
///
/// Shapes: `scores: (n, k)`, `targets: (n,)`.
///
/// # Errors
/// As [`argmax_rows`], plus [`Error::ShapeMismatch`] unless there is one
/// target per row and [`Error::InvalidArgument`] for a target outside
/// `0..k`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::nn::accuracy;
/// assert_eq!(accuracy(&array![[0.1, 0.9], [2.0, -1.0]], &[1, 1])?, 0.5);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn accuracy(scores: &Array2<f64>, targets: &[usize]) -> Result<f64> {
    check_targets("accuracy", scores, targets)?;
    let predicted = argmax_rows(scores)?;
    Ok(predicted.iter().zip(targets).filter(|(p, t)| p == t).count() as f64 / targets.len() as f64)
}

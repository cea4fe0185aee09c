//! Neural-network layers with hand-written forward and backward passes on
//! matrices: micrograd's idea (notebook 02) one level up, from scalars to
//! arrays.
//!
//! First used in `notebooks/06-layers.ipynb`.
//!
//! **Convention.** A batch is a matrix `X` of shape `(n, d_in)`, one example
//! per row, and a [`Linear`] layer computes `Y = X·W + b` with `W` stored as
//! `(d_in, d_out)`: the row-vector convention of this course. PyTorch's
//! `nn.Linear` stores the transpose, `W_torch` of shape `(d_out, d_in)`, and
//! computes `X·W_torchᵀ + b`; [`Linear::from_torch`] and
//! [`Linear::torch_weight`] convert.
//!
//! **Backward.** Every [`Layer`] remembers what its last
//! [`forward`](Layer::forward) saw and, given `G = ∂L/∂Y` (same shape as
//! `Y`), returns `∂L/∂X` from [`backward`](Layer::backward) and keeps the
//! gradients of its own parameters. For `Y = X·W + b`:
//!
//! ```text
//! ∂L/∂W = Xᵀ·G      (d_in, n)·(n, d_out) -> (d_in, d_out)
//! ∂L/∂b = Σ rows G  (d_out,)
//! ∂L/∂X = G·Wᵀ      (n, d_out)·(d_out, d_in) -> (n, d_in)
//! ```
//!
//! Each backward replaces the gradients of the one before (no accumulation,
//! unlike PyTorch's `.grad`). Parameters and gradients flatten into one
//! vector ([`Layer::params`], [`Layer::grads`]) so the optimizers of
//! [`optim`](crate::optim) update a whole network: [`Sequential::step`].
//!
//! The files follow the pieces: `init` (Xavier and He), `linear`,
//! `activation` (ReLU, sigmoid, tanh, GELU exact and tanh-approximated, and
//! softmax as layers), `loss`
//! (MSE, softmax + cross-entropy), `sequential` (networks and training),
//! `data` (seeded toy data sets), `products` (how the layers' matrix
//! products run) and `flat` (how parameters flatten into one vector and
//! back); the last two are not part of the lesson.

mod activation;
mod data;
pub(crate) mod flat;
pub(crate) mod products;
mod init;
mod linear;
mod loss;
mod sequential;

use std::fmt;

use ndarray::{Array1, Array2, ArrayView1};

use crate::error::{Error, Result};

pub use activation::{Activation, Softmax, softmax_jacobian};
pub(crate) use activation::softmax_backward_rows;
pub use data::{spirals, two_moons, xor_data};
pub use init::{Init, he_normal, xavier_uniform};
pub(crate) use init::MAX_WEIGHTS;
pub use linear::Linear;
pub use loss::{Loss, accuracy, argmax_rows, mse_loss, softmax_cross_entropy};
pub use sequential::{Sequential, mlp};
pub(crate) use sequential::in_layer;

/// A piece of a network: a function of a batch `X` (one example per row)
/// with a hand-written backward pass.
///
/// [`forward`](Layer::forward) computes the output and remembers what
/// [`backward`](Layer::backward) will need; [`predict`](Layer::predict)
/// computes the same output and remembers nothing (for plots and
/// evaluation). The trait is object safe: a [`Sequential`] holds
/// `Box<dyn Layer>`s.
pub trait Layer: fmt::Debug {
    /// A short description with the shapes, e.g. `"Linear(2 → 16)"`.
    fn name(&self) -> String;

    /// The output for the batch `x`, remembering the input for
    /// [`backward`](Layer::backward).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `x` does not fit the layer,
    /// [`Error::NonFinite`] for NaN or infinite input, [`Error::Overflow`]
    /// if the output is beyond f64.
    fn forward(&mut self, x: &Array2<f64>) -> Result<Array2<f64>>;

    /// The same output as [`forward`](Layer::forward), without remembering
    /// anything.
    ///
    /// # Errors
    /// As [`forward`](Layer::forward).
    fn predict(&self, x: &Array2<f64>) -> Result<Array2<f64>>;

    /// From `grad_output = ∂L/∂Y` (the shape of the last output) to
    /// `∂L/∂X` (the shape of the last input); keeps `∂L/∂` of the layer's
    /// parameters for [`grads`](Layer::grads).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before any [`forward`](Layer::forward),
    /// [`Error::ShapeMismatch`] if `grad_output` is not the shape of the
    /// last output, [`Error::NonFinite`] for a NaN or infinite gradient.
    fn backward(&mut self, grad_output: &Array2<f64>) -> Result<Array2<f64>>;

    /// How many numbers the layer learns (0 for an activation).
    fn num_params(&self) -> usize {
        0
    }

    /// The parameters as one flat vector (a [`Linear`]: `W` row by row, then
    /// `b`), shape `(num_params,)`.
    fn params(&self) -> Array1<f64> {
        Array1::zeros(0)
    }

    /// The gradients of the last [`backward`](Layer::backward), flattened in
    /// the order of [`params`](Layer::params).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the layer has parameters and no
    /// backward pass has run yet.
    fn grads(&self) -> Result<Array1<f64>> {
        Ok(Array1::zeros(0))
    }

    /// Replaces the parameters from a flat vector in the order of
    /// [`params`](Layer::params).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `params` does not have
    /// [`num_params`](Layer::num_params) entries; [`Error::NonFinite`] for a
    /// NaN or infinite entry. On error nothing changes.
    fn set_params(&mut self, params: ArrayView1<f64>) -> Result<()> {
        crate::error::check_same_len("set_params", params.len(), 0, "an activation layer has no parameters")
    }

    /// A boxed copy, so networks of boxed layers can be cloned.
    fn clone_box(&self) -> Box<dyn Layer>;
}

impl Clone for Box<dyn Layer> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// The error of a backward pass run before any forward pass.
pub(crate) fn no_forward_yet(layer: &str) -> Error {
    Error::invalid(
        "grad_output",
        "(no forward pass yet)",
        format!("{layer}.backward needs the input of a forward pass first: call forward (predict remembers nothing)"),
    )
}

/// The error of [`grads`](Layer::grads) before any backward pass, naming the layer.
pub(crate) fn no_grads_yet(layer: &str) -> Error {
    Error::invalid("grads", "(none yet)", format!("{layer} has no gradients: run forward, a loss and backward first"))
}

/// Keeps a copy of `x` for the backward pass, reusing the last copy's memory
/// when the shape is the same (a training loop's batches).
pub(crate) fn remember(slot: &mut Option<Array2<f64>>, x: &Array2<f64>) {
    match slot {
        Some(kept) if kept.dim() == x.dim() => kept.assign(x),
        _ => *slot = Some(x.clone()),
    }
}

/// `ShapeMismatch` unless `grad` has the shape of the output it is the gradient of.
pub(crate) fn check_grad_shape(op: &'static str, grad: &Array2<f64>, output: (usize, usize)) -> Result<()> {
    crate::error::check_same_shape(op, grad.shape(), &[output.0, output.1], "grad_output must have the shape of the layer's last output")
}

#[cfg(test)]
mod tests;

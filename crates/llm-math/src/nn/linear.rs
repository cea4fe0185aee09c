//! The fully connected layer `Y = X·W + b`.

use ndarray::{Array1, Array2, ArrayView1, Axis};
use rand::Rng;

use super::flat::{flatten, set_arrays};
use super::products::{matmul, matmul_bias};
use super::{Init, Layer, check_grad_shape, no_forward_yet, no_grads_yet, remember};
use crate::error::{Error, Result, Rows, check_cols, check_finite, check_result};

/// A fully connected layer, `Y = X·W + b`, with `W` of shape
/// `(d_in, d_out)` and `b` of shape `(d_out,)` added to every row.
///
/// This is the row-vector convention of the course (`X` holds one example
/// per row). PyTorch's `nn.Linear` computes the same thing as
/// `X·W_torchᵀ + b` with `W_torch = Wᵀ` stored as `(d_out, d_in)`:
/// [`Linear::from_torch`] takes a weight in that layout and
/// [`Linear::torch_weight`] gives it back.
///
/// Backward, with `G = ∂L/∂Y` of shape `(n, d_out)`:
///
/// ```text
/// ∂L/∂W = Xᵀ·G       (d_in, d_out)
/// ∂L/∂b = Σᵢ G[i, :] (d_out,)
/// ∂L/∂X = G·Wᵀ       (n, d_in)
/// ```
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::nn::{Layer, Linear};
/// // The leaf-vs-flower network's first output node, bias 0.25.
/// let layer = Linear::new(array![[0.10], [-0.29], [-0.07], [0.46]], array![0.25])?;
/// let y = layer.predict(&array![[32.0, 107.0, 56.0, 11.2]])?;
/// assert!((y[[0, 0]] - -26.348).abs() < 1e-9); // −26.35 to two decimals
///
/// // Shapes that do not fit name both shapes and the layer.
/// let err = layer.predict(&array![[1.0, 2.0]]).unwrap_err();
/// assert!(err.to_string().starts_with("shape mismatch in Linear.forward: left is [1, 2], right is [4, 1]"));
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    weight: Array2<f64>,
    bias: Array1<f64>,
    /// The input of the last forward pass, `(n, d_in)`.
    input: Option<Array2<f64>>,
    grad_weight: Option<Array2<f64>>,
    grad_bias: Option<Array1<f64>>,
}

impl Linear {
    /// A layer with these weights, `(d_in, d_out)`, and bias, `(d_out,)`.
    ///
    /// # Errors
    /// [`Error::BadShape`] for an empty weight matrix;
    /// [`Error::ShapeMismatch`] unless the bias has one entry per column of
    /// the weights; [`Error::NonFinite`] for NaN or infinite entries.
    pub fn new(weight: Array2<f64>, bias: Array1<f64>) -> Result<Self> {
        if weight.is_empty() {
            return Err(Error::BadShape { op: "Linear::new", got: weight.shape().to_vec(), expected: "a non-empty weight matrix (d_in, d_out)" });
        }
        check_cols("Linear::new", &weight, Rows::Any, bias.len(), bias.shape(), "the bias needs one entry per column of W (d_out)")?;
        check_finite("Linear::new (weight)", &weight.view())?;
        check_finite("Linear::new (bias)", &bias.view())?;
        Ok(Linear { weight, bias, input: None, grad_weight: None, grad_bias: None })
    }

    /// A layer from PyTorch's layout: `weight` of shape `(d_out, d_in)`,
    /// as `nn.Linear.weight` stores it; it is transposed to `(d_in, d_out)`.
    ///
    /// # Errors
    /// As [`Linear::new`] (the bias needs one entry per row of `weight`).
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// use llm_math::nn::{Layer, Linear};
    /// let w_torch = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]; // (d_out, d_in) = (2, 3)
    /// let layer = Linear::from_torch(w_torch.clone(), array![0.0, 1.0])?;
    /// let x = array![[1.0, 0.0, -1.0]];
    /// // X·W_torchᵀ + b, as torch.nn.functional.linear computes it.
    /// assert_eq!(layer.predict(&x)?, x.dot(&w_torch.t()) + array![0.0, 1.0]);
    /// assert_eq!(layer.torch_weight(), w_torch);
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn from_torch(weight: Array2<f64>, bias: Array1<f64>) -> Result<Self> {
        Linear::new(weight.reversed_axes().as_standard_layout().into_owned(), bias)
    }

    /// A layer from `d_in` to `d_out` with weights drawn by `init` and a
    /// zero bias.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `d_in` or `d_out` is 0, or for a
    /// negative or non-finite [`Init::Normal`] standard deviation.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// use llm_math::nn::{Init, Layer, Linear};
    /// let layer = Linear::init(&mut seeded_rng(0), 2, 16, Init::He)?;
    /// assert_eq!((layer.d_in(), layer.d_out(), layer.num_params()), (2, 16, 48));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn init<R: Rng + ?Sized>(rng: &mut R, d_in: usize, d_out: usize, init: Init) -> Result<Self> {
        let weight = init.draw(rng, d_in, d_out).map_err(|e| match e {
            Error::InvalidArgument { name: "fan_in", value, why } => Error::InvalidArgument { name: "d_in", value, why },
            Error::InvalidArgument { name: "fan_out", value, why } => Error::InvalidArgument { name: "d_out", value, why },
            other => other,
        })?;
        Linear::new(weight, Array1::zeros(d_out))
    }

    /// The weights `W`, `(d_in, d_out)`.
    pub fn weight(&self) -> &Array2<f64> {
        &self.weight
    }

    /// The bias `b`, `(d_out,)`.
    pub fn bias(&self) -> &Array1<f64> {
        &self.bias
    }

    /// The weights in PyTorch's layout, `Wᵀ` of shape `(d_out, d_in)`.
    pub fn torch_weight(&self) -> Array2<f64> {
        self.weight.t().to_owned()
    }

    /// Inputs per example.
    pub fn d_in(&self) -> usize {
        self.weight.nrows()
    }

    /// Outputs per example.
    pub fn d_out(&self) -> usize {
        self.weight.ncols()
    }

    /// `∂L/∂W` from the last backward pass, `(d_in, d_out)`.
    pub fn grad_weight(&self) -> Option<&Array2<f64>> {
        self.grad_weight.as_ref()
    }

    /// `∂L/∂b` from the last backward pass, `(d_out,)`.
    pub fn grad_bias(&self) -> Option<&Array1<f64>> {
        self.grad_bias.as_ref()
    }

    /// `X·W + b` after checking the input.
    fn affine(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        check_cols("Linear.forward", x, Rows::AtLeastOne, self.d_in(), self.weight.shape(), "X·W needs at least one row in X and X's columns equal to W's rows (d_in)")?;
        check_finite("Linear.forward", &x.view())?;
        let y = matmul_bias(x.view(), self.weight.view(), self.bias.view()); // (n, d_in)·(d_in, d_out) + (d_out,) -> (n, d_out)
        check_result("Linear.forward", &y.view())?;
        Ok(y)
    }
}

impl Layer for Linear {
    fn name(&self) -> String {
        format!("Linear({} → {})", self.d_in(), self.d_out())
    }

    fn forward(&mut self, x: &Array2<f64>) -> Result<Array2<f64>> {
        // A failed pass forgets the last input: backward must not run on an older pass's.
        let y = self.affine(x).inspect_err(|_| self.input = None)?;
        remember(&mut self.input, x);
        Ok(y)
    }

    fn predict(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.affine(x)
    }

    fn backward(&mut self, grad_output: &Array2<f64>) -> Result<Array2<f64>> {
        let x = self.input.as_ref().ok_or_else(|| no_forward_yet("Linear"))?; // (n, d_in)
        check_grad_shape("Linear.backward", grad_output, (x.nrows(), self.d_out()))?;
        check_finite("Linear.backward", &grad_output.view())?;
        let grad_weight = matmul(x.t(), grad_output.view()); // (d_in, n)·(n, d_out) -> (d_in, d_out)
        let grad_bias = grad_output.sum_axis(Axis(0)); // (d_out,)
        let grad_input = matmul(grad_output.view(), self.weight.t()); // (n, d_out)·(d_out, d_in) -> (n, d_in)
        check_result("Linear.backward (∂L/∂W)", &grad_weight.view())?;
        check_result("Linear.backward (∂L/∂b)", &grad_bias.view())?;
        check_result("Linear.backward (∂L/∂X)", &grad_input.view())?;
        self.grad_weight = Some(grad_weight);
        self.grad_bias = Some(grad_bias);
        Ok(grad_input)
    }

    fn num_params(&self) -> usize {
        self.weight.len() + self.bias.len()
    }

    fn params(&self) -> Array1<f64> {
        flatten(&[&self.weight, &self.bias])
    }

    fn grads(&self) -> Result<Array1<f64>> {
        match (&self.grad_weight, &self.grad_bias) {
            (Some(w), Some(b)) => Ok(flatten(&[w, b])),
            _ => Err(no_grads_yet(&self.name())),
        }
    }

    fn set_params(&mut self, params: ArrayView1<f64>) -> Result<()> {
        set_arrays("Linear.set_params", "one value per weight and bias (d_in·d_out + d_out)", params, &mut [&mut self.weight, &mut self.bias])
    }

    fn clone_box(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

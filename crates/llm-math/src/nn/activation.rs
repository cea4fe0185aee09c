//! Activation functions as layers, and softmax with its Jacobian.

use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2, Zip};

use super::{Layer, check_grad_shape, no_forward_yet, remember};
use crate::calculus::{gelu, gelu_derivative, gelu_tanh, gelu_tanh_derivative, relu, sigmoid, sigmoid_derivative, tanh, tanh_derivative};
use crate::error::{Error, Result, check_finite, check_result};
use crate::probability::softmax_rows;

/// Which function an [`Activation`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Relu,
    Sigmoid,
    Tanh,
    Gelu,
    GeluTanh,
}

/// An element-wise non-linearity as a layer: ReLU, sigmoid, tanh, GELU or
/// GELU's tanh approximation (the functions of [`calculus`](crate::calculus)).
///
/// Backward multiplies element by element by the derivative at the input:
///
/// ```text
/// Y = φ(X)      ∂L/∂X = G ⊙ φ'(X)
/// ```
///
/// ReLU's derivative at exactly 0 is taken as 0, as PyTorch does.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::nn::{Activation, Layer};
/// let mut relu = Activation::relu();
/// assert_eq!(relu.forward(&array![[-1.0, 2.0]])?, array![[0.0, 2.0]]);
/// // The gradient passes where the input was positive and stops elsewhere.
/// assert_eq!(relu.backward(&array![[5.0, 5.0]])?, array![[0.0, 5.0]]);
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Activation {
    kind: Kind,
    /// The input of the last forward pass.
    input: Option<Array2<f64>>,
}

impl Activation {
    /// `relu(x) = max(0, x)`.
    pub fn relu() -> Self {
        Activation { kind: Kind::Relu, input: None }
    }

    /// `σ(x) = 1 / (1 + e^(−x))`.
    pub fn sigmoid() -> Self {
        Activation { kind: Kind::Sigmoid, input: None }
    }

    /// `tanh(x)`.
    pub fn tanh() -> Self {
        Activation { kind: Kind::Tanh, input: None }
    }

    /// The exact GELU, `gelu(x) = x·Φ(x)` with `Φ` the standard normal CDF
    /// ([`calculus::gelu`](crate::calculus::gelu)): the activation of GPT-2's
    /// MLP. Its name is `"GELU"`.
    pub fn gelu() -> Self {
        Activation { kind: Kind::Gelu, input: None }
    }

    /// GELU's tanh approximation,
    /// `½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`
    /// ([`calculus::gelu_tanh`](crate::calculus::gelu_tanh)), the form GPT-2's
    /// original code computed; within about `4.7e-4` of [`gelu`](Activation::gelu).
    /// Its name is `"GELU(tanh)"`.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let x = array![[-2.7, 0.0, 1.0]];
    /// let exact = Activation::gelu().predict(&x)?;
    /// let approx = Activation::gelu_tanh().predict(&x)?;
    /// assert!((&exact - &approx).iter().all(|d| d.abs() < 5e-4));
    /// assert_eq!(Activation::gelu_tanh().name(), "GELU(tanh)");
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn gelu_tanh() -> Self {
        Activation { kind: Kind::GeluTanh, input: None }
    }

    /// The function, e.g. `"ReLU"`.
    /// The function's name and the operation names its errors carry
    /// (`&'static str`, as `Error` holds them): one row per function.
    fn names(&self) -> (&'static str, &'static str, &'static str) {
        match self.kind {
            Kind::Relu => ("ReLU", "ReLU.forward", "ReLU.backward"),
            Kind::Sigmoid => ("Sigmoid", "Sigmoid.forward", "Sigmoid.backward"),
            Kind::Tanh => ("Tanh", "Tanh.forward", "Tanh.backward"),
            Kind::Gelu => ("GELU", "GELU.forward", "GELU.backward"),
            Kind::GeluTanh => ("GELU(tanh)", "GELU(tanh).forward", "GELU(tanh).backward"),
        }
    }

    fn label(&self) -> &'static str {
        self.names().0
    }

    /// Whether this is ReLU (or GELU): the layers He initialisation is for.
    pub(super) fn is_relu_like(&self) -> bool {
        matches!(self.kind, Kind::Relu | Kind::Gelu | Kind::GeluTanh)
    }

    fn apply(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        if x.is_empty() {
            return Err(Error::BadShape { op: self.op(), got: x.shape().to_vec(), expected: "a non-empty batch (n, d)" });
        }
        check_finite(self.op(), &x.view())?;
        Ok(match self.kind {
            Kind::Relu => x.mapv(relu),
            Kind::Sigmoid => x.mapv(sigmoid),
            Kind::Tanh => x.mapv(tanh),
            Kind::Gelu => x.mapv(gelu),
            Kind::GeluTanh => {
                let mut y = x.to_owned(); // the same memory order as x (the products write column-major)
                match y.as_slice_memory_order_mut() {
                    Some(values) => crate::fastmath::gelu_tanh_in_place(values), // several entries at a time
                    None => y.mapv_inplace(gelu_tanh),
                }
                y
            }
        })
    }

    fn op(&self) -> &'static str {
        self.names().1
    }

    fn backward_op(&self) -> &'static str {
        self.names().2
    }
}

impl Layer for Activation {
    fn name(&self) -> String {
        self.label().to_string()
    }

    fn forward(&mut self, x: &Array2<f64>) -> Result<Array2<f64>> {
        // A failed pass forgets the last input: backward must not run on an older pass's.
        let y = self.apply(x).inspect_err(|_| self.input = None)?;
        remember(&mut self.input, x);
        Ok(y)
    }

    fn predict(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.apply(x)
    }

    fn backward(&mut self, grad_output: &Array2<f64>) -> Result<Array2<f64>> {
        let x = self.input.as_ref().ok_or_else(|| no_forward_yet(self.label()))?;
        check_grad_shape(self.backward_op(), grad_output, x.dim())?;
        check_finite(self.backward_op(), &grad_output.view())?;
        // G ⊙ φ'(X), one loop per function so each can be vectorised.
        let zip = Zip::from(grad_output).and(x);
        let grad_input = match self.kind {
            Kind::Relu => zip.map_collect(|&g, &x| if x > 0.0 { g } else { 0.0 }), // relu'(x) = 1 if x > 0 else 0
            Kind::Sigmoid => zip.map_collect(|&g, &x| g * sigmoid_derivative(x)),
            Kind::Tanh => zip.map_collect(|&g, &x| g * tanh_derivative(x)),
            Kind::Gelu => zip.map_collect(|&g, &x| g * gelu_derivative(x)),
            Kind::GeluTanh => {
                let mut g = grad_output.to_owned(); // the same memory order as the gradient
                let same_order = g.strides() == x.strides();
                match (g.as_slice_memory_order_mut(), x.as_slice_memory_order()) {
                    (Some(gs), Some(xs)) if same_order => crate::fastmath::gelu_tanh_backward_in_place(gs, xs), // several entries at a time
                    _ => g.zip_mut_with(x, |g, &x| *g *= gelu_tanh_derivative(x)),
                }
                g
            }
        };
        check_result(self.backward_op(), &grad_input.view())?; // GELU' reaches 1.13: a gradient near f64::MAX overflows
        Ok(grad_input)
    }

    fn clone_box(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

/// Softmax over each row as a layer: `Y[i, :] = softmax(X[i, :])`.
///
/// Backward applies the softmax Jacobian row by row without building it:
///
/// ```text
/// J = diag(p) − p·pᵀ      ∂L/∂x = J·g = p ⊙ (g − (g·p))
/// ```
///
/// (J is symmetric, so `Jᵀ·g = J·g`.) Followed by a cross-entropy loss, use
/// [`softmax_cross_entropy`](super::softmax_cross_entropy) on the logits
/// instead: the product of the two Jacobians collapses to `p − onehot`,
/// faster and exact where `p` underflows.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::nn::{Layer, Softmax, softmax_jacobian};
/// let mut s = Softmax::new();
/// let p = s.forward(&array![[1.0, 2.0, 3.0]])?;
/// let g = array![[0.5, -1.0, 2.0]];
/// let dx = s.backward(&g)?;
/// let by_jacobian = softmax_jacobian(p.row(0))?.dot(&g.row(0));
/// assert!((&dx.row(0) - &by_jacobian).iter().all(|d| d.abs() < 1e-15));
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Softmax {
    /// The output of the last forward pass: what backward needs.
    output: Option<Array2<f64>>,
}

impl Softmax {
    /// A softmax layer.
    pub fn new() -> Self {
        Softmax { output: None }
    }
}

impl Layer for Softmax {
    fn name(&self) -> String {
        "Softmax".to_string()
    }

    fn forward(&mut self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.output = None; // a failed pass leaves nothing of an older one for backward
        let p = self.predict(x)?;
        self.output = Some(p.clone());
        Ok(p)
    }

    fn predict(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        softmax_rows(x).map_err(|e| rename(e, "Softmax.forward"))
    }

    fn backward(&mut self, grad_output: &Array2<f64>) -> Result<Array2<f64>> {
        let p = self.output.as_ref().ok_or_else(|| no_forward_yet("Softmax"))?; // (n, k)
        check_grad_shape("Softmax.backward", grad_output, p.dim())?;
        check_finite("Softmax.backward", &grad_output.view())?;
        let mut grad_input = grad_output.clone(); // (n, k)
        softmax_backward_rows(p.view(), grad_input.view_mut());
        check_result("Softmax.backward", &grad_input.view())?;
        Ok(grad_input)
    }

    fn clone_box(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

/// Softmax's backward pass, row by row and in place: each row `g` of `grad`
/// (`∂L/∂p`) becomes `∂L/∂x` for the softmax output `p` of the same row,
///
/// ```text
/// ∂L/∂x = p ⊙ (g − Σⱼ gⱼ·pⱼ)        (n, k) -> (n, k)
/// ```
///
/// without a second `(n, k)` matrix (attention's `T × T` weights are the
/// large case). A `p` of exactly 0 (a masked weight) gives exactly 0.
pub(crate) fn softmax_backward_rows(p: ArrayView2<f64>, mut grad: ArrayViewMut2<f64>) {
    for (p, mut g) in p.outer_iter().zip(grad.outer_iter_mut()) {
        let gp: f64 = g.iter().zip(p.iter()).map(|(g, p)| g * p).sum(); // g·p
        g.zip_mut_with(&p, |g, &p| *g = p * (*g - gp));
    }
}

/// The operation named in an error of a function this layer called.
fn rename(e: Error, op: &'static str) -> Error {
    match e {
        Error::BadShape { got, expected, .. } => Error::BadShape { op, got, expected },
        Error::NonFinite { index, value, .. } => Error::NonFinite { op, index, value },
        other => other,
    }
}

/// The Jacobian of softmax at probabilities `p` (a softmax output):
///
/// ```text
/// J[i, j] = ∂pᵢ/∂xⱼ = pᵢ·(δᵢⱼ − pⱼ)      J = diag(p) − p·pᵀ
/// ```
///
/// Shape: `p: (k,)` → `(k, k)`. Each row sums to 0: adding the same number
/// to every logit changes no probability.
///
/// # Errors
/// [`Error::BadShape`] for an empty `p`; those of
/// [`check_distribution`](crate::probability::check_distribution) if `p` is
/// not a probability distribution.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::nn::softmax_jacobian;
/// let j = softmax_jacobian(&[0.5, 0.5])?;
/// assert_eq!(j, array![[0.25, -0.25], [-0.25, 0.25]]);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn softmax_jacobian<'a>(p: impl ndarray::AsArray<'a, f64, ndarray::Ix1>) -> Result<Array2<f64>> {
    let p: ArrayView1<f64> = p.into();
    if p.is_empty() {
        return Err(Error::BadShape { op: "softmax_jacobian", got: vec![0], expected: "a non-empty probability vector (k,)" });
    }
    crate::probability::check_probs("softmax_jacobian", "p", &p, crate::probability::DEFAULT_TOLERANCE)?;
    let k = p.len();
    Ok(Array2::from_shape_fn((k, k), |(i, j)| if i == j { p[i] * (1.0 - p[i]) } else { -p[i] * p[j] }))
}

//! Normalising each token's vector: LayerNorm and RMSNorm.

use ndarray::{Array1, Array2, ArrayView1, Axis};

use super::{check_entries, check_positive};
use crate::error::{Error, Result, Rows, check_cols, check_finite, check_result};
use crate::nn::flat::{flatten, set_arrays};
use crate::nn::{Layer, check_grad_shape, no_forward_yet, no_grads_yet};

/// The checks both norms make on an input `(T, d)`.
fn check_input(op: &'static str, x: &Array2<f64>, d: usize) -> Result<()> {
    check_cols(op, x, Rows::AtLeastOne, d, &[d], "X (left) needs at least one row and one column per entry of γ (right): (T, d_model)")?;
    check_finite(op, &x.view())
}

/// `InvalidArgument` unless `eps` is finite and > 0.
fn check_eps(eps: f64) -> Result<()> {
    if eps.is_finite() && eps > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid("eps", eps, "ε must be finite and > 0: it keeps the square root away from 0 for a constant row"))
    }
}

/// What a norm's backward pass needs from its forward pass.
#[derive(Debug, Clone, PartialEq)]
struct Normalised {
    /// `x̂`, the rows before the learned scale (and shift), `(T, d)`.
    x_hat: Array2<f64>,
    /// `1/√(σ² + ε)` (or `1/√(mean x² + ε)`) per row, `(T, 1)`.
    inv_std: Array2<f64>,
}

/// What LayerNorm and RMSNorm share around their different maths: a
/// forward pass normalises and keeps what backward needs, a prediction
/// normalises and keeps nothing, a backward pass starts from what was kept.
trait Normaliser {
    /// `y` and what backward needs, after checking `x`, `(T, d)`.
    fn normalise(&self, x: &Array2<f64>) -> Result<(Array2<f64>, Normalised)>;
    /// Where a forward pass keeps what backward needs.
    fn saved_mut(&mut self) -> &mut Option<Normalised>;
}

/// [`Layer::forward`] of a norm: a failed pass leaves nothing for backward.
fn forward_norm(norm: &mut impl Normaliser, x: &Array2<f64>) -> Result<Array2<f64>> {
    *norm.saved_mut() = None;
    let (y, saved) = norm.normalise(x)?;
    *norm.saved_mut() = Some(saved);
    Ok(y)
}

/// [`Layer::predict`] of a norm.
fn predict_norm(norm: &impl Normaliser, x: &Array2<f64>) -> Result<Array2<f64>> {
    Ok(norm.normalise(x)?.0)
}

/// What the last forward pass of the norm `layer` kept, once `grad_output`
/// is known to fit it (`op` names the backward pass in errors).
fn saved_for_backward<'a>(saved: &'a Option<Normalised>, layer: &str, op: &'static str, grad_output: &Array2<f64>) -> Result<&'a Normalised> {
    let saved = saved.as_ref().ok_or_else(|| no_forward_yet(layer))?;
    check_grad_shape(op, grad_output, saved.x_hat.dim())?;
    check_finite(op, &grad_output.view())?;
    Ok(saved)
}

/// Layer normalisation over each row, as PyTorch's `nn.LayerNorm(d_model)`
/// defines it (biased variance, `ε` inside the square root), then a learned
/// scale `γ` and shift `β`:
///
/// ```text
/// μ = (1/d) Σⱼ xⱼ        σ² = (1/d) Σⱼ (xⱼ − μ)²        x̂ = (x − μ) / √(σ² + ε)
/// y = γ ⊙ x̂ + β          γ, β: (d,)   x, y: (T, d)
/// ```
///
/// Every token is normalised on its own (no statistics across the
/// sequence or the batch). Backward, per row, with `G = ∂L/∂Y` and
/// `ĝ = G ⊙ γ`:
///
/// ```text
/// ∂L/∂x = (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) / √(σ² + ε)
/// ∂L/∂γ = Σ_rows G ⊙ x̂        ∂L/∂β = Σ_rows G
/// ```
///
/// Parameters flatten as `γ` then `β`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let ln = LayerNorm::new(4)?; // γ = 1, β = 0, ε = 1e-5
/// let y = ln.predict(&array![[1.0, 2.0, 3.0, 4.0]])?;
/// // μ = 2.5, σ² = 1.25: y = (x − 2.5) / √(1.25 + 1e-5) = (x − 2.5) / √1.25001
/// let s = (1.25f64 + 1e-5).sqrt();
/// assert!((&y - &array![[-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]]).iter().all(|d| d.abs() < 1e-15));
/// assert!(y.sum().abs() < 1e-12); // mean 0
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LayerNorm {
    gamma: Array1<f64>,
    beta: Array1<f64>,
    eps: f64,
    cache: Option<Normalised>,
    grad_gamma: Option<Array1<f64>>,
    grad_beta: Option<Array1<f64>>,
}

impl LayerNorm {
    /// PyTorch's default `ε`.
    pub const DEFAULT_EPS: f64 = 1e-5;

    /// A LayerNorm over `d_model` columns with `γ = 1`, `β = 0` and
    /// `ε = 1e-5`, as PyTorch starts one.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `d_model` is 0 or above 100 million.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let ln = LayerNorm::new(3)?;
    /// assert_eq!((ln.gamma(), ln.beta(), ln.eps()), (&array![1.0, 1.0, 1.0], &array![0.0, 0.0, 0.0], 1e-5));
    /// assert_eq!(ln.num_params(), 6); // γ and β
    /// assert!(LayerNorm::new(0).is_err());
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn new(d_model: usize) -> Result<Self> {
        check_positive("d_model", d_model, "a LayerNorm")?;
        check_entries("d_model", d_model, 1, d_model, "scales")?;
        LayerNorm::with_params(Array1::ones(d_model), Array1::zeros(d_model), Self::DEFAULT_EPS)
    }

    /// A LayerNorm with these `γ`, `β` (both `(d_model,)`) and `ε`.
    ///
    /// # Errors
    /// [`Error::BadShape`] for an empty `γ`; [`Error::ShapeMismatch`] unless
    /// `β` has the length of `γ`; [`Error::NonFinite`] for NaN or infinite
    /// entries; [`Error::InvalidArgument`] unless `ε` is finite and > 0.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let ln = LayerNorm::with_params(array![2.0, 2.0], array![1.0, 0.0], 1e-5)?;
    /// // Row [0, 4]: μ = 2, σ² = 4, x̂ = ±2/√4.00001 ≈ ±1; y = γ ⊙ x̂ + β.
    /// let y = ln.predict(&array![[0.0, 4.0]])?;
    /// let s = (4.0f64 + 1e-5).sqrt();
    /// assert!((&y - &array![[2.0 * -2.0 / s + 1.0, 2.0 * 2.0 / s]]).iter().all(|d| d.abs() < 1e-15));
    /// assert!(LayerNorm::with_params(array![1.0], array![0.0, 0.0], 1e-5).is_err()); // β of another length
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn with_params(gamma: Array1<f64>, beta: Array1<f64>, eps: f64) -> Result<Self> {
        if gamma.is_empty() {
            return Err(Error::BadShape { op: "LayerNorm::with_params", got: vec![0], expected: "a non-empty γ (d_model,)" });
        }
        crate::error::check_same_len("LayerNorm::with_params", gamma.len(), beta.len(), "γ (left) and β (right) need one entry per column (d_model)")?;
        check_finite("LayerNorm::with_params (γ)", &gamma.view())?;
        check_finite("LayerNorm::with_params (β)", &beta.view())?;
        check_eps(eps)?;
        Ok(LayerNorm { gamma, beta, eps, cache: None, grad_gamma: None, grad_beta: None })
    }

    /// The learned scale `γ`, `(d_model,)`.
    pub fn gamma(&self) -> &Array1<f64> {
        &self.gamma
    }

    /// The learned shift `β`, `(d_model,)`.
    pub fn beta(&self) -> &Array1<f64> {
        &self.beta
    }

    /// `ε`, added to the variance inside the square root.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// The number of columns normalised together.
    pub fn d_model(&self) -> usize {
        self.gamma.len()
    }

    /// `∂L/∂γ` from the last backward pass, `(d_model,)`.
    pub fn grad_gamma(&self) -> Option<&Array1<f64>> {
        self.grad_gamma.as_ref()
    }

    /// `∂L/∂β` from the last backward pass, `(d_model,)`.
    pub fn grad_beta(&self) -> Option<&Array1<f64>> {
        self.grad_beta.as_ref()
    }
}

impl Normaliser for LayerNorm {
    /// `x̂` and `1/√(σ² + ε)` per row, then `y`.
    fn normalise(&self, x: &Array2<f64>) -> Result<(Array2<f64>, Normalised)> {
        const OP: &str = "LayerNorm.forward";
        check_input(OP, x, self.d_model())?;
        // Row by row in one pass each (a batch of stacked sequences has thousands of short rows).
        let n = self.d_model() as f64;
        let mut x_hat = Array2::zeros(x.raw_dim()); // (T, d)
        let mut inv_std = Array2::zeros((x.nrows(), 1)); // (T, 1)
        for (i, ((row, mut out), inv)) in x.rows().into_iter().zip(x_hat.rows_mut()).zip(inv_std.iter_mut()).enumerate() {
            let rough = row.sum() / n;
            // One correction step: the rounding of Σx/d, divided by a tiny σ, would not be tiny (a constant
            // row of 5e5 came out as 3.7e-8 instead of 0); the mean of x − rough recovers it.
            let mean = rough + row.iter().map(|&v| v - rough).sum::<f64>() / n;
            let mut var = 0.0;
            for (o, &v) in out.iter_mut().zip(row) {
                *o = v - mean; // centred
                var += *o * *o;
            }
            let var = var / n; // biased
            // Squares beyond f64 would make 1/√(σ² + ε) = 0 and x̂ a silent 0: an overflow error instead.
            if !var.is_finite() {
                return Err(Error::Overflow { op: OP, index: vec![i, 0] });
            }
            let s = 1.0 / (var + self.eps).sqrt();
            out.mapv_inplace(|c| c * s);
            *inv = s;
        }
        check_result(OP, &x_hat.view())?; // a mean beyond f64 leaves ∞ − ∞ = NaN here
        let mut y = x_hat.clone(); // (T, d) ⊙ (d,) + (d,)
        for mut row in y.rows_mut() {
            ndarray::Zip::from(&mut row).and(&self.gamma).and(&self.beta).for_each(|y, &g, &b| *y = *y * g + b);
        }
        check_result(OP, &y.view())?;
        Ok((y, Normalised { x_hat, inv_std }))
    }

    fn saved_mut(&mut self) -> &mut Option<Normalised> {
        &mut self.cache
    }
}

impl Layer for LayerNorm {
    fn name(&self) -> String {
        format!("LayerNorm({})", self.d_model())
    }

    fn forward(&mut self, x: &Array2<f64>) -> Result<Array2<f64>> {
        forward_norm(self, x)
    }

    fn predict(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        predict_norm(self, x)
    }

    fn backward(&mut self, grad_output: &Array2<f64>) -> Result<Array2<f64>> {
        let Normalised { x_hat, inv_std } = saved_for_backward(&self.cache, "LayerNorm", "LayerNorm.backward", grad_output)?;
        // Row by row, with ĝ = G ⊙ γ (∂L/∂x̂):
        // ∂L/∂x = (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) / σ,  ∂L/∂γ = Σ_rows G ⊙ x̂,  ∂L/∂β = Σ_rows G.
        let n = self.d_model() as f64;
        let mut grad_input = Array2::zeros(x_hat.raw_dim()); // (T, d)
        let mut grad_gamma = Array1::<f64>::zeros(self.d_model()); // (d,)
        let mut grad_beta = Array1::<f64>::zeros(self.d_model()); // (d,)
        for (((g, xh), mut out), &s) in grad_output.rows().into_iter().zip(x_hat.rows()).zip(grad_input.rows_mut()).zip(inv_std.iter()) {
            let (mut mean_g, mut mean_gx) = (0.0, 0.0);
            for ((&g, &gamma), &xh) in g.iter().zip(&self.gamma).zip(xh) {
                mean_g += g * gamma;
                mean_gx += g * gamma * xh;
            }
            let (mean_g, mean_gx) = (mean_g / n, mean_gx / n);
            ndarray::Zip::from(&mut out).and(&g).and(&self.gamma).and(&xh).for_each(|o, &g, &gamma, &xh| *o = (g * gamma - mean_g - xh * mean_gx) * s);
            ndarray::Zip::from(&mut grad_gamma).and(&mut grad_beta).and(&g).and(&xh).for_each(|gg, gb, &g, &xh| {
                *gg += g * xh;
                *gb += g;
            });
        }
        check_result("LayerNorm.backward (∂L/∂X)", &grad_input.view())?;
        check_result("LayerNorm.backward (∂L/∂γ)", &grad_gamma.view())?;
        check_result("LayerNorm.backward (∂L/∂β)", &grad_beta.view())?;
        self.grad_gamma = Some(grad_gamma);
        self.grad_beta = Some(grad_beta);
        Ok(grad_input)
    }

    fn num_params(&self) -> usize {
        2 * self.d_model()
    }

    fn params(&self) -> Array1<f64> {
        flatten(&[&self.gamma, &self.beta])
    }

    fn grads(&self) -> Result<Array1<f64>> {
        match (&self.grad_gamma, &self.grad_beta) {
            (Some(g), Some(b)) => Ok(flatten(&[g, b])),
            _ => Err(no_grads_yet(&self.name())),
        }
    }

    fn set_params(&mut self, params: ArrayView1<f64>) -> Result<()> {
        set_arrays("LayerNorm.set_params", "γ then β, one value each per column (2 · d_model)", params, &mut [&mut self.gamma, &mut self.beta])
    }

    fn clone_box(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

/// Root-mean-square normalisation over each row (LLaMA's choice): LayerNorm
/// without centring and without `β`, so it only rescales each token's vector:
///
/// ```text
/// r = √((1/d) Σⱼ xⱼ² + ε)      x̂ = x / r      y = γ ⊙ x̂        γ: (d,)   x, y: (T, d)
/// ```
///
/// Backward, per row, with `ĝ = G ⊙ γ`:
///
/// ```text
/// ∂L/∂x = (ĝ − x̂ · mean(ĝ ⊙ x̂)) / r        ∂L/∂γ = Σ_rows G ⊙ x̂
/// ```
///
/// The default `ε` is `1e-6`, LLaMA's.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let rms = RmsNorm::new(2)?;
/// let y = rms.predict(&array![[3.0, 4.0]])?; // mean of squares 12.5
/// let r = (12.5f64 + 1e-6).sqrt();
/// assert!((&y - &array![[3.0 / r, 4.0 / r]]).iter().all(|d| d.abs() < 1e-15));
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RmsNorm {
    gamma: Array1<f64>,
    eps: f64,
    cache: Option<Normalised>,
    grad_gamma: Option<Array1<f64>>,
}

impl RmsNorm {
    /// LLaMA's `ε`.
    pub const DEFAULT_EPS: f64 = 1e-6;

    /// An RMSNorm over `d_model` columns with `γ = 1` and `ε = 1e-6`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `d_model` is 0 or above 100 million.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let rms = RmsNorm::new(2)?;
    /// assert_eq!((rms.gamma(), rms.eps(), rms.num_params()), (&array![1.0, 1.0], 1e-6, 2)); // γ only, no β
    /// // No centring: a constant row keeps its sign, [3, 3] -> [3/√(9 + 1e-6), …] ≈ [1, 1].
    /// let y = rms.predict(&array![[3.0, 3.0]])?;
    /// assert!(y.iter().all(|v| (v - 3.0 / (9.0f64 + 1e-6).sqrt()).abs() < 1e-15));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn new(d_model: usize) -> Result<Self> {
        check_positive("d_model", d_model, "an RMSNorm")?;
        check_entries("d_model", d_model, 1, d_model, "scales")?;
        RmsNorm::with_params(Array1::ones(d_model), Self::DEFAULT_EPS)
    }

    /// An RMSNorm with this `γ`, `(d_model,)`, and `ε`.
    ///
    /// # Errors
    /// [`Error::BadShape`] for an empty `γ`; [`Error::NonFinite`] for NaN or
    /// infinite entries; [`Error::InvalidArgument`] unless `ε` is finite and
    /// > 0.
    pub fn with_params(gamma: Array1<f64>, eps: f64) -> Result<Self> {
        if gamma.is_empty() {
            return Err(Error::BadShape { op: "RmsNorm::with_params", got: vec![0], expected: "a non-empty γ (d_model,)" });
        }
        check_finite("RmsNorm::with_params (γ)", &gamma.view())?;
        check_eps(eps)?;
        Ok(RmsNorm { gamma, eps, cache: None, grad_gamma: None })
    }

    /// The learned scale `γ`, `(d_model,)`.
    pub fn gamma(&self) -> &Array1<f64> {
        &self.gamma
    }

    /// `ε`, added to the mean of squares inside the square root.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// The number of columns normalised together.
    pub fn d_model(&self) -> usize {
        self.gamma.len()
    }

    /// `∂L/∂γ` from the last backward pass, `(d_model,)`.
    pub fn grad_gamma(&self) -> Option<&Array1<f64>> {
        self.grad_gamma.as_ref()
    }
}

impl Normaliser for RmsNorm {
    fn normalise(&self, x: &Array2<f64>) -> Result<(Array2<f64>, Normalised)> {
        const OP: &str = "RmsNorm.forward";
        check_input(OP, x, self.d_model())?;
        let mean_square = x.mapv(|v| v * v).mean_axis(Axis(1)).expect("checked: at least one column").insert_axis(Axis(1)); // (T, 1)
        // Squares beyond f64 would make 1/r = 0 and x̂ a silent 0: an overflow error instead.
        check_result(OP, &mean_square.view())?;
        let inv_std = mean_square.mapv(|m| 1.0 / (m + self.eps).sqrt()); // (T, 1)
        let x_hat = x * &inv_std; // (T, d)
        check_result(OP, &x_hat.view())?;
        let y = &x_hat * &self.gamma; // (T, d) ⊙ (d,)
        check_result(OP, &y.view())?;
        Ok((y, Normalised { x_hat, inv_std }))
    }

    fn saved_mut(&mut self) -> &mut Option<Normalised> {
        &mut self.cache
    }
}

impl Layer for RmsNorm {
    fn name(&self) -> String {
        format!("RmsNorm({})", self.d_model())
    }

    fn forward(&mut self, x: &Array2<f64>) -> Result<Array2<f64>> {
        forward_norm(self, x)
    }

    fn predict(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        predict_norm(self, x)
    }

    fn backward(&mut self, grad_output: &Array2<f64>) -> Result<Array2<f64>> {
        let Normalised { x_hat, inv_std } = saved_for_backward(&self.cache, "RmsNorm", "RmsNorm.backward", grad_output)?;
        let g_hat = grad_output * &self.gamma; // (T, d)
        let mean_gx = (&g_hat * x_hat).mean_axis(Axis(1)).expect("d ≥ 1").insert_axis(Axis(1)); // (T, 1)
        let grad_input = (&g_hat - &(x_hat * &mean_gx)) * inv_std; // (T, d)
        let grad_gamma = (grad_output * x_hat).sum_axis(Axis(0)); // (d,)
        check_result("RmsNorm.backward (∂L/∂X)", &grad_input.view())?;
        check_result("RmsNorm.backward (∂L/∂γ)", &grad_gamma.view())?;
        self.grad_gamma = Some(grad_gamma);
        Ok(grad_input)
    }

    fn num_params(&self) -> usize {
        self.d_model()
    }

    fn params(&self) -> Array1<f64> {
        self.gamma.clone()
    }

    fn grads(&self) -> Result<Array1<f64>> {
        self.grad_gamma.clone().ok_or_else(|| no_grads_yet(&self.name()))
    }

    fn set_params(&mut self, params: ArrayView1<f64>) -> Result<()> {
        set_arrays("RmsNorm.set_params", "one γ per column (d_model)", params, &mut [&mut self.gamma])
    }

    fn clone_box(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

//! Numerical derivatives, gradients, gradient checks and activation functions.
//!
//! Taught in `notebooks/02-calculus.ipynb`.
//!
//! In the order the notebook builds them:
//! - **derivatives** of `f: ℝ → ℝ` by finite differences: [`forward_difference`]
//!   (error `O(h)`) and [`central_difference`] (error `O(h²)`). A smaller `h`
//!   is not always better: below about `1e-5` rounding error in `f(x ± h)`
//!   grows like `ε/h` and swamps the truncation error;
//! - **partial derivatives and gradients** of `f: ℝⁿ → ℝ`:
//!   [`partial_derivative`] and [`numerical_gradient`], shape `(n,)`;
//! - the **gradient check** every hand-written backward pass needs:
//!   [`gradient_check`] compares an analytic gradient with central
//!   differences and reports the worst component ([`GradientCheck`]);
//! - **activations** and their derivatives, the local gradients of
//!   backpropagation: [`sigmoid`], [`tanh`], [`relu`], [`gelu`] and their
//!   `_derivative`s; GELU's tanh approximation [`gelu_tanh`] and how far it
//!   is from the exact form, [`gelu_tanh_error`], both used in notebook 07
//!   (transformer block).
//!
//! Functions to differentiate are plain closures: `|x| x * x` for one input,
//! `|v: &[f64]| v[0] * v[1]` for several. A step `h` must be finite and
//! positive, points must be finite, and `f` must return finite values where
//! it is evaluated: anything else is an [`Error::InvalidArgument`], never a
//! silent NaN.

use ndarray::{Array1, AsArray, Ix1};

use crate::error::{Error, Result, check_same_len};

// ---------------------------------------------------------------------------
// Derivatives
// ---------------------------------------------------------------------------

/// Derivative of `f` at `x` by a forward difference: the slope of the secant
/// from `x` to `x + h`.
///
/// ```text
/// f'(x) ≈ (f(x + h) − f(x)) / h          error O(h)
/// ```
///
/// Shapes: scalars.
///
/// # Errors
/// [`Error::InvalidArgument`] named `h` if `h` is not finite and positive,
/// named `x` if `x` is not finite, named `f` if `f` returns NaN or an
/// infinity at `x` or `x + h`.
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// // f(x) = x², f'(2) = 4; the forward difference is off by exactly h.
/// let d = forward_difference(|x| x * x, 2.0, 1e-3)?;
/// assert!((d - 4.001).abs() < 1e-9);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn forward_difference(f: impl Fn(f64) -> f64, x: f64, h: f64) -> Result<f64> {
    check_step(h)?;
    check_point(x)?;
    Ok((eval(&f, x + h)? - eval(&f, x)?) / h)
}

/// Derivative of `f` at `x` by a central difference: the slope of the secant
/// from `x − h` to `x + h`, symmetric around `x`.
///
/// ```text
/// f'(x) ≈ (f(x + h) − f(x − h)) / (2h)   error O(h²)
/// ```
///
/// The `h²` terms of the two Taylor expansions cancel, so for the same `h`
/// this is far more accurate than [`forward_difference`]; `h = 1e-5` is a
/// good default.
///
/// Shapes: scalars.
///
/// # Errors
/// [`Error::InvalidArgument`] named `h` if `h` is not finite and positive,
/// named `x` if `x` is not finite, named `f` if `f` returns NaN or an
/// infinity at `x ± h`.
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// // f(x) = x², f'(2) = 4: exact for a parabola, up to rounding.
/// assert!((central_difference(|x| x * x, 2.0, 1e-3)? - 4.0).abs() < 1e-9);
/// // d/dx sin x = cos x.
/// assert!((central_difference(f64::sin, 1.0, 1e-5)? - 1f64.cos()).abs() < 1e-9);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn central_difference(f: impl Fn(f64) -> f64, x: f64, h: f64) -> Result<f64> {
    check_step(h)?;
    check_point(x)?;
    Ok((eval(&f, x + h)? - eval(&f, x - h)?) / (2.0 * h))
}

// ---------------------------------------------------------------------------
// Partial derivatives and gradients
// ---------------------------------------------------------------------------

/// Partial derivative `∂f/∂xᵢ` at `x` by a central difference: move only
/// coordinate `i`, hold the others fixed.
///
/// ```text
/// ∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / (2h)
/// ```
///
/// Shapes: `x: (n,)`, `0 ≤ i < n` → scalar.
///
/// # Errors
/// [`Error::InvalidArgument`] named `h` if `h` is not finite and positive,
/// named `x` if an entry of `x` is not finite, named `i` if `i ≥ n`, named
/// `f` if `f` returns NaN or an infinity at `x ± h·eᵢ`.
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// // f(x, y) = x²·y: ∂f/∂x = 2xy = 12 and ∂f/∂y = x² = 4 at (2, 3).
/// let f = |v: &[f64]| v[0] * v[0] * v[1];
/// assert!((partial_derivative(f, &[2.0, 3.0], 0, 1e-5)? - 12.0).abs() < 1e-8);
/// assert!((partial_derivative(f, &[2.0, 3.0], 1, 1e-5)? - 4.0).abs() < 1e-8);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn partial_derivative(f: impl Fn(&[f64]) -> f64, x: &[f64], i: usize, h: f64) -> Result<f64> {
    check_step(h)?;
    check_points(x)?;
    check_index(i, x.len())?;
    central_partial(&f, x, i, h)
}

/// Gradient of `f` at `x`: every partial derivative, each by a central
/// difference. It points in the direction of steepest ascent.
///
/// ```text
/// ∇f(x) = (∂f/∂x₀, …, ∂f/∂xₙ₋₁),   ∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / (2h)
/// ```
///
/// Costs `2n` evaluations of `f`, which is why training uses backpropagation
/// instead and keeps this for checking it.
///
/// Shapes: `x: (n,)` → `(n,)`.
///
/// # Errors
/// As [`partial_derivative`] (except `i`).
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::calculus::*;
/// // f(x, y) = x² + 2xy + y²: ∇f = (2x + 2y, 2x + 2y) = (6, 6) at (1, 2).
/// let f = |v: &[f64]| v[0] * v[0] + 2.0 * v[0] * v[1] + v[1] * v[1];
/// let g = numerical_gradient(f, &[1.0, 2.0], 1e-5)?;
/// assert!((&g - &array![6.0, 6.0]).iter().all(|d| d.abs() < 1e-8));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn numerical_gradient(f: impl Fn(&[f64]) -> f64, x: &[f64], h: f64) -> Result<Array1<f64>> {
    check_step(h)?;
    check_points(x)?;
    (0..x.len()).map(|i| central_partial(&f, x, i, h)).collect() // n × scalar -> (n,)
}

// ---------------------------------------------------------------------------
// Gradient check
// ---------------------------------------------------------------------------

/// The outcome of [`gradient_check`]: both gradients and where they disagree
/// most.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientCheck {
    /// The gradient that was checked (e.g. from a hand-written backward
    /// pass). Shape `(n,)`.
    pub analytic: Array1<f64>,
    /// The central-difference gradient of `f`. Shape `(n,)`.
    pub numerical: Array1<f64>,
    /// Largest relative error over the components.
    pub max_relative_error: f64,
    /// Index of the component where it occurs (the first, on a tie).
    pub worst_index: usize,
}

impl GradientCheck {
    /// Whether the analytic gradient agrees with the numerical one: true when
    /// `max_relative_error <= tolerance`.
    ///
    /// ```text
    /// passes(tol) ⇔ maxᵢ relᵢ ≤ tol
    /// ```
    ///
    /// With `h = 1e-5` a correct gradient typically scores below `1e-7`; a
    /// wrong one scores near 1.
    ///
    /// # Examples
    /// ```
    /// use llm_math::calculus::*;
    /// let check = gradient_check(|v: &[f64]| v[0] * v[0], &[4.0], &[2.0], 1e-5)?;
    /// assert!(check.passes(1e-7));
    /// assert!(!check.passes(-1.0));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn passes(&self, tolerance: f64) -> bool {
        self.max_relative_error <= tolerance
    }
}

/// Compares an analytic gradient with central differences, component by
/// component, and reports the worst relative error.
///
/// ```text
/// nᵢ    = (f(x + h·eᵢ) − f(x − h·eᵢ)) / (2h)
/// relᵢ  = |aᵢ − nᵢ| / max(|aᵢ|, |nᵢ|, 1e-8)
/// worst = argmaxᵢ relᵢ
/// ```
///
/// The error is relative so one tolerance fits gradients of any scale; the
/// `1e-8` floor keeps it finite when both partials are (nearly) zero, where
/// it becomes an absolute error instead.
///
/// Shapes: `analytic: (n,)`, `x: (n,)`.
///
/// # Errors
/// [`Error::ShapeMismatch`] if `analytic` and `x` differ in length;
/// [`Error::InvalidArgument`] named `x` if `x` is empty or not finite,
/// `analytic` if an entry is not finite, and those of
/// [`numerical_gradient`].
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// // f(x, y) = x² + 2xy + y² at (1, 2): the true gradient is (6, 6).
/// let f = |v: &[f64]| v[0] * v[0] + 2.0 * v[0] * v[1] + v[1] * v[1];
/// assert!(gradient_check(f, &[6.0, 6.0], &[1.0, 2.0], 1e-5)?.passes(1e-8));
///
/// // A bug in ∂f/∂y is caught and located.
/// let buggy = gradient_check(f, &[6.0, 5.0], &[1.0, 2.0], 1e-5)?;
/// assert!(!buggy.passes(1e-8));
/// assert_eq!(buggy.worst_index, 1);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn gradient_check<'a>(
    f: impl Fn(&[f64]) -> f64,
    analytic: impl AsArray<'a, f64, Ix1>,
    x: &[f64],
    h: f64,
) -> Result<GradientCheck> {
    let analytic = analytic.into();
    check_same_len("gradient_check", analytic.len(), x.len(), "one analytic partial per input")?;
    if x.is_empty() {
        return Err(Error::invalid("x", "[]", "a gradient check needs at least one input"));
    }
    if let Some((i, a)) = analytic.iter().enumerate().find(|(_, a)| !a.is_finite()) {
        return Err(Error::invalid("analytic", format!("{analytic}"), format!("analytic[{i}] is {a}; the gradient to check must be finite")));
    }
    let numerical = numerical_gradient(f, x, h)?; // (n,)
    let errors: Vec<f64> = analytic.iter().zip(&numerical).map(|(&a, &n)| relative_error(a, n)).collect(); // (n,)
    let (worst_index, max_relative_error) =
        errors.iter().copied().enumerate().fold((0, errors[0]), |best, (i, e)| if e > best.1 { (i, e) } else { best });
    Ok(GradientCheck { analytic: analytic.to_owned(), numerical, max_relative_error, worst_index })
}

/// `|a − n| / max(|a|, |n|, 1e-8)`; the floor avoids 0/0 when both vanish.
fn relative_error(a: f64, n: f64) -> f64 {
    (a - n).abs() / a.abs().max(n.abs()).max(1e-8)
}

// ---------------------------------------------------------------------------
// Activations
// ---------------------------------------------------------------------------

/// The logistic sigmoid: squashes any real number into `(0, 1)`.
///
/// ```text
/// σ(x) = 1 / (1 + e^(−x))
/// ```
///
/// Stable for any `x`: `sigmoid(-1000.0)` is exactly 0 and `sigmoid(1000.0)`
/// exactly 1, without overflow.
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// assert_eq!(sigmoid(0.0), 0.5);
/// assert_eq!((sigmoid(-1000.0), sigmoid(1000.0)), (0.0, 1.0));
/// ```
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        // The same value as e^x / (1 + e^x); written so exp only sees x < 0 and cannot overflow.
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Derivative of [`sigmoid`], written with the sigmoid itself: this is why
/// backpropagation through a sigmoid is cheap.
///
/// ```text
/// σ'(x) = σ(x) · (1 − σ(x))
/// ```
///
/// At most 1/4 (at `x = 0`), so stacked sigmoids shrink gradients.
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// assert_eq!(sigmoid_derivative(0.0), 0.25);
/// let numerical = central_difference(sigmoid, 1.5, 1e-5)?;
/// assert!((sigmoid_derivative(1.5) - numerical).abs() < 1e-9);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn sigmoid_derivative(x: f64) -> f64 {
    let s = sigmoid(x);
    s * (1.0 - s)
}

/// Hyperbolic tangent: squashes into `(−1, 1)`, zero-centred.
/// This is [`f64::tanh`], here so the activations sit together.
///
/// ```text
/// tanh(x) = (eˣ − e^(−x)) / (eˣ + e^(−x)) = 2σ(2x) − 1
/// ```
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// assert_eq!(tanh(0.0), 0.0);
/// assert!((tanh(1.0) - (2.0 * sigmoid(2.0) - 1.0)).abs() < 1e-15);
/// ```
pub fn tanh(x: f64) -> f64 {
    x.tanh()
}

/// Derivative of [`tanh`], written with tanh itself.
///
/// ```text
/// tanh'(x) = 1 − tanh²(x)
/// ```
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// assert_eq!(tanh_derivative(0.0), 1.0);
/// let numerical = central_difference(tanh, 0.7, 1e-5)?;
/// assert!((tanh_derivative(0.7) - numerical).abs() < 1e-9);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn tanh_derivative(x: f64) -> f64 {
    let t = x.tanh();
    1.0 - t * t
}

/// Rectified linear unit: keeps positive values, zeroes negative ones.
///
/// ```text
/// relu(x) = max(0, x)
/// ```
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// assert_eq!((relu(-2.0), relu(0.0), relu(3.0)), (0.0, 0.0, 3.0));
/// ```
pub fn relu(x: f64) -> f64 {
    // f64::max would turn a NaN into 0 and hide it; a NaN goes through.
    if x.is_nan() { x } else { x.max(0.0) }
}

/// Derivative of [`relu`]: a step.
///
/// ```text
/// relu'(x) = 1 if x > 0,  0 otherwise
/// ```
///
/// ReLU has no derivative at 0 (the slopes on either side are 0 and 1); like
/// PyTorch and JAX we use 0 there, one of its valid subgradients.
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// assert_eq!((relu_derivative(-2.0), relu_derivative(0.0), relu_derivative(3.0)), (0.0, 0.0, 1.0));
/// ```
pub fn relu_derivative(x: f64) -> f64 {
    if x.is_nan() {
        x // not a number in, not a number out: never a plausible 0
    } else if x > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// Gaussian error linear unit, the exact form (not the tanh approximation):
/// `x` weighted by the probability that a standard normal is below it.
///
/// ```text
/// gelu(x) = x · Φ(x),   Φ(x) = ½ · erfc(−x / √2)
/// ```
///
/// `Φ` is the standard normal CDF, computed with `statrs`' `erfc` (accurate
/// to about `1e-11`, far below what an activation needs).
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// assert_eq!(gelu(0.0), 0.0);
/// // gelu(1) = Φ(1), the familiar 0.8413 of a normal table.
/// assert!((gelu(1.0) - 0.8413447460685429).abs() < 1e-10);
/// ```
pub fn gelu(x: f64) -> f64 {
    // −∞ · Φ(−∞) would be −∞ · 0 = NaN; the limit is 0.
    if x == f64::NEG_INFINITY { 0.0 } else { x * normal_cdf(x) }
}

/// Derivative of [`gelu`], by the product rule.
///
/// ```text
/// gelu'(x) = Φ(x) + x · φ(x),   φ(x) = e^(−x²/2) / √(2π)
/// ```
///
/// Unlike ReLU it is smooth, and slightly negative for `x` below about −0.75.
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// assert_eq!(gelu_derivative(0.0), 0.5);
/// let numerical = central_difference(gelu, -1.2, 1e-5)?;
/// assert!((gelu_derivative(-1.2) - numerical).abs() < 1e-9);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn gelu_derivative(x: f64) -> f64 {
    // ±∞ · φ(±∞) would be NaN; x·φ(x) → 0, so the limits are Φ(±∞): 1 and 0.
    if x.is_infinite() { normal_cdf(x) } else { normal_cdf(x) + x * normal_pdf(x) }
}

/// GELU's tanh approximation, the form GPT-2's original code used (and
/// PyTorch's `gelu(x, approximate="tanh")`): `Φ(x)` replaced by a tanh curve
/// that is cheaper to compute.
///
/// ```text
/// gelu_tanh(x) = ½ · x · (1 + tanh(u)),   u = √(2/π) · (x + 0.044715 · x³)
/// ```
///
/// It differs from the exact [`gelu`] by at most about `4.7e-4` (near
/// `x = ±2.7`): [`gelu_tanh_error`] measures it.
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// assert_eq!(gelu_tanh(0.0), 0.0);
/// assert!((gelu_tanh(1.0) - gelu(1.0)).abs() < 2e-4);
/// ```
#[inline]
pub fn gelu_tanh(x: f64) -> f64 {
    // ½·(1 + tanh u) = 1 / (1 + e^(−2u)) = σ(2u): the same number with one
    // exp instead of a tanh (a loop over it vectorises: notebook 08's
    // training spends much of its time here), and without the cancellation
    // of 1 + tanh(u) near −1. No early return, so that a loop vectorises.
    let z = -2.0 * gelu_tanh_u(x);
    let y = x / (1.0 + crate::fastmath::exp(z));
    // u < −700 (and x = −∞): the limit, 0 (−0, as ½·x·(1 + tanh u) gives).
    if z > 1400.0 { -0.0 } else { y }
}

/// Derivative of [`gelu_tanh`], by the product and chain rules.
///
/// ```text
/// gelu_tanh'(x) = ½ · (1 + tanh(u)) + ½ · x · (1 − tanh²(u)) · u'(x)
/// u'(x) = √(2/π) · (1 + 3 · 0.044715 · x²)
/// ```
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// assert_eq!(gelu_tanh_derivative(0.0), 0.5);
/// let numerical = central_difference(gelu_tanh, 0.7, 1e-5)?;
/// assert!((gelu_tanh_derivative(0.7) - numerical).abs() < 1e-9);
/// # Ok::<(), llm_math::Error>(())
/// ```
#[inline]
pub fn gelu_tanh_derivative(x: f64) -> f64 {
    // With e = e^(−2u) and s = σ(2u) = 1 / (1 + e) = ½·(1 + tanh u):
    // ½·(1 − tanh²u) = 2·s·(1 − s) = 2·e·s², so
    // gelu_tanh'(x) = s + 2·x·e·s²·u'(x).
    let z = -2.0 * gelu_tanh_u(x);
    let e = crate::fastmath::exp(z);
    let s = 1.0 / (1.0 + e);
    let bump = e * s * s; // s·(1 − s)
    let slope = 2.0 * x * bump * GELU_TANH_SCALE * (1.0 + 3.0 * GELU_TANH_CUBIC * x * x);
    // Far out bump is exactly 0 while x · u'(x) may be infinite (0 · ∞ is
    // NaN): the slope is 0 there. x = +∞ gives s = 1, the limit 1.
    let d = s + if bump == 0.0 { 0.0 } else { slope };
    // u < −700 (and x = −∞): s and the slope are below 1e-300; the limit is 0.
    if z > 1400.0 { 0.0 } else { d }
}

/// √(2/π), the slope of the tanh approximation's argument at 0.
const GELU_TANH_SCALE: f64 = 0.797_884_560_802_865_4;
/// The cubic coefficient of the tanh approximation.
const GELU_TANH_CUBIC: f64 = 0.044_715;

/// The argument of tanh in [`gelu_tanh`], `√(2/π) · (x + 0.044715 · x³)`.
#[inline(always)]
fn gelu_tanh_u(x: f64) -> f64 {
    GELU_TANH_SCALE * (x + GELU_TANH_CUBIC * x * x * x)
}

/// How far the tanh approximation is from the exact GELU: the largest
/// `|gelu(x) − gelu_tanh(x)|` over `points` evenly spaced `x` from `low` to
/// `high` (both included), and the `x` where it occurs (the first, on a tie).
///
/// ```text
/// xᵢ = low + (high − low) · i / (points − 1),   i = 0 … points − 1
/// returns (x at the maximum, maxᵢ |gelu(xᵢ) − gelu_tanh(xᵢ)|)
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] unless `low` and `high` are finite with
/// `low < high`, or for `points` outside 2 to 10 000 000.
///
/// # Examples
/// ```
/// use llm_math::calculus::*;
/// let (x, error) = gelu_tanh_error(-6.0, 6.0, 120_001)?;
/// assert!((error - 4.7e-4).abs() < 1e-5); // the published "about 4.7e-4"
/// assert!((x.abs() - 2.7).abs() < 0.01);   // at x ≈ ±2.7 (the difference is even in x)
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn gelu_tanh_error(low: f64, high: f64, points: usize) -> Result<(f64, f64)> {
    if !low.is_finite() {
        return Err(Error::invalid("low", low, "the interval's ends must be finite numbers"));
    }
    if !(high.is_finite() && high > low) {
        return Err(Error::invalid("high", high, format!("the interval's upper end must be finite and above low = {}", crate::display::Readable::readable(&low))));
    }
    if !(2..=10_000_000).contains(&points) {
        return Err(Error::invalid("points", points, "from 2 to 10 000 000 evenly spaced points (both ends included)"));
    }
    let last = (points - 1) as f64;
    let mut worst = (low, -1.0);
    for i in 0..points {
        let f = i as f64 / last;
        // A weighted mean of the ends, not low + (high − low)·f: high − low overflows for ends near ±f64::MAX.
        let x = (low * (1.0 - f) + high * f).clamp(low, high); // rounding must not step outside the interval
        let difference = (gelu(x) - gelu_tanh(x)).abs();
        if difference > worst.1 {
            worst = (x, difference);
        }
    }
    Ok(worst)
}

/// Φ(x). Through erfc, not 1 + erf, so Φ of a very negative x keeps its
/// relative precision instead of cancelling to 0.
fn normal_cdf(x: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2)
}

/// φ(x), the standard normal density.
fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn check_step(h: f64) -> Result<()> {
    // `h > 0.0` is false for NaN, so this also rejects NaN.
    if h > 0.0 && h.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid("h", h, "the step must be a finite number greater than 0 (1e-5 is a good default)"))
    }
}

fn check_point(x: f64) -> Result<()> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid("x", x, "a derivative is taken at a finite point"))
    }
}

fn check_points(x: &[f64]) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(Error::invalid("x", format!("{x:?}"), format!("x[{i}] is {}; a derivative is taken at a finite point", x[i]))),
        None => Ok(()),
    }
}

fn check_index(i: usize, n: usize) -> Result<()> {
    if i < n {
        Ok(())
    } else {
        Err(Error::invalid("i", i, format!("x has {n} coordinates, so i must be in 0..{n}")))
    }
}

/// Central difference along coordinate `i`; inputs already checked.
fn central_partial(f: &impl Fn(&[f64]) -> f64, x: &[f64], i: usize, h: f64) -> Result<f64> {
    let mut shifted = x.to_vec();
    shifted[i] = x[i] + h;
    let plus = eval_at(f, &shifted)?;
    shifted[i] = x[i] - h;
    let minus = eval_at(f, &shifted)?;
    Ok((plus - minus) / (2.0 * h))
}

/// `f(x)`, refusing a non-finite result: one NaN would silently poison
/// every difference computed from it.
fn eval(f: &impl Fn(f64) -> f64, x: f64) -> Result<f64> {
    let y = f(x);
    if y.is_finite() { Ok(y) } else { Err(non_finite_f(format!("f({x}) = {y}"))) }
}

/// `f(x)` for a function of several variables, as [`eval`].
fn eval_at(f: &impl Fn(&[f64]) -> f64, x: &[f64]) -> Result<f64> {
    let y = f(x);
    if y.is_finite() { Ok(y) } else { Err(non_finite_f(format!("f({x:?}) = {y}"))) }
}

fn non_finite_f(value: String) -> Error {
    Error::invalid(
        "f",
        value,
        "f must return a finite number at every point the difference evaluates; \
         move x, or shrink h so that x ± h stays inside f's domain",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    /// x² + 2xy + y² = (x + y)², gradient (2(x + y), 2(x + y)).
    fn square_of_sum(v: &[f64]) -> f64 {
        v[0] * v[0] + 2.0 * v[0] * v[1] + v[1] * v[1]
    }

    #[test]
    fn derivative_of_x_squared_at_2_is_4() {
        let square = |x: f64| x * x;
        // Forward error is exactly h for a parabola: (4h + h²)/h − 4 = h.
        assert_abs_diff_eq!(forward_difference(square, 2.0, 1e-4).unwrap(), 4.0, epsilon = 2e-4);
        assert_abs_diff_eq!(central_difference(square, 2.0, 1e-4).unwrap(), 4.0, epsilon = 1e-9);
    }

    #[test]
    fn central_is_much_more_accurate_than_forward_for_the_same_h() {
        let exact = 1f64.cos(); // d/dx sin x = cos x
        let forward_error = (forward_difference(f64::sin, 1.0, 1e-3).unwrap() - exact).abs();
        let central_error = (central_difference(f64::sin, 1.0, 1e-3).unwrap() - exact).abs();
        assert!(central_error < 1e-6, "central error {central_error}");
        assert!(forward_error > 1e-4, "forward error {forward_error}");
    }

    #[test]
    fn derivative_of_exp_is_exp() {
        for x in [-2.0, 0.0, 0.5, 3.0] {
            assert_abs_diff_eq!(central_difference(f64::exp, x, 1e-5).unwrap(), x.exp(), epsilon = 1e-8 * x.exp());
        }
    }

    #[test]
    fn step_size_trades_truncation_error_against_rounding_error() {
        let error = |h: f64| (central_difference(f64::sin, 1.0, h).unwrap() - 1f64.cos()).abs();
        // h = 1e-1: truncation (≈ h²/6·cos 1) dominates; h = 1e-12: rounding (≈ ε/h) dominates.
        assert!(error(1e-5) < error(1e-1), "{} vs {}", error(1e-5), error(1e-1));
        assert!(error(1e-5) < error(1e-12), "{} vs {}", error(1e-5), error(1e-12));
    }

    #[test]
    fn partials_and_gradient_of_square_of_sum() {
        let x = [1.0, 2.0];
        assert_abs_diff_eq!(partial_derivative(square_of_sum, &x, 0, 1e-5).unwrap(), 6.0, epsilon = 1e-8);
        assert_abs_diff_eq!(partial_derivative(square_of_sum, &x, 1, 1e-5).unwrap(), 6.0, epsilon = 1e-8);
        let g = numerical_gradient(square_of_sum, &x, 1e-5).unwrap();
        assert_abs_diff_eq!(g, array![6.0, 6.0], epsilon = 1e-8);
        // A function whose partials differ, so a mixed-up index would show: ∇(x²y) = (2xy, x²).
        let g = numerical_gradient(|v: &[f64]| v[0] * v[0] * v[1], &[2.0, 3.0], 1e-5).unwrap();
        assert_abs_diff_eq!(g, array![12.0, 4.0], epsilon = 1e-8);
    }

    #[test]
    fn gradient_check_passes_the_true_gradient() {
        let check = gradient_check(square_of_sum, &[6.0, 6.0], &[1.0, 2.0], 1e-5).unwrap();
        assert!(check.max_relative_error < 1e-8, "{}", check.max_relative_error);
        assert!(check.passes(1e-8));
        assert_eq!(check.analytic, array![6.0, 6.0]);
    }

    #[test]
    fn gradient_check_flags_a_wrong_gradient_and_where() {
        let check = gradient_check(square_of_sum, &array![6.0, 5.0], &[1.0, 2.0], 1e-5).unwrap();
        assert_eq!(check.worst_index, 1);
        // |5 − 6| / 6.
        assert_abs_diff_eq!(check.max_relative_error, 1.0 / 6.0, epsilon = 1e-8);
        assert!(!check.passes(1e-3));
    }

    #[test]
    fn gradient_check_floor_keeps_zero_gradients_finite() {
        // At the minimum of x², both gradients are 0: the floor avoids 0/0.
        let check = gradient_check(|v: &[f64]| v[0] * v[0], &[0.0], &[0.0], 1e-5).unwrap();
        assert_eq!(check.max_relative_error, 0.0);
    }

    #[test]
    fn sigmoid_closed_forms_and_derivative() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid_derivative(0.0), 0.25);
        // σ(ln 3) = 1 / (1 + 1/3) = 3/4; symmetry σ(−x) = 1 − σ(x).
        assert_abs_diff_eq!(sigmoid(3f64.ln()), 0.75, epsilon = 1e-15);
        assert_abs_diff_eq!(sigmoid(-2.5), 1.0 - sigmoid(2.5), epsilon = 1e-15);
        for x in [-6.0, -2.0, -0.5, 0.3, 1.0, 4.0] {
            let numerical = central_difference(sigmoid, x, 1e-5).unwrap();
            assert_abs_diff_eq!(sigmoid_derivative(x), numerical, epsilon = 1e-9);
        }
    }

    #[test]
    fn sigmoid_is_stable_at_extremes() {
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid_derivative(-1000.0), 0.0);
        assert_eq!(sigmoid_derivative(1000.0), 0.0);
        // Far left, σ(x) ≈ eˣ: the stable branch keeps the tiny value rather than rounding to 0.
        assert_abs_diff_eq!(sigmoid(-40.0) / (-40f64).exp(), 1.0, epsilon = 1e-15);
    }

    #[test]
    fn tanh_closed_forms_and_derivative() {
        assert_eq!(tanh_derivative(0.0), 1.0);
        let x = 0.8f64;
        let closed = (x.exp() - (-x).exp()) / (x.exp() + (-x).exp());
        assert_abs_diff_eq!(tanh(x), closed, epsilon = 1e-15);
        for x in [-3.0, -1.0, 0.2, 1.5] {
            let numerical = central_difference(tanh, x, 1e-5).unwrap();
            assert_abs_diff_eq!(tanh_derivative(x), numerical, epsilon = 1e-9);
        }
    }

    #[test]
    fn relu_and_its_step() {
        assert_eq!(relu(-2.0), 0.0);
        assert_eq!(relu(2.5), 2.5);
        assert_eq!(relu_derivative(3.0), 1.0);
        assert_eq!(relu_derivative(-3.0), 0.0);
        assert_eq!(relu_derivative(0.0), 0.0); // the documented convention at the kink
    }

    #[test]
    fn gelu_published_values() {
        assert_eq!(gelu(0.0), 0.0);
        // Φ(1) and Φ(−1) from the standard normal table (to double precision);
        // statrs' erfc is accurate to about 1e-11 near these arguments, hence the tolerance.
        assert_abs_diff_eq!(gelu(1.0), 0.8413447460685429, epsilon = 1e-10);
        assert_abs_diff_eq!(gelu(-1.0), -0.15865525393145707, epsilon = 1e-10);
        // The tanh approximation of Hendrycks & Gimpel agrees to about 1e-3.
        for x in [-3.0, -1.0, 0.5, 2.0] {
            let approx = 0.5 * x * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x)).tanh());
            assert_abs_diff_eq!(gelu(x), approx, epsilon = 1e-3);
        }
    }

    #[test]
    fn gelu_derivative_matches_central_differences() {
        assert_eq!(gelu_derivative(0.0), 0.5);
        for x in [-4.0, -1.5, -0.75, 0.1, 1.0, 3.0] {
            let numerical = central_difference(gelu, x, 1e-5).unwrap();
            assert_abs_diff_eq!(gelu_derivative(x), numerical, epsilon = 1e-9);
        }
    }

    // One test per error this module returns.

    #[test]
    fn error_invalid_h() {
        for h in [0.0, -1e-5, f64::NAN, f64::INFINITY] {
            assert!(matches!(central_difference(f64::sin, 1.0, h), Err(Error::InvalidArgument { name: "h", .. })));
            assert!(matches!(forward_difference(f64::sin, 1.0, h), Err(Error::InvalidArgument { name: "h", .. })));
            assert!(matches!(numerical_gradient(square_of_sum, &[1.0, 2.0], h), Err(Error::InvalidArgument { name: "h", .. })));
        }
        let e = central_difference(f64::sin, 1.0, 0.0).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "h", ref value, .. } if value == "0.0"));
    }

    #[test]
    fn error_invalid_i() {
        let e = partial_derivative(square_of_sum, &[1.0, 2.0], 2, 1e-5).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "i", ref value, ref why } if value == "2" && why.contains("0..2")));
    }

    #[test]
    fn error_invalid_x() {
        assert!(matches!(central_difference(f64::sin, f64::NAN, 1e-5), Err(Error::InvalidArgument { name: "x", .. })));
        let e = numerical_gradient(square_of_sum, &[1.0, f64::INFINITY], 1e-5).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "x", ref why, .. } if why.contains("x[1] is inf")));
        assert!(matches!(gradient_check(|_: &[f64]| 0.0, &[0.0; 0], &[], 1e-5), Err(Error::InvalidArgument { name: "x", .. })));
    }

    #[test]
    fn error_invalid_f() {
        // ln is undefined left of 0: at x = 0.5 with h = 1 the difference would evaluate ln(−0.5).
        let e = central_difference(f64::ln, 0.5, 1.0).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "f", ref value, .. } if value == "f(-0.5) = NaN"));
        let e = numerical_gradient(|v: &[f64]| 1.0 / v[0], &[1e-6, 1.0], 1e-6).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "f", ref value, .. } if value == "f([0.0, 1.0]) = inf"));
    }

    #[test]
    fn error_invalid_analytic() {
        let e = gradient_check(square_of_sum, &[6.0, f64::NAN], &[1.0, 2.0], 1e-5).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "analytic", .. }));
    }

    #[test]
    fn error_shape_mismatch() {
        let e = gradient_check(square_of_sum, &[6.0, 6.0, 0.0], &[1.0, 2.0], 1e-5).unwrap_err();
        assert!(matches!(
            e,
            Error::ShapeMismatch { op: "gradient_check", ref left, ref right, rule: "one analytic partial per input" }
                if left == &vec![3] && right == &vec![2]
        ));
    }

    #[test]
    fn relu_passes_a_nan_through() {
        assert!(relu(f64::NAN).is_nan() && relu_derivative(f64::NAN).is_nan());
        assert_eq!((relu(-0.5), relu(2.0), relu_derivative(-0.5), relu_derivative(2.0)), (0.0, 2.0, 0.0, 1.0));
    }
}

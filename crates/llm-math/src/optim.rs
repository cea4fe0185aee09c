//! Optimization: training data, mini-batches, optimizers and learning-rate
//! schedules.
//!
//! Taught in `notebooks/04-optimization.ipynb`.
//!
//! Training a model is a loop: take a mini-batch, compute the gradient of the
//! loss with respect to the parameters, let an optimizer turn the gradient
//! into an update, repeat. The order here follows the notebook: data
//! ([`linear_regression_data`], [`shuffled_batches`]), the optimizers behind
//! one [`Optimizer`] trait ([`Sgd`], [`Momentum`], [`Adam`]), then learning-rate
//! [`Schedule`]s. The least-squares answer the notebook compares against is
//! [`least_squares`](crate::linalg::least_squares), in `linalg`.
//!
//! Parameters and gradients are `Array1<f64>`: the notebooks' models are small
//! enough to flatten into one vector (`[w, b]` for a line).

use std::f64::consts::PI;
use std::fmt;

use ndarray::Array1;
use rand::{Rng, RngExt};
use rand::seq::SliceRandom;

use crate::display::Readable;
use crate::error::{Error, Result, check_finite, check_result, check_same_len};
use crate::random::randn_vec;

// ---------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------

/// Points on a noisy line, for linear regression: `x` uniform on `[-1, 1)`,
/// `y = w·x + b + noise`.
///
/// ```text
/// xᵢ ~ U(-1, 1),   εᵢ ~ N(0, noise_std²),   yᵢ = w·xᵢ + b + εᵢ
/// ```
///
/// Shapes: `n` → `(x: (n,), y: (n,))`.
///
/// # Errors
/// [`Error::InvalidArgument`] if `n` is 0, `w` or `b` is not finite, or
/// `noise_std` is negative or not finite.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// // The notebook's data: y = 2x + 1 + noise.
/// let (x, y) = linear_regression_data(&mut seeded_rng(0), 1000, 2.0, 1.0, 0.3)?;
/// assert_eq!((x.len(), y.len()), (1000, 1000));
/// assert!(x.iter().all(|&v| (-1.0..1.0).contains(&v)));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn linear_regression_data<R: Rng + ?Sized>(
    rng: &mut R,
    n: usize,
    w: f64,
    b: f64,
    noise_std: f64,
) -> Result<(Array1<f64>, Array1<f64>)> {
    if n == 0 {
        return Err(Error::invalid("n", n, "need at least one point"));
    }
    if !w.is_finite() {
        return Err(Error::invalid("w", w, "the slope must be a finite number"));
    }
    if !b.is_finite() {
        return Err(Error::invalid("b", b, "the intercept must be a finite number"));
    }
    if !(noise_std.is_finite() && noise_std >= 0.0) {
        return Err(Error::invalid("noise_std", noise_std, "the noise's standard deviation must be finite and ≥ 0"));
    }
    let x = Array1::from_shape_simple_fn(n, || rng.random_range(-1.0..1.0)); // (n,)
    let noise = randn_vec(rng, n) * noise_std; // (n,)
    let y = &x * w + b + noise; // (n,)
    check_result("linear_regression_data (y = w·x + b + noise)", &y.view())?;
    Ok((x, y))
}

/// The indices `0..n` in a random order, cut into mini-batches of
/// `batch_size` (the last batch holds what is left over).
///
/// Call it once per epoch with the same generator: every epoch sees every
/// point exactly once, in a new order. Select a batch's rows with
/// `x.select(Axis(0), &batch)`.
///
/// # Errors
/// [`Error::InvalidArgument`] if `n` or `batch_size` is 0.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let mut rng = seeded_rng(0);
/// let batches = shuffled_batches(&mut rng, 1000, 32)?;
/// assert_eq!(batches.len(), 32); // 31 full batches and one of 8
/// assert_eq!(batches[31].len(), 8);
/// let mut seen: Vec<usize> = batches.concat();
/// seen.sort();
/// assert_eq!(seen, (0..1000).collect::<Vec<_>>());
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn shuffled_batches<R: Rng + ?Sized>(rng: &mut R, n: usize, batch_size: usize) -> Result<Vec<Vec<usize>>> {
    if n == 0 {
        return Err(Error::invalid("n", n, "need at least one point to batch"));
    }
    if batch_size == 0 {
        return Err(Error::invalid("batch_size", batch_size, "a batch needs at least one point"));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    Ok(order.chunks(batch_size).map(<[usize]>::to_vec).collect())
}

// ---------------------------------------------------------------------------
// Optimizers
// ---------------------------------------------------------------------------

/// An optimizer: turns a gradient into an update of the parameters.
///
/// Every optimizer keeps its state (velocities, moment estimates, step count)
/// between calls to [`step`](Optimizer::step); [`reset`](Optimizer::reset)
/// forgets it. The trait is object safe, so one training function can take
/// `&mut dyn Optimizer` and run SGD, momentum or Adam.
///
/// An implementation writes [`step`](Optimizer::step),
/// [`reset`](Optimizer::reset) and [`name`](Optimizer::name), plus two
/// one-line accessors to its learning-rate field, `lr_field` and
/// `lr_field_mut` (hidden from these pages); [`lr`](Optimizer::lr) and
/// [`set_lr`](Optimizer::set_lr), with its check, come from the trait.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// // Minimise f(θ) = θ₀² + θ₁², whose gradient is 2θ, with each optimizer.
/// let mut optimizers: Vec<Box<dyn Optimizer>> =
///     vec![Box::new(Sgd::new(0.1)?), Box::new(Momentum::new(0.1, 0.9)?), Box::new(Adam::new(0.1)?)];
/// for opt in optimizers.iter_mut() {
///     let mut theta = array![3.0, -2.0];
///     for _ in 0..500 {
///         let grad = &theta * 2.0;
///         opt.step(&mut theta, &grad)?;
///     }
///     assert!(theta.iter().all(|t| t.abs() < 1e-3), "{} ended at {theta}", opt.name());
/// }
/// # Ok::<(), llm_math::Error>(())
/// ```
pub trait Optimizer {
    /// Updates `params` in place from `grads` (the gradient of the loss at
    /// `params`), one entry per parameter.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `grads` and `params` differ in length, or
    /// if the optimizer's state was built for a different number of
    /// parameters (call [`reset`](Optimizer::reset) to start over);
    /// [`Error::NonFinite`] for a NaN or infinite gradient;
    /// [`Error::InvalidArgument`] if the step would take a parameter or the
    /// optimizer's state beyond f64 (a diverged loss: its gradients are huge).
    /// [`Adam`] squares the gradients, so for it that is any gradient above
    /// about 1e154 in size. After an error the parameters and the state are
    /// as they were.
    fn step(&mut self, params: &mut Array1<f64>, grads: &Array1<f64>) -> Result<()>;

    /// The learning rate the next step will use.
    fn lr(&self) -> f64 {
        *self.lr_field()
    }

    /// Changes the learning rate, e.g. from a [`Schedule`] once per epoch.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `lr` is finite and > 0.
    fn set_lr(&mut self, lr: f64) -> Result<()> {
        check_lr(lr)?;
        *self.lr_field_mut() = lr;
        Ok(())
    }

    /// Forgets the state (velocities, moments, step count); keeps the
    /// hyperparameters.
    fn reset(&mut self);

    /// A short description with the hyperparameters, for legends and logs,
    /// e.g. `"Adam(lr=0.01)"`.
    fn name(&self) -> String;

    /// The learning-rate field, for [`lr`](Optimizer::lr).
    #[doc(hidden)]
    fn lr_field(&self) -> &f64;

    /// The learning-rate field, for [`set_lr`](Optimizer::set_lr).
    #[doc(hidden)]
    fn lr_field_mut(&mut self) -> &mut f64;
}

/// Plain stochastic gradient descent.
///
/// ```text
/// θ ← θ − lr · g
/// ```
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let mut opt = Sgd::new(0.1)?;
/// let mut theta = array![1.0, 2.0];
/// opt.step(&mut theta, &array![0.5, -1.0])?;
/// assert_eq!(theta, array![0.95, 2.1]);
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sgd {
    lr: f64,
}

impl Sgd {
    /// SGD with learning rate `lr`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `lr` is finite and > 0.
    pub fn new(lr: f64) -> Result<Self> {
        check_lr(lr)?;
        Ok(Sgd { lr })
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &mut Array1<f64>, grads: &Array1<f64>) -> Result<()> {
        check_step(params, grads)?;
        let new = &*params - &(grads * self.lr);
        commit(params, new, "SGD")
    }

    fn reset(&mut self) {}

    fn name(&self) -> String {
        format!("SGD(lr={})", three_digits(self.lr))
    }

    fn lr_field(&self) -> &f64 {
        &self.lr
    }

    fn lr_field_mut(&mut self) -> &mut f64 {
        &mut self.lr
    }
}

/// SGD with momentum, written as an exponential moving average of the
/// gradients (the form the curriculum uses).
///
/// ```text
/// v ← β·v + (1 − β)·g        v starts at 0
/// θ ← θ − lr · v
/// ```
///
/// The velocity `v` averages the last ~1/(1 − β) gradients, so noise from
/// mini-batches cancels while a consistent direction builds up.
///
/// **The other common form.** PyTorch and most papers write
/// `u ← β·u + g,  θ ← θ − lr'·u` (no `1 − β`). Since `v = (1 − β)·u` at every
/// step, the two are the same algorithm with `lr = lr' / (1 − β)`: with
/// β = 0.9, `lr = 0.1` here takes exactly the steps of `lr' = 0.01` there.
/// In this form the first steps are short (`v₁ = 0.1·g₁` for β = 0.9), since
/// there is no bias correction; Adam adds one.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let mut opt = Momentum::new(0.1, 0.9)?;
/// let mut theta = array![1.0];
/// opt.step(&mut theta, &array![0.5])?; // v = 0.05, θ = 1 − 0.1·0.05
/// assert!((theta[0] - 0.995).abs() < 1e-15);
/// opt.step(&mut theta, &array![0.5])?; // v = 0.9·0.05 + 0.1·0.5 = 0.095
/// assert!((theta[0] - 0.9855).abs() < 1e-15);
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Momentum {
    lr: f64,
    beta: f64,
    velocity: Option<Array1<f64>>,
}

impl Momentum {
    /// Momentum with learning rate `lr` and decay `beta` (0.9 is the usual
    /// choice).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `lr` is finite and > 0 and `beta`
    /// lies in `[0, 1)` (β = 0 is plain SGD; β = 1 would never forget).
    pub fn new(lr: f64, beta: f64) -> Result<Self> {
        check_lr(lr)?;
        check_beta("beta", beta)?;
        Ok(Momentum { lr, beta, velocity: None })
    }

    /// The velocity `v` after the last step (`None` before the first).
    pub fn velocity(&self) -> Option<&Array1<f64>> {
        self.velocity.as_ref()
    }
}

impl Optimizer for Momentum {
    fn step(&mut self, params: &mut Array1<f64>, grads: &Array1<f64>) -> Result<()> {
        check_step(params, grads)?;
        if let Some(v) = &self.velocity {
            check_state(v.len(), params.len())?;
        }
        // v ← βv + (1 − β)g (v starts at 0), then p ← p − lr·v; computed aside
        // and kept only if finite, so a failed step leaves no velocity behind.
        let zeros;
        let v_old = match &self.velocity {
            Some(v) => v,
            None => {
                zeros = Array1::zeros(params.len());
                &zeros
            }
        };
        let v_new = ndarray::Zip::from(v_old).and(grads).map_collect(|&v, &g| self.beta * v + (1.0 - self.beta) * g);
        let p_new = &*params - &(&v_new * self.lr);
        check_state_finite(&v_new, "Momentum's velocity")?;
        commit(params, p_new, "Momentum")?;
        self.velocity = Some(v_new);
        Ok(())
    }

    fn reset(&mut self) {
        self.velocity = None;
    }

    fn name(&self) -> String {
        format!("Momentum(lr={}, β={})", three_digits(self.lr), three_digits(self.beta))
    }

    fn lr_field(&self) -> &f64 {
        &self.lr
    }

    fn lr_field_mut(&mut self) -> &mut f64 {
        &mut self.lr
    }
}

/// Adam (Kingma & Ba, 2015): momentum on the gradient, a per-parameter step
/// size from the running mean of squared gradients, and bias correction.
///
/// ```text
/// t ← t + 1
/// m ← β₁·m + (1 − β₁)·g          first moment (mean of g)
/// v ← β₂·v + (1 − β₂)·g²         second moment (mean of g²), elementwise
/// m̂ = m / (1 − β₁ᵗ)              bias correction: m and v start at 0
/// v̂ = v / (1 − β₂ᵗ)
/// θ ← θ − lr · m̂ / (√v̂ + ε)
/// ```
///
/// Dividing by `√v̂` makes the step size roughly `lr` whatever the scale of
/// the gradient: the very first step is `lr·g/(|g| + ε) ≈ lr·sign(g)`. The
/// one limit is f64 itself: `g²` must fit one, so a gradient above about
/// 1e154 in size (a diverged loss) is an [`Error::InvalidArgument`] naming
/// `grads` that says to clip the gradients, and nothing changes.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let mut opt = Adam::new(0.1)?; // β₁ = 0.9, β₂ = 0.999, ε = 1e-8
/// let mut theta = array![1.0, 1.0];
/// opt.step(&mut theta, &array![1000.0, -0.001])?;
/// // Both parameters move by ≈ lr, despite gradients 10⁶ apart.
/// assert!((theta[0] - 0.9).abs() < 1e-6 && (theta[1] - 1.1).abs() < 1e-5);
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Adam {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    t: u32,
    m: Option<Array1<f64>>,
    v: Option<Array1<f64>>,
}

impl Adam {
    /// Adam with learning rate `lr` and the usual defaults β₁ = 0.9,
    /// β₂ = 0.999, ε = 1e-8.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `lr` is finite and > 0.
    pub fn new(lr: f64) -> Result<Self> {
        Adam::with_params(lr, 0.9, 0.999, 1e-8)
    }

    /// Adam with every hyperparameter chosen.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `lr` is finite and > 0, `beta1` and
    /// `beta2` lie in `[0, 1)`, and `eps` is finite and > 0.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let err = Adam::with_params(0.001, 0.9, 1.0, 1e-8).unwrap_err();
    /// assert!(err.to_string().contains("`beta2` = 1"));
    /// ```
    pub fn with_params(lr: f64, beta1: f64, beta2: f64, eps: f64) -> Result<Self> {
        check_lr(lr)?;
        check_beta("beta1", beta1)?;
        check_beta("beta2", beta2)?;
        if !(eps.is_finite() && eps > 0.0) {
            return Err(Error::invalid("eps", eps, "must be a small positive number such as 1e-8 (it keeps the division safe)"));
        }
        Ok(Adam { lr, beta1, beta2, eps, t: 0, m: None, v: None })
    }

    /// How many steps have been taken since creation or the last reset.
    pub fn steps(&self) -> u32 {
        self.t
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut Array1<f64>, grads: &Array1<f64>) -> Result<()> {
        check_step(params, grads)?;
        let n = params.len();
        // Check both moments before changing either, so an error leaves the state intact.
        for state in [&self.m, &self.v].into_iter().flatten() {
            check_state(state.len(), n)?;
        }
        // Saturating: past u32::MAX steps the bias correction is 1 anyway.
        let t = self.t.saturating_add(1);
        let (b1, b2) = (self.beta1, self.beta2);
        let correction1 = 1.0 - b1.powi(exponent(t as usize));
        let correction2 = 1.0 - b2.powi(exponent(t as usize));
        // The new moments and parameters are computed aside and kept only if
        // all are finite, so an overflow leaves the optimizer as it was.
        let zeros = Array1::zeros(n);
        let (m_old, v_old) = (self.m.as_ref().unwrap_or(&zeros), self.v.as_ref().unwrap_or(&zeros));
        let m = ndarray::Zip::from(m_old).and(grads).map_collect(|&m, &g| b1 * m + (1.0 - b1) * g);
        let v = ndarray::Zip::from(v_old).and(grads).map_collect(|&v, &g| b2 * v + (1.0 - b2) * g * g);
        check_state_finite(&m, "Adam's first moment")?;
        check_state_finite(&v, "Adam's second moment (squared gradients: |g| above about 1e154 overflows)")?;
        let step = ndarray::Zip::from(&m)
            .and(&v)
            .map_collect(|&m, &v| self.lr * (m / correction1) / ((v / correction2).sqrt() + self.eps));
        commit(params, &*params - &step, "Adam")?;
        (self.m, self.v, self.t) = (Some(m), Some(v), t);
        Ok(())
    }

    fn reset(&mut self) {
        self.t = 0;
        self.m = None;
        self.v = None;
    }

    fn name(&self) -> String {
        format!("Adam(lr={})", three_digits(self.lr))
    }

    fn lr_field(&self) -> &f64 {
        &self.lr
    }

    fn lr_field_mut(&mut self) -> &mut f64 {
        &mut self.lr
    }
}

// ---------------------------------------------------------------------------
// Learning-rate schedules
// ---------------------------------------------------------------------------

/// A learning rate that changes with the step (or epoch) number `t = 0, 1, …`.
///
/// Build one with a constructor, which checks its numbers, then ask it for
/// [`lr(t)`](Schedule::lr) — or for the whole curve with
/// [`values(n)`](Schedule::values). With `lr₀` the starting rate and `T` the
/// total number of steps:
///
/// ```text
/// constant           lr(t) = lr₀
/// step decay         lr(t) = lr₀ · factor^⌊t / every⌋
/// exponential        lr(t) = lr₀ · γᵗ
/// cosine annealing   lr(t) = lr₀ · ½ · (1 + cos(π · min(t, T) / T))
/// warmup + cosine    lr(t) = lr₀ · (t + 1) / W                         t < W
///                    lr(t) = lr₀ · ½ · (1 + cos(π · min(t − W, T − W) / (T − W)))   t ≥ W
/// ```
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let s = Schedule::step_decay(0.1, 30, 0.5)?;
/// assert_eq!((s.lr(29), s.lr(30), s.lr(60)), (0.1, 0.05, 0.025));
/// let c = Schedule::cosine(0.1, 100)?;
/// assert!((c.lr(50) - 0.05).abs() < 1e-15);
/// # Ok::<(), llm_math::Error>(())
/// ```
///
/// Built only through its constructors, which check every parameter: its
/// fields are private, so a schedule that would divide by zero (a step decay
/// every 0 steps, a warmup as long as the whole run) cannot exist:
/// ```compile_fail
/// use llm_math::prelude::*;
/// let never = Schedule::StepDecay { lr: 0.1, every: 0, factor: 0.5 }; // no such public variant
/// ```
/// ```
/// use llm_math::prelude::*;
/// assert!(Schedule::step_decay(0.1, 0, 0.5).unwrap_err().to_string().contains("every"));
/// assert!(Schedule::warmup_cosine(0.1, 100, 100).unwrap_err().to_string().contains("warmup"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    kind: Kind,
}

/// The schedules and their parameters (checked by `Schedule`'s constructors).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// The same rate at every step.
    Constant {
        /// The rate.
        lr: f64,
    },
    /// Multiply by `factor` every `every` steps.
    StepDecay {
        /// The rate at step 0.
        lr: f64,
        /// How many steps between drops.
        every: usize,
        /// What each drop multiplies by, in (0, 1].
        factor: f64,
    },
    /// Multiply by `gamma` at every step.
    Exponential {
        /// The rate at step 0.
        lr: f64,
        /// The factor per step, in (0, 1].
        gamma: f64,
    },
    /// Half a cosine from `lr` down to 0 over `total` steps (0 from then on).
    Cosine {
        /// The rate at step 0.
        lr: f64,
        /// The step at which the rate reaches 0.
        total: usize,
    },
    /// A linear ramp from `lr / warmup` up to `lr` over the first `warmup`
    /// steps, then a cosine down to 0 at step `total`.
    WarmupCosine {
        /// The peak rate, reached at the end of the warmup.
        lr: f64,
        /// How many steps the ramp lasts.
        warmup: usize,
        /// The step at which the rate reaches 0.
        total: usize,
    },
}

impl Schedule {
    /// `lr(t) = lr₀`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `lr` is finite and > 0.
    pub fn constant(lr: f64) -> Result<Self> {
        check_lr(lr)?;
        Ok(Schedule { kind: Kind::Constant { lr } })
    }

    /// `lr(t) = lr₀ · factor^⌊t / every⌋`, e.g. halve every 30 epochs.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `lr` is finite and > 0, `every` ≥ 1
    /// and `factor` lies in (0, 1].
    pub fn step_decay(lr: f64, every: usize, factor: f64) -> Result<Self> {
        check_lr(lr)?;
        if every == 0 {
            return Err(Error::invalid("every", every, "the rate must stay fixed for at least 1 step between drops"));
        }
        check_factor("factor", factor)?;
        Ok(Schedule { kind: Kind::StepDecay { lr, every, factor } })
    }

    /// `lr(t) = lr₀ · γᵗ`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `lr` is finite and > 0 and `gamma`
    /// lies in (0, 1].
    pub fn exponential(lr: f64, gamma: f64) -> Result<Self> {
        check_lr(lr)?;
        check_factor("gamma", gamma)?;
        Ok(Schedule { kind: Kind::Exponential { lr, gamma } })
    }

    /// `lr(t) = lr₀ · ½ · (1 + cos(π · min(t, T) / T))` with `T = total`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `lr` is finite and > 0 and
    /// `total` ≥ 1.
    pub fn cosine(lr: f64, total: usize) -> Result<Self> {
        check_lr(lr)?;
        if total == 0 {
            return Err(Error::invalid("total", total, "the schedule must last at least 1 step"));
        }
        Ok(Schedule { kind: Kind::Cosine { lr, total } })
    }

    /// A linear warmup over `warmup` steps, then cosine annealing to 0 at
    /// step `total`. The warmup starts at `lr / warmup` (not 0, so the first
    /// step already moves) and reaches `lr` at step `warmup − 1`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `lr` is finite and > 0 and
    /// `1 ≤ warmup < total`.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let s = Schedule::warmup_cosine(0.1, 10, 100)?;
    /// assert!((s.lr(0) - 0.01).abs() < 1e-15 && s.lr(9) == 0.1 && s.lr(10) == 0.1);
    /// assert!((s.lr(55) - 0.05).abs() < 1e-15); // halfway through the cosine
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn warmup_cosine(lr: f64, warmup: usize, total: usize) -> Result<Self> {
        check_lr(lr)?;
        if warmup == 0 || warmup >= total {
            return Err(Error::invalid(
                "warmup",
                warmup,
                format!("need 1 ≤ warmup < total (total = {total}) so that some steps are left for the cosine"),
            ));
        }
        Ok(Schedule { kind: Kind::WarmupCosine { lr, warmup, total } })
    }

    /// The learning rate at step `t` (counting from 0).
    pub fn lr(&self, t: usize) -> f64 {
        match self.kind {
            Kind::Constant { lr } => lr,
            Kind::StepDecay { lr, every, factor } => lr * factor.powi(exponent(t / every)),
            Kind::Exponential { lr, gamma } => lr * gamma.powi(exponent(t)),
            Kind::Cosine { lr, total } => lr * half_cosine(t, total),
            Kind::WarmupCosine { lr, warmup, total } => {
                if t < warmup {
                    lr * ((t + 1) as f64 / warmup as f64) // the fraction first: lr · (t + 1) may overflow
                } else {
                    lr * half_cosine(t - warmup, total - warmup)
                }
            }
        }
    }

    /// The rates for steps `0..n`, e.g. to plot the schedule.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let lrs = Schedule::exponential(0.1, 0.95)?.values(100);
    /// assert_eq!(lrs.len(), 100);
    /// assert!((lrs[10] - 0.1 * 0.95f64.powi(10)).abs() < 1e-15);
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn values(&self, n: usize) -> Array1<f64> {
        (0..n).map(|t| self.lr(t)).collect()
    }
}

impl fmt::Display for Schedule {
    /// A short name for legends and titles, e.g. `step decay (×0.5 every 30)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Constant { .. } => write!(f, "constant"),
            Kind::StepDecay { every, factor, .. } => write!(f, "step decay (×{factor} every {every})"),
            Kind::Exponential { gamma, .. } => write!(f, "exponential (×{gamma} per step)"),
            Kind::Cosine { .. } => write!(f, "cosine annealing"),
            Kind::WarmupCosine { warmup, .. } => write!(f, "warmup ({warmup}) + cosine"),
        }
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Scales `grads` down, when its L2 norm is above `max_norm`, so that the
/// norm becomes `max_norm` (the direction is kept); returns the norm
/// before clipping. PyTorch's `clip_grad_norm_` over all parameters at once.
///
/// ```text
/// g ← g · min(1, max_norm / ‖g‖₂)
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] unless `max_norm` is finite and at least
/// `f64::MIN_POSITIVE` (2.2e-308; below it the rounded result would be longer), or if
/// the norm itself is beyond f64; [`Error::NonFinite`] for a NaN or
/// infinite gradient. `grads` is unchanged on error.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let mut g = array![3.0, 4.0];
/// assert_eq!(clip_grad_norm(&mut g, 1.0)?, 5.0);
/// assert!((g[0] - 0.6).abs() < 1e-15 && (g[1] - 0.8).abs() < 1e-15);
/// let mut small = array![0.3, 0.4];
/// clip_grad_norm(&mut small, 1.0)?; // already short enough: unchanged
/// assert_eq!(small, array![0.3, 0.4]);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn clip_grad_norm(grads: &mut Array1<f64>, max_norm: f64) -> Result<f64> {
    check_max_norm("max_norm", max_norm)?;
    check_finite("clip_grad_norm", &grads.view())?;
    let norm = crate::linalg::norm(grads.view());
    if !norm.is_finite() {
        return Err(Error::invalid("grads", "a norm beyond f64", "the gradients are too large to measure; lower the learning rate"));
    }
    if norm > max_norm {
        let factor = max_norm / norm;
        if factor >= f64::MIN_POSITIVE {
            grads.mapv_inplace(|g| g * factor);
        } else {
            // A subnormal factor keeps only a few bits: scale through the unit vector instead.
            grads.mapv_inplace(|g| (g / norm) * max_norm);
        }
    }
    Ok(norm)
}

/// A clipping bound: finite and at least f64's smallest normal number. Below it the
/// clipped entries are subnormal and round to a vector longer than the bound.
pub(crate) fn check_max_norm(name: &'static str, max_norm: f64) -> Result<()> {
    if max_norm.is_finite() && max_norm >= f64::MIN_POSITIVE {
        Ok(())
    } else {
        Err(Error::invalid(name, max_norm, "the largest gradient norm must be finite and at least 2.2e-308 (f64::MIN_POSITIVE)"))
    }
}

fn check_lr(lr: f64) -> Result<()> {
    if lr.is_finite() && lr > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid("lr", lr, "the learning rate must be a finite number > 0 (typical: 1e-4 to 1)"))
    }
}

fn check_beta(name: &'static str, beta: f64) -> Result<()> {
    if (0.0..1.0).contains(&beta) {
        Ok(())
    } else {
        Err(Error::invalid(name, beta, "must lie in [0, 1): it is the weight kept from the past at each step (typical: 0.9, 0.999)"))
    }
}

fn check_factor(name: &'static str, factor: f64) -> Result<()> {
    if factor > 0.0 && factor <= 1.0 {
        Ok(())
    } else {
        Err(Error::invalid(name, factor, "must lie in (0, 1]: the rate is multiplied by it, so it may shrink but not grow or vanish"))
    }
}

/// Checks `grads` against `params` before anything changes.
fn check_step(params: &Array1<f64>, grads: &Array1<f64>) -> Result<()> {
    check_same_len("optimizer step", params.len(), grads.len(), "params (left) and grads (right) need one gradient per parameter")?;
    check_finite("optimizer step (gradient)", &grads.view())
}

fn check_state(state_len: usize, n: usize) -> Result<()> {
    if state_len == n {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            op: "optimizer step",
            left: vec![state_len],
            right: vec![n],
            rule: "the optimizer's state (left) was built for a different number of parameters (right); call reset() or make a new optimizer",
        })
    }
}

/// Writes `new` into `params` if every entry is finite; otherwise leaves
/// `params` as they were and says so.
fn commit(params: &mut Array1<f64>, new: Array1<f64>, name: &str) -> Result<()> {
    if let Some(i) = new.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid(
            "lr",
            format!("{} (parameter {i} would become {})", params[i].readable(), new[i].readable()),
            format!("this {name} step would leave a parameter beyond f64; lower the learning rate or clip the gradients \
                     (the parameters are unchanged)"),
        ));
    }
    *params = new;
    Ok(())
}

/// An optimizer's state after a step must stay finite.
fn check_state_finite(state: &Array1<f64>, what: &str) -> Result<()> {
    match state.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::invalid(
            "grads",
            format!("entry {i}"),
            format!("{what} would overflow an f64; clip the gradients (nothing was changed)"),
        )),
    }
}

/// A number with 3 significant digits and no trailing zeros, for names that
/// show a scheduled rate: `0.1`, `0.0292`, `2.47e-5`.
fn three_digits(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let magnitude = x.abs().log10().floor();
    if (-3.0..4.0).contains(&magnitude) {
        let decimals = (2.0 - magnitude).max(0.0) as usize;
        let fixed = format!("{x:.decimals$}");
        if fixed.contains('.') { fixed.trim_end_matches('0').trim_end_matches('.').to_string() } else { fixed }
    } else {
        format!("{x:.2e}")
    }
}

/// `½ · (1 + cos(π · min(t, T) / T))`: 1 at t = 0, 0 from t = T on.
fn half_cosine(t: usize, total: usize) -> f64 {
    0.5 * (1.0 + (PI * t.min(total) as f64 / total as f64).cos())
}

/// A step count as a `powi` exponent; beyond i32::MAX the power is 0 anyway.
fn exponent(k: usize) -> i32 {
    i32::try_from(k).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::least_squares;
    use crate::random::seeded_rng;
    use approx::assert_abs_diff_eq;
    use ndarray::{Axis, array};

    // Reference values below were computed in Python (plain floats) straight
    // from the published update rules — momentum as v = βv + (1−β)g, Adam as
    // Algorithm 1 of Kingma & Ba (2015) — for θ₀ = [1, -2] and gradients
    // [0.5, -3], [-0.2, 1], [0.4, 0] at lr = 0.1.
    const GRADS: [[f64; 2]; 3] = [[0.5, -3.0], [-0.2, 1.0], [0.4, 0.0]];

    fn run(opt: &mut dyn Optimizer) -> Vec<Array1<f64>> {
        let mut theta = array![1.0, -2.0];
        GRADS
            .iter()
            .map(|g| {
                opt.step(&mut theta, &array![g[0], g[1]]).unwrap();
                theta.clone()
            })
            .collect()
    }

    #[test]
    fn sgd_steps_match_the_update_rule() {
        let path = run(&mut Sgd::new(0.1).unwrap());
        assert_abs_diff_eq!(path[0], array![0.95, -1.7], epsilon = 1e-15);
        assert_abs_diff_eq!(path[2], array![0.93, -1.8], epsilon = 1e-15); // 1 − 0.1·(0.5 − 0.2 + 0.4), −2 − 0.1·(−3 + 1 + 0)
    }

    #[test]
    fn momentum_steps_match_the_published_rule() {
        let path = run(&mut Momentum::new(0.1, 0.9).unwrap());
        let expected = [[0.995, -1.97], [0.9925, -1.953], [0.9862500000000001, -1.9377]];
        for (got, want) in path.iter().zip(expected) {
            assert_abs_diff_eq!(*got, array![want[0], want[1]], epsilon = 1e-14);
        }
    }

    #[test]
    fn adam_steps_match_kingma_and_ba_algorithm_1() {
        let path = run(&mut Adam::new(0.1).unwrap());
        let expected = [
            [0.900000002, -1.9000000003333333],
            [0.8654394181165108, -1.8599781433169098],
            [0.8058857502289329, -1.8290411318785376],
        ];
        for (got, want) in path.iter().zip(expected) {
            assert_abs_diff_eq!(*got, array![want[0], want[1]], epsilon = 1e-14);
        }
    }

    #[test]
    fn adam_first_step_is_lr_whatever_the_gradient_scale() {
        for scale in [1e-4, 1.0, 1e4] {
            let mut opt = Adam::new(0.01).unwrap();
            let mut theta = array![0.0, 0.0];
            opt.step(&mut theta, &array![scale, -3.0 * scale]).unwrap();
            // step = lr·g/(|g| + ε); ε only matters next to |g| = 1e-4.
            assert_abs_diff_eq!(theta, array![-0.01, 0.01], epsilon = 1e-6);
        }
    }

    #[test]
    fn adam_with_gradients_beyond_the_square_of_f64_is_an_error_that_changes_nothing() {
        // ±1e200: g² overflows, so the docs' "≈ lr·sign(g)" cannot be computed; an error says so.
        let mut opt = Adam::new(0.01).unwrap();
        let mut theta = array![1.0, 2.0];
        let e = opt.step(&mut theta, &array![1e200, -1e200]).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "grads", .. }), "{e:?}");
        let message = e.to_string();
        assert!(message.contains("1e154") && message.contains("clip the gradients"), "{message}");
        assert_eq!((theta.clone(), opt.steps()), (array![1.0, 2.0], 0), "nothing changed");
        // Below the limit the step is lr·sign(g), as documented.
        opt.step(&mut theta, &array![1e150, -1e150]).unwrap();
        assert_abs_diff_eq!(theta, array![0.99, 2.01], epsilon = 1e-12);
        assert_eq!(opt.steps(), 1);
    }

    #[test]
    fn momentum_equals_the_pytorch_form_with_lr_scaled_by_one_minus_beta() {
        // PyTorch form written out independently: u ← βu + g, θ ← θ − lr'·u.
        let (beta, lr_torch) = (0.9, 0.01);
        let mut opt = Momentum::new(lr_torch / (1.0 - beta), beta).unwrap();
        let (mut theta, mut theta_torch, mut u) = (array![1.0, -2.0], array![1.0, -2.0], array![0.0, 0.0]);
        for k in 0..50 {
            let g = array![(k as f64).sin(), (k as f64 * 0.3).cos()];
            opt.step(&mut theta, &g).unwrap();
            u = &u * beta + &g;
            theta_torch = &theta_torch - &(&u * lr_torch);
        }
        assert_abs_diff_eq!(theta, theta_torch, epsilon = 1e-12);
    }

    #[test]
    fn momentum_with_beta_zero_is_sgd() {
        assert_eq!(run(&mut Momentum::new(0.1, 0.0).unwrap()), run(&mut Sgd::new(0.1).unwrap()));
    }

    #[test]
    fn reset_forgets_the_state_and_set_lr_changes_the_step() {
        let mut opt = Adam::new(0.1).unwrap();
        let first = run(&mut opt);
        assert_eq!(opt.steps(), 3);
        opt.reset();
        assert_eq!(opt.steps(), 0);
        assert_eq!(run(&mut opt), first);

        let mut sgd = Sgd::new(1.0).unwrap();
        sgd.set_lr(0.1).unwrap();
        assert_eq!(sgd.lr(), 0.1);
        assert_eq!(run(&mut sgd), run(&mut Sgd::new(0.1).unwrap()));
    }

    #[test]
    fn every_optimizer_checks_and_keeps_its_learning_rate() {
        for opt in [
            &mut Sgd::new(0.1).unwrap() as &mut dyn Optimizer,
            &mut Momentum::new(0.1, 0.9).unwrap(),
            &mut Adam::new(0.1).unwrap(),
        ] {
            assert_eq!(opt.lr(), 0.1);
            opt.set_lr(0.05).unwrap();
            assert_eq!(opt.lr(), 0.05);
            for rejected in [0.0, -1.0, f64::NAN, f64::INFINITY] {
                assert!(matches!(opt.set_lr(rejected), Err(Error::InvalidArgument { name: "lr", .. })), "{}", opt.name());
                assert_eq!(opt.lr(), 0.05);
            }
            let mut theta = array![1.0];
            opt.step(&mut theta, &array![1.0]).unwrap();
            assert!(theta[0] < 1.0 && theta[0] >= 1.0 - 0.05 - 1e-12, "{} moved to {theta}", opt.name());
        }
    }

    #[test]
    fn names_show_the_hyperparameters() {
        assert_eq!(Sgd::new(0.1).unwrap().name(), "SGD(lr=0.1)");
        assert_eq!(Momentum::new(0.1, 0.9).unwrap().name(), "Momentum(lr=0.1, β=0.9)");
        assert_eq!(Adam::new(0.01).unwrap().name(), "Adam(lr=0.01)");
        // A scheduled rate is shown with 3 significant digits.
        let mut sgd = Sgd::new(0.1).unwrap();
        for (lr, shown) in [(0.029198902433877266, "0.0292"), (2.467198171342e-5, "2.47e-5"), (1.5, "1.5"), (250.0, "250"), (0.001, "0.001")] {
            sgd.set_lr(lr).unwrap();
            assert_eq!(sgd.name(), format!("SGD(lr={shown})"));
        }
    }

    #[test]
    fn out_of_range_hyperparameters_are_invalid_arguments_naming_the_parameter() {
        let name = |e: Error| match e {
            Error::InvalidArgument { name, .. } => name,
            other => panic!("expected InvalidArgument, got {other:?}"),
        };
        assert_eq!(name(Sgd::new(0.0).unwrap_err()), "lr");
        assert_eq!(name(Sgd::new(-0.1).unwrap_err()), "lr");
        assert_eq!(name(Sgd::new(f64::NAN).unwrap_err()), "lr");
        assert_eq!(name(Momentum::new(0.1, 1.0).unwrap_err()), "beta");
        assert_eq!(name(Momentum::new(0.1, -0.1).unwrap_err()), "beta");
        assert_eq!(name(Adam::with_params(0.1, 1.0, 0.999, 1e-8).unwrap_err()), "beta1");
        assert_eq!(name(Adam::with_params(0.1, 0.9, 0.999, 0.0).unwrap_err()), "eps");
        assert_eq!(name(Adam::new(0.1).unwrap().set_lr(0.0).unwrap_err()), "lr");
        assert_eq!(name(Schedule::step_decay(0.1, 0, 0.5).unwrap_err()), "every");
        assert_eq!(name(Schedule::step_decay(0.1, 30, 1.5).unwrap_err()), "factor");
        assert_eq!(name(Schedule::exponential(0.1, 0.0).unwrap_err()), "gamma");
        assert_eq!(name(Schedule::cosine(0.1, 0).unwrap_err()), "total");
        assert_eq!(name(Schedule::warmup_cosine(0.1, 100, 100).unwrap_err()), "warmup");
        assert_eq!(name(Schedule::constant(f64::INFINITY).unwrap_err()), "lr");
        assert!(Sgd::new(0.0).unwrap_err().to_string().starts_with("invalid argument `lr` = 0.0: "));
    }

    #[test]
    fn gradient_of_the_wrong_length_is_a_shape_mismatch_and_changes_nothing() {
        let mut opt = Momentum::new(0.1, 0.9).unwrap();
        let mut theta = array![1.0, 2.0];
        let err = opt.step(&mut theta, &array![1.0, 2.0, 3.0]).unwrap_err();
        assert!(matches!(err, Error::ShapeMismatch { op: "optimizer step", ref left, ref right, .. }
            if *left == vec![2] && *right == vec![3]));
        assert_eq!(theta, array![1.0, 2.0]);
        assert!(opt.velocity().is_none());
    }

    #[test]
    fn state_built_for_other_parameters_is_a_shape_mismatch_until_reset() {
        for mut opt in [Box::new(Momentum::new(0.1, 0.9).unwrap()) as Box<dyn Optimizer>, Box::new(Adam::new(0.1).unwrap())] {
            opt.step(&mut array![1.0, 2.0], &array![0.1, 0.1]).unwrap();
            let mut three = array![1.0, 2.0, 3.0];
            let err = opt.step(&mut three, &array![0.1, 0.1, 0.1]).unwrap_err();
            assert!(matches!(err, Error::ShapeMismatch { ref left, ref right, .. } if *left == vec![2] && *right == vec![3]));
            assert_eq!(three, array![1.0, 2.0, 3.0]);
            opt.reset();
            opt.step(&mut three, &array![0.1, 0.1, 0.1]).unwrap();
        }
    }

    #[test]
    fn a_nan_gradient_is_non_finite_and_changes_nothing() {
        let mut opt = Adam::new(0.1).unwrap();
        let mut theta = array![1.0, 2.0];
        let err = opt.step(&mut theta, &array![0.1, f64::NAN]).unwrap_err();
        assert!(matches!(err, Error::NonFinite { ref index, .. } if *index == vec![1]));
        assert_eq!(theta, array![1.0, 2.0]);
        assert_eq!(opt.steps(), 0);
    }

    #[test]
    fn schedules_follow_their_formulas() {
        let c = Schedule::constant(0.1).unwrap();
        assert_eq!(c.values(100), Array1::from_elem(100, 0.1));

        let s = Schedule::step_decay(0.1, 30, 0.5).unwrap();
        assert_eq!([s.lr(0), s.lr(29), s.lr(30), s.lr(59), s.lr(60), s.lr(99)], [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]);

        let e = Schedule::exponential(0.1, 0.95).unwrap();
        assert_abs_diff_eq!(e.lr(10), 0.05987369392383787, epsilon = 1e-15); // 0.1·0.95¹⁰ in Python

        let cos = Schedule::cosine(0.1, 100).unwrap();
        assert_eq!(cos.lr(0), 0.1);
        assert_abs_diff_eq!(cos.lr(25), 0.1 * (2.0 + 2f64.sqrt()) / 4.0, epsilon = 1e-15); // cos²(π/8)
        assert_abs_diff_eq!(cos.lr(100), 0.0, epsilon = 1e-15);
        assert_eq!(cos.lr(150), cos.lr(100));

        let w = Schedule::warmup_cosine(0.1, 10, 100).unwrap();
        let ramp: Vec<f64> = (0..10).map(|t| w.lr(t)).collect();
        for (t, lr) in ramp.iter().enumerate() {
            assert_abs_diff_eq!(*lr, 0.01 * (t + 1) as f64, epsilon = 1e-15);
        }
        assert_abs_diff_eq!(w.lr(55), 0.05, epsilon = 1e-15);
        assert_abs_diff_eq!(w.lr(100), 0.0, epsilon = 1e-15);
    }

    #[test]
    fn schedules_never_increase_after_warmup() {
        for s in [
            Schedule::step_decay(0.1, 30, 0.5).unwrap(),
            Schedule::exponential(0.1, 0.95).unwrap(),
            Schedule::cosine(0.1, 100).unwrap(),
            Schedule::warmup_cosine(0.1, 10, 100).unwrap(),
        ] {
            let v = s.values(120);
            let start = if matches!(s.kind, Kind::WarmupCosine { .. }) { 9 } else { 0 };
            assert!(v.windows(2).into_iter().skip(start).all(|w| w[1] <= w[0]), "{s} rises somewhere");
        }
        assert_eq!(Schedule::warmup_cosine(0.1, 10, 100).unwrap().to_string(), "warmup (10) + cosine");
    }

    #[test]
    fn data_is_reproducible_and_follows_the_line() {
        let (x, y) = linear_regression_data(&mut seeded_rng(3), 20_000, 2.0, 1.0, 0.3).unwrap();
        let (x_again, y_again) = linear_regression_data(&mut seeded_rng(3), 20_000, 2.0, 1.0, 0.3).unwrap();
        assert_eq!((&x, &y), (&x_again, &y_again));
        // Residuals are the noise: mean ≈ 0, std ≈ 0.3 (standard errors ≈ 0.002 and 0.0015).
        let noise = &y - &(&x * 2.0 + 1.0);
        assert!(noise.mean().unwrap().abs() < 0.01);
        assert!((noise.std(1.0) - 0.3).abs() < 0.01);
        // U(-1, 1) has mean 0 and variance 1/3.
        assert!(x.mean().unwrap().abs() < 0.02 && (x.var(1.0) - 1.0 / 3.0).abs() < 0.01);
        // Without noise the points lie exactly on the line.
        let (x, y) = linear_regression_data(&mut seeded_rng(3), 5, -1.5, 4.0, 0.0).unwrap();
        assert_abs_diff_eq!(y, &x * -1.5 + 4.0, epsilon = 1e-15);
    }

    #[test]
    fn out_of_range_data_arguments_are_invalid_arguments() {
        let mut rng = seeded_rng(0);
        assert!(matches!(linear_regression_data(&mut rng, 0, 2.0, 1.0, 0.3), Err(Error::InvalidArgument { name: "n", .. })));
        assert!(matches!(
            linear_regression_data(&mut rng, 10, 2.0, 1.0, -0.3),
            Err(Error::InvalidArgument { name: "noise_std", .. })
        ));
        assert!(matches!(linear_regression_data(&mut rng, 10, f64::NAN, 1.0, 0.3), Err(Error::InvalidArgument { name: "w", .. })));
        assert!(matches!(shuffled_batches(&mut rng, 10, 0), Err(Error::InvalidArgument { name: "batch_size", .. })));
        assert!(matches!(shuffled_batches(&mut rng, 0, 4), Err(Error::InvalidArgument { name: "n", .. })));
    }

    #[test]
    fn batches_cover_every_index_once_in_a_new_order_each_epoch() {
        let mut rng = seeded_rng(1);
        let epoch1 = shuffled_batches(&mut rng, 100, 32).unwrap();
        let epoch2 = shuffled_batches(&mut rng, 100, 32).unwrap();
        assert_eq!(epoch1.iter().map(Vec::len).collect::<Vec<_>>(), vec![32, 32, 32, 4]);
        for epoch in [&epoch1, &epoch2] {
            let mut all = epoch.concat();
            all.sort();
            assert_eq!(all, (0..100).collect::<Vec<_>>());
        }
        assert_ne!(epoch1, epoch2);
        assert_ne!(epoch1.concat(), (0..100).collect::<Vec<_>>());
        assert_eq!(shuffled_batches(&mut seeded_rng(1), 100, 32).unwrap(), epoch1);
        assert_eq!(shuffled_batches(&mut rng, 5, 10).unwrap().len(), 1);
    }

    /// Mean-squared-error gradient of the line `w·x + b`, for the training tests.
    fn mse_grad(theta: &Array1<f64>, x: &Array1<f64>, y: &Array1<f64>) -> Array1<f64> {
        let err = x * theta[0] + theta[1] - y;
        array![2.0 * (&err * x).mean().unwrap(), 2.0 * err.mean().unwrap()]
    }

    #[test]
    fn minibatch_training_lands_on_the_least_squares_answer() {
        let (x, y) = linear_regression_data(&mut seeded_rng(0), 1000, 2.0, 1.0, 0.3).unwrap();
        let design = ndarray::stack![Axis(1), x, Array1::ones(1000)]; // (n, 2)
        let best = least_squares(&design, &y).unwrap();
        for (mut opt, tol) in [
            (Box::new(Sgd::new(0.1).unwrap()) as Box<dyn Optimizer>, 0.05),
            (Box::new(Momentum::new(0.1, 0.9).unwrap()), 0.05),
            (Box::new(Adam::new(0.01).unwrap()), 0.05),
        ] {
            let mut rng = seeded_rng(1);
            let mut theta = array![0.0, 0.0];
            for _ in 0..100 {
                for batch in shuffled_batches(&mut rng, 1000, 32).unwrap() {
                    let (xb, yb) = (x.select(Axis(0), &batch), y.select(Axis(0), &batch));
                    let grad = mse_grad(&theta, &xb, &yb);
                    opt.step(&mut theta, &grad).unwrap();
                }
            }
            assert_abs_diff_eq!(theta, best, epsilon = tol);
        }
    }

    #[test]
    fn fixed_adam_past_i32_max_steps_stops_moving() {
        // `t as i32` wrapped negative past 2³¹ − 1 steps: βᵗ became huge, the bias
        // correction −inf, and every step 0; at u32::MAX steps `t + 1` overflowed.
        for t in [i32::MAX as u32, u32::MAX] {
            let mut opt = Adam { t, ..Adam::new(0.1).unwrap() };
            let mut theta = array![1.0];
            opt.step(&mut theta, &array![1.0]).unwrap();
            // Fresh moments (m = 0.1, v = 0.001) with the bias correction gone (βᵗ = 0).
            let want = 1.0 - 0.1 * 0.1 / (0.001f64.sqrt() + 1e-8);
            assert!((theta[0] - want).abs() < 1e-12, "after {t} steps: {theta}, want {want}");
            assert_eq!(opt.steps(), t.saturating_add(1));
        }
    }
}

//! Seeded initialisation: weights whose scale keeps activations near 1
//! through many layers.

use ndarray::Array2;
use rand::Rng;

use crate::error::{Error, Result};
use crate::random::{normal, uniform};

/// How [`Linear::init`](super::Linear::init) draws its weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// [`xavier_uniform`]: for tanh and sigmoid, which are linear near 0.
    Xavier,
    /// [`he_normal`]: for ReLU and GELU, which zero about half their inputs.
    He,
    /// Normal with this standard deviation, whatever the fan-in: to see what
    /// a badly chosen scale does.
    Normal(f64),
}

/// The most numbers one matrix may hold: 100 million f64s, 800 MB. A
/// layer's weights here; the transformer's tables and activations use the
/// same cap, and its attention the same budget for all the `T × T`
/// matrices one layer holds at once.
pub(crate) const MAX_WEIGHTS: usize = 100_000_000;

/// Fan-in and fan-out must both be at least 1, their product at most [`MAX_WEIGHTS`].
fn check_fans(fan_in: usize, fan_out: usize) -> Result<()> {
    if fan_in == 0 {
        return Err(Error::invalid("fan_in", fan_in, "a layer needs at least one input"));
    }
    if fan_out == 0 {
        return Err(Error::invalid("fan_out", fan_out, "a layer needs at least one output"));
    }
    if fan_in.checked_mul(fan_out).is_none_or(|n| n > MAX_WEIGHTS) {
        return Err(Error::invalid(
            "fan_out",
            fan_out,
            format!("{fan_in} × {fan_out} weights are more than this crate draws at once (at most 100 million, 800 MB)"),
        ));
    }
    Ok(())
}

/// Xavier (Glorot) uniform initialisation: a `(fan_in, fan_out)` weight
/// matrix with entries uniform on `[−a, a)`,
///
/// ```text
/// a = √(6 / (fan_in + fan_out))      Var(w) = a²/3 = 2 / (fan_in + fan_out)
/// ```
///
/// The variance is the compromise between keeping the forward signal
/// (Var = 1/fan_in) and the backward gradient (Var = 1/fan_out) at scale
/// through a layer that is roughly linear (tanh, sigmoid).
///
/// # Errors
/// [`Error::InvalidArgument`] if `fan_in` or `fan_out` is 0, or the matrix
/// would have more than 100 million entries.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::nn::xavier_uniform;
/// let w = xavier_uniform(&mut seeded_rng(0), 300, 300)?;
/// let a = (6.0_f64 / 600.0).sqrt();
/// assert!(w.iter().all(|v| v.abs() <= a));
/// assert!((w.var(0.0) - 2.0 / 600.0).abs() < 2e-4);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn xavier_uniform<R: Rng + ?Sized>(rng: &mut R, fan_in: usize, fan_out: usize) -> Result<Array2<f64>> {
    check_fans(fan_in, fan_out)?;
    let a = (6.0 / (fan_in as f64 + fan_out as f64)).sqrt();
    uniform(rng, (fan_in, fan_out), -a, a)
}

/// He (Kaiming) normal initialisation: a `(fan_in, fan_out)` weight matrix
/// with entries drawn from `N(0, 2 / fan_in)`,
///
/// ```text
/// std = √(2 / fan_in)
/// ```
///
/// ReLU zeroes about half of its inputs, halving the second moment of what
/// passes; the factor 2 gives it back, so the activations keep their scale
/// through depth.
///
/// # Errors
/// [`Error::InvalidArgument`] if `fan_in` or `fan_out` is 0, or the matrix
/// would have more than 100 million entries.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::nn::he_normal;
/// let w = he_normal(&mut seeded_rng(0), 200, 500)?;
/// assert!((w.std(0.0) - (2.0_f64 / 200.0).sqrt()).abs() < 2e-3);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn he_normal<R: Rng + ?Sized>(rng: &mut R, fan_in: usize, fan_out: usize) -> Result<Array2<f64>> {
    check_fans(fan_in, fan_out)?;
    normal(rng, (fan_in, fan_out), 0.0, (2.0 / fan_in as f64).sqrt())
}

impl Init {
    /// A `(fan_in, fan_out)` weight matrix drawn this way.
    pub(super) fn draw<R: Rng + ?Sized>(self, rng: &mut R, fan_in: usize, fan_out: usize) -> Result<Array2<f64>> {
        match self {
            Init::Xavier => xavier_uniform(rng, fan_in, fan_out),
            Init::He => he_normal(rng, fan_in, fan_out),
            Init::Normal(std) => {
                check_fans(fan_in, fan_out)?;
                normal(rng, (fan_in, fan_out), 0.0, std)
            }
        }
    }
}

//! Seeded randomness, so every notebook prints the same numbers on every run.
//!
//! Used by every notebook that needs random data (first in
//! `notebooks/01-linear-algebra.ipynb`). The generator is ChaCha8, whose
//! output for a given seed is fixed by its specification, not by the `rand`
//! version or the platform.

use ndarray::{Array1, Array2};
use rand::{Rng, RngExt, SeedableRng};
use rand_distr::StandardNormal;

use crate::display::Readable;
use crate::error::{Error, Result, check_result};

/// The random number generator the notebooks use: ChaCha8, seeded.
pub type SeededRng = rand::rngs::ChaCha8Rng;

/// A generator that produces the same sequence every time for the same seed.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let (mut a, mut b) = (seeded_rng(7), seeded_rng(7));
/// assert_eq!(randn(&mut a, (2, 3)), randn(&mut b, (2, 3)));
/// ```
pub fn seeded_rng(seed: u64) -> SeededRng {
    SeededRng::seed_from_u64(seed)
}

/// A matrix of independent standard-normal samples, `N(0, 1)`.
///
/// Shapes: `shape = (rows, cols)` → `(rows, cols)`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let w = randn(&mut seeded_rng(0), (4, 2)); // e.g. a 4×2 projection matrix
/// assert_eq!(w.dim(), (4, 2));
/// ```
pub fn randn<R: Rng + ?Sized>(rng: &mut R, shape: (usize, usize)) -> Array2<f64> {
    Array2::from_shape_simple_fn(shape, || rng.sample(StandardNormal))
}

/// A vector of independent standard-normal samples, `N(0, 1)`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// assert_eq!(randn_vec(&mut seeded_rng(0), 5).len(), 5);
/// ```
pub fn randn_vec<R: Rng + ?Sized>(rng: &mut R, len: usize) -> Array1<f64> {
    Array1::from_shape_simple_fn(len, || rng.sample(StandardNormal))
}

/// A matrix of independent samples from `N(mean, std²)`.
///
/// ```text
/// x = mean + std · z,   z ~ N(0, 1)
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] if `std` is negative or either parameter is not
/// finite.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let x = normal(&mut seeded_rng(1), (1000, 1), 5.0, 0.1)?;
/// assert!((x.mean().unwrap() - 5.0).abs() < 0.05);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn normal<R: Rng + ?Sized>(rng: &mut R, shape: (usize, usize), mean: f64, std: f64) -> Result<Array2<f64>> {
    if !mean.is_finite() {
        return Err(Error::invalid("mean", mean, "the mean must be a finite number"));
    }
    if !(std.is_finite() && std >= 0.0) {
        return Err(Error::invalid("std", std, "the standard deviation must be finite and ≥ 0"));
    }
    let draws = randn(rng, shape) * std + mean;
    check_result("normal (mean + std · z)", &draws.view())?;
    Ok(draws)
}

/// A matrix of independent samples, uniform on `[low, high)`.
///
/// # Errors
/// [`Error::InvalidArgument`] unless `low < high`, both finite.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let x = uniform(&mut seeded_rng(2), (10, 10), -1.0, 1.0)?;
/// assert!(x.iter().all(|&v| (-1.0..1.0).contains(&v)));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn uniform<R: Rng + ?Sized>(rng: &mut R, shape: (usize, usize), low: f64, high: f64) -> Result<Array2<f64>> {
    if !low.is_finite() {
        return Err(Error::invalid("low", low.readable(), "the lower bound must be a finite number"));
    }
    if !high.is_finite() {
        return Err(Error::invalid("high", high.readable(), "the upper bound must be a finite number"));
    }
    if low >= high {
        return Err(Error::invalid("high", high.readable(), format!("must be above low = {}", low.readable())));
    }
    if (high - low).is_finite() {
        // rand can round up to `high` itself on a span of a few subnormals (0..5e-324): kept below it.
        return Ok(Array2::from_shape_simple_fn(shape, || rng.random_range(low..high).min(high.next_down())));
    }
    // A span wider than f64::MAX (e.g. -1e308..1e308): mix the two ends,
    // which never overflows, and keep the result below `high`.
    Ok(Array2::from_shape_simple_fn(shape, || {
        let u: f64 = rng.random();
        (low * (1.0 - u) + high * u).min(high.next_down())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{ContinuousCDF, Normal};

    #[test]
    fn same_seed_same_numbers_other_seed_other_numbers() {
        let a = randn(&mut seeded_rng(42), (3, 3));
        assert_eq!(a, randn(&mut seeded_rng(42), (3, 3)));
        assert_ne!(a, randn(&mut seeded_rng(43), (3, 3)));
    }

    #[test]
    fn randn_matches_the_standard_normal_from_statrs() {
        let n = 200_000;
        let x = randn_vec(&mut seeded_rng(1), n);
        let mean = x.mean().unwrap();
        let var = x.var(1.0);
        // Standard error of the mean is 1/√n ≈ 0.0022; allow 4 of them.
        assert!(mean.abs() < 4.0 / (n as f64).sqrt(), "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
        // The fraction inside ±1 must match statrs' CDF: Φ(1) − Φ(−1) ≈ 0.6827.
        let phi = Normal::standard();
        let expected = phi.cdf(1.0) - phi.cdf(-1.0);
        let inside = x.iter().filter(|v| v.abs() < 1.0).count() as f64 / n as f64;
        assert!((inside - expected).abs() < 0.005, "inside {inside} vs {expected}");
    }

    #[test]
    fn uniform_mean_and_range() {
        let x = uniform(&mut seeded_rng(3), (100_000, 1), 2.0, 4.0).unwrap();
        assert!(x.iter().all(|&v| (2.0..4.0).contains(&v)));
        // Mean of U(2, 4) is 3, standard deviation 2/√12 ≈ 0.577.
        assert!((x.mean().unwrap() - 3.0).abs() < 0.01);
    }

    #[test]
    fn error_invalid_argument() {
        assert!(matches!(normal(&mut seeded_rng(0), (1, 1), 0.0, -1.0), Err(Error::InvalidArgument { name: "std", .. })));
        assert!(matches!(normal(&mut seeded_rng(0), (1, 1), f64::NAN, 1.0), Err(Error::InvalidArgument { name: "mean", .. })));
        assert!(matches!(uniform(&mut seeded_rng(0), (1, 1), 1.0, 1.0), Err(Error::InvalidArgument { name: "high", .. })));
    }

    #[test]
    fn uniform_over_all_of_f64_draws_and_bad_bounds_blame_the_right_one() {
        let mut rng = seeded_rng(7);
        let x = uniform(&mut rng, (50, 4), -1e308, 1e308).unwrap();
        assert!(x.iter().all(|v| v.is_finite() && (-1e308..1e308).contains(v)));
        assert!(x.iter().any(|v| *v < -1e307) && x.iter().any(|v| *v > 1e307)); // both halves are reached
        let mut blamed = |low: f64, high: f64| match uniform(&mut rng, (1, 1), low, high) {
            Err(Error::InvalidArgument { name, .. }) => name,
            other => panic!("expected an error, got {other:?}"),
        };
        assert_eq!((blamed(f64::NAN, 1.0), blamed(0.0, f64::INFINITY), blamed(2.0, 1.0)), ("low", "high", "high"));
    }
}

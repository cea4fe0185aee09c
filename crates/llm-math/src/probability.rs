//! Probability: softmax and its relatives, sampling, and discrete distributions.
//!
//! Taught in `notebooks/03-probability-information.ipynb`.
//!
//! A language model's last layer produces one score per token, the
//! **logits**; softmax turns them into a probability distribution **probs**
//! over the vocabulary, temperature sharpens or flattens it, and sampling
//! draws the next token from it. The order here follows the notebook:
//! softmax ([`softmax`], [`log_softmax`], the batched `_rows` versions,
//! [`softmax_with_temperature`]), then distributions ([`check_distribution`],
//! [`sample_index`]) and their moments ([`expectation`], [`variance`]).
//!
//! Functions take anything that views as an ndarray array: `&Array1<f64>`,
//! `ArrayView1<f64>`, `&[f64]`, `&[f64; N]`, `&Vec<f64>` (and `&[[f64; N]; M]`
//! or `&Array2<f64>` for the `_rows` versions, one vector of logits per row).
//! Logits must be finite: mask with a large negative number, not `-inf`.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, AsArray, Axis, Ix1, Ix2};
use rand::RngExt;

use crate::error::{Error, Result, check_finite, check_result, check_same_len};
use crate::fastmath;

/// How far from 1 a distribution's sum may be before functions that take
/// probabilities reject it (used by [`sample_index`], [`expectation`],
/// [`variance`] and the [`info`](crate::info) functions).
///
/// # Examples
/// ```
/// use llm_math::probability::*;
/// assert!(check_distribution(&[0.5, 0.5 + 1e-12], DEFAULT_TOLERANCE).is_ok());
/// assert!(check_distribution(&[0.5, 0.5 + 1e-6], DEFAULT_TOLERANCE).is_err());
/// ```
pub const DEFAULT_TOLERANCE: f64 = 1e-9;

// ---------------------------------------------------------------------------
// Softmax
// ---------------------------------------------------------------------------

/// Turns a vector of logits into a probability distribution.
///
/// ```text
/// softmax(x)ᵢ = exp(xᵢ) / Σⱼ exp(xⱼ) = exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x)
/// ```
///
/// The two forms are equal (the factor `exp(−max x)` cancels); the second is
/// the one computed, so large logits such as `[1000, 1001, 1002]` work.
///
/// Shapes: `logits: (k,)` → `(k,)`, entries in `(0, 1]`, summing to 1.
///
/// # Errors
/// [`Error::BadShape`] for an empty vector; [`Error::NonFinite`] for NaN or
/// infinite logits.
///
/// # Examples
/// ```
/// use llm_math::probability::*;
/// let probs = softmax(&[1.0, 2.0, 3.0])?;
/// assert!((probs.sum() - 1.0).abs() < 1e-12);
/// assert!((probs[2] - 0.6652).abs() < 1e-4);
/// // Adding a constant to every logit changes nothing, so huge logits are fine.
/// assert!((&softmax(&[1000.0, 1001.0, 1002.0])? - &probs).iter().all(|d| d.abs() < 1e-12));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn softmax<'a>(logits: impl AsArray<'a, f64, Ix1>) -> Result<Array1<f64>> {
    let logits = logits.into();
    check_logits("softmax", &logits)?;
    let mut probs = logits.to_owned(); // (k,)
    softmax_in_place(&mut probs.view_mut(), 1.0);
    Ok(probs)
}

/// The logarithm of [`softmax`], computed without taking the log of a
/// probability that may have rounded to 0.
///
/// ```text
/// log_softmax(x)ᵢ = xᵢ − max x − ln Σⱼ exp(xⱼ − max x)
/// ```
///
/// Shapes: `logits: (k,)` → `(k,)`, entries ≤ 0.
///
/// # Errors
/// [`Error::BadShape`] for an empty vector; [`Error::NonFinite`] for NaN or
/// infinite logits.
///
/// # Examples
/// ```
/// use llm_math::probability::*;
/// let log_probs = log_softmax(&[1.0, 2.0, 3.0])?;
/// let probs = softmax(&[1.0, 2.0, 3.0])?;
/// assert!((log_probs[0] - probs[0].ln()).abs() < 1e-12);
/// // softmax([1000, 0])[1] = e^-1000 underflows to 0, but its log is fine.
/// assert!((log_softmax(&[1000.0, 0.0])?[1] - -1000.0).abs() < 1e-9);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn log_softmax<'a>(logits: impl AsArray<'a, f64, Ix1>) -> Result<Array1<f64>> {
    let logits = logits.into();
    check_logits("log_softmax", &logits)?;
    let mut log_probs = logits.to_owned(); // (k,)
    log_softmax_in_place(&mut log_probs.view_mut());
    check_result("log_softmax", &log_probs.view())?; // logits more than f64::MAX apart
    Ok(log_probs)
}

/// [`softmax`] applied to every row of a matrix: a batch of logit vectors,
/// one per row.
///
/// ```text
/// softmax_rows(X)[i, j] = exp(X[i, j] − maxₖ X[i, k]) / Σₖ exp(X[i, k] − maxₖ X[i, k])
/// ```
///
/// Shapes: `logits: (n, k)` → `(n, k)`; every row sums to 1.
///
/// # Errors
/// [`Error::BadShape`] for an empty matrix; [`Error::NonFinite`] for NaN or
/// infinite logits (the index is `[row, column]`).
///
/// # Examples
/// ```
/// use llm_math::probability::*;
/// let probs = softmax_rows(&[[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])?;
/// assert_eq!(probs.dim(), (2, 3));
/// assert!((probs[[1, 0]] - 1.0 / 3.0).abs() < 1e-12);
/// assert!((probs.row(0).sum() - 1.0).abs() < 1e-12);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn softmax_rows<'a>(logits: impl AsArray<'a, f64, Ix2>) -> Result<Array2<f64>> {
    map_rows("softmax_rows", logits.into(), |row| softmax_in_place(row, 1.0))
}

/// [`log_softmax`] applied to every row of a matrix.
///
/// ```text
/// log_softmax_rows(X)[i, j] = X[i, j] − maxₖ X[i, k] − ln Σₖ exp(X[i, k] − maxₖ X[i, k])
/// ```
///
/// Shapes: `logits: (n, k)` → `(n, k)`.
///
/// # Errors
/// [`Error::BadShape`] for an empty matrix; [`Error::NonFinite`] for NaN or
/// infinite logits (the index is `[row, column]`).
///
/// # Examples
/// ```
/// use llm_math::probability::*;
/// let log_probs = log_softmax_rows(&[[0.0, 0.0], [1000.0, 0.0]])?;
/// assert!((log_probs[[0, 0]] - -(2f64.ln())).abs() < 1e-12);
/// assert!((log_probs[[1, 1]] - -1000.0).abs() < 1e-9);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn log_softmax_rows<'a>(logits: impl AsArray<'a, f64, Ix2>) -> Result<Array2<f64>> {
    let log_probs = map_rows("log_softmax_rows", logits.into(), log_softmax_in_place)?;
    check_result("log_softmax_rows", &log_probs.view())?; // a row's logits more than f64::MAX apart
    Ok(log_probs)
}

/// Softmax of the logits divided by a temperature `T`: below 1 sharpens the
/// distribution towards the largest logit (greedy decoding as `T → 0`), above
/// 1 flattens it towards uniform.
///
/// ```text
/// softmax(x / T)ᵢ = exp((xᵢ − max x) / T) / Σⱼ exp((xⱼ − max x) / T),   T > 0
/// ```
///
/// Shapes: `logits: (k,)` → `(k,)`.
///
/// # Errors
/// [`Error::InvalidArgument`] (named `temperature`) unless the temperature is
/// finite and `> 0`; [`Error::BadShape`] for an empty vector;
/// [`Error::NonFinite`] for NaN or infinite logits.
///
/// # Examples
/// ```
/// use llm_math::probability::*;
/// let logits = [1.0, 2.0, 3.0];
/// let cold = softmax_with_temperature(&logits, 0.1)?;
/// let hot = softmax_with_temperature(&logits, 100.0)?;
/// assert!(cold[2] > 0.99); // almost all mass on the largest logit
/// assert!(hot.iter().all(|p| (p - 1.0 / 3.0).abs() < 0.01)); // almost uniform
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn softmax_with_temperature<'a>(logits: impl AsArray<'a, f64, Ix1>, temperature: f64) -> Result<Array1<f64>> {
    if !(temperature.is_finite() && temperature > 0.0) {
        return Err(Error::invalid("temperature", temperature, "the temperature must be finite and > 0 (1 leaves the logits unchanged)"));
    }
    let logits = logits.into();
    check_logits("softmax_with_temperature", &logits)?;
    let mut probs = logits.to_owned(); // (k,)
    softmax_in_place(&mut probs.view_mut(), temperature);
    Ok(probs)
}

// ---------------------------------------------------------------------------
// Discrete distributions
// ---------------------------------------------------------------------------

/// Checks that a vector is a probability distribution: every entry finite and
/// ≥ 0, and the entries summing to 1 within `tolerance`.
///
/// ```text
/// pᵢ ≥ 0 for all i,    |Σᵢ pᵢ − 1| ≤ tolerance
/// ```
///
/// Shapes: `probs: (k,)`.
///
/// # Errors
/// [`Error::NonFinite`] for NaN or infinite entries;
/// [`Error::InvalidArgument`] (named `probs`, the value naming the index) for
/// a negative entry, or (named `tolerance`) unless `tolerance` is finite and
/// ≥ 0; [`Error::NotADistribution`] if the sum is off (an empty vector sums
/// to 0).
///
/// # Examples
/// ```
/// use llm_math::probability::*;
/// use llm_math::Error;
/// check_distribution(&[0.1, 0.2, 0.7], DEFAULT_TOLERANCE)?;
/// let err = check_distribution(&[0.5, 0.4], DEFAULT_TOLERANCE).unwrap_err();
/// assert!(matches!(err, Error::NotADistribution { .. }));
/// let err = check_distribution(&[1.5, -0.5], DEFAULT_TOLERANCE).unwrap_err();
/// assert!(err.to_string().contains("probs[1] = -0.5"));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn check_distribution<'a>(probs: impl AsArray<'a, f64, Ix1>, tolerance: f64) -> Result<()> {
    check_probs("check_distribution", "probs", &probs.into(), tolerance)
}

/// Draws an index `i` with probability `probs[i]`, by inverting the
/// cumulative distribution at one uniform draw: this is how a language model
/// samples its next token.
///
/// ```text
/// u ~ U[0, 1),   i = min { i : u < p₀ + p₁ + … + pᵢ }
/// ```
///
/// An index whose probability is 0 is never returned.
///
/// Shapes: `probs: (k,)` → an index in `0..k`.
///
/// # Errors
/// Those of [`check_distribution`] with [`DEFAULT_TOLERANCE`].
///
/// # Examples
/// ```
/// use llm_math::probability::*;
/// use llm_math::random::seeded_rng;
/// let mut rng = seeded_rng(0);
/// let i = sample_index(&[0.1, 0.2, 0.7], &mut rng)?;
/// assert!(i < 3);
/// assert_eq!(sample_index(&[0.0, 1.0, 0.0], &mut rng)?, 1);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn sample_index<'a, R: rand::Rng + ?Sized>(probs: impl AsArray<'a, f64, Ix1>, rng: &mut R) -> Result<usize> {
    let probs = probs.into();
    check_probs("sample_index", "probs", &probs, DEFAULT_TOLERANCE)?;
    // Scale u by the actual sum, which may differ from 1 by the tolerance.
    let u = rng.random::<f64>() * probs.sum();
    let mut cumulative = 0.0;
    for (i, &p) in probs.iter().enumerate() {
        cumulative += p;
        if u < cumulative {
            return Ok(i);
        }
    }
    // Rounding in the running sum can leave u just above the total: fall back
    // to the last index with non-zero probability, never a zero-probability one.
    Ok(probs.iter().rposition(|&p| p > 0.0).expect("a distribution has a positive entry"))
}

/// The expected value (mean) of a discrete random variable that takes value
/// `values[i]` with probability `probs[i]`.
///
/// ```text
/// E[X] = Σᵢ pᵢ xᵢ
/// ```
///
/// Shapes: `values: (k,)`, `probs: (k,)` → scalar.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the lengths differ; [`Error::NonFinite`] for
/// NaN or infinite values; those of [`check_distribution`] for `probs` (with
/// [`DEFAULT_TOLERANCE`]).
///
/// # Examples
/// ```
/// use llm_math::probability::*;
/// // A fair die.
/// let faces = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
/// assert!((expectation(&faces, &[1.0 / 6.0; 6])? - 3.5).abs() < 1e-12);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn expectation<'a, 'b>(values: impl AsArray<'a, f64, Ix1>, probs: impl AsArray<'b, f64, Ix1>) -> Result<f64> {
    let (values, probs) = (values.into(), probs.into());
    check_moment_inputs("expectation", &values, &probs)?;
    Ok(probs.dot(&values))
}

/// The variance of a discrete random variable: the expected squared distance
/// from its mean. Its square root is the standard deviation.
///
/// ```text
/// Var[X] = Σᵢ pᵢ (xᵢ − E[X])²
/// ```
///
/// Shapes: `values: (k,)`, `probs: (k,)` → scalar.
///
/// # Errors
/// As [`expectation`].
///
/// # Examples
/// ```
/// use llm_math::probability::*;
/// // A fair die: Var = 35/12, standard deviation ≈ 1.7078.
/// let faces = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let var = variance(&faces, &[1.0 / 6.0; 6])?;
/// assert!((var - 35.0 / 12.0).abs() < 1e-12);
/// assert!((var.sqrt() - 1.7078).abs() < 1e-4);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn variance<'a, 'b>(values: impl AsArray<'a, f64, Ix1>, probs: impl AsArray<'b, f64, Ix1>) -> Result<f64> {
    let (values, probs) = (values.into(), probs.into());
    check_moment_inputs("variance", &values, &probs)?;
    let mean = probs.dot(&values);
    // Two passes (mean first, then squared deviations) rather than
    // E[X²] − E[X]², which cancels catastrophically when the mean is large.
    // An outcome of probability 0 adds nothing, even where its squared
    // deviation overflows (0 · ∞ would be NaN).
    let var: f64 = probs.iter().zip(values.iter()).filter(|(p, _)| **p > 0.0).map(|(p, x)| p * (x - mean).powi(2)).sum();
    check_result("variance", &ndarray::aview0(&var))?;
    Ok(var)
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

// The softmax family in a few lines each: subtract the max, exponentiate,
// sum, divide (or take the log). `fastmath` holds the fast `exp`, the lane
// sums and the run-time choice of SIMD build these lines run on.

/// `softmax(x / temperature)` in place on one finite, non-empty vector.
pub(crate) fn softmax_in_place(x: &mut ArrayViewMut1<f64>, temperature: f64) {
    on_slice(x, |x| {
        let max = fastmath::max(x);
        // xᵢ ← exp((xᵢ − max) / T): every exponent is ≤ 0, so nothing
        // overflows however small T is, and the max contributes exp(0) = 1,
        // so the sum is ≥ 1.
        let total = fastmath::exp_in_place(x, max, temperature);
        x.iter_mut().for_each(|v| *v /= total);
    });
}

/// `log_softmax(x)` in place on one finite, non-empty vector.
fn log_softmax_in_place(x: &mut ArrayViewMut1<f64>) {
    on_slice(x, |x| {
        let (max, log_total) = max_and_log_total(x);
        x.iter_mut().for_each(|v| *v = (*v - max) - log_total);
    });
}

/// `(max x, ln Σⱼ exp(xⱼ − max x))` for finite, non-empty logits: what
/// [`log_softmax`] and the cross-entropy from logits subtract. The sum is
/// ≥ 1 (the max contributes exp(0) = 1), so its log is finite and ≥ 0, and
/// it has the bits of the sum [`softmax`] divides by.
pub(crate) fn max_and_log_total(logits: &[f64]) -> (f64, f64) {
    let max = fastmath::max(logits);
    (max, fastmath::sum_exp(logits, max).ln())
}

/// Runs `f` on the entries of `x` as one slice: `x`'s own memory when it is
/// contiguous, otherwise a copy written back afterwards (a column, say), so
/// every layout gives the same bits.
fn on_slice(x: &mut ArrayViewMut1<f64>, f: impl FnOnce(&mut [f64])) {
    match x.as_slice_mut() {
        Some(entries) => f(entries),
        None => {
            let mut entries = x.to_vec();
            f(&mut entries);
            x.assign(&ArrayView1::from(&entries[..]));
        }
    }
}

/// `BadShape` for an empty vector, `NonFinite` for NaN/inf logits.
pub(crate) fn check_logits(op: &'static str, logits: &ArrayView1<f64>) -> Result<()> {
    if logits.is_empty() {
        return Err(Error::BadShape { op, got: logits.shape().to_vec(), expected: "a non-empty vector of logits (k,)" });
    }
    check_finite(op, logits)
}

/// A copy of a matrix of logits with `in_place` applied to every row, after
/// the checks: `BadShape` for an empty matrix, `NonFinite` for NaN/inf.
fn map_rows(op: &'static str, logits: ArrayView2<f64>, in_place: impl Fn(&mut ArrayViewMut1<f64>)) -> Result<Array2<f64>> {
    if logits.is_empty() {
        return Err(Error::BadShape { op, got: logits.shape().to_vec(), expected: "a non-empty matrix of logits (n, k), one row per vector" });
    }
    check_finite(op, &logits)?;
    let mut rows = logits.to_owned(); // (n, k)
    for mut row in rows.axis_iter_mut(Axis(0)) {
        in_place(&mut row); // (k,) -> (k,)
    }
    Ok(rows)
}

/// [`check_distribution`] with the caller's operation and parameter names in
/// the error.
pub(crate) fn check_probs(op: &'static str, name: &'static str, probs: &ArrayView1<f64>, tolerance: f64) -> Result<()> {
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(Error::invalid("tolerance", tolerance, "the tolerance must be finite and ≥ 0, e.g. DEFAULT_TOLERANCE"));
    }
    check_finite(op, probs)?;
    if let Some((i, &p)) = probs.indexed_iter().find(|(_, p)| **p < 0.0) {
        return Err(Error::invalid(name, format!("{name}[{i}] = {p}"), "a probability cannot be negative"));
    }
    let sum = probs.sum();
    if (sum - 1.0).abs() > tolerance {
        return Err(Error::NotADistribution { sum, tolerance });
    }
    Ok(())
}

/// Same lengths, finite values, and `probs` a distribution.
fn check_moment_inputs(op: &'static str, values: &ArrayView1<f64>, probs: &ArrayView1<f64>) -> Result<()> {
    check_same_len(op, values.len(), probs.len(), "values and probs need the same length, one probability per value")?;
    check_finite(op, values)?;
    check_probs(op, "probs", probs, DEFAULT_TOLERANCE)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::random::{randn_vec, seeded_rng};
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    /// The textbook formula exp(xᵢ) / Σ exp(xⱼ), unshifted: fine for small inputs.
    fn naive_softmax(x: &[f64]) -> Array1<f64> {
        let total: f64 = x.iter().map(|v| v.exp()).sum();
        x.iter().map(|v| v.exp() / total).collect()
    }

    #[test]
    fn softmax_matches_the_closed_form_and_published_values() {
        let a = softmax(&[1.0, 2.0, 3.0]).unwrap();
        assert_abs_diff_eq!(a, naive_softmax(&[1.0, 2.0, 3.0]), epsilon = 1e-15);
        assert_abs_diff_eq!(a, array![0.0900, 0.2447, 0.6652], epsilon = 1e-4);

        let b = softmax(&[1.0, 2.0, 5.0]).unwrap();
        assert_abs_diff_eq!(b, naive_softmax(&[1.0, 2.0, 5.0]), epsilon = 1e-15);
        assert_abs_diff_eq!(b, array![0.0171, 0.0466, 0.9362], epsilon = 1e-4);
    }

    #[test]
    fn softmax_is_shift_invariant_and_stable() {
        let a = softmax(&[1.0, 2.0, 3.0]).unwrap();
        assert_abs_diff_eq!(softmax(&[-9.0, -8.0, -7.0]).unwrap(), a, epsilon = 1e-15);
        let big = softmax(&[1000.0, 1001.0, 1002.0]).unwrap();
        assert!(big.iter().all(|p| p.is_finite()));
        assert_abs_diff_eq!(big, softmax(&[0.0, 1.0, 2.0]).unwrap(), epsilon = 1e-15);
        assert_abs_diff_eq!(big, naive_softmax(&[0.0, 1.0, 2.0]), epsilon = 1e-15);
    }

    #[test]
    fn softmax_sums_to_one_and_accepts_every_input_form() {
        let x = array![0.3, -1.2, 4.0, 0.0, 2.5];
        let p = softmax(&x).unwrap();
        assert_abs_diff_eq!(p.sum(), 1.0, epsilon = 1e-15);
        assert!(p.iter().all(|&v| v > 0.0 && v < 1.0));
        assert_eq!(softmax(x.view()).unwrap(), p);
        assert_eq!(softmax(&[0.3, -1.2, 4.0, 0.0, 2.5]).unwrap(), p);
        assert_eq!(softmax(&vec![0.3, -1.2, 4.0, 0.0, 2.5]).unwrap(), p);
        assert_eq!(softmax(&[7.0]).unwrap(), array![1.0]);
    }

    #[test]
    fn log_softmax_is_the_log_of_softmax_and_stays_finite() {
        let x = [0.5, -2.0, 3.0, 1.0];
        let expected = naive_softmax(&x).mapv(f64::ln);
        assert_abs_diff_eq!(log_softmax(&x).unwrap(), expected, epsilon = 1e-12);
        assert_abs_diff_eq!(log_softmax(&x).unwrap(), softmax(&x).unwrap().mapv(f64::ln), epsilon = 1e-12);

        // ln softmax([1000, 0]) = (−ln(1 + e^−1000), −1000 − ln(1 + e^−1000)) ≈ (0, −1000);
        // softmax itself underflows the second entry to 0, whose log is −inf.
        let l = log_softmax(&[1000.0, 0.0]).unwrap();
        assert!(l.iter().all(|v| v.is_finite()));
        assert_abs_diff_eq!(l, array![0.0, -1000.0], epsilon = 1e-12);
        assert_eq!(softmax(&[1000.0, 0.0]).unwrap()[1], 0.0);
    }

    #[test]
    fn ln_of_softmax_agrees_with_log_softmax_to_the_documented_bound() {
        // Both share fastmath's exp and sum, so they differ only by roundings:
        // at most 4ε·max(1, |log_softmax(x)ᵢ|), ε = 2⁻⁵², wherever
        // softmax(x)ᵢ is a normal float (a subnormal one has lost bits, and
        // one that underflowed to 0 has no log). The bound and its
        // derivation are in fastmath's documentation.
        const BOUND: f64 = 4.0; // in units of ε·max(1, |log_softmax(x)ᵢ|)
        let mut rng = seeded_rng(11);
        let (mut worst, mut checked) = (0.0f64, 0);
        for len in [1, 2, 7, 8, 9, 16, 17, 100, 1000, 5000] {
            for spread in [1e-12, 1e-3, 1.0, 3.0, 10.0, 100.0, 1000.0] {
                for shift in [0.0, -700.0, 1e4, 0.0, 0.0] {
                    let logits = randn_vec(&mut rng, len) * spread + shift;
                    let (probs, log_probs) = (softmax(&logits).unwrap(), log_softmax(&logits).unwrap());
                    for (p, l) in probs.iter().zip(&log_probs) {
                        if *p >= f64::MIN_POSITIVE {
                            worst = worst.max((p.ln() - l).abs() / (f64::EPSILON * l.abs().max(1.0)));
                            checked += 1;
                        }
                    }
                    assert_eq!(log_probs.iter().filter(|l| !l.is_finite()).count(), 0);
                }
            }
        }
        assert!(checked > 100_000, "only {checked} entries checked");
        assert!(worst <= BOUND, "{worst} ε·max(1, |log_softmax|) apart");
    }

    #[test]
    fn cross_entropy_from_logits_is_exactly_minus_log_softmax_at_the_target() {
        let mut rng = seeded_rng(12);
        for len in [1, 7, 8, 9, 1000] {
            for spread in [1e-6, 1.0, 1000.0] {
                let logits = randn_vec(&mut rng, len) * spread;
                let log_probs = log_softmax(&logits).unwrap();
                for target in [0, len / 2, len - 1] {
                    let loss = crate::info::cross_entropy_from_logits(&logits, target).unwrap();
                    // Equal as numbers and, but for the sign of a zero loss, bit for bit.
                    assert_eq!(loss, -log_probs[target], "len {len}, target {target}");
                    assert!(loss == 0.0 || loss.to_bits() == (-log_probs[target]).to_bits());
                }
            }
        }
    }

    #[test]
    fn rows_versions_equal_the_per_row_functions() {
        let x = array![[1.0, 2.0, 3.0], [1000.0, 1001.0, 1002.0], [-9.0, 0.5, 4.0], [0.0, 0.0, 0.0]];
        let p = softmax_rows(&x).unwrap();
        let l = log_softmax_rows(&x).unwrap();
        assert_eq!(p.dim(), (4, 3));
        assert_eq!(l.dim(), (4, 3));
        for (i, row) in x.outer_iter().enumerate() {
            assert_eq!(p.row(i), softmax(row).unwrap());
            assert_eq!(l.row(i), log_softmax(row).unwrap());
            assert_abs_diff_eq!(p.row(i).sum(), 1.0, epsilon = 1e-15);
        }
        // Works on a non-contiguous view too (the transpose).
        let t = x.t();
        let pt = softmax_rows(t).unwrap();
        assert_abs_diff_eq!(pt.row(1), softmax(t.row(1)).unwrap(), epsilon = 1e-15);
    }

    #[test]
    fn temperature_one_small_and_large() {
        let x = [1.0, 3.0, 2.0, -1.0];
        assert_abs_diff_eq!(softmax_with_temperature(&x, 1.0).unwrap(), softmax(&x).unwrap(), epsilon = 1e-15);
        // softmax(x / T) in closed form.
        let scaled: Vec<f64> = x.iter().map(|v| v / 2.5).collect();
        assert_abs_diff_eq!(softmax_with_temperature(&x, 2.5).unwrap(), naive_softmax(&scaled), epsilon = 1e-15);
        // T → 0: one-hot on the argmax (index 1); even T = 1e-300 must not overflow.
        assert_abs_diff_eq!(softmax_with_temperature(&x, 0.01).unwrap(), array![0.0, 1.0, 0.0, 0.0], epsilon = 1e-40);
        assert_eq!(softmax_with_temperature(&x, 1e-300).unwrap(), array![0.0, 1.0, 0.0, 0.0]);
        // T → ∞: uniform. softmax(x / 1e6) differs from 1/4 by about |x − x̄| / T.
        assert_abs_diff_eq!(softmax_with_temperature(&x, 1e6).unwrap(), Array1::from_elem(4, 0.25), epsilon = 1e-6);
    }

    #[test]
    fn check_distribution_accepts_distributions_and_respects_the_tolerance() {
        check_distribution(&[0.1, 0.2, 0.7], DEFAULT_TOLERANCE).unwrap();
        check_distribution(&[1.0, 0.0, 0.0], 0.0).unwrap();
        check_distribution(&[0.5, 0.45], 0.1).unwrap();
        check_distribution(&softmax(&[3.0, -1.0, 0.2]).unwrap(), DEFAULT_TOLERANCE).unwrap();
    }

    #[test]
    fn sample_index_frequencies_match_the_probabilities() {
        let probs = [0.1, 0.2, 0.7];
        let mut rng = seeded_rng(0);
        let n = 100_000;
        let mut counts = [0usize; 3];
        for _ in 0..n {
            counts[sample_index(&probs, &mut rng).unwrap()] += 1;
        }
        // Standard error of each frequency is ≤ √(0.25 / n) ≈ 0.0016; 0.01 is ~6 of them.
        for (c, p) in counts.iter().zip(probs) {
            let freq = *c as f64 / n as f64;
            assert!((freq - p).abs() < 0.01, "frequency {freq} vs probability {p}");
        }
    }

    #[test]
    fn sample_index_is_reproducible_and_never_picks_zero_probability() {
        let probs = [0.25, 0.0, 0.25, 0.5, 0.0];
        let draw = |seed| {
            let mut rng = seeded_rng(seed);
            (0..1000).map(|_| sample_index(&probs, &mut rng).unwrap()).collect::<Vec<_>>()
        };
        let a = draw(7);
        assert_eq!(a, draw(7));
        assert_ne!(a, draw(8));
        assert!(a.iter().all(|&i| probs[i] > 0.0));
        assert_eq!(sample_index(&[0.0, 0.0, 1.0], &mut seeded_rng(1)).unwrap(), 2);
    }

    #[test]
    fn die_expectation_variance_and_standard_deviation() {
        let faces = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let fair = [1.0 / 6.0; 6];
        assert_abs_diff_eq!(expectation(&faces, &fair).unwrap(), 3.5, epsilon = 1e-12);
        // Var = E[X²] − E[X]² = 91/6 − 49/4 = 35/12.
        let var = variance(&faces, &fair).unwrap();
        assert_abs_diff_eq!(var, 35.0 / 12.0, epsilon = 1e-12);
        assert_abs_diff_eq!(var, 2.9167, epsilon = 1e-4);
        assert_abs_diff_eq!(var.sqrt(), 1.7078, epsilon = 1e-4);
        // A Bernoulli(0.3) variable: mean p, variance p(1 − p).
        assert_abs_diff_eq!(expectation(&[0.0, 1.0], &[0.7, 0.3]).unwrap(), 0.3, epsilon = 1e-15);
        assert_abs_diff_eq!(variance(&[0.0, 1.0], &[0.7, 0.3]).unwrap(), 0.21, epsilon = 1e-15);
    }

    // One test per error variant this module returns.

    #[test]
    fn error_bad_shape() {
        let empty: [f64; 0] = [];
        assert!(matches!(softmax(&empty), Err(Error::BadShape { op: "softmax", .. })));
        assert!(matches!(log_softmax(&empty), Err(Error::BadShape { op: "log_softmax", .. })));
        assert!(matches!(softmax_with_temperature(&empty, 1.0), Err(Error::BadShape { op: "softmax_with_temperature", .. })));
        let no_cols = Array2::<f64>::zeros((2, 0));
        let e = softmax_rows(&no_cols).unwrap_err();
        assert!(matches!(e, Error::BadShape { op: "softmax_rows", ref got, .. } if got == &vec![2, 0]));
        assert!(matches!(log_softmax_rows(&no_cols), Err(Error::BadShape { op: "log_softmax_rows", .. })));
    }

    #[test]
    fn error_non_finite() {
        let e = softmax(&[1.0, f64::NAN]).unwrap_err();
        assert!(matches!(e, Error::NonFinite { op: "softmax", ref index, .. } if index == &vec![1]));
        assert!(matches!(log_softmax(&[f64::INFINITY]), Err(Error::NonFinite { op: "log_softmax", .. })));
        assert!(matches!(softmax_with_temperature(&[f64::NEG_INFINITY], 1.0), Err(Error::NonFinite { .. })));
        let e = softmax_rows(&[[0.0, 1.0], [2.0, f64::NEG_INFINITY]]).unwrap_err();
        assert!(matches!(e, Error::NonFinite { op: "softmax_rows", ref index, .. } if index == &vec![1, 1]));
        assert!(matches!(log_softmax_rows(&[[f64::NAN]]), Err(Error::NonFinite { op: "log_softmax_rows", .. })));
        assert!(matches!(check_distribution(&[f64::NAN, 1.0], DEFAULT_TOLERANCE), Err(Error::NonFinite { op: "check_distribution", .. })));
        assert!(matches!(sample_index(&[0.5, f64::INFINITY], &mut seeded_rng(0)), Err(Error::NonFinite { op: "sample_index", .. })));
        assert!(matches!(expectation(&[1.0, f64::NAN], &[0.5, 0.5]), Err(Error::NonFinite { op: "expectation", .. })));
        assert!(matches!(variance(&[1.0, 2.0], &[0.5, f64::NAN]), Err(Error::NonFinite { op: "variance", .. })));
    }

    #[test]
    fn error_invalid_argument() {
        for t in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(softmax_with_temperature(&[1.0, 2.0], t), Err(Error::InvalidArgument { name: "temperature", .. })), "T = {t}");
        }
        let e = check_distribution(&[0.6, -0.1, 0.5], DEFAULT_TOLERANCE).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "probs", ref value, .. } if value == "probs[1] = -0.1"));
        assert!(matches!(check_distribution(&[1.0], f64::NAN), Err(Error::InvalidArgument { name: "tolerance", .. })));
        assert!(matches!(check_distribution(&[1.0], -1e-9), Err(Error::InvalidArgument { name: "tolerance", .. })));
        assert!(matches!(sample_index(&[1.2, -0.2], &mut seeded_rng(0)), Err(Error::InvalidArgument { name: "probs", .. })));
        assert!(matches!(expectation(&[1.0, 2.0], &[1.5, -0.5]), Err(Error::InvalidArgument { name: "probs", .. })));
    }

    #[test]
    fn error_not_a_distribution() {
        let e = check_distribution(&[0.5, 0.4], DEFAULT_TOLERANCE).unwrap_err();
        match e {
            Error::NotADistribution { sum, tolerance } => {
                assert_abs_diff_eq!(sum, 0.9, epsilon = 1e-15);
                assert_eq!(tolerance, DEFAULT_TOLERANCE);
            }
            other => panic!("expected NotADistribution, got {other:?}"),
        }
        let empty: [f64; 0] = [];
        assert!(matches!(check_distribution(&empty, DEFAULT_TOLERANCE), Err(Error::NotADistribution { sum: 0.0, .. })));
        assert!(matches!(sample_index(&[0.2, 0.2], &mut seeded_rng(0)), Err(Error::NotADistribution { .. })));
        assert!(matches!(expectation(&[1.0, 2.0], &[0.5, 0.6]), Err(Error::NotADistribution { .. })));
        assert!(matches!(variance(&[1.0, 2.0], &[0.0, 0.0]), Err(Error::NotADistribution { .. })));
    }

    #[test]
    fn error_shape_mismatch() {
        let e = expectation(&[1.0, 2.0, 3.0], &[0.5, 0.5]).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { op: "expectation", ref left, ref right, .. } if left == &vec![3] && right == &vec![2]));
        assert!(matches!(variance(&[1.0], &[0.5, 0.5]), Err(Error::ShapeMismatch { op: "variance", .. })));
    }
}

//! Information theory: entropy, cross-entropy and KL divergence.
//!
//! Taught in `notebooks/03-probability-information.ipynb`.
//!
//! Entropy measures how uncertain a distribution is; cross-entropy is the
//! loss every language model is trained with (the average surprise of the
//! model's distribution `Q` at the true next token drawn from `P`); KL
//! divergence is the gap between the two, `H(P, Q) = H(P) + KL(P‖Q)`.
//!
//! Logarithms are natural (results in **nats**) except in [`entropy_bits`].
//! Probabilities are checked with [`check_distribution`](crate::probability::check_distribution) at
//! [`DEFAULT_TOLERANCE`]; terms with `pᵢ = 0` contribute 0, following the
//! convention `0 · ln 0 = 0` (the limit of `p ln p` as `p → 0`).

use std::borrow::Cow;

use ndarray::{ArrayView1, AsArray, Ix1};

use crate::display::Readable;
use crate::error::{Error, Result, check_same_len};
use crate::probability::{DEFAULT_TOLERANCE, check_logits, check_probs, max_and_log_total};

/// Shannon entropy of a distribution, in nats: the average surprise `−ln pᵢ`
/// of an outcome.
///
/// ```text
/// H(P) = −Σᵢ pᵢ ln pᵢ,    with 0 · ln 0 = 0
/// ```
///
/// Terms with `pᵢ = 0` are skipped, so the result is never NaN. It is 0 for
/// a certain outcome and `ln k` for the uniform distribution over `k`.
///
/// Shapes: `probs: (k,)` → scalar.
///
/// # Errors
/// Those of [`check_distribution`](crate::probability::check_distribution) with [`DEFAULT_TOLERANCE`]:
/// [`Error::NonFinite`], [`Error::InvalidArgument`] (named `probs`) for a
/// negative entry, [`Error::NotADistribution`].
///
/// # Examples
/// ```
/// use llm_math::info::*;
/// assert_eq!(entropy(&[1.0, 0.0, 0.0])?, 0.0);
/// assert!((entropy(&[0.25; 4])? - 4f64.ln()).abs() < 1e-12);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn entropy<'a>(probs: impl AsArray<'a, f64, Ix1>) -> Result<f64> {
    let probs = probs.into();
    check_probs("entropy", "probs", &probs, DEFAULT_TOLERANCE)?;
    Ok(entropy_unchecked(&probs))
}

/// Shannon entropy in bits: the same as [`entropy`] with base-2 logarithms.
///
/// ```text
/// H₂(P) = −Σᵢ pᵢ log₂ pᵢ = H(P) / ln 2
/// ```
///
/// Shapes: `probs: (k,)` → scalar.
///
/// # Errors
/// As [`entropy`].
///
/// # Examples
/// ```
/// use llm_math::info::*;
/// assert!((entropy_bits(&[0.5, 0.5])? - 1.0).abs() < 1e-12); // a fair coin: 1 bit
/// assert!((entropy_bits(&[1.0 / 3.0; 3])? - 3f64.log2()).abs() < 1e-12);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn entropy_bits<'a>(probs: impl AsArray<'a, f64, Ix1>) -> Result<f64> {
    let probs = probs.into();
    check_probs("entropy_bits", "probs", &probs, DEFAULT_TOLERANCE)?;
    Ok(entropy_unchecked(&probs) / std::f64::consts::LN_2)
}

/// Cross-entropy of `Q` relative to `P`, in nats: the average surprise
/// `−ln qᵢ` under `Q` of outcomes drawn from `P`. With `P` one-hot on the
/// true token it is the language-model loss `−ln q_target`.
///
/// ```text
/// H(P, Q) = −Σᵢ pᵢ ln qᵢ,    with 0 · ln qᵢ = 0
/// ```
///
/// Returns `Ok(f64::INFINITY)`, not an error, when some `qᵢ = 0` where
/// `pᵢ > 0`: `Q` calls certain-impossible something that happens.
///
/// Shapes: `p: (k,)`, `q: (k,)` → scalar.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the lengths differ; those of
/// [`check_distribution`](crate::probability::check_distribution) for each of `p` and `q` (an
/// [`Error::InvalidArgument`] names `p` or `q`).
///
/// # Examples
/// ```
/// use llm_math::info::*;
/// // One-hot target on index 2; the model gives it probability 0.5.
/// let loss = cross_entropy(&[0.0, 0.0, 1.0, 0.0, 0.0], &[0.1, 0.2, 0.5, 0.1, 0.1])?;
/// assert!((loss - 2f64.ln()).abs() < 1e-12);
/// assert_eq!(cross_entropy(&[0.5, 0.5], &[1.0, 0.0])?, f64::INFINITY);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn cross_entropy<'a, 'b>(p: impl AsArray<'a, f64, Ix1>, q: impl AsArray<'b, f64, Ix1>) -> Result<f64> {
    let (p, q) = (p.into(), q.into());
    check_pair("cross_entropy", &p, &q)?;
    Ok(sum_where_p_positive(&p, &q, |pi, qi| -pi * qi.ln()))
}

/// The cross-entropy loss of one prediction, straight from the logits: what
/// deep-learning frameworks' `cross_entropy(logits, target)` computes.
///
/// ```text
/// loss = −log_softmax(x)[t] = (max x − x_t) + ln Σⱼ exp(xⱼ − max x)
/// ```
///
/// Equal to `cross_entropy(one_hot(t), softmax(x))`, but stable: it never
/// takes the log of a probability that rounded to 0, so a confidently wrong
/// model gets a large finite loss rather than infinity.
///
/// Shapes: `logits: (k,)`, `target` in `0..k` → scalar ≥ 0.
///
/// # Errors
/// [`Error::BadShape`] for empty logits; [`Error::NonFinite`] for NaN or
/// infinite logits; [`Error::InvalidArgument`] (named `target`) if
/// `target >= k`, or (named `logits`) if the loss itself is beyond the
/// largest f64 (the target's logit is more than about 1.8e308 below the
/// largest): an error, not an infinity that looks like a result.
///
/// # Examples
/// ```
/// use llm_math::info::*;
/// let loss = cross_entropy_from_logits(&[1.0, 2.0, 3.0], 2)?;
/// let p_target = 3f64.exp() / (1f64.exp() + 2f64.exp() + 3f64.exp());
/// assert!((loss - -p_target.ln()).abs() < 1e-12);
/// // Confidently wrong: softmax would round the target's probability to 0.
/// assert!((cross_entropy_from_logits(&[0.0, 1000.0], 0)? - 1000.0).abs() < 1e-9);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn cross_entropy_from_logits<'a>(logits: impl AsArray<'a, f64, Ix1>, target: usize) -> Result<f64> {
    let logits = logits.into();
    check_logits("cross_entropy_from_logits", &logits)?;
    if target >= logits.len() {
        return Err(Error::invalid(
            "target",
            target,
            format!("the target is a class index and must be below the number of logits ({})", logits.len()),
        ));
    }
    // ln Σ exp(xⱼ − max x) ≥ 0, the sum log_softmax subtracts (same bits).
    let entries = logits.as_slice().map_or_else(|| Cow::Owned(logits.to_vec()), Cow::Borrowed);
    let (max, log_total) = max_and_log_total(&entries);
    // Add the two non-negative parts last: no cancellation, and never below 0.
    let loss = (max - logits[target]) + log_total;
    if !loss.is_finite() {
        return Err(Error::invalid(
            "logits",
            format!("max {} and target logit {}", max.readable(), logits[target].readable()),
            "the loss (max − target logit, about their difference) is larger than an f64 can hold; \
             logits this far apart come from a diverged model",
        ));
    }
    Ok(loss)
}

/// Kullback–Leibler divergence of `Q` from `P`, in nats: the extra surprise
/// from using `Q` when outcomes follow `P`. Always ≥ 0, 0 only when `P = Q`,
/// and not symmetric: `KL(P‖Q) ≠ KL(Q‖P)` in general.
///
/// ```text
/// KL(P‖Q) = Σᵢ pᵢ ln(pᵢ / qᵢ) = H(P, Q) − H(P),    with 0 · ln(0 / qᵢ) = 0
/// ```
///
/// Returns `Ok(f64::INFINITY)`, not an error, when some `qᵢ = 0` where
/// `pᵢ > 0`.
///
/// Shapes: `p: (k,)`, `q: (k,)` → scalar.
///
/// # Errors
/// As [`cross_entropy`].
///
/// # Examples
/// ```
/// use llm_math::info::*;
/// let p = [0.3, 0.3, 0.4];
/// let q = [0.1, 0.1, 0.8];
/// assert_eq!(kl_divergence(&p, &p)?, 0.0);
/// let expected = 0.6 * 3f64.ln() + 0.4 * 0.5f64.ln(); // ≈ 0.3819
/// assert!((kl_divergence(&p, &q)? - expected).abs() < 1e-12);
/// assert!((kl_divergence(&q, &p)? - expected).abs() > 0.01); // not symmetric
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn kl_divergence<'a, 'b>(p: impl AsArray<'a, f64, Ix1>, q: impl AsArray<'b, f64, Ix1>) -> Result<f64> {
    let (p, q) = (p.into(), q.into());
    check_pair("kl_divergence", &p, &q)?;
    Ok(sum_where_p_positive(&p, &q, |pi, qi| pi * log_ratio(pi, qi)))
}

/// `ln(p / q)` for `p > 0`, also where `p / q` overflows (a tiny `q`):
/// then as `ln p − ln q`, finite for any `q > 0` (ln of the smallest
/// subnormal is about −744.4). Infinite only for `q = 0`.
fn log_ratio(p: f64, q: f64) -> f64 {
    let ratio = p / q;
    if ratio.is_finite() && ratio > 0.0 { ratio.ln() } else { p.ln() - q.ln() }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `Σᵢ term(pᵢ, qᵢ)` over the outcomes with `pᵢ > 0`: a term with `pᵢ = 0`
/// is 0 (`0 · ln qᵢ = 0`), even where `qᵢ = 0`. Infinite if `Q` gives
/// probability 0 to an outcome `P` gives a positive one.
fn sum_where_p_positive(p: &ArrayView1<f64>, q: &ArrayView1<f64>, term: impl Fn(f64, f64) -> f64) -> f64 {
    let mut total = 0.0;
    for (&pi, &qi) in p.iter().zip(q) {
        if pi == 0.0 {
            continue;
        }
        if qi == 0.0 {
            return f64::INFINITY;
        }
        total += term(pi, qi);
    }
    total
}

/// `−Σ pᵢ ln pᵢ` over the non-zero entries of a checked distribution.
fn entropy_unchecked(probs: &ArrayView1<f64>) -> f64 {
    // Fold from +0.0 so a certain outcome gives 0, not −0.
    probs.iter().filter(|&&p| p > 0.0).fold(0.0, |h, &p| h - p * p.ln())
}

/// Same lengths, and both `p` and `q` distributions.
fn check_pair(op: &'static str, p: &ArrayView1<f64>, q: &ArrayView1<f64>) -> Result<()> {
    check_same_len(op, p.len(), q.len(), "p and q must be distributions over the same outcomes (same length)")?;
    check_probs(op, "p", p, DEFAULT_TOLERANCE)?;
    check_probs(op, "q", q, DEFAULT_TOLERANCE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probability::softmax;
    use crate::random::{randn_vec, seeded_rng};
    use approx::assert_abs_diff_eq;
    use ndarray::Array1;

    fn one_hot(k: usize, i: usize) -> Array1<f64> {
        Array1::from_shape_fn(k, |j| if j == i { 1.0 } else { 0.0 })
    }

    #[test]
    fn entropy_of_certain_uniform_and_coin() {
        let h = entropy(&[1.0, 0.0, 0.0]).unwrap();
        assert_eq!(h, 0.0);
        assert!(h.is_sign_positive());
        assert_eq!(entropy_bits(&[0.0, 1.0]).unwrap(), 0.0);
        let third = [1.0 / 3.0; 3];
        assert_abs_diff_eq!(entropy(&third).unwrap(), 3f64.ln(), epsilon = 1e-12);
        assert_abs_diff_eq!(entropy_bits(&third).unwrap(), 3f64.log2(), epsilon = 1e-12);
        assert_abs_diff_eq!(entropy_bits(&third).unwrap(), 1.585, epsilon = 1e-3);
        assert_abs_diff_eq!(entropy_bits(&[0.5, 0.5]).unwrap(), 1.0, epsilon = 1e-15);
        // Hand computation: −(0.5 ln 0.5 + 0.25 ln 0.25 + 0.25 ln 0.25) = 1.5 ln 2 = 1.5 bits.
        assert_abs_diff_eq!(entropy(&[0.5, 0.25, 0.25]).unwrap(), 1.5 * 2f64.ln(), epsilon = 1e-15);
        assert_abs_diff_eq!(entropy_bits(&[0.5, 0.25, 0.25]).unwrap(), 1.5, epsilon = 1e-15);
    }

    #[test]
    fn cross_entropy_of_a_one_hot_target_is_minus_log_q() {
        let loss = cross_entropy(&one_hot(5, 2), &[0.1, 0.2, 0.5, 0.1, 0.1]).unwrap();
        assert_abs_diff_eq!(loss, 2f64.ln(), epsilon = 1e-15); // ≈ 0.6931
        // H(P, P) = H(P).
        let p = [0.2, 0.3, 0.5];
        assert_abs_diff_eq!(cross_entropy(&p, &p).unwrap(), entropy(&p).unwrap(), epsilon = 1e-15);
    }

    #[test]
    fn cross_entropy_from_logits_matches_the_hand_computation() {
        let logits = [1.0, 2.0, 3.0, 1.0, 1.0];
        let e = std::f64::consts::E;
        let p_target = e.powi(3) / (3.0 * e + e.powi(2) + e.powi(3));
        let loss = cross_entropy_from_logits(&logits, 2).unwrap();
        assert_abs_diff_eq!(loss, -p_target.ln(), epsilon = 1e-12);
        let via_probs = cross_entropy(&one_hot(5, 2), &softmax(&logits).unwrap()).unwrap();
        assert_abs_diff_eq!(loss, via_probs, epsilon = 1e-12);
        // Stable where the two-step version is not: softmax([0, 1000])[0] rounds to 0.
        assert_abs_diff_eq!(cross_entropy_from_logits(&[0.0, 1000.0], 0).unwrap(), 1000.0, epsilon = 1e-9);
        assert_eq!(cross_entropy(&[1.0, 0.0], &softmax(&[0.0, 1000.0]).unwrap()).unwrap(), f64::INFINITY);
        // Uniform logits: ln k.
        assert_abs_diff_eq!(cross_entropy_from_logits(&[7.0; 4], 3).unwrap(), 4f64.ln(), epsilon = 1e-15);
        assert_eq!(cross_entropy_from_logits(&[1e6], 0).unwrap(), 0.0);
    }

    #[test]
    fn kl_divergence_zero_closed_form_and_asymmetry() {
        let p = [0.3, 0.3, 0.4];
        let q = [0.1, 0.1, 0.8];
        assert_eq!(kl_divergence(&p, &p).unwrap(), 0.0);
        let pq = kl_divergence(&p, &q).unwrap();
        assert_abs_diff_eq!(pq, 0.6 * 3f64.ln() + 0.4 * 0.5f64.ln(), epsilon = 1e-12);
        assert_abs_diff_eq!(pq, 0.3819, epsilon = 1e-4);
        // KL(Q‖P) = 0.2 ln(1/3) + 0.8 ln 2 ≈ 0.3348.
        let qp = kl_divergence(&q, &p).unwrap();
        assert_abs_diff_eq!(qp, 0.2 * (1.0f64 / 3.0).ln() + 0.8 * 2f64.ln(), epsilon = 1e-12);
        assert!((pq - qp).abs() > 0.04);
    }

    #[test]
    fn cross_entropy_is_entropy_plus_kl() {
        let pairs: [([f64; 3], [f64; 3]); 4] = [
            ([0.3, 0.3, 0.4], [0.1, 0.1, 0.8]),
            ([0.1, 0.1, 0.8], [0.3, 0.3, 0.4]),
            ([1.0, 0.0, 0.0], [0.5, 0.25, 0.25]),
            ([0.0, 0.5, 0.5], [0.9, 0.05, 0.05]),
        ];
        for (p, q) in pairs {
            let lhs = cross_entropy(&p, &q).unwrap();
            let rhs = entropy(&p).unwrap() + kl_divergence(&p, &q).unwrap();
            assert_abs_diff_eq!(lhs, rhs, epsilon = 1e-12);
        }
        let mut rng = seeded_rng(11);
        for _ in 0..20 {
            let p = softmax(&randn_vec(&mut rng, 6)).unwrap();
            let q = softmax(&randn_vec(&mut rng, 6)).unwrap();
            let rhs = entropy(&p).unwrap() + kl_divergence(&p, &q).unwrap();
            assert_abs_diff_eq!(cross_entropy(&p, &q).unwrap(), rhs, epsilon = 1e-12);
        }
    }

    #[test]
    fn kl_divergence_is_non_negative_on_random_pairs() {
        // Gibbs' inequality.
        let mut rng = seeded_rng(3);
        for _ in 0..200 {
            let p = softmax(&(randn_vec(&mut rng, 8) * 2.0)).unwrap();
            let q = softmax(&(randn_vec(&mut rng, 8) * 2.0)).unwrap();
            let kl = kl_divergence(&p, &q).unwrap();
            assert!(kl >= 0.0, "KL = {kl}");
            assert!(kl_divergence(&q, &p).unwrap() >= 0.0);
        }
    }

    #[test]
    fn infinity_when_q_rules_out_what_p_allows() {
        assert_eq!(cross_entropy(&[0.5, 0.5], &[1.0, 0.0]).unwrap(), f64::INFINITY);
        assert_eq!(kl_divergence(&[0.5, 0.5], &[1.0, 0.0]).unwrap(), f64::INFINITY);
        // The reverse direction is finite: P puts no mass where Q is 0.
        assert_abs_diff_eq!(cross_entropy(&[1.0, 0.0], &[0.5, 0.5]).unwrap(), 2f64.ln(), epsilon = 1e-15);
        assert_abs_diff_eq!(kl_divergence(&[1.0, 0.0], &[0.5, 0.5]).unwrap(), 2f64.ln(), epsilon = 1e-15);
        // qᵢ = 0 where pᵢ = 0 too is fine: 0 · ln 0 = 0.
        assert_eq!(cross_entropy(&[1.0, 0.0], &[1.0, 0.0]).unwrap(), 0.0);
        assert_eq!(kl_divergence(&[1.0, 0.0], &[1.0, 0.0]).unwrap(), 0.0);
    }

    // One test per error variant this module returns.

    #[test]
    fn error_shape_mismatch() {
        let e = cross_entropy(&[0.5, 0.5], &[0.2, 0.3, 0.5]).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { op: "cross_entropy", ref left, ref right, .. } if left == &vec![2] && right == &vec![3]));
        assert!(matches!(kl_divergence(&[1.0], &[0.5, 0.5]), Err(Error::ShapeMismatch { op: "kl_divergence", .. })));
    }

    #[test]
    fn error_bad_shape() {
        let empty: [f64; 0] = [];
        assert!(matches!(cross_entropy_from_logits(&empty, 0), Err(Error::BadShape { op: "cross_entropy_from_logits", .. })));
    }

    #[test]
    fn error_non_finite() {
        assert!(matches!(entropy(&[f64::NAN, 1.0]), Err(Error::NonFinite { op: "entropy", .. })));
        assert!(matches!(entropy_bits(&[f64::INFINITY]), Err(Error::NonFinite { op: "entropy_bits", .. })));
        assert!(matches!(cross_entropy(&[1.0, 0.0], &[f64::NAN, 1.0]), Err(Error::NonFinite { op: "cross_entropy", .. })));
        assert!(matches!(kl_divergence(&[f64::NAN, 1.0], &[0.5, 0.5]), Err(Error::NonFinite { op: "kl_divergence", .. })));
        let e = cross_entropy_from_logits(&[1.0, f64::NEG_INFINITY], 0).unwrap_err();
        assert!(matches!(e, Error::NonFinite { op: "cross_entropy_from_logits", ref index, .. } if index == &vec![1]));
    }

    #[test]
    fn error_invalid_argument() {
        assert!(matches!(entropy(&[1.5, -0.5]), Err(Error::InvalidArgument { name: "probs", .. })));
        assert!(matches!(entropy_bits(&[-0.5, 1.5]), Err(Error::InvalidArgument { name: "probs", .. })));
        assert!(matches!(cross_entropy(&[1.2, -0.2], &[0.5, 0.5]), Err(Error::InvalidArgument { name: "p", .. })));
        let e = kl_divergence(&[0.5, 0.5], &[1.2, -0.2]).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "q", ref value, .. } if value == "q[1] = -0.2"));
        let e = cross_entropy_from_logits(&[1.0, 2.0, 3.0], 3).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "target", ref value, .. } if value == "3"));
    }

    #[test]
    fn error_not_a_distribution() {
        assert!(matches!(entropy(&[0.5, 0.4]), Err(Error::NotADistribution { .. })));
        assert!(matches!(entropy_bits(&[0.5, 0.6]), Err(Error::NotADistribution { .. })));
        assert!(matches!(cross_entropy(&[0.5, 0.5], &[0.5, 0.4]), Err(Error::NotADistribution { .. })));
        assert!(matches!(kl_divergence(&[0.9, 0.0], &[0.5, 0.5]), Err(Error::NotADistribution { .. })));
    }

    #[test]
    fn kl_with_a_subnormal_q_is_finite() {
        // p / q overflows; ln 1 − ln(5e-324) = 744.44 is the right value.
        let kl = kl_divergence(&[1.0, 0.0], &[5e-324, 1.0]).unwrap();
        assert!((kl - 744.4400719213812).abs() < 1e-9, "{kl}");
        assert_eq!(kl_divergence(&[0.5, 0.5], &[0.0, 1.0]).unwrap(), f64::INFINITY); // q = 0 where p > 0
    }

    #[test]
    fn a_loss_beyond_f64_is_an_error_not_an_infinity() {
        let message = cross_entropy_from_logits(&[-1e308, 1e308], 0).unwrap_err().to_string();
        assert!(message.contains("larger than an f64") && message.contains("1.0e308"), "{message}");
        // Far apart but representable: the exact difference.
        assert_eq!(cross_entropy_from_logits(&[-1e307, 1e307], 0).unwrap(), 2e307);
    }
}

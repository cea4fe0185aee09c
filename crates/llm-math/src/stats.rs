//! Statistics for evaluating models: Bayes' rule, confidence intervals, t-tests.
//!
//! Taught in `notebooks/03-probability-information.ipynb`.
//!
//! Distributions (the normal quantile, Student's t tail) come from `statrs`;
//! this module only computes the statistics and checks inputs. Samples are
//! taken as anything that views as a 1-D ndarray array: `&Array1<f64>`,
//! `ArrayView1<f64>`, `&[f64]`, `&[f64; N]`, `&Vec<f64>`.

use ndarray::{ArrayView1, AsArray, Ix1};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::display::Readable;
use crate::error::{Error, Result, check_finite};

// ---------------------------------------------------------------------------
// Bayes' rule
// ---------------------------------------------------------------------------

/// Posterior probability of a binary hypothesis `H` after seeing evidence `E`.
///
/// ```text
/// P(H|E) = P(E|H)·P(H) / (P(E|H)·P(H) + P(E|¬H)·(1 − P(H)))
/// ```
///
/// `prior` is `P(H)`, `likelihood` is `P(E|H)` and `likelihood_if_not` is
/// `P(E|¬H)`.
///
/// # Errors
/// [`Error::InvalidArgument`] naming `prior`, `likelihood` or
/// `likelihood_if_not` if it is not a probability in `[0, 1]`; naming
/// `likelihood` if the evidence has probability 0 (it could never have been
/// observed, so there is nothing to condition on).
///
/// # Examples
/// ```
/// use llm_math::stats::*;
/// // 30% of mail is spam; "free" appears in 80% of spam and 10% of the rest.
/// let p_spam = bayes(0.3, 0.8, 0.1)?;
/// assert!((p_spam - 0.24 / 0.31).abs() < 1e-12); // ≈ 0.774
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn bayes(prior: f64, likelihood: f64, likelihood_if_not: f64) -> Result<f64> {
    check_probability("prior", prior)?;
    check_probability("likelihood", likelihood)?;
    check_probability("likelihood_if_not", likelihood_if_not)?;
    let joint = likelihood * prior; // P(E, H)
    let evidence = joint + likelihood_if_not * (1.0 - prior); // P(E), by total probability
    if evidence == 0.0 {
        return Err(Error::invalid(
            "likelihood",
            likelihood,
            format!(
                "the evidence is impossible: P(E) = likelihood·prior + likelihood_if_not·(1 − prior) = 0 \
                 (prior = {prior}, likelihood_if_not = {likelihood_if_not}), so P(H|E) is undefined"
            ),
        ));
    }
    Ok(joint / evidence)
}

// ---------------------------------------------------------------------------
// Confidence intervals
// ---------------------------------------------------------------------------

/// Normal-approximation (Wald) confidence interval for a proportion, e.g. a
/// model's accuracy measured on `trials` test examples.
///
/// ```text
/// p̂ = successes / trials
/// z = Φ⁻¹((1 + confidence) / 2)          (1.959964 for 95%)
/// p̂ ± z·√(p̂(1 − p̂) / trials),  clamped to [0, 1]
/// ```
///
/// Returns `(lower, upper)`. The approximation is poor for small `trials` or
/// `p̂` near 0 or 1 (the interval collapses to a point when `p̂` is 0 or 1).
///
/// # Errors
/// [`Error::InvalidArgument`] naming `trials` if it is 0, `successes` if it
/// exceeds `trials`, or `confidence` if it is not strictly between 0 and 1.
///
/// # Examples
/// ```
/// use llm_math::stats::*;
/// // 85 correct out of 100: the accuracy is 85% ± 7 points at 95% confidence.
/// let (lo, hi) = proportion_ci(85, 100, 0.95)?;
/// assert!((lo - 0.780015).abs() < 1e-6 && (hi - 0.919985).abs() < 1e-6);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn proportion_ci(successes: u64, trials: u64, confidence: f64) -> Result<(f64, f64)> {
    if trials == 0 {
        return Err(Error::invalid("trials", trials, "need at least one trial to estimate a proportion"));
    }
    if successes > trials {
        return Err(Error::invalid(
            "successes",
            successes,
            format!("cannot have more successes than trials ({trials})"),
        ));
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::invalid(
            "confidence",
            confidence,
            "must be strictly between 0 and 1, e.g. 0.95 for a 95% interval",
        ));
    }
    let n = trials as f64;
    let p_hat = successes as f64 / n;
    let z = Normal::standard().inverse_cdf((1.0 + confidence) / 2.0);
    let half_width = z * (p_hat * (1.0 - p_hat) / n).sqrt();
    // The normal approximation can overshoot; a proportion lives in [0, 1].
    Ok(((p_hat - half_width).max(0.0), (p_hat + half_width).min(1.0)))
}

// ---------------------------------------------------------------------------
// t-tests
// ---------------------------------------------------------------------------

/// Result of a two-sample t-test. Returned by [`t_test_student`] and
/// [`t_test_welch`].
///
/// # Examples
/// ```
/// use llm_math::stats::*;
/// let r = t_test_welch(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0])?;
/// assert_eq!(r, TTest { statistic: 0.0, df: 4.0, p_value: 1.0 }); // no difference at all
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TTest {
    /// The t statistic: the difference of means `x̄_a − x̄_b` in units of its
    /// standard error. Positive when `a`'s mean is larger.
    pub statistic: f64,
    /// Degrees of freedom of the t distribution the statistic is compared to.
    pub df: f64,
    /// Two-sided p-value: the probability, if both means were equal, of a
    /// statistic at least this far from 0 in either direction.
    pub p_value: f64,
}

/// Student's two-sample t-test, assuming both samples share one variance.
///
/// ```text
/// s_p² = ((n_a − 1)·s_a² + (n_b − 1)·s_b²) / (n_a + n_b − 2)
/// t    = (x̄_a − x̄_b) / (s_p·√(1/n_a + 1/n_b))
/// df   = n_a + n_b − 2
/// p    = 2·P(T_df ≥ |t|)
/// ```
///
/// `s²` is the sample variance (divisor `n − 1`). Shapes: `a: (n_a,)`,
/// `b: (n_b,)` → [`TTest`]. Same numbers as SciPy's
/// `ttest_ind(a, b, equal_var=True)`.
///
/// # Errors
/// [`Error::BadShape`] if a sample has fewer than 2 values;
/// [`Error::NonFinite`] for NaN or infinite values; [`Error::InvalidArgument`]
/// (named `a`) if both samples have zero variance, which makes the statistic
/// undefined.
///
/// # Examples
/// ```
/// use llm_math::stats::*;
/// let r = t_test_student(&[1.0, 2.0, 3.0, 4.0], &[2.0, 3.0, 4.0, 5.0])?;
/// assert!((r.statistic - (-1.0954451150103321)).abs() < 1e-12);
/// assert_eq!(r.df, 6.0);
/// assert!((r.p_value - 0.3153335962012299).abs() < 1e-9);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn t_test_student<'a, 'b>(a: impl AsArray<'a, f64, Ix1>, b: impl AsArray<'b, f64, Ix1>) -> Result<TTest> {
    let (a, b) = (a.into(), b.into());
    let (sa, sb) = (summarise("t_test_student", &a)?, summarise("t_test_student", &b)?);
    check_spread(&a, &b, &sa, &sb)?;
    let df = sa.n + sb.n - 2.0;
    let pooled_var = ((sa.n - 1.0) * sa.var + (sb.n - 1.0) * sb.var) / df;
    let std_err = (pooled_var * (1.0 / sa.n + 1.0 / sb.n)).sqrt();
    t_result((sa.mean - sb.mean) / std_err, df)
}

/// Welch's two-sample t-test, which does not assume equal variances; prefer
/// it when the samples' spreads or sizes differ.
///
/// ```text
/// t  = (x̄_a − x̄_b) / √(s_a²/n_a + s_b²/n_b)
/// df = (s_a²/n_a + s_b²/n_b)² / ((s_a²/n_a)²/(n_a − 1) + (s_b²/n_b)²/(n_b − 1))
/// p  = 2·P(T_df ≥ |t|)
/// ```
///
/// `df` is the Welch–Satterthwaite approximation and need not be a whole
/// number. Shapes: `a: (n_a,)`, `b: (n_b,)` → [`TTest`]. Same numbers as
/// SciPy's `ttest_ind(a, b, equal_var=False)`.
///
/// # Errors
/// [`Error::BadShape`] if a sample has fewer than 2 values;
/// [`Error::NonFinite`] for NaN or infinite values; [`Error::InvalidArgument`]
/// (named `a`) if both samples have zero variance, which makes the statistic
/// undefined.
///
/// # Examples
/// ```
/// use llm_math::stats::*;
/// let a = [5.1, 4.9, 5.6, 5.8, 6.0, 5.3];
/// let b = [6.2, 6.4, 5.9, 7.1, 6.8, 7.9, 5.2];
/// let r = t_test_welch(&a, &b)?;
/// assert!(r.statistic < 0.0 && r.p_value < 0.05); // b's mean is significantly larger
/// assert!(r.df < 11.0); // fewer than Student's n_a + n_b − 2
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn t_test_welch<'a, 'b>(a: impl AsArray<'a, f64, Ix1>, b: impl AsArray<'b, f64, Ix1>) -> Result<TTest> {
    let (a, b) = (a.into(), b.into());
    let (sa, sb) = (summarise("t_test_welch", &a)?, summarise("t_test_welch", &b)?);
    check_spread(&a, &b, &sa, &sb)?;
    let (va, vb) = (sa.var / sa.n, sb.var / sb.n); // squared standard errors of each mean
    // Welch–Satterthwaite, (va + vb)² / (va²/(nₐ − 1) + vb²/(n_b − 1)), written
    // with the shares va/(va + vb) so that large variances do not overflow.
    let (share_a, share_b) = (va / (va + vb), vb / (va + vb));
    let df = 1.0 / (share_a.powi(2) / (sa.n - 1.0) + share_b.powi(2) / (sb.n - 1.0));
    t_result((sa.mean - sb.mean) / (va + vb).sqrt(), df)
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn check_probability(name: &'static str, p: f64) -> Result<()> {
    // Written as a `contains` so NaN is rejected too.
    if (0.0..=1.0).contains(&p) { Ok(()) } else { Err(Error::invalid(name, p, "must be a probability in [0, 1]")) }
}

/// Size, mean and sample variance (divisor `n − 1`) of one sample.
struct Summary {
    n: f64,
    mean: f64,
    var: f64,
}

fn summarise(op: &'static str, x: &ArrayView1<f64>) -> Result<Summary> {
    if x.len() < 2 {
        return Err(Error::BadShape { op, got: x.shape().to_vec(), expected: "at least 2 values per sample" });
    }
    check_finite(op, x)?;
    let n = x.len() as f64;
    // Scaled by the largest |x|, so the mean and variance of values near
    // f64::MAX do not overflow on the way.
    // A power of two, so scaling is exact.
    let largest = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let scale = if largest > 0.0 { 2f64.powi(largest.log2().floor() as i32) } else { 1.0 };
    let scaled = x.mapv(|v| v / scale);
    let (mean, var) = (scaled.sum() / n * scale, scaled.var(1.0) * scale * scale);
    if !(mean.is_finite() && var.is_finite()) {
        return Err(Error::invalid(
            "sample",
            x.iter().map(|v| v.readable()).collect::<Vec<_>>().join(", "),
            "its variance is too large for an f64 (the values spread over more than about 1e154); rescale the data",
        ));
    }
    Ok(Summary { n, mean, var })
}

fn check_spread(a: &ArrayView1<f64>, b: &ArrayView1<f64>, sa: &Summary, sb: &Summary) -> Result<()> {
    if sa.var == 0.0 && sb.var == 0.0 {
        return Err(Error::invalid(
            "a",
            format!("{a} (and b = {b})"),
            "both samples have zero variance, so the standard error is 0 and the t statistic is undefined",
        ));
    }
    Ok(())
}

fn t_result(statistic: f64, df: f64) -> Result<TTest> {
    let why = "the t statistic and its degrees of freedom could not be computed from these samples \
               (their spreads are too far apart for an f64); rescale the data";
    if !(statistic.is_finite() && df.is_finite() && df > 0.0) {
        return Err(Error::invalid("df", df.readable(), why));
    }
    let t_dist = StudentsT::new(0.0, 1.0, df).map_err(|_| Error::invalid("df", df.readable(), why))?;
    // sf(|t|) rather than 1 − cdf(|t|): keeps precision for tiny p-values.
    let p_value = (2.0 * t_dist.sf(statistic.abs())).min(1.0);
    Ok(TTest { statistic, df, p_value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn bayes_spam_example() {
        // P(spam) = 0.3, P("free" | spam) = 0.8, P("free" | ham) = 0.1:
        // 0.8·0.3 / (0.8·0.3 + 0.1·0.7) = 0.24 / 0.31.
        let p = bayes(0.3, 0.8, 0.1).unwrap();
        assert_abs_diff_eq!(p, 0.24 / 0.31, epsilon = 1e-12);
        assert_abs_diff_eq!(p, 0.774194, epsilon = 1e-6);
    }

    #[test]
    fn bayes_rare_disease_example() {
        // Prevalence 1%, sensitivity 99%, false-positive rate 5%. By hand:
        // 0.99·0.01 / (0.99·0.01 + 0.05·0.99) = 0.0099 / 0.0594 = 1/6.
        let p = bayes(0.01, 0.99, 0.05).unwrap();
        assert_abs_diff_eq!(p, 1.0 / 6.0, epsilon = 1e-12);
    }

    #[test]
    fn bayes_edge_priors() {
        assert_eq!(bayes(0.0, 0.9, 0.2).unwrap(), 0.0); // certainty against H stays
        assert_eq!(bayes(1.0, 0.9, 0.2).unwrap(), 1.0); // certainty for H stays
        // Uninformative evidence leaves the prior unchanged.
        assert_abs_diff_eq!(bayes(0.37, 0.5, 0.5).unwrap(), 0.37, epsilon = 1e-12);
    }

    #[test]
    fn proportion_ci_matches_the_wald_formula() {
        // 0.85 ∓ 1.959964·√(0.85·0.15/100) ≈ (0.780014, 0.919986) to 1e-3; SciPy 1.17.1
        // (norm.ppf(0.975) in the same formula) gives (0.7800152874094277, 0.9199847125905722).
        let (lo, hi) = proportion_ci(85, 100, 0.95).unwrap();
        assert_abs_diff_eq!(lo, 0.780014, epsilon = 1e-3);
        assert_abs_diff_eq!(hi, 0.919986, epsilon = 1e-3);
        // Tighter, against the same formula with z to 7 digits.
        let half = 1.959964 * (0.85f64 * 0.15 / 100.0).sqrt();
        assert_abs_diff_eq!(lo, 0.85 - half, epsilon = 1e-6);
        assert_abs_diff_eq!(hi, 0.85 + half, epsilon = 1e-6);
        assert_abs_diff_eq!(lo, 0.7800152874094277, epsilon = 1e-9);
        assert_abs_diff_eq!(hi, 0.9199847125905722, epsilon = 1e-9);
    }

    #[test]
    fn proportion_ci_99_is_wider_and_clamped() {
        let (lo95, hi95) = proportion_ci(85, 100, 0.95).unwrap();
        let (lo99, hi99) = proportion_ci(85, 100, 0.99).unwrap();
        assert!(lo99 < lo95 && hi99 > hi95);
        // z₀.₉₉₅ = 2.575829: 0.85 ∓ 2.575829·√(0.85·0.15/100).
        let half = 2.575829 * (0.85f64 * 0.15 / 100.0).sqrt();
        assert_abs_diff_eq!(lo99, 0.85 - half, epsilon = 1e-6);
        assert_abs_diff_eq!(hi99, 0.85 + half, epsilon = 1e-6);
        // 9/10: 0.9 + 1.96·0.0949 > 1, so the upper end is clamped.
        let (lo, hi) = proportion_ci(9, 10, 0.95).unwrap();
        assert_eq!(hi, 1.0);
        assert!(lo > 0.0 && lo < 0.9);
    }

    // Reference values from SciPy 1.17.1 (NumPy 2.4.6):
    // scipy.stats.ttest_ind(A, B, equal_var=True / False) printing
    // statistic, df and pvalue.
    const A: [f64; 6] = [5.1, 4.9, 5.6, 5.8, 6.0, 5.3];
    const B: [f64; 7] = [6.2, 6.4, 5.9, 7.1, 6.8, 7.9, 5.2];

    #[test]
    fn student_matches_scipy() {
        let r = t_test_student(&A, &B).unwrap();
        assert_abs_diff_eq!(r.statistic, -2.680039736156773, epsilon = 1e-10);
        assert_eq!(r.df, 11.0);
        assert_abs_diff_eq!(r.p_value, 0.021406674135367534, epsilon = 1e-9);
    }

    #[test]
    fn welch_matches_scipy() {
        let r = t_test_welch(&A, &B).unwrap();
        assert_abs_diff_eq!(r.statistic, -2.8223689315338034, epsilon = 1e-10);
        assert_abs_diff_eq!(r.df, 8.940351600001884, epsilon = 1e-10);
        assert_abs_diff_eq!(r.p_value, 0.02009753865167104, epsilon = 1e-9);
    }

    #[test]
    fn identical_samples_give_t_zero_p_one() {
        for r in [t_test_student(&A, &A).unwrap(), t_test_welch(&A, &A).unwrap()] {
            assert_eq!(r.statistic, 0.0);
            assert_abs_diff_eq!(r.p_value, 1.0, epsilon = 1e-12);
        }
    }

    #[test]
    fn swapping_samples_flips_t_and_keeps_p() {
        let student = |a: &[f64], b: &[f64]| t_test_student(a, b);
        let welch = |a: &[f64], b: &[f64]| t_test_welch(a, b);
        for test in [student, welch] {
            let (ab, ba) = (test(&A, &B).unwrap(), test(&B, &A).unwrap());
            assert_abs_diff_eq!(ab.statistic, -ba.statistic, epsilon = 1e-12);
            assert_abs_diff_eq!(ab.df, ba.df, epsilon = 1e-12);
            assert_abs_diff_eq!(ab.p_value, ba.p_value, epsilon = 1e-12);
        }
    }

    #[test]
    fn student_and_welch_agree_for_equal_sizes_and_variances() {
        // Both samples have variance 5/3; SciPy 1.17.1 gives t = −1.0954451150103321,
        // df = 6, p = 0.3153335962012299 for both tests.
        let (a, b) = ([1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0]);
        let (student, welch) = (t_test_student(&a, &b).unwrap(), t_test_welch(&a, &b).unwrap());
        assert_abs_diff_eq!(student.statistic, welch.statistic, epsilon = 1e-12);
        assert_abs_diff_eq!(student.df, welch.df, epsilon = 1e-12);
        assert_abs_diff_eq!(student.statistic, -1.0954451150103321, epsilon = 1e-12);
        assert_abs_diff_eq!(welch.p_value, 0.3153335962012299, epsilon = 1e-9);
    }

    #[test]
    fn one_constant_sample_is_allowed() {
        // Only b varies: Welch's df reduces to n_b − 1.
        let r = t_test_welch(&[2.0, 2.0, 2.0], &[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_abs_diff_eq!(r.df, 3.0, epsilon = 1e-12);
        assert!(t_test_student(&[2.0, 2.0, 2.0], &[1.0, 2.0, 3.0, 4.0]).is_ok());
    }

    // One test per error variant this module returns.

    #[test]
    fn error_invalid_argument() {
        assert!(matches!(bayes(-0.1, 0.5, 0.5), Err(Error::InvalidArgument { name: "prior", .. })));
        assert!(matches!(bayes(0.5, 1.5, 0.5), Err(Error::InvalidArgument { name: "likelihood", .. })));
        assert!(matches!(bayes(0.5, 0.5, f64::NAN), Err(Error::InvalidArgument { name: "likelihood_if_not", .. })));
        let e = bayes(0.5, 0.0, 0.0).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "likelihood", ref why, .. } if why.contains("impossible")));

        assert!(matches!(proportion_ci(0, 0, 0.95), Err(Error::InvalidArgument { name: "trials", .. })));
        assert!(matches!(proportion_ci(11, 10, 0.95), Err(Error::InvalidArgument { name: "successes", .. })));
        for c in [0.0, 1.0, 95.0, f64::NAN] {
            assert!(matches!(proportion_ci(5, 10, c), Err(Error::InvalidArgument { name: "confidence", .. })));
        }

        let e = t_test_student(&[1.0, 1.0], &[2.0, 2.0, 2.0]).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "a", ref why, .. } if why.contains("undefined")));
        assert!(matches!(t_test_welch(&[1.0, 1.0], &[2.0, 2.0]), Err(Error::InvalidArgument { name: "a", .. })));
    }

    #[test]
    fn error_bad_shape() {
        let e = t_test_student(&[1.0], &[1.0, 2.0]).unwrap_err();
        assert_eq!(e, Error::BadShape { op: "t_test_student", got: vec![1], expected: "at least 2 values per sample" });
        let empty: [f64; 0] = [];
        assert!(matches!(
            t_test_welch(&[1.0, 2.0], &empty),
            Err(Error::BadShape { op: "t_test_welch", expected: "at least 2 values per sample", .. })
        ));
    }

    #[test]
    fn error_non_finite() {
        let e = t_test_student(&[1.0, f64::NAN], &[1.0, 2.0]).unwrap_err();
        assert!(matches!(e, Error::NonFinite { op: "t_test_student", ref index, .. } if index == &vec![1]));
        assert!(matches!(
            t_test_welch(&[1.0, 2.0], &[f64::INFINITY, 2.0]),
            Err(Error::NonFinite { op: "t_test_welch", .. })
        ));
    }

    #[test]
    fn samples_too_spread_for_an_f64_are_an_error_not_a_panic() {
        let message = t_test_welch(&[1e200, -1e200], &[1.0, 2.0]).unwrap_err().to_string();
        assert!(message.contains("too large for an f64") && message.contains("1.0e200"), "{message}");
        assert!(t_test_student(&[1e200, -1e200], &[1.0, 2.0]).is_err());
        // Large values whose variance still fits work, with the same t as the data scaled down.
        let r = t_test_welch(&[1e150, 2e150, 3e150], &[4e150, 5e150, 7e150]).unwrap();
        let small = t_test_welch(&[1.0, 2.0, 3.0], &[4.0, 5.0, 7.0]).unwrap();
        assert!((r.statistic - small.statistic).abs() < 1e-12 && (r.df - small.df).abs() < 1e-9, "{r:?}");
    }
}

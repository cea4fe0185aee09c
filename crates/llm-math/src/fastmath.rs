//! Fast numerics for softmax, kept apart from the lesson.
//!
//! [`probability`](crate::probability) teaches softmax and log-softmax in a
//! few lines: subtract the max, exponentiate, sum, divide (or take the log).
//! This module is what makes those lines as fast as numpy, and nothing a
//! learner needs to read:
//!
//! - [`exp`]: `eˣ` written so that the compiler can vectorise a loop over it
//!   (no branches, no calls, integer tricks instead of float-to-int
//!   conversions). `f64::exp` calls the C library one entry at a time
//!   (≈ 4 ns each here); numpy picks a SIMD `exp` for the CPU at run time.
//! - [`fold8`] and [`sum8`]: reductions in eight interleaved lanes. A plain
//!   `fold` is one long chain (each step waits for the last) and cannot use
//!   SIMD; eight independent accumulators can.
//! - [`max`], [`exp_in_place`] and [`sum_exp`]: the loops softmax,
//!   log-softmax and the cross-entropy from logits are made of, each compiled
//!   twice, for the x86-64 baseline and for AVX2 + FMA, the second picked at
//!   run time when the CPU has them.
//!
//! **Accuracy.** For every `x` in `[−745, 5]` whose `eˣ` is a normal float,
//! [`exp`] is within 1 ulp of `f64::exp` (tested on a grid of 200,001 points
//! and 10⁶ random ones); where `eˣ` is subnormal it is within one subnormal
//! step of it. Because softmax and log-softmax share this `exp` and the same
//! sum, `ln(softmax(x)ᵢ)` and `log_softmax(x)ᵢ` differ by at most
//! `4ε·max(1, |log_softmax(x)ᵢ|)` (`ε = 2⁻⁵²`, one ulp of 1) wherever
//! `softmax(x)ᵢ` is a normal float. With `d = xᵢ − max x` rounded once for
//! both, the roundings that separate them are `exp`'s (1 ulp), the division
//! by the sum (½ ulp), `ln` of the sum and of `softmax(x)ᵢ` (½ + 1 ulp) and
//! the final subtraction (½ ulp): at most `3.5ε·max(1, |log_softmax(x)ᵢ|)`.
//! Measured worst case over 10⁶ entries: `1.54ε·max(…)` (tested in
//! `probability`). The cross-entropy from logits is exactly
//! `−log_softmax(x)[target]`.
//!
//! **Same bits in every build.** Both builds of a loop run the same
//! operations in the same order: Rust never fuses `a·b + c` into an FMA on
//! its own, [`exp`] has no data-dependent branch, and the lanes of a fold
//! are combined in a fixed order. So a result has the same bits whichever
//! build runs, on any x86-64 CPU (tested below), and notebook outputs do not
//! depend on the machine.

/// 1.5 × 2⁵²: adding it rounds a float of magnitude < 2⁵¹ to the nearest
/// integer, which then sits in the low bits of the sum.
const ROUND_MAGIC: f64 = 6_755_399_441_055_744.0;

/// `eˣ` for a softmax exponent `x ≤ 0` (also right up to `x ≈ 709`).
/// Below −746, where `eˣ` rounds to 0, it returns 0; `−∞` gives 0.
///
/// ```text
/// x = k·ln 2 + r,  k = round(x / ln 2),  |r| ≤ ln 2 / 2
/// eˣ = 2^k · eʳ,  eʳ = Σ_{n ≤ 13} rⁿ / n!   (error < 5·10⁻¹⁸)
/// ```
///
/// `ln 2` is split in two (fdlibm's constants) so `r` keeps full precision,
/// and `2^k` is applied as `2^(k/2) · 2^(k − k/2)` so results down to the
/// smallest subnormal come out right.
#[inline(always)]
pub(crate) fn exp(x: f64) -> f64 {
    // Not LN_2: the high part ends in 21 zero bits, so k · LN2_HI is exact for every k here.
    #[allow(clippy::approx_constant)]
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = x.clamp(-746.0, 709.78);
    let shifted = x * std::f64::consts::LOG2_E + ROUND_MAGIC;
    let k = shifted - ROUND_MAGIC; // round(x / ln 2), as a float
    let k_int = (shifted.to_bits() as i64).wrapping_sub(ROUND_MAGIC.to_bits() as i64); // the same, as an integer
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Taylor series of eʳ to r¹³, Horner's rule (1/n! for n = 13 down to 2).
    let mut p = 1.0 / 6_227_020_800.0;
    for inv_factorial in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p * r + inv_factorial;
    }
    let half = k_int >> 1;
    let pow2 = |e: i64| f64::from_bits(((e + 1023) as u64) << 52); // 2^e for −1022 ≤ e ≤ 1023
    p * pow2(half) * pow2(k_int - half)
}

/// Folds `values` in eight interleaved lanes: lane `i` sees entries
/// `i, i + 8, i + 16, …`. Returns the lanes and the `len % 8` entries left
/// over at the end; the caller combines them, in a fixed order.
#[inline(always)]
pub(crate) fn fold8(values: &[f64], init: f64, step: impl Fn(f64, f64) -> f64) -> ([f64; 8], &[f64]) {
    let mut lanes = [init; 8];
    let mut chunks = values.chunks_exact(8);
    for chunk in &mut chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane = step(*lane, v);
        }
    }
    (lanes, chunks.remainder())
}

/// The sum of `values`, in eight lanes: the lanes in order, then the
/// leftover entries in order.
#[inline(always)]
pub(crate) fn sum8(values: &[f64]) -> f64 {
    sum8_of(values, |v| v)
}

/// `Σ f(vᵢ)` in eight lanes, added up in the same order as [`sum8`], so
/// `sum8_of(x, f)` has the bits of `sum8` over the `f(vᵢ)`.
#[inline(always)]
fn sum8_of(values: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let (lanes, rest) = fold8(values, 0.0, |sum, v| sum + f(v));
    lanes.iter().sum::<f64>() + rest.iter().map(|&v| f(v)).sum::<f64>()
}

/// Defines `pub(crate) fn $name` from a body written once: compiled for the
/// x86-64 baseline and, on x86-64, a second time with AVX2 and FMA enabled,
/// the second used when the CPU has both. The baseline build is also
/// `$baseline`, so tests can compare the two.
macro_rules! twice_compiled {
    ($(#[$doc:meta])* fn $name:ident / $baseline:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        #[inline(always)]
        fn $baseline($($arg: $ty),*) -> $ret $body

        $(#[$doc])*
        pub(crate) fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                fn avx2_fma($($arg: $ty),*) -> $ret {
                    $baseline($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU supports AVX2 and FMA, checked just above.
                    return unsafe { avx2_fma($($arg),*) };
                }
            }
            $baseline($($arg),*)
        }
    };
}

twice_compiled! {
    /// The largest of finite `values` (−∞ for none). `>` instead of
    /// `f64::max`, which vectorises worse; the same for finite entries.
    fn max / max_baseline(values: &[f64]) -> f64 {
        let larger = |m: f64, v: f64| if v > m { v } else { m };
        let (lanes, rest) = fold8(values, f64::NEG_INFINITY, larger);
        rest.iter().chain(&lanes).copied().fold(f64::NEG_INFINITY, larger)
    }
}

twice_compiled! {
    /// Replaces every `v` by `exp((v − shift) / temperature)` and returns
    /// their sum ([`sum8`]'s order). With `shift` the max and
    /// `temperature > 0`, every exponent is ≤ 0: nothing overflows, however
    /// small the temperature.
    fn exp_in_place / exp_in_place_baseline(values: &mut [f64], shift: f64, temperature: f64) -> f64 {
        if temperature == 1.0 {
            values.iter_mut().for_each(|v| *v = exp(*v - shift));
        } else {
            values.iter_mut().for_each(|v| *v = exp((*v - shift) / temperature));
        }
        sum8(values)
    }
}

twice_compiled! {
    /// `Σ exp(v − shift)` over `values`, without writing them: the same bits
    /// as [`exp_in_place`]`(values, shift, 1.0)`'s sum.
    fn sum_exp / sum_exp_baseline(values: &[f64], shift: f64) -> f64 {
        sum8_of(values, |v| exp(v - shift))
    }
}

twice_compiled! {
    /// [`gelu_tanh`](crate::calculus::gelu_tanh) of every entry, in place:
    /// the same bits as calling it on each, several entries at a time.
    fn gelu_tanh_in_place / gelu_tanh_in_place_baseline(values: &mut [f64]) -> () {
        values.iter_mut().for_each(|v| *v = crate::calculus::gelu_tanh(*v));
    }
}

twice_compiled! {
    /// `gᵢ ← gᵢ · gelu_tanh'(xᵢ)`: GELU(tanh)'s backward pass, in place.
    fn gelu_tanh_backward_in_place / gelu_tanh_backward_in_place_baseline(grad: &mut [f64], x: &[f64]) -> () {
        // Indexes, not zip: the zip's fold was not inlined into the AVX2 build.
        let n = grad.len().min(x.len());
        let (grad, x) = (&mut grad[..n], &x[..n]);
        for i in 0..n {
            grad[i] *= crate::calculus::gelu_tanh_derivative(x[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::{randn_vec, seeded_rng};
    use rand::RngExt;

    /// How far `got` is from `f64::exp(x)`: in ulps where that is a normal
    /// float, in steps of the smallest subnormal (5·10⁻³²⁴) below.
    fn exp_error(x: f64) -> u64 {
        let (got, want) = (exp(x), x.exp());
        if want < f64::MIN_POSITIVE {
            (got - want).abs().to_bits() // the gap as a multiple of the smallest subnormal
        } else {
            (got.to_bits() as i64 - want.to_bits() as i64).unsigned_abs()
        }
    }

    #[test]
    fn exp_is_within_1_ulp_of_f64_exp() {
        // 200,001 evenly spaced points from −745 to 5, the subnormal range
        // included, then 10⁶ random ones: uniform on [−745, 5] and on the
        // [−40, 0] where softmax exponents usually fall.
        let grid = (0..=200_000).map(|i| -745.0 + 750.0 * i as f64 / 200_000.0);
        let mut rng = seeded_rng(0);
        let random: Vec<f64> = (0..1_000_000)
            .map(|i| if i % 2 == 0 { rng.random_range(-745.0..5.0) } else { rng.random_range(-40.0..0.0) })
            .collect();
        let (worst, at) = grid.chain(random).map(|x| (exp_error(x), x)).max_by_key(|&(err, _)| err).unwrap();
        assert!(worst <= 1, "{worst} ulp at x = {at}");
    }

    #[test]
    fn exp_edges() {
        assert_eq!(exp(0.0), 1.0); // the max entry of every softmax row
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(-746.0), 0.0);
        assert_eq!(exp(-1e300), 0.0);
        assert_eq!(exp(-745.0), (-745.0f64).exp()); // the smallest subnormal, 4.9e-324
        assert!((exp(1.0) - std::f64::consts::E).abs() <= f64::EPSILON * 3.0);
        assert!((exp(700.0) / 700f64.exp() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn sums_add_up_in_the_documented_order() {
        let values: Vec<f64> = (0..21).map(|i| 1.0 / (i + 1) as f64).collect();
        let lanes: Vec<f64> = (0..8).map(|lane| values[lane] + values[lane + 8]).collect();
        let expected = lanes.iter().sum::<f64>() + values[16..].iter().sum::<f64>();
        assert_eq!(sum8(&values).to_bits(), expected.to_bits());
        assert_eq!(sum8(&[]), 0.0);
        assert_eq!(max(&[]), f64::NEG_INFINITY);
        assert_eq!(max(&values), 1.0);
    }

    #[test]
    fn both_builds_give_the_same_bits() {
        // On a CPU with AVX2 + FMA the public functions run the AVX2 build;
        // the `_baseline` ones are the x86-64 baseline build of the same body.
        let mut rng = seeded_rng(1);
        for len in [1, 7, 8, 9, 17, 1003] {
            let values = randn_vec(&mut rng, len) * 30.0;
            let values = values.as_slice().unwrap();
            let top = max(values);
            assert_eq!(top.to_bits(), max_baseline(values).to_bits());
            assert_eq!(sum_exp(values, top).to_bits(), sum_exp_baseline(values, top).to_bits());
            for temperature in [1.0, 0.3] {
                let (mut fast, mut baseline) = (values.to_vec(), values.to_vec());
                let total = exp_in_place(&mut fast, top, temperature);
                assert_eq!(total.to_bits(), exp_in_place_baseline(&mut baseline, top, temperature).to_bits());
                assert!(fast.iter().zip(&baseline).all(|(f, b)| f.to_bits() == b.to_bits()), "len {len}, T = {temperature}");
                if temperature == 1.0 {
                    assert_eq!(total.to_bits(), sum_exp(values, top).to_bits());
                }
            }
        }
    }
}

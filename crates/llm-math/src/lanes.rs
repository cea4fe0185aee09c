//! One loop shape for reductions the compiler can vectorise.
//!
//! A plain `fold` over floats is one long chain (each step waits for the
//! last), so it cannot use SIMD. Keeping eight independent accumulators, one
//! per position modulo 8, lets it. Callers combine the eight lanes and the
//! leftover entries themselves, in a fixed order, so a result has the same
//! bits in every build (see `probability::softmax_slice`).

/// Folds `values` in eight interleaved lanes: lane `i` sees entries
/// `i, i + 8, i + 16, …`. Returns the lanes and the `len % 8` entries left
/// over at the end.
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

/// The sum of `values`, in eight lanes (vectorises; the order of additions
/// is fixed, so the bits are too).
#[inline(always)]
pub(crate) fn sum8(values: &[f64]) -> f64 {
    let (lanes, rest) = fold8(values, 0.0, |s, v| s + v);
    lanes.iter().sum::<f64>() + rest.iter().sum::<f64>()
}

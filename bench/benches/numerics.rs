//! The helper crate's numerics on the sizes scripts/bench compares with numpy
//! (bench/numpy_numerics.py builds the same inputs the same way):
//!
//! - `matmul_512`: (512, 512) · (512, 512)
//! - `softmax_50257`: one row of GPT-2's vocabulary width
//! - `attention_512x64`: scaled dot-product attention, T = S = 512, d = 64
//!
//! Inputs are deterministic and the same shape as numpy's; values do not
//! change the cost of these operations (no branches on the data).

use criterion::{Criterion, criterion_group, criterion_main};
use llm_math::prelude::*;
use std::hint::black_box;

/// Deterministic values in [-1, 1): a cheap LCG, the same one
/// bench/numpy_numerics.py uses, so both sides start from identical inputs.
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

fn matrix(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    Array2::from_shape_vec((rows, cols), values(rows * cols, seed)).expect("rows × cols values")
}

fn numerics(c: &mut Criterion) {
    let a = matrix(512, 512, 1);
    let b = matrix(512, 512, 2);
    c.bench_function("matmul_512", |bench| bench.iter(|| matmul(black_box(&a), black_box(&b)).unwrap()));

    // Logits of the size GPT-2 produces for one position: 50,257 tokens,
    // spread like real logits (a few units wide).
    let logits = Array1::from(values(50_257, 3)) * 8.0;
    c.bench_function("softmax_50257", |bench| bench.iter(|| softmax(black_box(&logits)).unwrap()));

    let q = matrix(512, 64, 4);
    let k = matrix(512, 64, 5);
    let v = matrix(512, 64, 6);
    c.bench_function("attention_512x64", |bench| {
        bench.iter(|| scaled_dot_product_attention(black_box(&q), black_box(&k), black_box(&v), None).unwrap())
    });
}

criterion_group!(benches, numerics);
criterion_main!(benches);

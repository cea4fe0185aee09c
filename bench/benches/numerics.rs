//! The helper crate's numerics on the sizes scripts/bench compares with numpy
//! (bench/numpy_numerics.py builds the same inputs the same way):
//!
//! - `matmul_512`: (512, 512) · (512, 512)
//! - `softmax_50257`: one row of GPT-2's vocabulary width
//! - `attention_512x64`: scaled dot-product attention, T = S = 512, d = 64
//! - `mlp_fwd_bwd_64x256x512x256`: a 2-layer ReLU MLP (256 → 512 → 256) on
//!   a batch of 64: forward, MSE loss and the backward pass to every
//!   parameter's gradient (notebook 06)
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

/// One forward + backward pass of a 2-layer MLP, as the training loops of
/// notebook 06 run it: `Linear(256 → 512)`, ReLU, `Linear(512 → 256)`, MSE
/// against a target, then backward to ∂L/∂W and ∂L/∂b of both layers.
fn mlp(c: &mut Criterion) {
    let x = matrix(64, 256, 7);
    let target = matrix(64, 256, 8);
    let scale1 = 1.0 / 16.0; // 1/√256
    let scale2 = 1.0 / 512f64.sqrt();
    let mut net = Sequential::new()
        .push(Linear::new(matrix(256, 512, 9) * scale1, Array1::from(values(512, 10)) * 0.1).unwrap())
        .push(Activation::relu())
        .push(Linear::new(matrix(512, 256, 11) * scale2, Array1::from(values(256, 12)) * 0.1).unwrap());
    c.bench_function("mlp_fwd_bwd_64x256x512x256", |bench| {
        bench.iter(|| {
            let y = net.forward(black_box(&x)).unwrap();
            let loss = mse_loss(&y, &target).unwrap();
            net.backward(&loss.grad).unwrap();
            black_box(loss.value)
        })
    });
}

criterion_group!(benches, numerics, mlp);
criterion_main!(benches);

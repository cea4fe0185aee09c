//! Every backward pass against finite differences (`gradient_check`) on
//! several shapes, a sequence of one token and a single head among them;
//! values against independent computations (formulas written out, statrs,
//! notebook 05's attention, nn's cross-entropy); the decoding rules; one
//! test per error.

use ndarray::{Array1, Array2, Axis, array, s};
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

use super::*;
use crate::attention::{Mask, MultiHeadAttention};
use crate::calculus::{GradientCheck, central_difference, gelu, gelu_tanh, gelu_tanh_derivative, gelu_tanh_error, gradient_check};
use crate::error::Error;
use crate::nn::{Activation, Init, Layer, Linear, Sequential, softmax_cross_entropy};
use crate::optim::{Optimizer, Sgd};
use crate::probability::{softmax, softmax_with_temperature};
use crate::random::{randn, seeded_rng};

/// `(T, d_model, n_heads)`: one token, one head, one column per head, uneven sizes.
const SHAPES: [(usize, usize, usize); 6] = [(1, 4, 1), (1, 4, 2), (3, 4, 1), (5, 6, 3), (4, 8, 2), (6, 2, 2)];

const H: f64 = 1e-5;

/// Every component agrees to a relative `1e-6`, or to `1e-9` absolutely
/// where the true partial is (nearly) 0 and the central difference is only
/// rounding noise (about 1e-10 here).
fn assert_agrees(check: &GradientCheck, what: &str) {
    for (i, (a, n)) in check.analytic.iter().zip(&check.numerical).enumerate() {
        assert!((a - n).abs() <= 1e-6 * a.abs().max(n.abs()) + 1e-9, "{what}: component {i}: analytic {a}, numerical {n}");
    }
}

/// `f(X) = Σ layer(X) ⊙ R`, whose gradient with respect to the layer's output is `R`.
fn probe(layer: &dyn Layer, x: &Array2<f64>, r: &Array2<f64>) -> f64 {
    (layer.predict(x).unwrap() * r).sum()
}

/// Checks ∂/∂X and ∂/∂θ of `layer`'s backward against central differences;
/// `slices` names ranges of θ to check on their own (e.g. each projection).
fn check_layer(layer: &mut dyn Layer, x: &Array2<f64>, seed: u64, slices: &[(&str, std::ops::Range<usize>)]) {
    let out = layer.forward(x).unwrap();
    assert_eq!(out.dim(), x.dim(), "{} keeps the shape", layer.name());
    let r = randn(&mut seeded_rng(seed), out.dim());
    let grad_x = layer.backward(&r).unwrap();
    let (shape, shared): (_, &dyn Layer) = (x.dim(), layer);
    let fx = |v: &[f64]| probe(shared, &Array2::from_shape_vec(shape, v.to_vec()).unwrap(), &r);
    let flat: Vec<f64> = x.iter().copied().collect();
    let check = gradient_check(fx, &grad_x.iter().copied().collect::<Array1<f64>>(), &flat, H).unwrap();
    assert_agrees(&check, &format!("{} ∂L/∂X on {shape:?}", layer.name()));
    if layer.num_params() == 0 {
        return;
    }
    let grads = layer.grads().unwrap();
    let theta = layer.params();
    assert_eq!(grads.len(), theta.len());
    let template = layer.clone_box();
    let ftheta = |v: &[f64]| {
        let mut l = template.clone();
        l.set_params(Array1::from(v.to_vec()).view()).unwrap();
        probe(l.as_ref(), x, &r)
    };
    let check = gradient_check(ftheta, &grads, theta.as_slice().unwrap(), H).unwrap();
    assert_agrees(&check, &format!("{} ∂L/∂θ on {shape:?}", layer.name()));
    for (name, range) in slices {
        let part = |v: &[f64]| {
            let mut all = theta.clone();
            all.slice_mut(s![range.clone()]).assign(&Array1::from(v.to_vec()));
            ftheta(all.as_slice().unwrap())
        };
        let check = gradient_check(part, grads.slice(s![range.clone()]), &theta.as_slice().unwrap()[range.clone()], H).unwrap();
        assert_agrees(&check, &format!("{} ∂L/∂{name} on {shape:?}", layer.name()));
    }
}

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.dim(), b.dim());
    (a - b).iter().fold(0.0, |m, d| m.max(d.abs()))
}

// ---------------------------------------------------------------- embedding

#[test]
fn embedding_lookup_is_the_table_rows_and_one_hot_times_the_table() {
    let table = randn(&mut seeded_rng(1), (5, 3));
    let emb = Embedding::new(table.clone()).unwrap();
    let ids = [4, 0, 4, 2];
    let x = emb.predict(&ids).unwrap();
    let one_hot = Array2::from_shape_fn((4, 5), |(t, v)| if ids[t] == v { 1.0 } else { 0.0 });
    assert!(max_abs_diff(&x, &one_hot.dot(&table)) < 1e-15);
    for (t, &id) in ids.iter().enumerate() {
        assert_eq!(x.row(t), table.row(id));
    }
}

#[test]
fn embedding_backward_scatters_and_repeated_ids_accumulate() {
    for (k, ids) in [vec![3], vec![2, 0, 2, 2, 1], vec![1, 1], vec![0, 1, 2, 3, 4, 5]].into_iter().enumerate() {
        let mut rng = seeded_rng(10 + k as u64);
        let mut emb = Embedding::init(&mut rng, 6, 3, 1.0).unwrap();
        let r = randn(&mut rng, (ids.len(), 3));
        emb.forward(&ids).unwrap();
        emb.backward(&r).unwrap();
        let grads = emb.grads().unwrap();
        // By hand: row v collects every row of R where ids[t] = v.
        for v in 0..6 {
            for j in 0..3 {
                let expected: f64 = ids.iter().zip(r.rows()).filter(|(id, _)| **id == v).map(|(_, row)| row[j]).sum();
                assert!((grads[v * 3 + j] - expected).abs() < 1e-15);
            }
        }
        let f = |v: &[f64]| {
            let e = Embedding::new(Array2::from_shape_vec((6, 3), v.to_vec()).unwrap()).unwrap();
            (e.predict(&ids).unwrap() * &r).sum()
        };
        assert_agrees(&gradient_check(f, &grads, emb.params().as_slice().unwrap(), H).unwrap(), &format!("embedding {ids:?}"));
    }
}

#[test]
fn tied_unembedding_gradient_is_the_sum_of_both_uses() {
    for (k, (ids, d)) in [(vec![1, 3, 1], 4), (vec![0], 2), (vec![2, 2, 0, 4, 1], 3)].into_iter().enumerate() {
        let mut rng = seeded_rng(20 + k as u64);
        let (v, t) = (5, ids.len());
        let mut emb = Embedding::init(&mut rng, v, d, 1.0).unwrap();
        let mixer = randn(&mut rng, (d, d)); // something between the two uses
        let r = randn(&mut rng, (t, v));
        // f(E) = Σ ((E[ids]·M)·Eᵀ) ⊙ R
        let x = emb.forward(&ids).unwrap();
        let h = x.dot(&mixer);
        emb.forward_logits(&h).unwrap();
        let grad_h = emb.backward_logits(&r).unwrap();
        emb.backward(&grad_h.dot(&mixer.t())).unwrap();
        let tied = emb.grads().unwrap();
        let (lookup, logits) = (emb.grad_from_lookup().unwrap().clone(), emb.grad_from_logits().unwrap().clone());
        let sum: Array1<f64> = (&lookup + &logits).iter().copied().collect();
        assert!((&tied - &sum).iter().all(|e| e.abs() < 1e-15));
        let f = |p: &[f64]| {
            let e = Embedding::new(Array2::from_shape_vec((v, d), p.to_vec()).unwrap()).unwrap();
            (e.predict_logits(&e.predict(&ids).unwrap().dot(&mixer)).unwrap() * &r).sum()
        };
        let check = gradient_check(f, &tied, emb.params().as_slice().unwrap(), H).unwrap();
        assert_agrees(&check, &format!("tied embedding {ids:?}"));
        // Either use alone is not the gradient.
        let lookup_only: Array1<f64> = lookup.iter().copied().collect();
        assert!(gradient_check(f, &lookup_only, emb.params().as_slice().unwrap(), H).unwrap().max_relative_error > 1e-3);
        // ∂L/∂H = R·E, against finite differences in H.
        let table = emb.table().clone();
        let fh = |p: &[f64]| (Embedding::new(table.clone()).unwrap().predict_logits(&Array2::from_shape_vec((t, d), p.to_vec()).unwrap()).unwrap() * &r).sum();
        let flat: Vec<f64> = h.iter().copied().collect();
        assert_agrees(&gradient_check(fh, &grad_h.iter().copied().collect::<Array1<f64>>(), &flat, H).unwrap(), "∂L/∂H");
    }
}

#[test]
fn a_new_lookup_forgets_both_gradients() {
    let mut emb = Embedding::init(&mut seeded_rng(0), 4, 2, 1.0).unwrap();
    emb.forward(&[1, 2]).unwrap();
    emb.forward_logits(&array![[1.0, 0.0]]).unwrap();
    emb.backward_logits(&array![[1.0, 0.0, 0.0, 0.0]]).unwrap();
    emb.backward(&array![[1.0, 1.0], [1.0, 1.0]]).unwrap();
    emb.forward(&[0]).unwrap();
    assert!(emb.grad_from_lookup().is_none() && emb.grad_from_logits().is_none());
    assert!(emb.grads().unwrap_err().to_string().contains("no gradients"));
    emb.backward(&array![[2.0, 3.0]]).unwrap();
    assert_eq!(emb.grads().unwrap(), array![2.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
}

// ---------------------------------------------------------------- positions

#[test]
fn sinusoidal_positions_follow_the_formula_cell_by_cell() {
    let pe = sinusoidal_positions(100, 8).unwrap();
    assert_eq!(pe.row(0).to_vec(), vec![0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
    assert_eq!(pe[[1, 0]], 1f64.sin());
    assert_eq!(pe[[1, 1]], 1f64.cos());
    // 2i = 4 with d = 8: 10000^(4/8) = 100, so PE[7, 4] = sin(0.07) and PE[7, 5] = cos(0.07).
    assert!((pe[[7, 4]] - 0.07f64.sin()).abs() < 1e-15);
    assert!((pe[[7, 5]] - 0.07f64.cos()).abs() < 1e-15);
    // 2i = 6: 10000^(6/8) = 1000.
    assert!((pe[[99, 6]] - 0.099f64.sin()).abs() < 1e-15);
    // Odd d_model: the last column is a sine, 2i = 4 of 5: 10000^(4/5) = 1584.89…
    let odd = sinusoidal_positions(3, 5).unwrap();
    assert!((odd[[2, 4]] - (2.0 / 10000f64.powf(0.8)).sin()).abs() < 1e-15);
    assert!(pe.iter().all(|v| v.abs() <= 1.0));
}

#[test]
fn sinusoidal_dot_products_depend_only_on_the_offset() {
    let pe = sinusoidal_positions(64, 16).unwrap();
    for k in 0..10 {
        let at = |p: usize| pe.row(p + k).dot(&pe.row(p));
        let first = at(0);
        // Σᵢ cos(ωᵢ·k): the same whatever p is.
        let expected: f64 = (0..8).map(|i| (k as f64 / 10000f64.powf(2.0 * i as f64 / 16.0)).cos()).sum();
        assert!((first - expected).abs() < 1e-12, "k = {k}");
        for p in 1..50 {
            assert!((at(p) - first).abs() < 1e-12, "k = {k}, p = {p}");
        }
    }
    // And it falls off with distance: nearby positions are more alike.
    assert!(pe.row(10).dot(&pe.row(11)) > pe.row(10).dot(&pe.row(30)));
    // Only for an even d_model: an odd one ends with a lone sine column, whose term depends on p.
    let odd = sinusoidal_positions(64, 3).unwrap(); // the lone sine at ω = 10000^(−2/3) ≈ 0.0022
    let at = |p: usize| odd.row(p + 1).dot(&odd.row(p));
    assert!((1..50).any(|p| (at(p) - at(0)).abs() > 1e-3));
}

#[test]
fn positional_layers_add_the_table_and_learned_ones_are_gradient_checked() {
    let sinus = PositionalEncoding::sinusoidal(6, 4).unwrap();
    let x = randn(&mut seeded_rng(3), (4, 4));
    assert!(max_abs_diff(&sinus.predict(&x).unwrap(), &(&x + &sinusoidal_positions(6, 4).unwrap().slice(s![..4, ..]))) < 1e-15);
    assert_eq!(sinus.num_params(), 0);
    for (k, &(t, d, _)) in SHAPES.iter().enumerate() {
        let mut rng = seeded_rng(30 + k as u64);
        let mut learned = PositionalEncoding::learned(&mut rng, t + 2, d, 0.5).unwrap();
        check_layer(&mut learned, &randn(&mut rng, (t, d)), 31, &[]);
        // Rows past T get no gradient.
        assert!(learned.grad_table().unwrap().slice(s![t.., ..]).iter().all(|&g| g == 0.0));
        check_layer(&mut PositionalEncoding::sinusoidal(t, d).unwrap(), &randn(&mut rng, (t, d)), 32, &[]);
    }
}

// ---------------------------------------------------------------- norms

#[test]
fn layer_norm_rows_have_mean_zero_and_variance_one_before_gamma_and_beta() {
    let x = randn(&mut seeded_rng(4), (6, 10)) * 3.0 + 5.0;
    let y = LayerNorm::new(10).unwrap().predict(&x).unwrap();
    for (row, xrow) in y.rows().into_iter().zip(x.rows()) {
        let mean = row.sum() / 10.0;
        let var = row.mapv(|v| (v - mean).powi(2)).sum() / 10.0; // biased
        let sigma2 = xrow.var(0.0);
        assert!(mean.abs() < 1e-14, "{mean}");
        // Exactly σ²/(σ² + ε), within rounding: ε is inside the square root.
        assert!((var - sigma2 / (sigma2 + 1e-5)).abs() < 1e-12, "{var}");
        assert!((var - 1.0).abs() < 1e-5);
    }
}

#[test]
fn layer_norm_by_hand() {
    // x = [2, 4, 6]: μ = 4, σ² = (4 + 0 + 4)/3 = 8/3 (biased), x̂ = [−2, 0, 2] / √(8/3 + ε).
    let ln = LayerNorm::with_params(array![1.0, 2.0, 3.0], array![0.5, 0.0, -0.5], 1e-5).unwrap();
    let y = ln.predict(&array![[2.0, 4.0, 6.0]]).unwrap();
    let s = (8.0f64 / 3.0 + 1e-5).sqrt(); // 1.632996…
    assert!(max_abs_diff(&y, &array![[-2.0 / s + 0.5, 0.0, 6.0 / s - 0.5]]) < 1e-15);
    // To 7 digits by hand: 2/s = 1.2247426, 6/s = 3.6742277.
    assert!((y[[0, 0]] - -0.7247426).abs() < 1e-7 && (y[[0, 2]] - 3.1742277).abs() < 1e-7, "{y}");
    // A constant row: σ² = 0, x̂ = 0, y = β (ε keeps it finite).
    assert_eq!(ln.predict(&array![[7.0, 7.0, 7.0]]).unwrap(), array![[0.5, 0.0, -0.5]]);
}

#[test]
fn layer_norm_backward_matches_finite_differences_for_x_gamma_and_beta() {
    for (k, &(t, d, _)) in SHAPES.iter().enumerate() {
        let mut rng = seeded_rng(40 + k as u64);
        let gamma = randn(&mut rng, (1, d)).row(0).to_owned() + 1.0;
        let beta = randn(&mut rng, (1, d)).row(0).to_owned();
        let mut ln = LayerNorm::with_params(gamma, beta, 1e-5).unwrap();
        check_layer(&mut ln, &(randn(&mut rng, (t, d)) * 2.0), 41, &[("γ", 0..d), ("β", d..2 * d)]);
    }
}

#[test]
fn rms_norm_by_hand_and_by_finite_differences() {
    let rms = RmsNorm::with_params(array![1.0, -2.0], 1e-6).unwrap();
    let y = rms.predict(&array![[3.0, 4.0], [0.0, 0.0]]).unwrap();
    let r = (12.5f64 + 1e-6).sqrt(); // (9 + 16)/2 = 12.5
    assert!(max_abs_diff(&y, &array![[3.0 / r, -8.0 / r], [0.0, 0.0]]) < 1e-15);
    // Scaling a row does not change it, up to ε (relative ε/(2·mean x²), about 1e-6 here).
    let x = randn(&mut seeded_rng(5), (2, 6));
    let plain = RmsNorm::new(6).unwrap();
    assert!(max_abs_diff(&plain.predict(&x).unwrap(), &plain.predict(&(&x * 10.0)).unwrap()) < 1e-5);
    for (k, &(t, d, _)) in SHAPES.iter().enumerate() {
        let mut rng = seeded_rng(50 + k as u64);
        let mut rms = RmsNorm::with_params(randn(&mut rng, (1, d)).row(0).to_owned() + 1.0, 1e-6).unwrap();
        check_layer(&mut rms, &randn(&mut rng, (t, d)), 51, &[]);
    }
}

// ---------------------------------------------------------------- GELU

#[test]
fn exact_gelu_is_x_times_the_normal_cdf_of_statrs() {
    let normal = Normal::new(0.0, 1.0).unwrap();
    let layer = Activation::gelu();
    let xs = array![[-4.0, -2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 2.0, 3.7]];
    let y = layer.predict(&xs).unwrap();
    for (&x, &g) in xs.iter().zip(y.iter()) {
        let expected = x * normal.cdf(x);
        assert!((g - expected).abs() < 1e-12, "gelu({x}) = {g}, x·Φ(x) = {expected}");
        assert_eq!(g, gelu(x)); // Activation::gelu is the exact form
    }
    assert_eq!(layer.name(), "GELU");
}

#[test]
fn tanh_gelu_follows_its_formula_and_its_derivative_its_differences() {
    for x in [-6.0, -2.7, -1.0, -0.1, 0.0, 0.5, 1.3, 4.0, 30.0] {
        let formula = 0.5 * x * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x)).tanh());
        assert!((gelu_tanh(x) - formula).abs() < 1e-15, "{x}");
        let numerical = central_difference(gelu_tanh, x, 1e-5).unwrap();
        assert!((gelu_tanh_derivative(x) - numerical).abs() < 1e-9, "{x}");
    }
    assert_eq!((gelu_tanh(f64::NEG_INFINITY), gelu_tanh(f64::INFINITY)), (0.0, f64::INFINITY));
    assert_eq!((gelu_tanh_derivative(f64::NEG_INFINITY), gelu_tanh_derivative(f64::INFINITY)), (0.0, 1.0));
    assert_eq!((gelu_tanh_derivative(-1e200), gelu_tanh_derivative(1e200)), (0.0, 1.0));
}

#[test]
fn both_gelu_layers_match_finite_differences() {
    for (k, &(t, d, _)) in SHAPES.iter().enumerate() {
        let x = randn(&mut seeded_rng(60 + k as u64), (t, d)) * 2.0;
        check_layer(&mut Activation::gelu(), &x, 61, &[]);
        check_layer(&mut Activation::gelu_tanh(), &x, 62, &[]);
    }
}

#[test]
fn the_tanh_approximation_is_within_about_4_7e_4_of_the_exact_gelu() {
    // Independently: exact GELU from statrs' normal CDF, on a finer grid of [0, 6]
    // (the difference is even: gelu(−x) = gelu(x) − x, and the same holds for the approximation).
    let normal = Normal::new(0.0, 1.0).unwrap();
    let brute = (0..=600_000).map(|i| i as f64 * 1e-5).fold((0.0, 0.0), |best: (f64, f64), x| {
        let d = (x * normal.cdf(x) - gelu_tanh(x)).abs();
        if d > best.1 { (x, d) } else { best }
    });
    let (x, error) = gelu_tanh_error(-6.0, 6.0, 120_001).unwrap();
    assert!((error - brute.1).abs() < 1e-9, "{error} vs {brute:?}");
    assert!((x.abs() - brute.0).abs() < 2e-4, "{x} vs {brute:?}");
    assert!((4.6e-4..4.8e-4).contains(&error), "about 4.7e-4: {error}");
    // Far out both are x (or 0): the error there is far smaller.
    assert!(gelu_tanh_error(8.0, 20.0, 1000).unwrap().1 < 1e-12);
}

// ---------------------------------------------------------------- MLP, residual

#[test]
fn mlp_widens_to_four_d_and_matches_finite_differences() {
    for (k, &(t, d, _)) in SHAPES.iter().enumerate() {
        let mut rng = seeded_rng(70 + k as u64);
        let mut mlp = Mlp::init(&mut rng, d, 4 * d, Activation::gelu()).unwrap();
        assert_eq!((mlp.d_model(), mlp.hidden()), (d, 4 * d));
        let mut p = mlp.params();
        p.mapv_inplace(|v| v + 0.1); // non-zero biases
        mlp.set_params(p.view()).unwrap();
        check_layer(&mut mlp, &randn(&mut rng, (t, d)), 71, &[]);
        // The same as Linear → GELU → Linear in a Sequential.
        let seq = Sequential::new().push(mlp.fc().clone()).push(Activation::gelu()).push(mlp.proj().clone());
        let x = randn(&mut rng, (t, d));
        assert!(max_abs_diff(&seq.predict(&x).unwrap(), &mlp.predict(&x).unwrap()) < 1e-14);
    }
}

#[test]
fn residual_adds_the_input_and_passes_the_gradient_through() {
    for (k, &(t, d, _)) in SHAPES.iter().enumerate() {
        let mut rng = seeded_rng(80 + k as u64);
        let inner = Linear::init(&mut rng, d, d, Init::Xavier).unwrap();
        let x = randn(&mut rng, (t, d));
        let mut r = Residual::new(inner.clone());
        assert!(max_abs_diff(&r.predict(&x).unwrap(), &(&x + &inner.predict(&x).unwrap())) < 1e-15);
        check_layer(&mut r, &x, 81, &[]);
        let mut deep = Residual::new(Sequential::new().push(LayerNorm::new(d).unwrap()).push(Mlp::init(&mut rng, d, 2 * d, Activation::gelu_tanh()).unwrap()));
        check_layer(&mut deep, &x, 82, &[]);
    }
}

#[test]
fn a_failed_forward_leaves_nothing_for_backward() {
    // The reviewer's case: the second layer overflows on the second pass.
    let fc = Linear::new(array![[1.0]], array![0.0]).unwrap();
    let proj = Linear::new(array![[1e300]], array![0.0]).unwrap();
    let mut mlp = Mlp::new(fc.clone(), Activation::relu(), proj.clone()).unwrap();
    assert_eq!(mlp.forward(&array![[1.0]]).unwrap(), array![[1e300]]);
    let e = mlp.forward(&array![[1e9]]).unwrap_err();
    assert!(matches!(e, Error::InLayer { index: 2, ref error, .. } if matches!(**error, Error::Overflow { .. })), "{e}");
    let e = mlp.backward(&array![[1e-300]]).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "grad_output", .. }) && e.to_string().contains("Mlp.backward needs the input of a forward pass first"), "{e}");
    // The same network as a Sequential, and inside a Residual.
    let mut seq = Sequential::new().push(fc.clone()).push(Activation::relu()).push(proj.clone());
    seq.forward(&array![[1.0]]).unwrap();
    assert!(seq.forward(&array![[1e9]]).is_err());
    let e = seq.backward(&array![[1e-300]]).unwrap_err();
    assert!(e.to_string().contains("Sequential.backward needs the input of a forward pass first"), "{e}");
    let mut res = Residual::new(Mlp::new(fc.clone(), Activation::relu(), proj.clone()).unwrap());
    res.forward(&array![[1.0]]).unwrap();
    assert!(res.forward(&array![[1e9]]).is_err());
    let e = res.backward(&array![[1e-300]]).unwrap_err();
    assert!(e.to_string().contains("Residual.backward needs the input of a forward pass first"), "{e}");
    // A Residual whose own sum overflows, after the inner layer's pass went through.
    let mut res = Residual::new(Linear::new(array![[1.0]], array![0.0]).unwrap());
    res.forward(&array![[1.0]]).unwrap();
    assert!(matches!(res.forward(&array![[1e308]]), Err(Error::Overflow { op: "Residual.forward", .. })));
    assert!(res.backward(&array![[1.0]]).unwrap_err().to_string().contains("Residual.backward needs"));
    // And the single layers: a failed pass forgets the last good one.
    let mut linear = proj.clone();
    linear.forward(&array![[1.0]]).unwrap();
    assert!(linear.forward(&array![[1e9]]).is_err());
    assert!(linear.backward(&array![[1.0]]).unwrap_err().to_string().contains("Linear.backward needs"));
    let mut relu = Activation::relu();
    relu.forward(&array![[1.0]]).unwrap();
    assert!(relu.forward(&array![[f64::NAN]]).is_err());
    assert!(relu.backward(&array![[1.0]]).is_err());
    let mut softmax = crate::nn::Softmax::new();
    softmax.forward(&array![[1.0, 2.0]]).unwrap();
    assert!(softmax.forward(&array![[f64::NAN, 2.0]]).is_err());
    assert!(softmax.backward(&array![[1.0, 0.0]]).is_err());
    // Positions and the embedding's two uses.
    let mut pe = PositionalEncoding::sinusoidal(2, 1).unwrap();
    pe.forward(&array![[1.0]]).unwrap();
    assert!(pe.forward(&array![[1.0], [2.0], [3.0]]).is_err());
    assert!(pe.backward(&array![[1.0]]).is_err());
    let mut emb = Embedding::new(array![[1.0], [2.0]]).unwrap();
    emb.forward(&[0]).unwrap();
    emb.forward_logits(&array![[1.0]]).unwrap();
    assert!(emb.forward_logits(&array![[f64::NAN]]).is_err());
    assert!(emb.backward_logits(&array![[1.0, 0.0]]).is_err());
    assert!(emb.forward(&[2]).is_err());
    assert!(emb.backward(&array![[1.0]]).is_err());
    // After a good pass again, backward runs.
    mlp.forward(&array![[1.0]]).unwrap();
    assert_eq!(mlp.backward(&array![[1.0]]).unwrap(), array![[1e300]]);
}

#[test]
fn residual_connections_keep_the_gradient_of_a_deep_stack_alive() {
    // 30 tanh layers with small weights: the plain stack's input gradient vanishes, the residual one's does not.
    let d = 4;
    let mut plain = Sequential::new();
    let mut skip = Sequential::new();
    let mut rng = seeded_rng(9);
    for _ in 0..30 {
        let w = Linear::init(&mut rng, d, d, Init::Normal(0.1)).unwrap();
        plain = plain.push(w.clone()).push(Activation::tanh());
        skip = skip.push(Residual::new(Sequential::new().push(w).push(Activation::tanh())));
    }
    let x = randn(&mut rng, (2, d));
    let g = Array2::ones((2, d));
    plain.forward(&x).unwrap();
    skip.forward(&x).unwrap();
    let norm = |a: &Array2<f64>| a.mapv(|v| v * v).sum().sqrt();
    let (through_plain, through_skip) = (norm(&plain.backward(&g).unwrap()), norm(&skip.backward(&g).unwrap()));
    assert!(through_plain < 1e-10, "{through_plain}");
    assert!(through_skip > 1.0, "{through_skip}");
}

// ---------------------------------------------------------------- attention

#[test]
fn self_attention_backward_matches_finite_differences_for_x_and_each_projection() {
    for (k, &(t, d, heads)) in SHAPES.iter().enumerate() {
        for causal in [true, false] {
            let mut rng = seeded_rng(90 + k as u64);
            let mut attn = SelfAttention::init(&mut rng, d, heads, causal).unwrap();
            let mut p = attn.params();
            p += &(randn(&mut rng, (1, p.len())).row(0).to_owned() * 0.3); // non-zero biases, larger weights
            attn.set_params(p.view()).unwrap();
            let n = d * d + d;
            let slices = [("W_Q, b_Q", 0..n), ("W_K, b_K", n..2 * n), ("W_V, b_V", 2 * n..3 * n), ("W_O, b_O", 3 * n..4 * n)];
            check_layer(&mut attn, &randn(&mut rng, (t, d)), 91, &slices);
        }
    }
}

#[test]
fn self_attention_equals_notebook_05s_multi_head_attention() {
    for &(t, d, heads) in &SHAPES {
        let mha = MultiHeadAttention::random(&mut seeded_rng(t as u64), d, heads).unwrap();
        let x = randn(&mut seeded_rng(100), (t, d));
        for (causal, mask) in [(true, Some(Mask::Causal)), (false, None)] {
            let ours = SelfAttention::from_multi_head(&mha, causal).unwrap();
            let theirs = mha.forward(&x, mask.as_ref()).unwrap();
            assert!(max_abs_diff(&ours.predict(&x).unwrap(), &theirs.output) < 1e-12);
            let mut ours = ours;
            ours.forward(&x).unwrap();
            for (a, b) in ours.attention_weights().unwrap().iter().zip(&theirs.heads) {
                assert!(max_abs_diff(a, &b.weights) < 1e-12);
            }
        }
    }
}

#[test]
fn attention_by_hand_on_two_tokens() {
    // T = 2, d_model = 2, one head, Q = K = V = X (identity projections, zero biases).
    let identity = || Linear::new(array![[1.0, 0.0], [0.0, 1.0]], array![0.0, 0.0]).unwrap();
    let x = array![[1.0, 0.0], [0.0, 2.0]];
    // S = X·Xᵀ/√2 = [[1, 0], [0, 4]]/√2.
    let r = 2f64.sqrt();
    let (s00, s01, s10, s11) = (1.0 / r, 0.0, 0.0, 4.0 / r);
    // Unmasked: each row's softmax, then the weighted sum of the rows of V = X.
    let (e00, e01) = (s00.exp(), f64::exp(s01));
    let (a00, a01) = (e00 / (e00 + e01), e01 / (e00 + e01));
    let (e10, e11) = (f64::exp(s10), s11.exp());
    let (a10, a11) = (e10 / (e10 + e11), e11 / (e10 + e11));
    // Row i of the output: a_i0·V[0] + a_i1·V[1] = a_i0·[1, 0] + a_i1·[0, 2].
    let expected = array![[a00, 2.0 * a01], [a10, 2.0 * a11]];
    let mut open = SelfAttention::new(identity(), identity(), identity(), identity(), 1, false).unwrap();
    assert!(max_abs_diff(&open.forward(&x).unwrap(), &expected) < 1e-15);
    assert!(max_abs_diff(&open.attention_weights().unwrap()[0], &array![[a00, a01], [a10, a11]]) < 1e-15);
    // Causal: token 0 sees only itself (weight 1), token 1 as before.
    let causal = SelfAttention::new(identity(), identity(), identity(), identity(), 1, true).unwrap();
    let expected = array![[1.0, 0.0], [a10, 2.0 * a11]];
    assert!(max_abs_diff(&causal.predict(&x).unwrap(), &expected) < 1e-15);
}

#[test]
fn causal_attention_output_at_t_ignores_later_tokens() {
    let attn = SelfAttention::init(&mut seeded_rng(1), 6, 2, true).unwrap();
    let x = randn(&mut seeded_rng(2), (7, 6));
    let y = attn.predict(&x).unwrap();
    for t in 0..7 {
        let mut changed = x.clone();
        changed.slice_mut(s![t + 1.., ..]).assign(&randn(&mut seeded_rng(3 + t as u64), (6 - t, 6)));
        let y2 = attn.predict(&changed).unwrap();
        assert!(max_abs_diff(&y.slice(s![..=t, ..]).to_owned(), &y2.slice(s![..=t, ..]).to_owned()) < 1e-14, "t = {t}");
        if t < 6 {
            assert!(max_abs_diff(&y.slice(s![t + 1.., ..]).to_owned(), &y2.slice(s![t + 1.., ..]).to_owned()) > 1e-6);
        }
    }
    // The unmasked layer's first row does change.
    let open = SelfAttention::from_multi_head(&MultiHeadAttention::random(&mut seeded_rng(1), 6, 2).unwrap(), false).unwrap();
    let mut changed = x.clone();
    changed.row_mut(6).fill(3.0);
    assert!((&open.predict(&x).unwrap().row(0) - &open.predict(&changed).unwrap().row(0)).iter().any(|d| d.abs() > 1e-6));
}

#[test]
fn attention_without_positions_is_permutation_equivariant_and_with_them_it_is_not() {
    let attn = SelfAttention::init(&mut seeded_rng(4), 8, 2, false).unwrap();
    let x = randn(&mut seeded_rng(5), (6, 8));
    let order = [3, 0, 5, 1, 4, 2];
    let permuted = x.select(Axis(0), &order);
    let y = attn.predict(&x).unwrap();
    let y_of_permuted = attn.predict(&permuted).unwrap();
    assert!(max_abs_diff(&y_of_permuted, &y.select(Axis(0), &order)) < 1e-12, "outputs permute with the tokens");
    let pe = PositionalEncoding::sinusoidal(6, 8).unwrap();
    let with = |m: &Array2<f64>| attn.predict(&pe.predict(m).unwrap()).unwrap();
    let difference = max_abs_diff(&with(&permuted), &with(&x).select(Axis(0), &order));
    assert!(difference > 1e-3, "positions break the symmetry: {difference}");
}

// ---------------------------------------------------------------- the block

#[test]
fn a_full_pre_norm_block_is_gradient_checked_through_every_parameter_and_x() {
    for (k, &(t, d, heads)) in SHAPES.iter().enumerate() {
        let mut rng = seeded_rng(110 + k as u64);
        let mut block = TransformerBlock::init(&mut rng, d, heads).unwrap();
        let mut p = block.params();
        p += &(randn(&mut rng, (1, p.len())).row(0).to_owned() * 0.2); // γ ≠ 1, β ≠ 0, biases ≠ 0
        block.set_params(p.view()).unwrap();
        let (ln, attn, mlp) = (2 * d, block.attn().num_params(), block.mlp().num_params());
        let slices = [("LayerNorm₁", 0..ln), ("attention", ln..ln + attn), ("LayerNorm₂", ln + attn..2 * ln + attn), ("MLP", 2 * ln + attn..2 * ln + attn + mlp)];
        assert_eq!(block.num_params(), 2 * ln + attn + mlp);
        check_layer(&mut block, &randn(&mut rng, (t, d)), 111, &slices);
    }
}

#[test]
fn the_block_is_x_plus_attention_then_h_plus_mlp_written_out() {
    let mut rng = seeded_rng(6);
    let block = TransformerBlock::init(&mut rng, 8, 4).unwrap();
    let x = randn(&mut rng, (5, 8));
    let h = &x + &block.attn().predict(&block.ln1().predict(&x).unwrap()).unwrap();
    let y = &h + &block.mlp().predict(&block.ln2().predict(&h).unwrap()).unwrap();
    assert!(max_abs_diff(&block.predict(&x).unwrap(), &y) < 1e-14);
    // And as Residual layers in a Sequential.
    let seq = Sequential::new()
        .push(Residual::new(Sequential::new().push(block.ln1().clone()).push(block.attn().clone())))
        .push(Residual::new(Sequential::new().push(block.ln2().clone()).push(block.mlp().clone())));
    assert!(max_abs_diff(&seq.predict(&x).unwrap(), &y) < 1e-14);
    assert_eq!(seq.params(), block.params());
}

#[test]
fn a_tiny_gpt_from_the_pieces_is_gradient_checked_end_to_end() {
    // ids → Embedding → + learned positions → 2 blocks → LayerNorm → tied logits → lm_loss.
    let (v, d, heads, t) = (7, 4, 2, 5);
    let mut rng = seeded_rng(7);
    let mut emb = Embedding::init(&mut rng, v, d, 0.5).unwrap();
    let mut body = Sequential::new()
        .push(PositionalEncoding::learned(&mut rng, 8, d, 0.3).unwrap())
        .push(TransformerBlock::init(&mut rng, d, heads).unwrap())
        .push(TransformerBlock::init(&mut rng, d, heads).unwrap())
        .push(LayerNorm::new(d).unwrap());
    let tokens = [3, 1, 4, 1, 5, 2];
    let x = emb.forward(&tokens[..t]).unwrap();
    let hidden = body.forward(&x).unwrap();
    let logits = emb.forward_logits(&hidden).unwrap();
    let loss = lm_loss(&logits, &tokens).unwrap();
    let grad_hidden = emb.backward_logits(&loss.grad).unwrap();
    let grad_x = body.backward(&grad_hidden).unwrap();
    emb.backward(&grad_x).unwrap();
    let analytic: Array1<f64> = emb.grads().unwrap().iter().chain(body.grads().unwrap().iter()).copied().collect();
    let theta: Vec<f64> = emb.params().iter().chain(body.params().iter()).copied().collect();
    let (n_emb, emb0, body0) = (emb.num_params(), emb.clone(), body.clone());
    let f = |p: &[f64]| {
        let (mut e, mut b) = (emb0.clone(), body0.clone());
        e.set_params(Array1::from(p[..n_emb].to_vec()).view()).unwrap();
        b.set_params(Array1::from(p[n_emb..].to_vec()).view()).unwrap();
        let logits = e.predict_logits(&b.predict(&e.predict(&tokens[..t]).unwrap()).unwrap()).unwrap();
        lm_loss(&logits, &tokens).unwrap().value
    };
    assert_agrees(&gradient_check(f, &analytic, &theta, H).unwrap(), "tiny GPT");
    // One SGD step on the flat parameters lowers the loss.
    let mut params = Array1::from(theta);
    Sgd::new(0.1).unwrap().step(&mut params, &analytic).unwrap();
    assert!(f(params.as_slice().unwrap()) < loss.value);
}

#[test]
fn an_optimizer_updates_a_whole_block_through_its_flat_parameters() {
    let mut rng = seeded_rng(8);
    let mut block = TransformerBlock::init(&mut rng, 4, 2).unwrap();
    let x = randn(&mut rng, (3, 4));
    let target = randn(&mut rng, (3, 4));
    let mut sgd = Sgd::new(0.05).unwrap();
    let mut losses = Vec::new();
    for _ in 0..20 {
        let y = block.forward(&x).unwrap();
        let loss = crate::nn::mse_loss(&y, &target).unwrap();
        block.backward(&loss.grad).unwrap();
        let mut p = block.params();
        sgd.step(&mut p, &block.grads().unwrap()).unwrap();
        block.set_params(p.view()).unwrap();
        losses.push(loss.value);
    }
    assert!(losses[19] < 0.8 * losses[0], "{losses:?}");
}

// ---------------------------------------------------------------- LM loss

#[test]
fn lm_loss_is_the_mean_of_per_position_cross_entropies_against_the_next_token() {
    for (k, &(t, v, _)) in [(1, 3, 0), (4, 5, 0), (6, 2, 0), (3, 11, 0)].iter().enumerate() {
        let mut rng = seeded_rng(120 + k as u64);
        let logits = randn(&mut rng, (t, v)) * 2.0;
        let tokens: Vec<usize> = (0..=t).map(|i| (i * 5 + k) % v).collect();
        let loss = lm_loss(&logits, &tokens).unwrap();
        // Another route: info's cross-entropy from logits, position by position, target tokens[t + 1].
        let by_position: f64 = (0..t).map(|i| crate::info::cross_entropy_from_logits(logits.row(i), tokens[i + 1]).unwrap()).sum::<f64>() / t as f64;
        assert!((loss.value - by_position).abs() < 1e-12);
        let shifted = softmax_cross_entropy(&logits, &tokens[1..]).unwrap();
        assert_eq!(loss, shifted);
        let flat: Vec<f64> = logits.iter().copied().collect();
        let f = |p: &[f64]| lm_loss(&Array2::from_shape_vec((t, v), p.to_vec()).unwrap(), &tokens).unwrap().value;
        assert_agrees(&gradient_check(f, &loss.grad.iter().copied().collect::<Array1<f64>>(), &flat, H).unwrap(), "lm_loss");
        assert!((perplexity(loss.value).unwrap() - loss.value.exp()).abs() < 1e-12);
    }
}

#[test]
fn uniform_logits_give_ln_v_and_perplexity_v() {
    for v in [2usize, 65, 50_257] {
        let loss = lm_loss(&Array2::zeros((3, v)), &[0, v - 1, 1, 0]).unwrap();
        assert!((loss.value - (v as f64).ln()).abs() < 1e-12);
        assert!((perplexity(loss.value).unwrap() - v as f64).abs() < 1e-9 * v as f64);
    }
    let gpt2 = lm_loss(&Array2::zeros((1, 50_257)), &[0, 17]).unwrap().value;
    assert_eq!(format!("{gpt2:.3}"), "10.825");
    assert_eq!(perplexity(0.0).unwrap(), 1.0);
}

// ---------------------------------------------------------------- decoding

#[test]
fn greedy_picks_the_argmax() {
    let logits = randn(&mut seeded_rng(9), (20, 13));
    for row in logits.rows() {
        let expected = (0..13).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
        assert_eq!(greedy(row).unwrap(), expected);
        assert_eq!(Sampler::greedy().sample(row, &mut seeded_rng(0)).unwrap(), expected);
        let onehot = Sampler::greedy().probs(row).unwrap();
        assert_eq!((onehot[expected], onehot.sum()), (1.0, 1.0));
    }
    assert_eq!(greedy(&[1.0, 3.0, 3.0]).unwrap(), 1);
}

#[test]
fn top_k_keeps_exactly_k_with_ties_to_the_lower_id() {
    let mut rng = seeded_rng(10);
    for trial in 0..20 {
        let p = softmax(randn(&mut rng, (1, 9)).row(0)).unwrap();
        for k in 1..=11 {
            let q = top_k_filter(&p, k).unwrap();
            let kept: Vec<usize> = (0..9).filter(|&i| q[i] > 0.0).collect();
            assert_eq!(kept.len(), k.min(9), "trial {trial}, k = {k}");
            // The kept ones are the largest: every kept p ≥ every dropped p.
            let least_kept = kept.iter().map(|&i| p[i]).fold(f64::INFINITY, f64::min);
            assert!((0..9).filter(|i| !kept.contains(i)).all(|i| p[i] <= least_kept));
            // Renormalised: the same ratios, summing to 1.
            let mass: f64 = kept.iter().map(|&i| p[i]).sum();
            assert!(kept.iter().all(|&i| (q[i] - p[i] / mass).abs() < 1e-15));
            assert!((q.sum() - 1.0).abs() < 1e-12);
        }
    }
    // Ties at the cut go to the lower id.
    let q = top_k_filter(&[0.1, 0.2, 0.3, 0.2, 0.2], 2).unwrap();
    assert_eq!(q.mapv(|v| v > 0.0).to_vec(), vec![false, true, true, false, false]);
}

#[test]
fn top_p_keeps_the_smallest_set_whose_mass_reaches_p() {
    let mut rng = seeded_rng(11);
    for _ in 0..20 {
        let p = softmax((randn(&mut rng, (1, 8)) * 1.5).row(0)).unwrap();
        for nucleus in [0.05, 0.3, 0.5, 0.9, 0.99, 1.0] {
            let q = top_p_filter(&p, nucleus).unwrap();
            let kept: Vec<usize> = (0..8).filter(|&i| q[i] > 0.0).collect();
            let mass: f64 = kept.iter().map(|&i| p[i]).sum();
            let least = kept.iter().map(|&i| p[i]).fold(f64::INFINITY, f64::min);
            assert!(mass >= nucleus - 1e-12, "enough mass");
            assert!(mass - least < nucleus, "no smaller set of the most likely tokens reaches p");
            assert!((0..8).filter(|i| !kept.contains(i)).all(|i| p[i] <= least), "the most likely ones");
            assert!((q.sum() - 1.0).abs() < 1e-12);
        }
    }
    // By hand: sorted 0.4, 0.3, 0.2, 0.1.
    let p = [0.1, 0.4, 0.2, 0.3];
    let count = |nucleus: f64| top_p_filter(&p, nucleus).unwrap().iter().filter(|&&v| v > 0.0).count();
    assert_eq!((count(0.4), count(0.41), count(0.7), count(0.71), count(0.9), count(1.0)), (1, 2, 2, 3, 3, 4));
}

#[test]
fn top_p_of_one_keeps_every_token_of_non_zero_probability() {
    // A tail below the 1e-12 slack of p < 1 is still kept at p = 1.
    let p = [1.0 - 1e-13, 1e-13];
    assert_eq!(top_p_filter(&p, 1.0).unwrap(), array![1.0 - 1e-13, 1e-13]);
    let p = [0.5, 0.0, 0.5 - 1e-300, 1e-300];
    assert_eq!(top_p_filter(&p, 1.0).unwrap().to_vec(), p.to_vec());
    // Through a sampler: the tokens of logits far below the rest keep their tiny probability.
    let q = Sampler::with_temperature(1.0).unwrap().top_p(1.0).unwrap().probs(&[0.0, -40.0]).unwrap();
    assert!(q[1] > 0.0 && q[1] < 1e-17, "{q}");
}

#[test]
fn temperature_one_is_the_softmax_and_temperature_near_zero_is_greedy() {
    let logits = array![1.5, -0.2, 0.7, 3.0, 2.9];
    let at_one = Sampler::with_temperature(1.0).unwrap().probs(&logits).unwrap();
    assert!((&at_one - &softmax(&logits).unwrap()).iter().all(|d| d.abs() < 1e-15));
    let greedy_probs = Sampler::greedy().probs(&logits).unwrap();
    let mut previous_gap = f64::INFINITY;
    for t in [1.0, 0.3, 0.1, 0.03, 0.01, 0.003] {
        let q = Sampler::with_temperature(t).unwrap().probs(&logits).unwrap();
        let gap = (&q - &greedy_probs).iter().fold(0.0_f64, |m, d| m.max(d.abs()));
        assert!(gap < previous_gap, "T = {t}: {gap}");
        previous_gap = gap;
    }
    assert!(previous_gap < 1e-13, "{previous_gap}"); // e^(−0.1/0.003) ≈ 3e-15
    // A high temperature flattens towards uniform.
    let hot = softmax_with_temperature(&logits, 1000.0).unwrap();
    assert!(hot.iter().all(|q| (q - 0.2).abs() < 1e-3));
}

#[test]
fn the_sampler_applies_the_temperature_first_then_top_k_then_top_p() {
    let logits = array![2.0, 1.0, 0.0, -1.0, 0.5];
    for (t, p) in [(3.0, 0.5), (0.5, 0.9), (1.0, 0.7), (2.0, 0.95)] {
        let scaled = softmax_with_temperature(&logits, t).unwrap(); // softmax(logits / T)
        let sampler = Sampler::with_temperature(t).unwrap().top_p(p).unwrap();
        assert_eq!(sampler.probs(&logits).unwrap(), top_p_filter(&scaled, p).unwrap(), "T = {t}, p = {p}");
        for k in [1, 2, 4] {
            let sampler = Sampler::with_temperature(t).unwrap().top_k(k).unwrap().top_p(p).unwrap();
            let expected = top_p_filter(&top_k_filter(&scaled, k).unwrap(), p).unwrap();
            assert_eq!(sampler.probs(&logits).unwrap(), expected, "T = {t}, k = {k}, p = {p}");
        }
    }
    // The order matters: at T = 3 the distribution is flat enough that top-p 0.5 keeps two tokens,
    // at T = 1 (a temperature applied after the filter) the first token alone reaches 0.5.
    let kept = |q: Array1<f64>| q.iter().filter(|&&v| v > 0.0).count();
    assert_eq!(kept(Sampler::with_temperature(3.0).unwrap().top_p(0.5).unwrap().probs(&logits).unwrap()), 2);
    assert_eq!(kept(top_p_filter(&softmax(&logits).unwrap(), 0.5).unwrap()), 1);
    // And top-k before top-p (T = 1): top-2 renormalises the two largest to 0.73 and 0.27, and 0.73 alone
    // reaches p = 0.7; top-p first would see 0.56 + 0.21 on the whole distribution and keep two.
    let both = Sampler::with_temperature(1.0).unwrap().top_k(2).unwrap().top_p(0.7).unwrap().probs(&logits).unwrap();
    assert_eq!(kept(both), 1);
    let reversed = top_k_filter(&top_p_filter(&softmax(&logits).unwrap(), 0.7).unwrap(), 2).unwrap();
    assert_eq!(kept(reversed), 2);
}

#[test]
fn greedy_with_a_filter_is_an_error() {
    let e = Sampler::greedy().top_k(5).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "k", .. }) && e.to_string().contains("greedy decoding always takes the most likely token"), "{e}");
    assert!(e.to_string().contains("Sampler::with_temperature(1.0)?.top_k(k)"), "{e}");
    let e = Sampler::greedy().top_p(0.9).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "p", .. }) && e.to_string().contains("top-p filter would change nothing"), "{e}");
    // With a temperature both are fine, and the sampler says so.
    use crate::display::Readable;
    assert_eq!(Sampler::with_temperature(0.8).unwrap().top_k(5).unwrap().readable(), "Sampler(temperature 0.8, top-k 5)");
}

#[test]
fn minus_infinity_is_a_forbidden_token() {
    let inf = f64::INFINITY;
    let logits = array![-inf, 1.0, -inf, 0.0];
    assert_eq!(greedy(&logits).unwrap(), 1);
    assert_eq!(greedy(&[-inf, -inf, -3.0]).unwrap(), 2);
    let q = Sampler::with_temperature(0.5).unwrap().probs(&logits).unwrap();
    let e = (2.0f64).exp(); // (1 − 0)/0.5
    assert_eq!((q[0], q[2]), (0.0, 0.0));
    assert!((q[1] - e / (e + 1.0)).abs() < 1e-15 && (q[3] - 1.0 / (e + 1.0)).abs() < 1e-15, "{q}");
    let filtered = Sampler::with_temperature(1.0).unwrap().top_k(3).unwrap().top_p(0.99).unwrap().probs(&logits).unwrap();
    assert_eq!((filtered[0], filtered[2]), (0.0, 0.0));
    let mut rng = seeded_rng(5);
    let sampler = Sampler::with_temperature(2.0).unwrap();
    assert!((0..500).all(|_| matches!(sampler.sample(&logits, &mut rng).unwrap(), 1 | 3)));
    // nanoGPT's way: generate with a model that forbids every token but two.
    let ids = generate(&[0], 20, &sampler, &mut seeded_rng(6), |_: &[usize]| Ok(array![-inf, 0.0, -inf, 0.5, -inf])).unwrap();
    assert!(ids[1..].iter().all(|&t| t == 1 || t == 3), "{ids:?}");
    assert_eq!(generate(&[0], 3, &Sampler::greedy(), &mut rng, |_: &[usize]| Ok(array![-inf, 0.0, 0.5])).unwrap(), vec![0, 2, 2, 2]);
    // Still refused: NaN, +inf, and every token forbidden.
    assert!(matches!(greedy(&[0.0, inf]), Err(Error::NonFinite { op: "greedy", .. })));
    assert!(matches!(sampler.probs(&[f64::NAN, 0.0]), Err(Error::NonFinite { op: "Sampler.probs", .. })));
    assert!(matches!(sampler.sample(&[inf, 0.0], &mut rng), Err(Error::NonFinite { .. })));
    let e = greedy(&[-inf, -inf]).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "logits", .. }) && e.to_string().contains("at least one logit must be finite"), "{e}");
    assert!(matches!(sampler.probs(&[-inf]), Err(Error::InvalidArgument { name: "logits", .. })));
    let e = generate(&[0], 2, &sampler, &mut rng, |_: &[usize]| Ok(array![-inf, -inf])).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "logits", .. }), "{e}");
    let e = generate(&[0], 2, &sampler, &mut rng, |_: &[usize]| Ok(array![0.0, inf])).unwrap_err();
    assert!(matches!(e, Error::NonFinite { op: "generate: the model's logits", .. }), "{e}");
}

#[test]
fn seeded_sampling_is_reproducible_and_its_frequencies_match_the_probabilities() {
    let logits = array![2.0, 1.0, 0.5, 0.0, -1.0, -3.0];
    let sampler = Sampler::with_temperature(0.9).unwrap().top_k(4).unwrap();
    let draw = |seed: u64| -> Vec<usize> {
        let mut rng = seeded_rng(seed);
        (0..10_000).map(|_| sampler.sample(&logits, &mut rng).unwrap()).collect()
    };
    let draws = draw(12);
    assert_eq!(draws, draw(12));
    assert_ne!(draws[..50], draw(13)[..50]);
    let q = sampler.probs(&logits).unwrap();
    let mut counts = [0usize; 6];
    for &i in &draws {
        counts[i] += 1;
    }
    assert_eq!((counts[4], counts[5]), (0, 0), "tokens cut by top-k are never drawn");
    // Pearson's chi-square over the 4 kept tokens, 3 degrees of freedom, at the 0.1% level.
    let chi2: f64 = (0..4).map(|i| (counts[i] as f64 - 10_000.0 * q[i]).powi(2) / (10_000.0 * q[i])).sum();
    let critical = ChiSquared::new(3.0).unwrap().inverse_cdf(0.999);
    assert!(chi2 < critical, "chi² = {chi2} ≥ {critical}: counts {counts:?}, q {q}");
    // And each frequency within 2% of its probability.
    assert!((0..4).all(|i| (counts[i] as f64 / 10_000.0 - q[i]).abs() < 0.02));
}

#[test]
fn generate_appends_one_token_per_step_from_the_last_positions_logits() {
    // A bigram "model": token i is followed by (2i + 1) mod 5, through a table of logits.
    let table = Array2::from_shape_fn((5, 5), |(i, j)| if j == (2 * i + 1) % 5 { 4.0 } else { 0.0 });
    let mut calls = Vec::new();
    let ids = generate(&[0], 6, &Sampler::greedy(), &mut seeded_rng(0), |ids: &[usize]| {
        calls.push(ids.len());
        Ok(table.row(*ids.last().unwrap()).to_owned())
    })
    .unwrap();
    assert_eq!(ids, vec![0, 1, 3, 2, 0, 1, 3]);
    assert_eq!(calls, vec![1, 2, 3, 4, 5, 6], "the model sees the whole sequence so far");
    let none = generate(&[4, 2], 0, &Sampler::greedy(), &mut seeded_rng(0), |_: &[usize]| Ok(Array1::zeros(5))).unwrap();
    assert_eq!(none, vec![4, 2]);
    // A model's error comes back as it is.
    let err = generate(&[0], 3, &Sampler::greedy(), &mut seeded_rng(0), |ids: &[usize]| {
        if ids.len() < 2 { Ok(Array1::zeros(5)) } else { Err(Error::invalid("ids", ids.len(), "the model's own complaint")) }
    })
    .unwrap_err();
    assert!(err.to_string().contains("the model's own complaint"));
    // Seeded sampling through the loop repeats itself.
    let hot = Sampler::with_temperature(1.5).unwrap().top_p(0.95).unwrap();
    let run = |seed| generate(&[1], 30, &hot, &mut seeded_rng(seed), |ids: &[usize]| Ok(table.row(*ids.last().unwrap()).to_owned())).unwrap();
    assert_eq!(run(3), run(3));
}

#[test]
fn samplers_show_their_rules() {
    use crate::display::Readable;
    assert_eq!(Sampler::greedy().readable(), "Sampler(greedy)");
    let s = Sampler::with_temperature(0.8).unwrap().top_k(40).unwrap().top_p(0.95).unwrap();
    assert_eq!(s.readable(), "Sampler(temperature 0.8, top-k 40, top-p 0.95)");
    let block = TransformerBlock::init(&mut seeded_rng(0), 4, 2).unwrap();
    let text = block.readable();
    assert!(text.starts_with("TransformerBlock(d_model 4, 2 heads) (") && text.contains("ln1: LayerNorm(4) (8 parameters)"), "{text}");
    assert!(text.contains("attn: SelfAttention(d_model 4, 2 heads, causal) (80 parameters)"), "{text}");
    assert!(!text.contains("strides"), "{text}");
}

// ---------------------------------------------------------------- errors, one per message

#[test]
fn d_model_not_divisible_by_the_heads() {
    let e = SelfAttention::init(&mut seeded_rng(0), 10, 4, true).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "n_heads", .. }), "{e}");
    assert!(e.to_string().contains("d_model = 10 must be divisible by the number of heads (10 / 4 is not whole); try n_heads = 5"), "{e}");
    assert!(matches!(TransformerBlock::init(&mut seeded_rng(0), 6, 0), Err(Error::InvalidArgument { name: "n_heads", .. })));
}

#[test]
fn a_sequence_longer_than_the_positional_table() {
    let mut pe = PositionalEncoding::learned(&mut seeded_rng(0), 4, 3, 0.1).unwrap();
    let e = pe.forward(&Array2::zeros((5, 3))).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "seq_len", ref value, .. } if value == "5 > max_len = 4"), "{e}");
    assert!(e.to_string().contains("a sequence longer than the table has no position vectors past position 3"), "{e}");
    // A width that does not fit is a shape mismatch naming both shapes.
    let e = pe.forward(&Array2::zeros((2, 4))).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { op: "PositionalEncoding.forward", ref left, ref right, .. } if *left == vec![2, 4] && *right == vec![4, 3]), "{e}");
}

#[test]
fn a_token_id_outside_the_vocabulary() {
    let mut emb = Embedding::init(&mut seeded_rng(0), 5, 2, 1.0).unwrap();
    let e = emb.forward(&[0, 4, 5]).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "ids", ref value, .. } if value == "ids[2] = 5"), "{e}");
    assert!(e.to_string().contains("below the vocabulary size, 5 tokens (0 to 4)"), "{e}");
    let e = lm_loss(&Array2::zeros((2, 3)), &[0, 1, 3]).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "tokens", ref value, .. } if value == "tokens[2] = 3"), "{e}");
}

#[test]
fn top_p_outside_zero_to_one_and_top_k_of_zero() {
    for p in [0.0, -0.1, 1.0 + 1e-9, f64::NAN, f64::INFINITY] {
        let e = top_p_filter(&[0.5, 0.5], p).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "p", .. }) && e.to_string().contains("(0, 1]"), "{e}");
        assert!(matches!(Sampler::greedy().top_p(p), Err(Error::InvalidArgument { name: "p", .. })));
    }
    let e = top_k_filter(&[0.5, 0.5], 0).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "k", .. }) && e.to_string().contains("at least 1"), "{e}");
    assert!(matches!(Sampler::with_temperature(1.0).unwrap().top_k(0), Err(Error::InvalidArgument { name: "k", .. })));
}

#[test]
fn temperature_not_above_zero_or_not_finite() {
    for t in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let e = Sampler::with_temperature(t).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "temperature", .. }) && e.to_string().contains("finite and > 0"), "{e}");
    }
}

#[test]
fn not_a_distribution_for_the_filters() {
    assert!(matches!(top_k_filter(&[0.5, 0.6], 1), Err(Error::NotADistribution { .. })));
    assert!(matches!(top_p_filter(&[1.5, -0.5], 0.5), Err(Error::InvalidArgument { name: "probs", .. })));
    assert!(matches!(top_p_filter(&[] as &[f64], 0.5), Err(Error::BadShape { op: "top_p_filter", .. })));
}

#[test]
fn nan_in_inputs_and_gradients_is_an_error() {
    let mut rng = seeded_rng(0);
    let nan_x = array![[0.0, f64::NAN, 1.0, 2.0]];
    let mut layers: Vec<Box<dyn Layer>> = vec![
        Box::new(LayerNorm::new(4).unwrap()),
        Box::new(RmsNorm::new(4).unwrap()),
        Box::new(SelfAttention::init(&mut rng, 4, 2, true).unwrap()),
        Box::new(Mlp::init(&mut rng, 4, 16, Activation::gelu()).unwrap()),
        Box::new(TransformerBlock::init(&mut rng, 4, 2).unwrap()),
        Box::new(PositionalEncoding::sinusoidal(3, 4).unwrap()),
        Box::new(Residual::new(Activation::gelu_tanh())),
    ];
    for layer in layers.iter_mut() {
        let e = layer.forward(&nan_x).unwrap_err();
        assert!(e.to_string().contains("NaN") && e.to_string().contains("finite"), "{}: {e}", layer.name());
        layer.forward(&array![[0.0, 0.5, 1.0, 2.0]]).unwrap();
        let e = layer.backward(&nan_x).unwrap_err();
        assert!(e.to_string().contains("NaN") && e.to_string().contains("backward"), "{}: {e}", layer.name());
    }
    let e = LayerNorm::new(4).unwrap().predict(&nan_x).unwrap_err();
    assert!(matches!(e, Error::NonFinite { op: "LayerNorm.forward", ref index, .. } if *index == vec![0, 1]), "{e}");
    let mut emb = Embedding::init(&mut rng, 3, 4, 1.0).unwrap();
    emb.forward(&[1]).unwrap();
    assert!(matches!(emb.backward(&nan_x), Err(Error::NonFinite { op: "Embedding.backward", .. })));
    assert!(matches!(emb.forward_logits(&nan_x), Err(Error::NonFinite { op: "Embedding.forward_logits", .. })));
    assert!(matches!(lm_loss(&array![[0.0, f64::NAN]], &[0, 1]), Err(Error::NonFinite { op: "lm_loss", .. })));
    assert!(matches!(greedy(&[0.0, f64::NAN]), Err(Error::NonFinite { op: "greedy", .. })));
    let e = generate(&[0], 2, &Sampler::greedy(), &mut rng, |_: &[usize]| Ok(array![0.0, f64::NAN])).unwrap_err();
    assert!(matches!(e, Error::NonFinite { op: "generate: the model's logits", .. }), "{e}");
}

#[test]
fn overflow_of_huge_rows_and_perplexity() {
    let e = LayerNorm::new(2).unwrap().predict(&array![[1e200, -1e200]]).unwrap_err();
    assert!(matches!(e, Error::Overflow { op: "LayerNorm.forward", .. }), "{e}");
    let e = RmsNorm::new(2).unwrap().predict(&array![[1e200, 0.0]]).unwrap_err();
    assert!(matches!(e, Error::Overflow { op: "RmsNorm.forward", .. }), "{e}");
    assert!(matches!(perplexity(710.0), Err(Error::Overflow { op: "perplexity", .. })));
    assert!(perplexity(709.0).unwrap().is_finite());
    assert!(matches!(perplexity(-0.1), Err(Error::InvalidArgument { name: "loss", .. })));
    assert!(matches!(perplexity(f64::NAN), Err(Error::InvalidArgument { name: "loss", .. })));
}

#[test]
fn sizes_are_capped() {
    let mut rng = seeded_rng(0);
    let e = Embedding::init(&mut rng, 1 << 20, 1 << 10, 0.02).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "d_model", .. }) && e.to_string().contains("100 million"), "{e}");
    assert!(matches!(sinusoidal_positions(1 << 40, 1 << 10), Err(Error::InvalidArgument { name: "max_len", .. })));
    assert!(matches!(PositionalEncoding::learned(&mut rng, usize::MAX, 2, 0.1), Err(Error::InvalidArgument { name: "max_len", .. })));
    assert!(matches!(SelfAttention::init(&mut rng, 20_000, 1, true), Err(Error::InvalidArgument { name: "d_model", .. })));
    assert!(matches!(TransformerBlock::init(&mut rng, usize::MAX / 2, 1), Err(Error::InvalidArgument { .. })));
    assert!(matches!(Mlp::init(&mut rng, 4, 1 << 40, Activation::gelu()), Err(Error::InvalidArgument { name: "hidden", .. })));
    let attn = SelfAttention::init(&mut rng, 1, 1, true).unwrap();
    let e = attn.predict(&Array2::zeros((20_000, 1))).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "seq_len", .. }) && e.to_string().contains("20000 × 20000"), "{e}");
    // The cap counts the peak, (n_heads + 2)·T² numbers: for one head T = 5 773 fits, 5 774 does not.
    let fits = |t: usize| 3 * t * t <= 100_000_000;
    assert!(fits(5773) && !fits(5774));
    let e = attn.predict(&Array2::zeros((5774, 1))).unwrap_err();
    assert!(e.to_string().contains("(1 heads + 2) × 5774 × 5774"), "{e}");
    let two = SelfAttention::init(&mut rng, 2, 2, true).unwrap(); // 4·5001² > 10⁸
    assert!(matches!(two.predict(&Array2::zeros((5001, 2))), Err(Error::InvalidArgument { name: "seq_len", .. })));
    let e = generate(&[0], 100_001, &Sampler::greedy(), &mut rng, |_: &[usize]| Ok(array![1.0])).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "max_new_tokens", .. }), "{e}");
    assert!(matches!(gelu_tanh_error(0.0, 1.0, 10_000_001), Err(Error::InvalidArgument { name: "points", .. })));
}

#[test]
fn sizes_of_zero_and_empty_tables() {
    let mut rng = seeded_rng(0);
    assert!(matches!(Embedding::init(&mut rng, 0, 3, 1.0), Err(Error::InvalidArgument { name: "vocab_size", .. })));
    assert!(matches!(Embedding::new(Array2::zeros((0, 3))), Err(Error::BadShape { op: "Embedding::new", .. })));
    assert!(matches!(PositionalEncoding::from_table(Array2::zeros((3, 0))), Err(Error::BadShape { .. })));
    assert!(matches!(sinusoidal_positions(4, 0), Err(Error::InvalidArgument { name: "d_model", .. })));
    assert!(matches!(LayerNorm::new(0), Err(Error::InvalidArgument { name: "d_model", .. })));
    assert!(matches!(RmsNorm::with_params(Array1::zeros(0), 1e-6), Err(Error::BadShape { .. })));
    assert!(matches!(Mlp::init(&mut rng, 4, 0, Activation::relu()), Err(Error::InvalidArgument { name: "hidden", .. })));
    assert!(matches!(Embedding::init(&mut rng, 3, 3, 1.0).unwrap().predict(&[]), Err(Error::BadShape { op: "Embedding.forward", .. })));
    assert!(matches!(lm_loss(&Array2::zeros((0, 3)), &[0]), Err(Error::BadShape { op: "lm_loss", .. })));
    assert!(matches!(generate(&[], 1, &Sampler::greedy(), &mut rng, |_: &[usize]| Ok(array![1.0])), Err(Error::InvalidArgument { name: "prompt", .. })));
    let e = generate(&[0], 1, &Sampler::greedy(), &mut rng, |_: &[usize]| Ok(Array1::zeros(0))).unwrap_err();
    assert!(matches!(e, Error::BadShape { op: "generate: the model's logits", .. }), "{e}");
    assert!(matches!(gelu_tanh_error(1.0, 1.0, 10), Err(Error::InvalidArgument { name: "high", .. })));
    assert!(matches!(gelu_tanh_error(f64::NAN, 1.0, 10), Err(Error::InvalidArgument { name: "low", .. })));
}

#[test]
fn shapes_that_do_not_fit_name_both_shapes() {
    let mut rng = seeded_rng(0);
    let e = lm_loss(&Array2::zeros((3, 4)), &[0, 1, 2]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { op: "lm_loss", ref left, ref right, .. } if *left == vec![3, 4] && *right == vec![3]), "{e}");
    let e = LayerNorm::new(3).unwrap().predict(&Array2::zeros((2, 4))).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { op: "LayerNorm.forward", ref left, ref right, .. } if *left == vec![2, 4] && *right == vec![3]), "{e}");
    let e = SelfAttention::init(&mut rng, 4, 2, true).unwrap().predict(&Array2::zeros((2, 3))).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { op: "SelfAttention.forward", .. }), "{e}");
    let emb = Embedding::init(&mut rng, 5, 3, 1.0).unwrap();
    assert!(matches!(emb.predict_logits(&Array2::zeros((2, 4))), Err(Error::ShapeMismatch { op: "Embedding.forward_logits", .. })));
    let e = Mlp::new(Linear::init(&mut rng, 4, 8, Init::He).unwrap(), Activation::gelu(), Linear::init(&mut rng, 8, 3, Init::He).unwrap()).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { op: "Mlp::new", .. }), "{e}");
    let e = TransformerBlock::new(LayerNorm::new(4).unwrap(), SelfAttention::init(&mut rng, 4, 1, true).unwrap(), LayerNorm::new(5).unwrap(), Mlp::init(&mut rng, 4, 16, Activation::gelu()).unwrap()).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { op: "TransformerBlock::new", .. }), "{e}");
    let square = |d_in, d_out| Linear::new(Array2::zeros((d_in, d_out)), Array1::zeros(d_out)).unwrap();
    let e = SelfAttention::new(square(4, 4), square(4, 4), square(4, 3), square(4, 4), 1, true).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { op: "SelfAttention::new", ref left, .. } if *left == vec![4, 3]), "{e}");
    let mut r = Residual::new(Linear::init(&mut rng, 4, 2, Init::He).unwrap());
    let e = r.forward(&Array2::zeros((1, 4))).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { op: "Residual.forward", .. }), "{e}");
    let mut ln = LayerNorm::new(3).unwrap();
    ln.forward(&Array2::zeros((2, 3))).unwrap();
    assert!(matches!(ln.backward(&Array2::zeros((3, 3))), Err(Error::ShapeMismatch { op: "LayerNorm.backward", .. })));
    assert!(matches!(ln.set_params(Array1::zeros(5).view()), Err(Error::ShapeMismatch { op: "LayerNorm.set_params", .. })));
}

#[test]
fn backward_before_forward_and_grads_before_backward() {
    let mut rng = seeded_rng(0);
    let mut layers: Vec<Box<dyn Layer>> = vec![
        Box::new(LayerNorm::new(2).unwrap()),
        Box::new(RmsNorm::new(2).unwrap()),
        Box::new(SelfAttention::init(&mut rng, 2, 1, true).unwrap()),
        Box::new(TransformerBlock::init(&mut rng, 2, 1).unwrap()),
        Box::new(PositionalEncoding::learned(&mut rng, 3, 2, 0.1).unwrap()),
        Box::new(Mlp::init(&mut rng, 2, 8, Activation::gelu()).unwrap()),
        Box::new(Residual::new(Linear::init(&mut rng, 2, 2, Init::Xavier).unwrap())),
    ];
    for layer in layers.iter_mut() {
        assert!(layer.grads().unwrap_err().to_string().contains("no gradients"), "{}", layer.name());
        let e = layer.backward(&Array2::zeros((1, 2))).unwrap_err();
        assert!(e.to_string().contains("forward"), "{}: {e}", layer.name());
    }
    // Mlp and Residual say so themselves, before asking their parts.
    let mut mlp = Mlp::init(&mut rng, 2, 8, Activation::relu()).unwrap();
    let e = mlp.backward(&Array2::zeros((1, 2))).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "grad_output", .. }) && e.to_string().contains("Mlp.backward needs the input of a forward pass first"), "{e}");
    let mut residual = Residual::new(Activation::gelu());
    let e = residual.backward(&Array2::zeros((1, 2))).unwrap_err();
    assert!(e.to_string().contains("Residual.backward needs the input of a forward pass first"), "{e}");
    let e = Sequential::new().backward(&Array2::zeros((1, 2))).unwrap_err();
    assert!(e.to_string().contains("Sequential.backward needs the input of a forward pass first"), "{e}");
    let mut emb = Embedding::init(&mut rng, 3, 2, 1.0).unwrap();
    assert!(matches!(emb.backward(&Array2::zeros((1, 2))), Err(Error::InvalidArgument { name: "grad_output", .. })));
    assert!(matches!(emb.backward_logits(&Array2::zeros((1, 3))), Err(Error::InvalidArgument { name: "grad_logits", .. })));
    // A failed forward pass leaves nothing for backward to mix with an older pass.
    let mut block = TransformerBlock::init(&mut rng, 2, 1).unwrap();
    block.forward(&Array2::ones((2, 2))).unwrap();
    assert!(block.forward(&array![[f64::NAN, 0.0]]).is_err());
    assert!(block.backward(&Array2::zeros((2, 2))).unwrap_err().to_string().contains("forward"));
}

#[test]
fn errors_inside_a_block_name_the_part() {
    let mut rng = seeded_rng(0);
    let block = TransformerBlock::init(&mut rng, 4, 2).unwrap();
    let e = block.predict(&Array2::zeros((2, 3))).unwrap_err();
    match e {
        Error::InLayer { index: 0, ref layer, ref error } => {
            assert_eq!(layer, "LayerNorm(4)");
            assert!(matches!(**error, Error::ShapeMismatch { op: "LayerNorm.forward", .. }));
        }
        other => panic!("{other}"),
    }
    let mlp = Mlp::init(&mut rng, 4, 8, Activation::gelu()).unwrap();
    let e = mlp.predict(&Array2::zeros((1, 5))).unwrap_err();
    assert!(e.to_string().starts_with("layer 0 (Linear(4 → 8)) of the network: shape mismatch in Linear.forward"), "{e}");
}

#[test]
fn invalid_eps_and_std() {
    for eps in [0.0, -1e-5, f64::NAN, f64::INFINITY] {
        assert!(matches!(LayerNorm::with_params(array![1.0], array![0.0], eps), Err(Error::InvalidArgument { name: "eps", .. })));
        assert!(matches!(RmsNorm::with_params(array![1.0], eps), Err(Error::InvalidArgument { name: "eps", .. })));
    }
    assert!(Embedding::init(&mut seeded_rng(0), 3, 2, -1.0).is_err());
    assert!(PositionalEncoding::learned(&mut seeded_rng(0), 3, 2, f64::NAN).is_err());
}

#[test]
fn flattening_a_block_names_the_part_by_its_number() {
    let mut rng = seeded_rng(0);
    let mut block = TransformerBlock::init(&mut rng, 2, 1).unwrap();
    let e = block.grads().unwrap_err();
    assert!(e.to_string().starts_with("layer 0 (LayerNorm(2)) of the network: invalid argument `grads`"), "{e}");
    let n = block.num_params();
    assert_eq!(
        block.set_params(Array1::zeros(n + 1).view()).unwrap_err().to_string(),
        format!("shape mismatch in TransformerBlock.set_params: left is [{}], right is [{n}] (one value per parameter of every part, in order)", n + 1)
    );
    let mut mlp = Mlp::init(&mut rng, 2, 4, Activation::relu()).unwrap();
    assert_eq!(
        mlp.set_params(Array1::zeros(1).view()).unwrap_err().to_string(),
        format!("shape mismatch in Mlp.set_params: left is [1], right is [{}] (one value per parameter of every part, in order)", mlp.num_params())
    );
    // Parameters in order: the parts one after the other, each as it flattens itself.
    let parts: Vec<f64> = [block.ln1().params(), block.attn().params(), block.ln2().params(), block.mlp().params()].iter().flatten().copied().collect();
    assert_eq!(block.params().to_vec(), parts);
    let attn = block.attn();
    let projections: Vec<f64> = [attn.w_q(), attn.w_k(), attn.w_v(), attn.w_o()].iter().flat_map(|l| l.params()).collect();
    assert_eq!(attn.params().to_vec(), projections);
}

#[test]
fn a_norm_keeps_only_a_pass_that_went_through() {
    let (x, g) = (array![[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]], array![[1.0, 0.0, -1.0], [0.5, 0.5, 2.0]]);
    let mut ln = LayerNorm::new(3).unwrap();
    let mut rms = RmsNorm::new(3).unwrap();
    for norm in [&mut ln as &mut dyn Layer, &mut rms] {
        let y = norm.predict(&x).unwrap();
        let e = norm.backward(&g).unwrap_err(); // predict keeps nothing
        assert!(e.to_string().contains(&format!("{}.backward needs the input of a forward pass first", &norm.name()[..norm.name().find('(').unwrap()])), "{e}");
        assert_eq!(norm.forward(&x).unwrap(), y);
        assert_eq!(norm.backward(&g).unwrap().dim(), (2, 3));
        assert!(norm.forward(&array![[f64::NAN, 0.0, 0.0]]).is_err()); // a failed pass forgets the last one
        assert!(norm.backward(&g).unwrap_err().to_string().contains("forward"));
    }
}

#[test]
fn grad_norms_through_depth_against_finite_differences_of_the_stack_written_out() {
    use crate::calculus::numerical_gradient;
    let (depth, width, std) = (4, 3, 0.8);
    for skip in [false, true] {
        let norms = grad_norms_through_depth(&mut seeded_rng(5), depth, width, std, skip).unwrap();
        assert_eq!(norms.len(), depth + 1);
        // The same draws in the same order (the weights layer by layer, then X); b = 0.
        let mut rng = seeded_rng(5);
        let ws: Vec<Array2<f64>> = (0..depth).map(|_| Linear::init(&mut rng, width, width, Init::Normal(std)).unwrap().weight().clone()).collect();
        let x = randn(&mut rng, (4, width));
        // Layer l by hand: tanh(X·W_l), or X + tanh(X·W_l).
        let layer = |l: usize, h: &Array2<f64>| {
            let f = h.dot(&ws[l]).mapv(f64::tanh);
            if skip { h + &f } else { f }
        };
        // L as a function of the input of layer l: the rest of the stack, then Σ Y.
        let loss_from = |l: usize, v: &[f64]| (l..depth).fold(Array2::from_shape_vec((4, width), v.to_vec()).unwrap(), |h, k| layer(k, &h)).sum();
        let mut x_l = x;
        for (l, &norm) in norms.iter().enumerate() {
            let flat: Vec<f64> = x_l.iter().copied().collect();
            let grad = numerical_gradient(|v| loss_from(l, v), &flat, 1e-6).unwrap();
            let expected = grad.dot(&grad).sqrt();
            assert!((norm - expected).abs() <= 1e-6 * expected, "skip {skip}, layer {l}: {norm} vs finite differences {expected}");
            if l < depth {
                x_l = layer(l, &x_l);
            }
        }
        assert_eq!(norms[depth], (4.0 * width as f64).sqrt()); // G is all ones
    }
}

#[test]
fn grad_norms_through_depth_refuses_sizes_and_weights_it_cannot_hold() {
    let run = |depth, width, std| grad_norms_through_depth(&mut seeded_rng(0), depth, width, std, true);
    assert!(matches!(run(3, 0, 0.1), Err(Error::InvalidArgument { name: "width", .. })));
    assert!(matches!(run(3, 10_001, 0.1), Err(Error::InvalidArgument { name: "width", .. })));
    assert!(matches!(run(10_001, 1, 0.1), Err(Error::InvalidArgument { name: "depth", .. })));
    let e = run(2, 10_000, 0.1).unwrap_err(); // 2 × 10⁸ weights
    assert!(matches!(e, Error::InvalidArgument { name: "depth", .. }) && e.to_string().contains("100 million"), "{e}");
    assert!(matches!(run(3, 4, -1.0), Err(Error::InvalidArgument { name: "std", .. })));
    assert!(matches!(run(3, 4, f64::NAN), Err(Error::InvalidArgument { name: "std", .. })));
    // No layer: nothing to draw, and the gradient is G itself.
    assert_eq!(run(0, 4, f64::NAN).unwrap(), array![4.0]);
}

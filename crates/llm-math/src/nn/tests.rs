//! Every backward pass against finite differences (`gradient_check`) and
//! against a closed form where one exists, on several shapes including a
//! batch of one; the errors of bad input.

use ndarray::{Array1, Array2, array};

use super::*;
use crate::calculus::{gradient_check, sigmoid};
use crate::optim::{Adam, Sgd};
use crate::random::{randn, seeded_rng};

/// Shapes `(n, d_in, d_out)` every check runs on: a batch of one, a single
/// input and a single output among them.
const SHAPES: [(usize, usize, usize); 5] = [(1, 3, 2), (4, 3, 5), (6, 1, 4), (3, 5, 1), (8, 4, 4)];

const H: f64 = 1e-5;
const TOL: f64 = 1e-6;

/// `f(X) = Σ layer(X) ⊙ R`, whose gradient with respect to the layer's output is `R`.
fn probe(layer: &dyn Layer, x: &Array2<f64>, r: &Array2<f64>) -> f64 {
    (layer.predict(x).unwrap() * r).sum()
}

/// Checks ∂/∂X and ∂/∂θ of `layer`'s backward against central differences.
fn check_layer(mut layer: Box<dyn Layer>, x: Array2<f64>, seed: u64) {
    let out = layer.forward(&x).unwrap();
    let r = randn(&mut seeded_rng(seed), out.dim());
    let grad_x = layer.backward(&r).unwrap();
    assert_eq!(grad_x.dim(), x.dim(), "{}", layer.name());

    let shape = x.dim();
    let flat_x: Vec<f64> = x.iter().copied().collect();
    let fx = |v: &[f64]| probe(layer.as_ref(), &Array2::from_shape_vec(shape, v.to_vec()).unwrap(), &r);
    let check = gradient_check(fx, &grad_x.iter().copied().collect::<Array1<f64>>(), &flat_x, H).unwrap();
    assert!(check.passes(TOL), "{} ∂L/∂X on {shape:?}: {check:?}", layer.name());

    if layer.num_params() > 0 {
        let grads = layer.grads().unwrap();
        let theta = layer.params();
        let template = layer.clone();
        let ftheta = |v: &[f64]| {
            let mut l = template.clone();
            l.set_params(Array1::from(v.to_vec()).view()).unwrap();
            probe(l.as_ref(), &x, &r)
        };
        let check = gradient_check(ftheta, &grads, theta.as_slice().unwrap(), H).unwrap();
        assert!(check.passes(TOL), "{} ∂L/∂θ on {shape:?}: {check:?}", layer.name());
    }
}

#[test]
fn linear_backward_matches_finite_differences_on_every_shape() {
    for (k, &(n, d_in, d_out)) in SHAPES.iter().enumerate() {
        let mut rng = seeded_rng(k as u64);
        let mut layer = Linear::init(&mut rng, d_in, d_out, Init::Xavier).unwrap();
        layer.set_params(randn(&mut rng, (1, d_in * d_out + d_out)).row(0)).unwrap(); // a non-zero bias too
        check_layer(Box::new(layer), randn(&mut rng, (n, d_in)), 100 + k as u64);
    }
}

#[test]
fn linear_backward_is_the_outer_product_and_column_sums_written_out() {
    // The closed form by loops, not by matrix products: ∂L/∂W[i][j] = Σₙ x[n][i]·g[n][j].
    let mut rng = seeded_rng(7);
    let (n, d_in, d_out) = (3, 4, 2);
    let mut layer = Linear::new(randn(&mut rng, (d_in, d_out)), array![0.5, -0.5]).unwrap();
    let x = randn(&mut rng, (n, d_in));
    let g = randn(&mut rng, (n, d_out));
    layer.forward(&x).unwrap();
    let gx = layer.backward(&g).unwrap();
    for i in 0..d_in {
        for j in 0..d_out {
            let expected: f64 = (0..n).map(|r| x[[r, i]] * g[[r, j]]).sum();
            assert!((layer.grad_weight().unwrap()[[i, j]] - expected).abs() < 1e-12);
        }
    }
    for j in 0..d_out {
        let expected: f64 = (0..n).map(|r| g[[r, j]]).sum();
        assert!((layer.grad_bias().unwrap()[j] - expected).abs() < 1e-12);
    }
    for r in 0..n {
        for i in 0..d_in {
            let expected: f64 = (0..d_out).map(|j| g[[r, j]] * layer.weight()[[i, j]]).sum();
            assert!((gx[[r, i]] - expected).abs() < 1e-12);
        }
    }
}

#[test]
fn torch_layout_is_the_transpose_and_computes_the_same_layer() {
    let w_torch = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let a = Linear::from_torch(w_torch.clone(), array![1.0, -1.0]).unwrap();
    let b = Linear::new(w_torch.t().to_owned(), array![1.0, -1.0]).unwrap();
    assert_eq!(a.weight(), b.weight());
    assert_eq!(a.torch_weight(), w_torch);
    let x = array![[1.0, 1.0, 1.0]];
    assert_eq!(a.predict(&x).unwrap(), array![[7.0, 14.0]]); // 1+2+3+1, 4+5+6−1
}

#[test]
fn leaf_vs_flower_forward_pass_gives_the_published_numbers() {
    // Seed 004: (32·0.10) + (107·−0.29) + (56·−0.07) + (11.2·0.46) = −26.6; −26.35 with a 0.25 bias
    // (rounded there: exactly 3.2 − 31.03 − 3.92 + 5.152 = −26.598, and −26.348).
    let w = array![[0.10], [-0.29], [-0.07], [0.46]];
    let x = array![[32.0, 107.0, 56.0, 11.2]];
    let no_bias = Linear::new(w.clone(), array![0.0]).unwrap().predict(&x).unwrap();
    let biased = Linear::new(w, array![0.25]).unwrap().predict(&x).unwrap();
    assert!((no_bias[[0, 0]] - -26.598).abs() < 1e-9, "{no_bias}");
    assert!((biased[[0, 0]] - -26.348).abs() < 1e-9, "{biased}");
    assert_eq!(format!("{:.1} {:.2}", no_bias[[0, 0]], biased[[0, 0]]), "-26.6 -26.35");
}

#[test]
fn activation_backward_matches_finite_differences_and_the_derivative() {
    let layers = [Activation::relu(), Activation::sigmoid(), Activation::tanh(), Activation::gelu()];
    for (k, act) in layers.iter().enumerate() {
        for &(n, d, _) in &SHAPES {
            let mut x = randn(&mut seeded_rng(k as u64 * 10 + n as u64), (n, d));
            x.mapv_inplace(|v| if v.abs() < 1e-3 { v + 0.01 } else { v }); // off ReLU's kink
            check_layer(Box::new(act.clone()), x, 7);
        }
    }
    // Closed form: sigmoid' = σ(1 − σ), evaluated here without the crate's derivative.
    let mut s = Activation::sigmoid();
    let x = array![[-2.0, 0.0, 3.0]];
    s.forward(&x).unwrap();
    let g = s.backward(&array![[1.0, 1.0, 1.0]]).unwrap();
    for (j, &v) in x.iter().enumerate() {
        assert!((g[[0, j]] - sigmoid(v) * (1.0 - sigmoid(v))).abs() < 1e-15);
    }
    // ReLU passes the gradient where x > 0 and stops it elsewhere (0 at the kink, as PyTorch).
    let mut r = Activation::relu();
    r.forward(&array![[-1.0, 0.0, 2.0]]).unwrap();
    assert_eq!(r.backward(&array![[3.0, 3.0, 3.0]]).unwrap(), array![[0.0, 0.0, 3.0]]);
}

#[test]
fn softmax_backward_matches_finite_differences_and_the_jacobian() {
    for &(n, d, _) in &SHAPES {
        let x = randn(&mut seeded_rng(n as u64 + 40), (n, d)) * 2.0;
        check_layer(Box::new(Softmax::new()), x, 9);
    }
    // J = diag(p) − p·pᵀ, each entry by finite differences of softmax itself.
    let z = [0.3, -1.2, 2.0, 0.0];
    let p = crate::probability::softmax(&z).unwrap();
    let j = softmax_jacobian(&p).unwrap();
    for col in 0..4 {
        let mut up = z;
        let mut down = z;
        up[col] += H;
        down[col] -= H;
        let (pu, pd) = (crate::probability::softmax(&up).unwrap(), crate::probability::softmax(&down).unwrap());
        for row in 0..4 {
            let numerical = (pu[row] - pd[row]) / (2.0 * H);
            assert!((j[[row, col]] - numerical).abs() < 1e-9, "J[{row},{col}]");
        }
    }
    // Two classes: J = σ(1 − σ)·[[1, −1], [−1, 1]] with σ = sigmoid(z₀ − z₁).
    let s = sigmoid(0.7);
    let j2 = softmax_jacobian(&[s, 1.0 - s]).unwrap();
    let expected = array![[1.0, -1.0], [-1.0, 1.0]] * (s * (1.0 - s));
    assert!((&j2 - &expected).iter().all(|d| d.abs() < 1e-15));
    assert!(j.sum_axis(ndarray::Axis(1)).iter().all(|r| r.abs() < 1e-15), "rows sum to 0");
}

#[test]
fn cross_entropy_gradient_is_p_minus_onehot_over_n_and_matches_finite_differences() {
    for &(n, k, _) in &SHAPES {
        let k = k.max(2);
        let logits = randn(&mut seeded_rng(n as u64 * 3 + k as u64), (n, k)) * 3.0;
        let targets: Vec<usize> = (0..n).map(|i| (i * 7 + 1) % k).collect();
        let loss = softmax_cross_entropy(&logits, &targets).unwrap();
        let flat: Vec<f64> = logits.iter().copied().collect();
        let f = |v: &[f64]| softmax_cross_entropy(&Array2::from_shape_vec((n, k), v.to_vec()).unwrap(), &targets).unwrap().value;
        let check = gradient_check(f, &loss.grad.iter().copied().collect::<Array1<f64>>(), &flat, H).unwrap();
        // Entries near 1e-6 carry the differences' rounding (~1e-11) as a relative 1e-5.
        assert!(check.passes(1e-4), "({n}, {k}): {check:?}");
        // Closed form, entry by entry.
        let p = crate::probability::softmax_rows(&logits).unwrap();
        for i in 0..n {
            for c in 0..k {
                let onehot = if c == targets[i] { 1.0 } else { 0.0 };
                assert!((loss.grad[[i, c]] - (p[[i, c]] - onehot) / n as f64).abs() < 1e-15);
            }
        }
        // The value is the mean of −log p[target], as crate::info::cross_entropy computes per row.
        let by_rows: f64 = (0..n)
            .map(|i| {
                let onehot: Vec<f64> = (0..k).map(|c| if c == targets[i] { 1.0 } else { 0.0 }).collect();
                crate::info::cross_entropy(&onehot, p.row(i)).unwrap()
            })
            .sum::<f64>()
            / n as f64;
        assert!((loss.value - by_rows).abs() < 1e-12);
    }
    // Huge logits: still finite, still right (log-softmax).
    let big = softmax_cross_entropy(&array![[1000.0, 0.0]], &[1]).unwrap();
    assert!((big.value - 1000.0).abs() < 1e-9);
}

#[test]
fn softmax_layer_then_cross_entropy_equals_the_fused_gradient() {
    // dL/dz through the Softmax layer's Jacobian = p − onehot from the fused loss.
    let logits = array![[0.2, -0.4, 1.1], [2.0, 0.0, -1.0]];
    let targets = [2, 0];
    let mut s = Softmax::new();
    let p = s.forward(&logits).unwrap();
    let mut dl_dp = Array2::zeros(p.dim()); // L = −(1/n) Σ log p[target]
    for (i, &t) in targets.iter().enumerate() {
        dl_dp[[i, t]] = -1.0 / (p[[i, t]] * 2.0);
    }
    let through_layer = s.backward(&dl_dp).unwrap();
    let fused = softmax_cross_entropy(&logits, &targets).unwrap().grad;
    assert!((&through_layer - &fused).iter().all(|d| d.abs() < 1e-14));
}

#[test]
fn mse_gradient_matches_finite_differences_and_its_closed_form() {
    for &(n, d, _) in &SHAPES {
        let mut rng = seeded_rng(n as u64 + 90);
        let (pred, target) = (randn(&mut rng, (n, d)), randn(&mut rng, (n, d)));
        let loss = mse_loss(&pred, &target).unwrap();
        let f = |v: &[f64]| mse_loss(&Array2::from_shape_vec((n, d), v.to_vec()).unwrap(), &target).unwrap().value;
        let flat: Vec<f64> = pred.iter().copied().collect();
        let check = gradient_check(f, &loss.grad.iter().copied().collect::<Array1<f64>>(), &flat, H).unwrap();
        assert!(check.passes(TOL), "{check:?}");
        let expected = (&pred - &target) * (2.0 / (n * d) as f64);
        assert!((&loss.grad - &expected).iter().all(|e| e.abs() < 1e-15));
    }
}

#[test]
fn a_whole_network_is_gradient_checked_through_every_parameter() {
    for (k, act) in [Activation::tanh(), Activation::gelu(), Activation::sigmoid(), Activation::relu()].into_iter().enumerate() {
        for &n in &[1, 5] {
            let mut rng = seeded_rng(k as u64 * 100 + n as u64);
            let mut net = mlp(&mut rng, &[3, 6, 5, 4], act.clone()).unwrap();
            let x = randn(&mut rng, (n, 3));
            let targets: Vec<usize> = (0..n).map(|i| i % 4).collect();
            let logits = net.forward(&x).unwrap();
            let loss = softmax_cross_entropy(&logits, &targets).unwrap();
            let gx = net.backward(&loss.grad).unwrap();
            let template = net.clone();
            let f = |v: &[f64]| {
                let mut m = template.clone();
                m.set_params(Array1::from(v.to_vec()).view()).unwrap();
                softmax_cross_entropy(&m.predict(&x).unwrap(), &targets).unwrap().value
            };
            let check = gradient_check(f, &net.grads().unwrap(), net.params().as_slice().unwrap(), H).unwrap();
            assert!(check.passes(1e-5), "{} batch {n}: {check:?}", net.name());
            let fx = |v: &[f64]| softmax_cross_entropy(&template.predict(&Array2::from_shape_vec((n, 3), v.to_vec()).unwrap()).unwrap(), &targets).unwrap().value;
            let flat: Vec<f64> = x.iter().copied().collect();
            let check = gradient_check(fx, &gx.iter().copied().collect::<Array1<f64>>(), &flat, H).unwrap();
            assert!(check.passes(1e-5), "{} ∂L/∂X batch {n}: {check:?}", net.name());
        }
    }
}

#[test]
fn two_stacked_linear_layers_are_one_linear_layer() {
    let mut rng = seeded_rng(3);
    let a = Linear::new(randn(&mut rng, (2, 3)), array![0.1, 0.2, 0.3]).unwrap();
    let b = Linear::new(randn(&mut rng, (3, 2)), array![-1.0, 1.0]).unwrap();
    let stacked = Sequential::new().push(a.clone()).push(b.clone());
    // (X·W₁ + b₁)·W₂ + b₂ = X·(W₁W₂) + (b₁W₂ + b₂)
    let one = Linear::new(a.weight().dot(b.weight()), a.bias().dot(b.weight()) + b.bias()).unwrap();
    let x = randn(&mut rng, (5, 2));
    assert!((&stacked.predict(&x).unwrap() - &one.predict(&x).unwrap()).iter().all(|d| d.abs() < 1e-12));
}

#[test]
fn an_mlp_learns_xor_and_the_moons_while_a_linear_model_cannot_learn_xor() {
    let (x, y) = xor_data();
    let mut net = mlp(&mut seeded_rng(4), &[2, 8, 2], Activation::tanh()).unwrap();
    net.train_classifier(&x, &y, &mut Adam::new(0.05).unwrap(), 400, 4, &mut seeded_rng(0)).unwrap();
    assert_eq!(accuracy(&net.predict(&x).unwrap(), &y).unwrap(), 1.0);

    let mut linear = mlp(&mut seeded_rng(4), &[2, 2], Activation::tanh()).unwrap();
    let losses = linear.train_classifier(&x, &y, &mut Adam::new(0.05).unwrap(), 400, 4, &mut seeded_rng(0)).unwrap();
    assert!(accuracy(&linear.predict(&x).unwrap(), &y).unwrap() <= 0.75, "no line separates XOR");
    assert!(losses[399] > 0.6, "a linear model stays near ln 2 = 0.693: {}", losses[399]);

    let (x, y) = two_moons(&mut seeded_rng(1), 200, 0.1).unwrap();
    let mut net = mlp(&mut seeded_rng(2), &[2, 16, 16, 2], Activation::relu()).unwrap();
    let losses = net.train_classifier(&x, &y, &mut Adam::new(0.01).unwrap(), 1500, 32, &mut seeded_rng(3)).unwrap();
    assert!(losses.slice(ndarray::s![-50..]).mean().unwrap() < 0.1, "{}", losses[1499]);
    assert!(accuracy(&net.predict(&x).unwrap(), &y).unwrap() > 0.97);
}

#[test]
fn init_scales_follow_their_formulas() {
    let w = xavier_uniform(&mut seeded_rng(0), 400, 200).unwrap();
    let a = (6.0_f64 / 600.0).sqrt();
    assert!(w.iter().all(|v| v.abs() <= a));
    assert!((w.var(0.0) / (2.0 / 600.0) - 1.0).abs() < 0.03);
    let w = he_normal(&mut seeded_rng(0), 400, 200).unwrap();
    assert!((w.var(0.0) / (2.0 / 400.0) - 1.0).abs() < 0.03);
    assert_eq!(xavier_uniform(&mut seeded_rng(5), 3, 4).unwrap(), xavier_uniform(&mut seeded_rng(5), 3, 4).unwrap(), "seeded");
    // He keeps the scale of activations through 20 ReLU layers; a scale of 1 explodes it.
    let x = randn(&mut seeded_rng(1), (256, 100));
    let depth = |init: Init| {
        let mut rng = seeded_rng(2);
        let mut h = x.clone();
        for _ in 0..20 {
            h = Linear::init(&mut rng, 100, 100, init).unwrap().predict(&h).unwrap().mapv(|v| v.max(0.0));
        }
        (h.mapv(|v| v * v).mean().unwrap()).sqrt()
    };
    let he = depth(Init::He);
    let big = depth(Init::Normal(1.0));
    assert!(he > 0.3 && he < 3.0, "{he}");
    assert!(big > 1e10, "{big}");
}

#[test]
fn optimizers_update_a_network_through_its_flat_parameters() {
    let mut rng = seeded_rng(8);
    let mut net = mlp(&mut rng, &[2, 3, 2], Activation::relu()).unwrap();
    let x = randn(&mut rng, (4, 2));
    let before = net.params();
    let logits = net.forward(&x).unwrap();
    let loss = softmax_cross_entropy(&logits, &[0, 1, 0, 1]).unwrap();
    net.backward(&loss.grad).unwrap();
    let grads = net.grads().unwrap();
    net.step(&mut Sgd::new(0.1).unwrap()).unwrap();
    assert!((&net.params() - &(&before - &(&grads * 0.1))).iter().all(|d| d.abs() < 1e-15));
    let mut adam = Adam::new(0.1).unwrap();
    net.step(&mut adam).unwrap();
    assert_eq!(adam.steps(), 1);
}

#[test]
fn bad_input_gets_errors_that_name_shapes_layers_targets_and_nan() {
    let mut rng = seeded_rng(0);
    let mut net = mlp(&mut rng, &[2, 16, 2], Activation::relu()).unwrap();
    let msg = net.forward(&array![[1.0, 2.0, 3.0]]).unwrap_err().to_string();
    assert_eq!(
        msg,
        "layer 0 (Linear(2 → 16)) of the network: shape mismatch in Linear.forward: left is [1, 3], right is [2, 16] \
         (X·W needs at least one row in X and X's columns equal to W's rows (d_in))"
    );
    let msg = softmax_cross_entropy(&array![[0.0, 1.0], [1.0, 0.0]], &[0, 5]).unwrap_err().to_string();
    assert!(msg.contains("targets[1] = 5") && msg.contains("2 classes"), "{msg}");
    let msg = net.forward(&array![[f64::NAN, 0.0]]).unwrap_err().to_string();
    assert!(msg.contains("Linear.forward") && msg.contains("NaN") && msg.contains("layer 0"), "{msg}");
    net.forward(&array![[1.0, 0.0]]).unwrap();
    let msg = net.backward(&array![[f64::INFINITY, 0.0]]).unwrap_err().to_string();
    assert!(msg.contains("layer 2") && msg.contains("Linear.backward"), "{msg}");
    let msg = net.backward(&array![[1.0, 0.0, 0.0]]).unwrap_err().to_string();
    assert!(msg.contains("[1, 3]") && msg.contains("[1, 2]"), "{msg}");
    let mut fresh = Linear::init(&mut rng, 2, 2, Init::He).unwrap();
    assert!(fresh.backward(&array![[1.0, 1.0]]).unwrap_err().to_string().contains("forward"));
    assert!(fresh.grads().unwrap_err().to_string().contains("no gradients"));
    assert!(Linear::new(array![[1.0, 2.0]], array![1.0]).unwrap_err().to_string().contains("bias"));
    assert!(mlp(&mut rng, &[2, 0, 2], Activation::relu()).unwrap_err().to_string().contains("sizes[1] is 0"));
    assert!(matches!(Linear::init(&mut rng, 0, 2, Init::He), Err(Error::InvalidArgument { name: "d_in", .. })));
    // An exploding step is refused and leaves the network as it was.
    let (x, y) = xor_data();
    let mut net = mlp(&mut rng, &[2, 4, 2], Activation::relu()).unwrap();
    let before = net.params();
    net.forward(&x).unwrap();
    net.backward(&(Array2::ones((4, 2)) * 1e300)).unwrap();
    assert!(net.step(&mut Sgd::new(1e300).unwrap()).is_err());
    assert_eq!(net.params(), before);
    assert!(net.train_classifier(&x, &y, &mut Sgd::new(0.1).unwrap(), 0, 4, &mut rng).is_err());
}

#[test]
fn data_sets_are_seeded_and_shaped() {
    let (a, ya) = two_moons(&mut seeded_rng(1), 101, 0.1).unwrap();
    let (b, _) = two_moons(&mut seeded_rng(1), 101, 0.1).unwrap();
    assert_eq!(a, b);
    assert_eq!((ya.iter().filter(|&&c| c == 0).count(), ya.len()), (51, 101));
    let (s, ys) = spirals(&mut seeded_rng(2), 50, 4, 0.0).unwrap();
    assert_eq!((s.dim(), ys[199]), ((200, 2), 3));
    assert!(two_moons(&mut seeded_rng(0), 10, f64::NAN).is_err());
    assert!(spirals(&mut seeded_rng(0), 10, 1, 0.1).is_err());
}

// One test per error variant this module returns.

#[test]
fn shape_mismatch_names_both_shapes() {
    let layer = Linear::new(array![[1.0, 2.0]], array![0.0, 0.0]).unwrap();
    let e = layer.predict(&array![[1.0, 2.0]]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { op: "Linear.forward", ref left, ref right, .. } if *left == vec![1, 2] && *right == vec![1, 2]), "{e}");
    let e = mse_loss(&array![[1.0]], &array![[1.0, 2.0]]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { op: "mse_loss", .. }), "{e}");
}

#[test]
fn bad_shape_for_empty_input() {
    let e = Activation::tanh().predict(&Array2::zeros((0, 3))).unwrap_err();
    assert!(matches!(e, Error::BadShape { op: "Tanh.forward", .. }), "{e}");
    let e = softmax_cross_entropy(&Array2::zeros((0, 2)), &[]).unwrap_err();
    assert!(matches!(e, Error::BadShape { op: "softmax_cross_entropy", .. }), "{e}");
}

#[test]
fn invalid_argument_for_targets_sizes_and_steps() {
    let e = accuracy(&array![[0.0, 1.0]], &[2]).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "targets", .. }), "{e}");
    let e = mlp(&mut seeded_rng(0), &[3], Activation::relu()).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "sizes", .. }), "{e}");
    let e = xavier_uniform(&mut seeded_rng(0), 1 << 20, 1 << 20).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "fan_out", .. }), "{e}");
}

#[test]
fn non_finite_input_and_gradient() {
    let mut s = Softmax::new();
    let e = s.forward(&array![[f64::NAN, 0.0]]).unwrap_err();
    assert!(matches!(e, Error::NonFinite { op: "Softmax.forward", .. }), "{e}");
    s.forward(&array![[0.0, 0.0]]).unwrap();
    let e = s.backward(&array![[f64::NAN, 0.0]]).unwrap_err();
    assert!(matches!(e, Error::NonFinite { op: "Softmax.backward", .. }), "{e}");
}

#[test]
fn overflow_of_an_output() {
    let layer = Linear::new(array![[1e300], [1e300]], array![0.0]).unwrap();
    let e = layer.predict(&array![[1e10, 1e10]]).unwrap_err();
    assert!(matches!(e, Error::Overflow { op: "Linear.forward", .. }), "{e}");
}

#[test]
fn not_a_distribution_for_the_jacobian() {
    let e = softmax_jacobian(&[0.5, 0.6]).unwrap_err();
    assert!(matches!(e, Error::NotADistribution { .. }), "{e}");
}

#[test]
fn in_layer_wraps_the_error_of_one_layer() {
    let net = mlp(&mut seeded_rng(0), &[2, 3, 2], Activation::relu()).unwrap();
    let e = net.predict(&array![[1.0]]).unwrap_err();
    match e {
        Error::InLayer { index: 0, ref layer, ref error } => {
            assert_eq!(layer, "Linear(2 → 3)");
            assert!(matches!(**error, Error::ShapeMismatch { op: "Linear.forward", .. }));
        }
        other => panic!("{other}"),
    }
}

/// A layer of one parameter that refuses every new value and has no
/// gradient: to see which number a network gives its errors.
#[derive(Debug, Clone)]
struct Stubborn;

impl Layer for Stubborn {
    fn name(&self) -> String {
        "Stubborn".into()
    }
    fn forward(&mut self, x: &Array2<f64>) -> Result<Array2<f64>> {
        Ok(x.clone())
    }
    fn predict(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        Ok(x.clone())
    }
    fn backward(&mut self, grad_output: &Array2<f64>) -> Result<Array2<f64>> {
        Ok(grad_output.clone())
    }
    fn num_params(&self) -> usize {
        1
    }
    fn params(&self) -> Array1<f64> {
        array![7.0]
    }
    fn grads(&self) -> Result<Array1<f64>> {
        Err(no_grads_yet("Stubborn"))
    }
    fn set_params(&mut self, _: ndarray::ArrayView1<f64>) -> Result<()> {
        Err(Error::invalid("params", "anything", "a stubborn layer keeps its parameter"))
    }
    fn clone_box(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

#[test]
fn a_network_numbers_its_layers_in_flattening_errors_activations_counted() {
    let mut net = Sequential::new().push(Linear::new(array![[1.0]], array![2.0]).unwrap()).push(Activation::relu()).push(Stubborn);
    assert_eq!(net.params(), array![1.0, 2.0, 7.0]);
    net.forward(&array![[1.0]]).unwrap();
    net.backward(&array![[1.0]]).unwrap();
    let e = net.grads().unwrap_err();
    assert!(e.to_string().starts_with("layer 2 (Stubborn) of the network: invalid argument `grads`"), "{e}");
    let e = net.set_params(array![1.0, 2.0, 3.0].view()).unwrap_err();
    assert!(e.to_string().starts_with("layer 2 (Stubborn) of the network: invalid argument `params`"), "{e}");
    // The length and finiteness are checked first, for the whole network.
    assert!(matches!(net.set_params(array![1.0].view()), Err(Error::ShapeMismatch { op: "Sequential.set_params", .. })));
    assert!(matches!(net.set_params(array![1.0, f64::NAN, 3.0].view()), Err(Error::NonFinite { op: "Sequential.set_params", .. })));
}

#[test]
fn flat_arrays_go_row_by_row_whatever_the_memory_layout() {
    use super::flat::{flatten, set_arrays};
    let mut w = array![[1.0, 2.0], [3.0, 4.0]].reversed_axes(); // [[1, 3], [2, 4]], stored column by column
    let mut b = array![5.0];
    assert_eq!(flatten(&[&w, &b]), array![1.0, 3.0, 2.0, 4.0, 5.0]);
    set_arrays("op", "rule", array![9.0, 8.0, 7.0, 6.0, 5.5].view(), &mut [&mut w, &mut b]).unwrap();
    assert_eq!((&w, &b), (&array![[9.0, 8.0], [7.0, 6.0]], &array![5.5]));
    // The wrong length or a NaN: an error, and nothing changes.
    let e = set_arrays("op", "rule", array![1.0].view(), &mut [&mut w, &mut b]).unwrap_err();
    assert_eq!(e, Error::ShapeMismatch { op: "op", left: vec![1], right: vec![5], rule: "rule" });
    let e = set_arrays("op", "rule", array![1.0, 1.0, f64::NAN, 1.0, 1.0].view(), &mut [&mut w, &mut b]).unwrap_err();
    assert!(matches!(e, Error::NonFinite { op: "op", .. }), "{e}");
    assert_eq!((&w, &b), (&array![[9.0, 8.0], [7.0, 6.0]], &array![5.5]));
    assert_eq!(flatten(&[]), Array1::<f64>::zeros(0));
}

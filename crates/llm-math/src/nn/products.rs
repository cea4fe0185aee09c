//! The matrix products of the layers, kept apart from the lesson: the layers
//! read as `X·W`, `Xᵀ·G` and `G·Wᵀ`, and this is only how those products
//! are run (ndarray's `general_mat_mul`, matrixmultiply underneath).
//!
//! The output is column-major and, for a layer's forward pass, starts as the
//! bias, with the product added onto it in the same pass (docs/performance.md
//! has the measurements). The `gemm` crate was faster still on these shapes,
//! but several kernels building it at once into one shared compilation cache
//! produced artifacts that did not fit together; see docs/performance.md.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView1, ArrayView2, ShapeBuilder};

/// `a · b` for `a: (m, k)`, `b: (k, n)` of any strides → `(m, n)`.
///
/// Callers check the shapes; a mismatch is a bug here, not a learner's
/// mistake (ndarray panics on it).
pub(crate) fn matmul(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
    let mut c = Array2::<f64>::zeros((a.nrows(), b.ncols()).f()); // column-major
    general_mat_mul(1.0, &a, &b, 0.0, &mut c);
    c
}

/// `a · b + bias` with `bias: (n,)` added to every row: the bias is written
/// first, column by column (contiguous in column-major order), and the
/// product added onto it.
pub(crate) fn matmul_bias(a: ArrayView2<f64>, b: ArrayView2<f64>, bias: ArrayView1<f64>) -> Array2<f64> {
    assert_eq!(bias.len(), b.ncols(), "nn::products::matmul_bias: bias of {} for {} columns", bias.len(), b.ncols());
    let mut c = Array2::<f64>::zeros((a.nrows(), b.ncols()).f());
    for (mut column, &v) in c.columns_mut().into_iter().zip(bias.iter()) {
        column.fill(v);
    }
    general_mat_mul(1.0, &a, &b, 1.0, &mut c);
    c
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, s};

    use crate::random::{randn, seeded_rng};

    #[test]
    fn agrees_with_ndarray_dot_for_every_layout_and_shape() {
        let mut rng = seeded_rng(0);
        for &(m, k, n) in &[(1, 1, 1), (1, 3, 2), (4, 3, 5), (64, 256, 512), (7, 1, 9), (0, 3, 2), (3, 0, 2)] {
            let a = randn(&mut rng, (m, k));
            let b = randn(&mut rng, (k, n));
            let expected = a.dot(&b);
            let at: Array2<f64> = a.t().to_owned(); // a transposed view's transpose: other strides
            for (x, y) in [(a.view(), b.view()), (at.t(), b.view())] {
                let got = super::matmul(x, y);
                assert_eq!(got.dim(), (m, n));
                let worst = (&got - &expected).iter().fold(0.0_f64, |w, d| w.max(d.abs()));
                assert!(worst <= 1e-12 * (k as f64).max(1.0), "({m}, {k}, {n}): {worst}");
            }
        }
        // With a bias on every row.
        let (a, b) = (randn(&mut rng, (5, 3)), randn(&mut rng, (3, 4)));
        let bias = ndarray::array![1.0, -2.0, 0.5, 3.0];
        let worst = (&super::matmul_bias(a.view(), b.view(), bias.view()) - &(a.dot(&b) + &bias)).iter().fold(0.0_f64, |w, d| w.max(d.abs()));
        assert!(worst < 1e-12, "{worst}");
        let empty = super::matmul_bias(Array2::zeros((2, 0)).view(), Array2::zeros((0, 4)).view(), bias.view());
        assert_eq!(empty, ndarray::array![[1.0, -2.0, 0.5, 3.0], [1.0, -2.0, 0.5, 3.0]]);
        // Reversed and stepped views.
        let a = randn(&mut rng, (6, 8));
        let b = randn(&mut rng, (4, 5));
        let (x, y) = (a.slice(s![..;-2, 1..5]), b.slice(s![..;-1, ..]));
        let worst = (&super::matmul(x, y) - &x.dot(&y)).iter().fold(0.0_f64, |w, d| w.max(d.abs()));
        assert!(worst < 1e-12, "{worst}");
    }
}

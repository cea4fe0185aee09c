//! The matrix products of the layers, through the `gemm` crate (the kernel
//! candle uses on the CPU), kept apart from the lesson: the layers read as
//! `X·W`, `Xᵀ·G` and `G·Wᵀ`, and this is only how those products are run.
//!
//! Measured on this project's machine (2 cores, docs/performance.md): the
//! six products of a 2-layer MLP step at batch 64 take about 30 % less time
//! here than with ndarray's own `dot` (matrixmultiply), the difference
//! between trailing numpy and matching it. The result is written in
//! column-major order, the layout `gemm` fills fastest; ndarray reads either
//! layout, and every later step indexes it the same way.

use ndarray::{Array2, ArrayView1, ArrayView2, ShapeBuilder};

/// `a · b` for `a: (m, k)`, `b: (k, n)` of any strides → `(m, n)`.
///
/// Callers check the shapes; a mismatch is a bug here, not a learner's
/// mistake, hence the assert.
pub(super) fn matmul(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
    let c = Array2::<f64>::zeros((a.nrows(), b.ncols()).f()); // column-major
    product_into(a, b, c, false)
}

/// `a · b + bias` with `bias: (n,)` added to every row: the bias is written
/// first, column by column (contiguous in column-major order), and the
/// product added onto it.
pub(super) fn matmul_bias(a: ArrayView2<f64>, b: ArrayView2<f64>, bias: ArrayView1<f64>) -> Array2<f64> {
    assert_eq!(bias.len(), b.ncols(), "nn::gemm::matmul_bias: bias of {} for {} columns", bias.len(), b.ncols());
    let mut c = Array2::<f64>::zeros((a.nrows(), b.ncols()).f());
    for (mut column, &v) in c.columns_mut().into_iter().zip(bias.iter()) {
        column.fill(v);
    }
    product_into(a, b, c, true)
}

/// `c ← a·b`, or `c ← c + a·b` with `add`.
fn product_into(a: ArrayView2<f64>, b: ArrayView2<f64>, mut c: Array2<f64>, add: bool) -> Array2<f64> {
    let ((m, k), (k2, n)) = (a.dim(), b.dim());
    assert_eq!(k, k2, "nn::gemm::matmul: ({m}, {k}) · ({k2}, {n})");
    assert_eq!(c.dim(), (m, n), "nn::gemm: the output must be ({m}, {n})");
    if m == 0 || n == 0 || k == 0 {
        return c; // an empty sum adds nothing
    }
    let (a_rs, a_cs) = (a.strides()[0], a.strides()[1]);
    let (b_rs, b_cs) = (b.strides()[0], b.strides()[1]);
    let (c_rs, c_cs) = (c.strides()[0], c.strides()[1]);
    // SAFETY: the three pointers and their strides come from live ndarray
    // arrays of exactly these shapes (m × k, k × n, m × n, checked above);
    // `c` is owned and not aliased. dst = alpha·dst + beta·a·b with
    // alpha = 1, beta = 1; with read_dst = false dst is not read.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            c_cs,
            c_rs,
            add,
            a.as_ptr(),
            a_cs,
            a_rs,
            b.as_ptr(),
            b_cs,
            b_rs,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::Rayon(0),
        );
    }
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

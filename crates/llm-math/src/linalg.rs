//! Linear algebra: vectors, matrices, rotations, projections, eigenvectors,
//! SVD and PCA — the language every layer of an LLM is written in.
//!
//! Taught in `notebooks/01-linear-algebra.ipynb`.
//!
//! Conventions, as ML code writes them:
//! - a vector is an `Array1<f64>`; a batch of vectors is an `Array2<f64>` with
//!   one vector per **row**, shape `(n, d)`;
//! - a linear map is applied on the right, `Y = X·W` with `X: (n, d_in)`,
//!   `W: (d_in, d_out)`, `Y: (n, d_out)` (the "row-vector convention"; a
//!   textbook writes `y = W'·x` with `W' = Wᵀ`).
//!
//! Functions take anything that views as an ndarray array: `&Array1<f64>`,
//! `ArrayView1<f64>`, `&[f64]`, `&[f64; N]`, `&Vec<f64>` (and `&[[f64; N]; M]`
//! for matrices). Decompositions come from `nalgebra`; this module only
//! converts shapes, checks inputs and sorts results.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, AsArray, Axis, CowArray, Ix1, Ix2};

use crate::display::Readable;
use crate::error::{Error, Result, Rows, check_cols, check_finite, check_result, check_same_len};

// ---------------------------------------------------------------------------
// Vectors
// ---------------------------------------------------------------------------

/// Dot product of two vectors of the same length.
///
/// ```text
/// a · b = Σᵢ aᵢ bᵢ = |a| |b| cos θ
/// ```
///
/// Shapes: `a: (d,)`, `b: (d,)` → scalar.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the lengths differ.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// assert_eq!(dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0])?, 32.0);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn dot<'a, 'b>(a: impl AsArray<'a, f64, Ix1>, b: impl AsArray<'b, f64, Ix1>) -> Result<f64> {
    let (a, b) = (a.into(), b.into());
    same_len("dot", &a, &b)?;
    let plain = a.dot(&b);
    if !plain.is_nan() || a.iter().chain(b.iter()).any(|v| !v.is_finite()) {
        return Ok(plain); // NaN from a NaN or an infinity in the input is the honest answer
    }
    // Finite entries whose products overflow with opposite signs (inf − inf):
    // add up the products of the entries scaled by exact powers of two.
    let scale = |v: &ArrayView1<f64>| {
        let largest = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        2f64.powi(largest.log2().floor() as i32)
    };
    let (sa, sb) = (scale(&a), scale(&b));
    let scaled = a.mapv(|x| x / sa).dot(&b.mapv(|x| x / sb));
    // Either order of the two scalings may overflow on the way when the other would not.
    let value = if scaled == 0.0 {
        0.0
    } else if (scaled * sa).is_finite() && (scaled * sa * sb).is_finite() {
        scaled * sa * sb
    } else {
        scaled * sb * sa
    };
    if !value.is_finite() {
        return Err(Error::invalid(
            "a",
            format!("entries up to {} (and b up to {})", sa.readable(), sb.readable()),
            "the dot product is beyond the largest f64; scale the vectors down",
        ));
    }
    Ok(value)
}

/// Euclidean (L2) length of a vector.
///
/// ```text
/// ‖a‖₂ = √(Σᵢ aᵢ²)
/// ```
///
/// Squaring would overflow for entries above about 10¹⁵⁴ and underflow for
/// entries below about 10⁻¹⁵⁴; such vectors are first scaled by a power of
/// two (exact), so their length comes out right too.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// assert_eq!(norm(&[3.0, 4.0]), 5.0);
/// assert!((norm(&[3e200, 4e200]) / 5e200 - 1.0).abs() < 1e-15); // (3e200)² alone would overflow
/// ```
pub fn norm<'a>(a: impl AsArray<'a, f64, Ix1>) -> f64 {
    let (length, scale) = scaled_norm(&a.into());
    length / scale
}

/// Manhattan (L1) length of a vector.
///
/// ```text
/// ‖a‖₁ = Σᵢ |aᵢ|
/// ```
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// assert_eq!(l1_norm(&[3.0, -4.0]), 7.0);
/// ```
pub fn l1_norm<'a>(a: impl AsArray<'a, f64, Ix1>) -> f64 {
    a.into().iter().map(|x| x.abs()).sum()
}

/// The unit vector pointing the same way as `a`.
///
/// ```text
/// â = a / ‖a‖₂
/// ```
///
/// Works for entries of any size, as [`norm`] does.
///
/// # Errors
/// [`Error::InvalidArgument`] for the zero vector, which has no direction.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let u = normalize(&[3.0, 4.0])?;
/// assert_eq!(u, ndarray::array![0.6, 0.8]);
/// assert_eq!(normalize(&[3e-200, 4e-200])?, u);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn normalize<'a>(a: impl AsArray<'a, f64, Ix1>) -> Result<Array1<f64>> {
    let a = a.into();
    let (length, scale) = scaled_norm(&a);
    if length == 0.0 {
        return Err(Error::invalid("a", format!("{a}"), "the zero vector has no direction to keep"));
    }
    Ok(&scaled(&a, scale) / length) // (s·a) / ‖s·a‖₂ = a / ‖a‖₂
}

/// Cosine of the angle between two vectors: 1 same direction, 0 orthogonal,
/// −1 opposite. Length does not matter, only direction.
///
/// ```text
/// cos θ = (a · b) / (‖a‖₂ ‖b‖₂)
/// ```
///
/// Works for entries of any size, as [`norm`] does.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the lengths differ; [`Error::InvalidArgument`]
/// if either vector is zero.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// // (1, 2) and (8, 16) point the same way, so they "mean the same".
/// assert!((cosine_similarity(&[1.0, 2.0], &[8.0, 16.0])? - 1.0).abs() < 1e-12);
/// assert_eq!(cosine_similarity(&[1.0, 0.0], &[0.0, 3.0])?, 0.0);
/// assert!((cosine_similarity(&[1e200, 2e200], &[8e-200, 16e-200])? - 1.0).abs() < 1e-12);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn cosine_similarity<'a, 'b>(
    a: impl AsArray<'a, f64, Ix1>,
    b: impl AsArray<'b, f64, Ix1>,
) -> Result<f64> {
    let (a, b) = (a.into(), b.into());
    same_len("cosine_similarity", &a, &b)?;
    // cos θ is the same for s·a and t·b (s, t > 0): work with the scaled vectors.
    let ((length_a, scale_a), (length_b, scale_b)) = (scaled_norm(&a), scaled_norm(&b));
    if length_a == 0.0 || length_b == 0.0 {
        let which = if length_a == 0.0 { ("a", a) } else { ("b", b) };
        return Err(Error::invalid(which.0, format!("{}", which.1), "cosine similarity is undefined for the zero vector"));
    }
    let dot = scaled(&a, scale_a).dot(&scaled(&b, scale_b));
    // Clamp: rounding can push |cos| a hair above 1, which would break acos.
    Ok((dot / (length_a * length_b)).clamp(-1.0, 1.0))
}

/// Vector projection of `v` onto the line spanned by `onto`.
///
/// ```text
/// proj_u(v) = (v · u / u · u) u
/// ```
///
/// Works for entries of any size, as [`norm`] does.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the lengths differ; [`Error::InvalidArgument`]
/// if `onto` is the zero vector; [`Error::Overflow`] if a component of the
/// projection is beyond the largest f64 (entries near f64::MAX).
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let p = project_onto(&[2.0, 3.0], &[1.0, 0.0])?;
/// assert_eq!(p, ndarray::array![2.0, 0.0]);
/// let p = project_onto(&[2e200, 3e200], &[1e-200, 0.0])?;
/// assert!((p[0] / 2e200 - 1.0).abs() < 1e-15 && p[1] == 0.0);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn project_onto<'a, 'b>(
    v: impl AsArray<'a, f64, Ix1>,
    onto: impl AsArray<'b, f64, Ix1>,
) -> Result<Array1<f64>> {
    let (v, u) = (v.into(), onto.into());
    same_len("project_onto", &v, &u)?;
    // The line through u is the line through t·u, and proj(s·v) = s·proj(v):
    // project the scaled vectors, then undo v's scale.
    let ((_, scale_v), (length_u, scale_u)) = (scaled_norm(&v), scaled_norm(&u));
    if length_u == 0.0 {
        return Err(Error::invalid("onto", format!("{u}"), "cannot project onto the zero vector"));
    }
    let (v_scaled, u_scaled) = (scaled(&v, scale_v), scaled(&u, scale_u));
    let coefficient = v_scaled.dot(&u_scaled) / u_scaled.dot(&u_scaled);
    let projection = u_scaled.mapv(|x| x * coefficient / scale_v);
    // A component can exceed f64::MAX though every entry is finite (v = [MAX, MAX] onto [1, 0.1]),
    // or round past it (v = [MAX] onto itself).
    if v.iter().chain(u.iter()).all(|x| x.is_finite()) {
        check_result("project_onto", &projection.view())?;
    }
    Ok(projection)
}

// ---------------------------------------------------------------------------
// Matrices
// ---------------------------------------------------------------------------

/// Matrix product.
///
/// ```text
/// C = A·B,   C[i, j] = Σₖ A[i, k] B[k, j]
/// ```
///
/// Shapes: `a: (m, n)`, `b: (n, p)` → `(m, p)`.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the inner dimensions differ.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let c = matmul(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], &[[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]])?;
/// assert_eq!(c, ndarray::array![[58.0, 64.0], [139.0, 154.0]]);
///
/// let err = matmul(&[[1.0, 2.0]], &[[1.0, 2.0]]).unwrap_err();
/// assert!(err.to_string().contains("left is [1, 2], right is [1, 2]"));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn matmul<'a, 'b>(a: impl AsArray<'a, f64, Ix2>, b: impl AsArray<'b, f64, Ix2>) -> Result<Array2<f64>> {
    let (a, b) = (a.into(), b.into());
    check_cols("matmul", &a, Rows::Any, b.nrows(), b.shape(), "(m×n)·(n×p): the left's columns must equal the right's rows")?;
    let product = a.dot(&b); // (m, n) · (n, p) -> (m, p)
    check_result("matmul", &product.view())?;
    Ok(product)
}

/// Rotation by `theta` radians (counter-clockwise) in the row-vector
/// convention: `y = x·R` for a row vector `x`, `Y = X·R` for a batch.
///
/// ```text
/// R = [[ cos θ, sin θ],
///      [−sin θ, cos θ]]
/// ```
///
/// The textbook matrix for column vectors, `y = R'·x`, is the transpose:
/// `R' = Rᵀ = [[cos θ, −sin θ], [sin θ, cos θ]]`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use std::f64::consts::FRAC_PI_2;
/// let y = matmul(&[[1.0, 0.0]], &rotation_2d(FRAC_PI_2))?; // (1, 2) · (2, 2) -> (1, 2)
/// assert!((y[[0, 0]] - 0.0).abs() < 1e-12 && (y[[0, 1]] - 1.0).abs() < 1e-12);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn rotation_2d(theta: f64) -> Array2<f64> {
    let (s, c) = theta.sin_cos();
    ndarray::array![[c, s], [-s, c]]
}

/// The sample covariance matrix of a batch of row vectors.
///
/// ```text
/// C = (X − x̄)ᵀ (X − x̄) / (n − 1)
/// ```
///
/// Shapes: `x: (n, d)` → `(d, d)`.
///
/// # Errors
/// [`Error::BadShape`] with fewer than two rows; [`Error::NonFinite`] for NaN
/// or infinite entries.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let c = covariance(&[[1.0, 2.0], [3.0, 6.0]])?;
/// assert_eq!(c, ndarray::array![[2.0, 4.0], [4.0, 8.0]]);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn covariance<'a>(x: impl AsArray<'a, f64, Ix2>) -> Result<Array2<f64>> {
    let x = x.into();
    if x.nrows() < 2 {
        return Err(Error::BadShape { op: "covariance", got: x.shape().to_vec(), expected: "at least 2 rows (samples)" });
    }
    check_finite("covariance", &x)?;
    let mean = x.mean_axis(Axis(0)).expect("at least two rows"); // (d,)
    let centred = &x - &mean; // (n, d) - (d,) -> (n, d)
    let cov = centred.t().dot(&centred) / (x.nrows() as f64 - 1.0); // (d, n) · (n, d) -> (d, d)
    check_result("covariance", &cov.view())?;
    Ok(cov)
}

// ---------------------------------------------------------------------------
// Decompositions
// ---------------------------------------------------------------------------

/// Eigenvalues and eigenvectors of a symmetric matrix, largest eigenvalue
/// first. Returned by [`sym_eigen`].
#[derive(Debug, Clone, PartialEq)]
pub struct SymEigen {
    /// Eigenvalues λ, sorted from largest to smallest. Shape `(d,)`.
    pub values: Array1<f64>,
    /// Unit eigenvectors as **columns**: `vectors.column(i)` belongs to
    /// `values[i]`. Shape `(d, d)`. Each is signed so its largest-magnitude
    /// entry is positive, which makes results repeatable.
    pub vectors: Array2<f64>,
}

/// Eigen-decomposition of a symmetric matrix (via `nalgebra`).
///
/// ```text
/// A·v = λ·v,     A = V·diag(λ)·Vᵀ
/// ```
///
/// Shapes: `a: (d, d)` → values `(d,)`, vectors `(d, d)` (columns).
///
/// # Errors
/// [`Error::BadShape`] if `a` is not square or empty; [`Error::NonFinite`]
/// for NaN/infinite entries; [`Error::InvalidArgument`] if `a` is not
/// symmetric (within `1e-9` relative to its largest entry): the message names
/// the first pair that differs.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let eig = sym_eigen(&[[2.0, 1.0], [1.0, 2.0]])?;
/// assert!((eig.values[0] - 3.0).abs() < 1e-12 && (eig.values[1] - 1.0).abs() < 1e-12);
/// // A·v = λ·v for the first eigenvector (1, 1)/√2.
/// let v = eig.vectors.column(0);
/// assert!((v[0] - v[1]).abs() < 1e-12);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn sym_eigen<'a>(a: impl AsArray<'a, f64, Ix2>) -> Result<SymEigen> {
    let a = a.into();
    if a.nrows() != a.ncols() || a.is_empty() {
        return Err(Error::BadShape { op: "sym_eigen", got: a.shape().to_vec(), expected: "a non-empty square matrix (d, d)" });
    }
    check_finite("sym_eigen", &a)?;
    let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1.0);
    for ((i, j), &v) in a.indexed_iter() {
        if j > i && (v - a[[j, i]]).abs() > 1e-9 * scale {
            return Err(Error::invalid(
                "a",
                format!("a[{i}][{j}] = {v}, a[{j}][{i}] = {}", a[[j, i]]),
                "the matrix must be symmetric (use svd for general matrices)",
            ));
        }
    }
    let eig = nalgebra::SymmetricEigen::new(to_nalgebra(&a));
    let mut order: Vec<usize> = (0..a.nrows()).collect();
    order.sort_by(|&i, &j| eig.eigenvalues[j].total_cmp(&eig.eigenvalues[i]));
    let values: Array1<f64> = order.iter().map(|&i| eig.eigenvalues[i]).collect();
    let mut vectors = Array2::zeros(a.raw_dim());
    for (col, &i) in order.iter().enumerate() {
        let mut v = vectors.column_mut(col);
        v.assign(&eig.eigenvectors.column(i).iter().copied().collect::<Array1<f64>>());
        flip_sign(&mut v);
    }
    check_result("sym_eigen (eigenvalues)", &values.view())?;
    check_result("sym_eigen (eigenvectors)", &vectors.view())?;
    Ok(SymEigen { values, vectors })
}

/// A singular value decomposition `A = U·diag(s)·Vᵀ`. Returned by [`svd`].
#[derive(Debug, Clone, PartialEq)]
pub struct Svd {
    /// Left singular vectors as columns. Shape `(m, r)` with `r = min(m, n)`.
    pub u: Array2<f64>,
    /// Singular values, largest first, all ≥ 0. Shape `(r,)`.
    pub s: Array1<f64>,
    /// Right singular vectors as **rows** (that is, `Vᵀ`). Shape `(r, n)`.
    pub vt: Array2<f64>,
}

impl Svd {
    /// The best rank-`k` approximation of the original matrix (Eckart–Young):
    /// keep the `k` largest singular values.
    ///
    /// ```text
    /// A_k = U[:, :k] · diag(s[:k]) · Vᵀ[:k, :]
    /// ```
    ///
    /// Shapes: → `(m, n)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `k` is 0 or larger than the number of
    /// singular values; [`Error::ShapeMismatch`] if `U` or `Vᵀ` no longer fit
    /// `s`; [`Error::Overflow`] if the product is beyond f64.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let a = ndarray::array![[3.0, 0.0], [0.0, 1.0]];
    /// let a1 = svd(&a)?.low_rank(1)?;
    /// assert!((&a1 - &ndarray::array![[3.0, 0.0], [0.0, 0.0]]).iter().all(|d| d.abs() < 1e-12));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn low_rank(&self, k: usize) -> Result<Array2<f64>> {
        let r = self.s.len();
        if k == 0 || k > r {
            return Err(Error::invalid("k", k, format!("the rank must be between 1 and {r} (the number of singular values)")));
        }
        let (u, vt) = (self.u.shape(), self.vt.shape());
        if u[1] != r || vt[0] != r {
            return Err(Error::ShapeMismatch {
                op: "low-rank approximation: U·diag(s)·Vᵀ",
                left: u.to_vec(),
                right: vt.to_vec(),
                rule: "U (left) needs one column and Vᵀ (right) one row per singular value; were they changed by hand?",
            });
        }
        let u_k = self.u.slice(ndarray::s![.., ..k]); // (m, k)
        let s_k = self.s.slice(ndarray::s![..k]); // (k,)
        let vt_k = self.vt.slice(ndarray::s![..k, ..]); // (k, n)
        let approximation = (&u_k * &s_k).dot(&vt_k); // (m, k) * (k,) -> (m, k); (m, k) · (k, n) -> (m, n)
        check_result("Svd::low_rank", &approximation.view())?;
        Ok(approximation)
    }

    /// The full reconstruction `U·diag(s)·Vᵀ` (equals the input up to
    /// rounding).
    ///
    /// # Errors
    /// Those of [`Svd::low_rank`]: `U`, `s` or `Vᵀ` changed by hand so that
    /// they no longer fit, or a product beyond f64 ([`Error::Overflow`]).
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let a = ndarray::array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    /// let back = svd(&a)?.reconstruct()?;
    /// assert!((&back - &a).iter().all(|d| d.abs() < 1e-12));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn reconstruct(&self) -> Result<Array2<f64>> {
        self.low_rank(self.s.len())
    }
}

/// Singular value decomposition of any real matrix (via `nalgebra`).
///
/// ```text
/// A = U·diag(s)·Vᵀ,   UᵀU = I,  VᵀV = I,  s₁ ≥ s₂ ≥ … ≥ 0
/// ```
///
/// Shapes: `a: (m, n)` → `u: (m, r)`, `s: (r,)`, `vt: (r, n)`, `r = min(m, n)`.
///
/// # Errors
/// [`Error::BadShape`] for an empty matrix; [`Error::NonFinite`] for NaN or
/// infinite entries; [`Error::NoConvergence`] if the iteration fails.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let d = svd(&[[3.0, 0.0], [0.0, -2.0]])?;
/// assert!((d.s[0] - 3.0).abs() < 1e-12 && (d.s[1] - 2.0).abs() < 1e-12);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn svd<'a>(a: impl AsArray<'a, f64, Ix2>) -> Result<Svd> {
    let a = a.into();
    if a.is_empty() {
        return Err(Error::BadShape { op: "svd", got: a.shape().to_vec(), expected: "a non-empty matrix (m, n)" });
    }
    check_finite("svd", &a)?;
    svd_within(&a, 10_000)
}

/// [`svd`] with a cap on nalgebra's iterations (after the input checks).
fn svd_within(a: &ArrayView2<f64>, max_iterations: usize) -> Result<Svd> {
    let d = nalgebra::SVD::try_new(to_nalgebra(a), true, true, f64::EPSILON, max_iterations)
        .ok_or(Error::NoConvergence { op: "svd", iterations: max_iterations })?;
    let (u, vt) = (d.u.expect("requested u"), d.v_t.expect("requested vᵀ"));
    let r = d.singular_values.len();
    let mut order: Vec<usize> = (0..r).collect();
    order.sort_by(|&i, &j| d.singular_values[j].total_cmp(&d.singular_values[i]));
    let mut out = Svd {
        u: Array2::zeros((a.nrows(), r)),
        s: order.iter().map(|&i| d.singular_values[i]).collect(),
        vt: Array2::zeros((r, a.ncols())),
    };
    for (k, &i) in order.iter().enumerate() {
        let mut uk = out.u.column_mut(k);
        uk.assign(&u.column(i).iter().copied().collect::<Array1<f64>>());
        let mut vk = out.vt.row_mut(k);
        vk.assign(&vt.row(i).iter().copied().collect::<Array1<f64>>());
        // Flip u and v together so that U·diag(s)·Vᵀ is unchanged.
        if flip_sign(&mut uk) {
            vk.mapv_inplace(|x| -x);
        }
    }
    check_result("svd (singular values)", &out.s.view())?;
    check_result("svd (U)", &out.u.view())?;
    check_result("svd (Vᵀ)", &out.vt.view())?;
    Ok(out)
}

/// The result of [`pca`]: principal directions, the projected data and how
/// much variance each direction explains.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// The mean that was subtracted from every row. Shape `(d,)`.
    pub mean: Array1<f64>,
    /// The top `k` principal directions as **rows** (unit vectors). Shape `(k, d)`.
    pub components: Array2<f64>,
    /// The data expressed in those directions: `(X − mean)·componentsᵀ`.
    /// Shape `(n, k)`.
    pub projected: Array2<f64>,
    /// Variance along every principal direction (all `d` of them), largest
    /// first: the covariance matrix's eigenvalues. Shape `(d,)`.
    pub explained_variance: Array1<f64>,
    /// `explained_variance` divided by its sum: the fraction of the total
    /// variance each direction carries. Shape `(d,)`; sums to 1.
    pub explained_variance_ratio: Array1<f64>,
}

/// Principal component analysis: project `n` points in `d` dimensions onto
/// the `k` directions along which they vary most.
///
/// ```text
/// C = cov(X)                          (d, d)
/// C·vᵢ = λᵢ·vᵢ,  λ₁ ≥ λ₂ ≥ …           eigenvectors of the covariance
/// Z = (X − x̄)·[v₁ … v_k]              (n, k)
/// ratioᵢ = λᵢ / Σⱼ λⱼ
/// ```
///
/// # Errors
/// Those of [`covariance`]; [`Error::InvalidArgument`] if `k` is 0 or more
/// than `d`, or (named `x`) if the data have no variance at all (every row
/// the same): there is nothing to explain, so no ratios that sum to 1.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// // Points on the line y = 2x: one direction explains everything.
/// let x = ndarray::array![[0.0, 0.0], [1.0, 2.0], [2.0, 4.0], [3.0, 6.0]];
/// let p = pca(&x, 1)?;
/// assert!((p.explained_variance_ratio[0] - 1.0).abs() < 1e-12);
/// assert_eq!(p.projected.dim(), (4, 1));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn pca<'a>(x: impl AsArray<'a, f64, Ix2>, k: usize) -> Result<Pca> {
    let x = x.into();
    let d = x.ncols();
    if k == 0 || k > d {
        return Err(Error::invalid("k", k, format!("must be between 1 and the number of features ({d})")));
    }
    let cov = covariance(x)?; // (d, d)
    let eig = sym_eigen(&cov)?;
    // Rounding can leave tiny negative variances; a variance cannot be negative.
    let explained_variance = eig.values.mapv(|v| v.max(0.0)); // (d,)
    let total: f64 = explained_variance.sum();
    if total.is_nan() || total <= 0.0 {
        return Err(Error::invalid(
            "x",
            format!("{} rows, all the same", x.nrows()),
            "the data have no variance, so PCA has no direction to find and no ratios that sum to 1",
        ));
    }
    let explained_variance_ratio = &explained_variance / total;
    let components = eig.vectors.slice(ndarray::s![.., ..k]).t().to_owned(); // (d, k)ᵀ -> (k, d)
    let mean = x.mean_axis(Axis(0)).expect("covariance checked n ≥ 2"); // (d,)
    let projected = (&x - &mean).dot(&components.t()); // (n, d) · (d, k) -> (n, k)
    Ok(Pca { mean, components, projected, explained_variance, explained_variance_ratio })
}

// ---------------------------------------------------------------------------
// Least squares (used in notebook 04)
// ---------------------------------------------------------------------------

/// The least-squares solution of `A·x ≈ b`: the `x` that minimises the sum of
/// squared residuals, computed from the SVD (via `nalgebra`).
///
/// ```text
/// x* = argminₓ |A·x − b|² = A⁺·b = V·diag(1/sᵢ)·Uᵀ·b     (sᵢ above a cut-off)
/// ```
///
/// When `A` has full column rank this is the unique answer of the normal
/// equations `AᵀA·x = Aᵀb`; when it does not, singular values below
/// `max(m, n)·ε·s₁` count as zero and the answer is the shortest `x` among the
/// minimisers (as NumPy's `lstsq` does).
///
/// For linear regression put the features in the rows of `A` and a column of
/// ones for the intercept: `A = [x 1]`, `x* = [w, b]`.
///
/// Shapes: `a: (m, n)`, `b: (m,)` → `(n,)`.
///
/// # Errors
/// [`Error::BadShape`] for an empty `a`; [`Error::ShapeMismatch`] if `b` does
/// not have one entry per row of `a`; [`Error::NonFinite`] for NaN or
/// infinite entries; [`Error::NoConvergence`] if the SVD fails.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// // Fit y = w·x + b through (0, 1), (1, 3), (2, 5): exactly w = 2, b = 1.
/// let a = array![[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]];
/// let wb = least_squares(&a, &[1.0, 3.0, 5.0])?;
/// assert!((wb[0] - 2.0).abs() < 1e-12 && (wb[1] - 1.0).abs() < 1e-12);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn least_squares<'a, 'b>(a: impl AsArray<'a, f64, Ix2>, b: impl AsArray<'b, f64, Ix1>) -> Result<Array1<f64>> {
    let (a, b) = (a.into(), b.into());
    if a.is_empty() {
        return Err(Error::BadShape { op: "least_squares", got: a.shape().to_vec(), expected: "a non-empty matrix (m, n)" });
    }
    if a.nrows() != b.len() {
        return Err(Error::ShapeMismatch {
            op: "least_squares",
            left: a.shape().to_vec(),
            right: b.shape().to_vec(),
            rule: "b needs one entry per row of A",
        });
    }
    check_finite("least_squares (A)", &a)?;
    check_finite("least_squares (b)", &b)?;
    let max_iterations = 10_000;
    let d = nalgebra::SVD::try_new(to_nalgebra(&a), true, true, f64::EPSILON, max_iterations)
        .ok_or(Error::NoConvergence { op: "least_squares", iterations: max_iterations })?;
    let s_max = d.singular_values.max();
    // NumPy's default cut-off: singular values this small are rounding noise.
    let cutoff = a.nrows().max(a.ncols()) as f64 * f64::EPSILON * s_max;
    let rhs = nalgebra::DVector::from_iterator(b.len(), b.iter().copied());
    let x = d.solve(&rhs, cutoff).expect("u and vᵀ were computed and the cut-off is ≥ 0"); // (n, 1)
    let x: Array1<f64> = x.iter().copied().collect();
    check_result("least_squares", &x.view())?;
    Ok(x)
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `‖a‖₂` as `(‖s·a‖₂, s)`, with `s` a power of two chosen so that
/// `Σ (s·aᵢ)²` neither overflows nor loses digits to underflow; then
/// `‖a‖₂ = ‖s·a‖₂ / s`, and scaling by `s` is exact.
///
/// `s = 1` whenever `Σ aᵢ²` lands between 2⁻⁹⁶⁸ and `f64::MAX` (entries
/// between about 10⁻¹⁴⁶ and 10¹⁵⁴): the textbook formula, same bits. Above,
/// `s = 2⁻⁶⁰⁰`; below, `s = 2⁶⁰⁰` (the scaling idea of LAPACK's `dnrm2`).
/// A NaN entry gives a NaN length, an infinite one an infinite length.
fn scaled_norm(a: &ArrayView1<f64>) -> (f64, f64) {
    // Below 2⁻⁹⁶⁸ a sum of squares may have lost digits: a square under
    // f64::MIN_POSITIVE (2⁻¹⁰²²) is subnormal, off by up to 2⁻¹⁰⁷⁵.
    const TINY: f64 = pow2(-968);
    let sum = a.dot(a);
    let scale = if sum > f64::MAX {
        pow2(-600) // entries up to f64::MAX come down to ≤ 2⁴²⁴
    } else if sum < TINY {
        pow2(600) // entries below 2⁻⁴⁸⁴ go up to ≤ 2¹¹⁶, the smallest subnormal to 2⁻⁴⁷⁴
    } else {
        return (sum.sqrt(), 1.0); // also NaN, for a NaN entry
    };
    let scaled = a.mapv(|x| x * scale);
    (scaled.dot(&scaled).sqrt(), scale)
}

/// `2ᵉ` for a normal exponent, `−1022 ≤ e ≤ 1023`.
const fn pow2(e: i32) -> f64 {
    f64::from_bits(((e + 1023) as u64) << 52)
}

/// `s·a`, borrowing `a` when `s = 1`.
fn scaled<'a>(a: &'a ArrayView1<f64>, scale: f64) -> CowArray<'a, f64, Ix1> {
    if scale == 1.0 { CowArray::from(a.view()) } else { CowArray::from(a.mapv(|x| x * scale)) }
}

fn same_len(op: &'static str, a: &ArrayView1<f64>, b: &ArrayView1<f64>) -> Result<()> {
    check_same_len(op, a.len(), b.len(), "both vectors need the same length")
}

fn to_nalgebra(a: &ArrayView2<f64>) -> nalgebra::DMatrix<f64> {
    nalgebra::DMatrix::from_fn(a.nrows(), a.ncols(), |i, j| a[[i, j]])
}

/// Makes the largest-magnitude entry positive; returns whether it flipped.
/// Eigen/singular vectors are only defined up to sign; fixing it keeps
/// notebook output identical from run to run.
fn flip_sign(v: &mut ndarray::ArrayViewMut1<f64>) -> bool {
    let biggest = v.iter().copied().fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
    if biggest < 0.0 {
        v.mapv_inplace(|x| -x);
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn least_squares_matches_the_closed_form_line_fit() {
        // Simple regression has a textbook answer: w = cov(x, y) / var(x), b = ȳ − w·x̄.
        let x = array![0.3, -1.2, 2.5, 0.0, 4.1, -0.7, 1.9];
        let y = array![1.1, -1.0, 6.2, 0.8, 9.5, -0.2, 4.4];
        let (mx, my) = (x.mean().unwrap(), y.mean().unwrap());
        let w = ((&x - mx) * (&y - my)).sum() / (&x - mx).mapv(|d| d * d).sum();
        let b = my - w * mx;
        let design = ndarray::stack![Axis(1), x, Array1::ones(7)]; // (7, 2)
        assert_abs_diff_eq!(least_squares(&design, &y).unwrap(), array![w, b], epsilon = 1e-12);
    }

    #[test]
    fn least_squares_solves_the_normal_equations() {
        // AᵀA·x = Aᵀb, solved here by Cramer's rule on the 2×2 system.
        let a = array![[1.0, 2.0], [3.0, -1.0], [0.5, 0.5], [2.0, 2.0]];
        let b = array![1.0, 0.0, 2.0, -1.0];
        let (ata, atb) = (a.t().dot(&a), a.t().dot(&b));
        let det = ata[[0, 0]] * ata[[1, 1]] - ata[[0, 1]] * ata[[1, 0]];
        let x0 = (atb[0] * ata[[1, 1]] - ata[[0, 1]] * atb[1]) / det;
        let x1 = (ata[[0, 0]] * atb[1] - atb[0] * ata[[1, 0]]) / det;
        assert_abs_diff_eq!(least_squares(&a, &b).unwrap(), array![x0, x1], epsilon = 1e-12);
    }

    #[test]
    fn least_squares_picks_the_shortest_answer_when_columns_repeat() {
        // Columns equal: every x with x0 + x1 = 2 fits exactly; the shortest is (1, 1).
        let a = array![[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]];
        assert_abs_diff_eq!(least_squares(&a, &[2.0, 4.0, 6.0]).unwrap(), array![1.0, 1.0], epsilon = 1e-12);
    }

    #[test]
    fn least_squares_rejects_bad_shapes_and_values() {
        let a = array![[1.0, 0.0], [0.0, 1.0]];
        assert!(matches!(least_squares(&a, &[1.0, 2.0, 3.0]),
            Err(Error::ShapeMismatch { op: "least_squares", ref left, ref right, .. }) if *left == vec![2, 2] && *right == vec![3]));
        assert!(matches!(least_squares(&Array2::<f64>::zeros((0, 2)), &[0.0; 0]), Err(Error::BadShape { .. })));
        assert!(matches!(least_squares(&a, &[1.0, f64::NAN]), Err(Error::NonFinite { .. })));
    }

    #[test]
    fn dot_matches_the_published_example_and_the_geometric_form() {
        assert_eq!(dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap(), 32.0);
        // |a||b|cos θ with θ = 45°: (1,0)·(1,1) = 1·√2·(√2/2) = 1.
        let geometric = 1.0 * 2f64.sqrt() * std::f64::consts::FRAC_PI_4.cos();
        assert_abs_diff_eq!(dot(&[1.0, 0.0], &[1.0, 1.0]).unwrap(), geometric, epsilon = 1e-12);
    }

    #[test]
    fn norms_and_normalize() {
        assert_eq!(norm(&[3.0, 4.0]), 5.0);
        assert_eq!(l1_norm(&[3.0, -4.0]), 7.0);
        let u = normalize(&[0.0, -2.0, 0.0]).unwrap();
        assert_eq!(u, array![0.0, -1.0, 0.0]);
    }

    /// Asserts `got` is within `ulps` units in the last place of `want`.
    fn assert_ulps(got: f64, want: f64, ulps: u64) {
        let apart = (got.to_bits() as i64 - want.to_bits() as i64).unsigned_abs();
        assert!(got.signum() == want.signum() && apart <= ulps, "{got:e} is {apart} ulps from {want:e}");
    }

    #[test]
    fn norms_of_huge_and_tiny_vectors_neither_overflow_nor_underflow() {
        use std::f64::consts::SQRT_2;
        assert_ulps(norm(&[1e200, 1e200]), 1e200 * SQRT_2, 1);
        assert_ulps(norm(&[-1e-200, 1e-200]), 1e-200 * SQRT_2, 1);
        assert_ulps(norm(&[1e200, 1e-200, -1e200, 1e-200]), 1e200 * SQRT_2, 1);
        assert_ulps(norm(&[1e-200, 3e-300]), 1e-200, 0);
        assert_ulps(norm(&[3e-200, 4e-200]), 5e-200, 1);
        assert_ulps(norm(&[3e200, 4e200]), 5e200, 1); // squares beyond f64
        assert_ulps(norm(&[1e-200, 1e-200]), 1e-200 * SQRT_2, 1); // squares below the smallest f64
        assert_eq!(norm(&[f64::MAX, 0.0]), f64::MAX);
        assert_eq!(norm(&[f64::MAX, f64::MAX]), f64::INFINITY); // the length itself is above f64::MAX
        let smallest = f64::from_bits(1); // 4.9e-324, the smallest subnormal
        assert_eq!(norm(&[smallest, 0.0]), smallest);
        assert_eq!(norm(&[0.0, 0.0]), 0.0);
        assert_eq!(norm(&[f64::INFINITY, 1.0]), f64::INFINITY);
        assert!(norm(&[f64::NAN, 1e200]).is_nan());
    }

    #[test]
    fn normalize_cosine_and_projection_work_for_huge_and_tiny_vectors() {
        use std::f64::consts::FRAC_1_SQRT_2;
        let unit = array![FRAC_1_SQRT_2, FRAC_1_SQRT_2];
        assert_abs_diff_eq!(normalize(&[1e200, 1e200]).unwrap(), unit, epsilon = 1e-15);
        assert_abs_diff_eq!(normalize(&[1e-200, 1e-200]).unwrap(), unit, epsilon = 1e-15);
        assert_abs_diff_eq!(normalize(&[3e200, 4e200]).unwrap(), array![0.6, 0.8], epsilon = 1e-15);
        assert_abs_diff_eq!(normalize(&[1e200, 1e-200]).unwrap(), array![1.0, 0.0], epsilon = 1e-15);
        assert_eq!(normalize(&[f64::from_bits(1), 0.0]).unwrap(), array![1.0, 0.0]);
        assert!(matches!(normalize(&[0.0, -0.0]), Err(Error::InvalidArgument { name: "a", .. })));

        assert_abs_diff_eq!(cosine_similarity(&[1e200, 0.0], &[1e200, 1e200]).unwrap(), FRAC_1_SQRT_2, epsilon = 1e-15);
        assert_abs_diff_eq!(cosine_similarity(&[1e-200, 0.0], &[1e-200, 1e-200]).unwrap(), FRAC_1_SQRT_2, epsilon = 1e-15);
        assert_abs_diff_eq!(cosine_similarity(&[1e200, 1e200], &[-1e-200, -1e-200]).unwrap(), -1.0, epsilon = 1e-15);
        assert_abs_diff_eq!(cosine_similarity(&[1e200, 1e-200], &[1e-200, 1e200]).unwrap(), 0.0, epsilon = 1e-15);
        assert!(matches!(cosine_similarity(&[1e200], &[0.0]), Err(Error::InvalidArgument { name: "b", .. })));

        let p = project_onto(&[2e200, 3e200], &[1e-200, 1e-200]).unwrap();
        assert_abs_diff_eq!(&p / 1e200, array![2.5, 2.5], epsilon = 1e-15);
        let p = project_onto(&[2e-200, 3e-200], &[1e200, 0.0]).unwrap();
        assert_abs_diff_eq!(&p / 1e-200, array![2.0, 0.0], epsilon = 1e-15);
        assert!(matches!(project_onto(&[1.0, 2.0], &[0.0, 0.0]), Err(Error::InvalidArgument { name: "onto", .. })));
    }

    #[test]
    fn ordinary_vectors_get_the_textbook_formulas_bit_for_bit() {
        // Entries from 1e-100 to 1e100: no scaling, so the same bits as before.
        let mut rng = crate::random::seeded_rng(3);
        for len in [1, 2, 3, 8, 100, 768] {
            for magnitude in [1e-100, 1e-10, 1.0, 1e10, 1e100] {
                let a = crate::random::randn_vec(&mut rng, len) * magnitude;
                let b = crate::random::randn_vec(&mut rng, len) * magnitude;
                let (na, nb) = (a.dot(&a).sqrt(), b.dot(&b).sqrt());
                assert_eq!(norm(&a), na);
                assert_eq!(normalize(&a).unwrap(), &a / na);
                assert_eq!(cosine_similarity(&a, &b).unwrap(), (a.dot(&b) / (na * nb)).clamp(-1.0, 1.0));
                assert_eq!(project_onto(&a, &b).unwrap(), &b * (a.dot(&b) / b.dot(&b)));
            }
        }
    }

    #[test]
    fn cosine_similarity_of_same_opposite_and_orthogonal_directions() {
        assert_abs_diff_eq!(cosine_similarity(&[1.0, 2.0], &[8.0, 16.0]).unwrap(), 1.0, epsilon = 1e-15);
        assert_abs_diff_eq!(cosine_similarity(&[1.0, 2.0], &[-2.0, -4.0]).unwrap(), -1.0, epsilon = 1e-15);
        assert_eq!(cosine_similarity(&[1.0, 2.0], &[-2.0, 1.0]).unwrap(), 0.0);
        // 60° apart: cos = 0.5.
        let b = [60f64.to_radians().cos(), 60f64.to_radians().sin()];
        assert_abs_diff_eq!(cosine_similarity(&[1.0, 0.0], &b).unwrap(), 0.5, epsilon = 1e-12);
    }

    #[test]
    fn projection_leaves_an_orthogonal_remainder() {
        let v = array![2.0, 3.0, 4.0];
        let u = array![1.0, 1.0, 0.0];
        let p = project_onto(&v, &u).unwrap();
        assert_abs_diff_eq!(p, array![2.5, 2.5, 0.0], epsilon = 1e-12);
        assert_abs_diff_eq!((&v - &p).dot(&u), 0.0, epsilon = 1e-12);
    }

    #[test]
    fn matmul_published_example() {
        let c = matmul(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], &[[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]]).unwrap();
        assert_eq!(c, array![[58.0, 64.0], [139.0, 154.0]]);
    }

    #[test]
    fn rotation_turns_row_vectors_counter_clockwise_and_keeps_lengths() {
        let r = rotation_2d(std::f64::consts::FRAC_PI_2);
        let y = matmul(&[[1.0, 0.0], [0.0, 1.0], [3.0, 4.0]], &r).unwrap();
        assert_abs_diff_eq!(y, array![[0.0, 1.0], [-1.0, 0.0], [-4.0, 3.0]], epsilon = 1e-12);
        // Rᵀ·R = I: rotations preserve length.
        assert_abs_diff_eq!(r.t().dot(&r), Array2::eye(2), epsilon = 1e-12);
        // The textbook column form Rᵀ·x gives the same point.
        let col = r.t().dot(&array![3.0, 4.0]);
        assert_abs_diff_eq!(col, array![-4.0, 3.0], epsilon = 1e-12);
    }

    #[test]
    fn covariance_matches_hand_computation() {
        // x = (1, 2, 3), y = (2, 4, 7): var x = 1, var y = 6.333.., cov = 2.5.
        let c = covariance(&[[1.0, 2.0], [2.0, 4.0], [3.0, 7.0]]).unwrap();
        assert_abs_diff_eq!(c, array![[1.0, 2.5], [2.5, 19.0 / 3.0]], epsilon = 1e-12);
    }

    #[test]
    fn sym_eigen_closed_form_2x2() {
        let e = sym_eigen(&[[2.0, 1.0], [1.0, 2.0]]).unwrap();
        assert_abs_diff_eq!(e.values, array![3.0, 1.0], epsilon = 1e-12);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert_abs_diff_eq!(e.vectors, array![[h, h], [h, -h]], epsilon = 1e-12);
        // Trace = sum of eigenvalues, determinant = product.
        let e = sym_eigen(&[[4.0, -2.0, 0.0], [-2.0, 5.0, 1.0], [0.0, 1.0, 3.0]]).unwrap();
        assert_abs_diff_eq!(e.values.sum(), 12.0, epsilon = 1e-10);
        let det = 4.0 * (5.0 * 3.0 - 1.0) + 2.0 * (-2.0 * 3.0 - 0.0);
        assert_abs_diff_eq!(e.values.product(), det, epsilon = 1e-9);
    }

    #[test]
    fn svd_matches_closed_form_and_eigen_of_ata() {
        // A = [[3, 0], [4, 5]]: AᵀA = [[25, 20], [20, 25]] has eigenvalues 45 and 5.
        let d = svd(&[[3.0, 0.0], [4.0, 5.0]]).unwrap();
        assert_abs_diff_eq!(d.s, array![45f64.sqrt(), 5f64.sqrt()], epsilon = 1e-12);
        assert_abs_diff_eq!(d.reconstruct().unwrap(), array![[3.0, 0.0], [4.0, 5.0]], epsilon = 1e-12);
        // Wide matrix: r = min(m, n).
        let d = svd(&[[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]).unwrap();
        assert_eq!((d.u.dim(), d.s.len(), d.vt.dim()), ((2, 2), 2, (2, 3)));
        assert_abs_diff_eq!(d.s, array![2.0, 1.0], epsilon = 1e-12);
    }

    #[test]
    fn low_rank_error_is_the_dropped_singular_value() {
        // Eckart–Young: the spectral-norm error of the rank-k approximation is s[k].
        let a = array![[4.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 0.5]];
        let d = svd(&a).unwrap();
        let rank_2 = d.low_rank(2).unwrap();
        let residual = svd(&(&a - &rank_2)).unwrap();
        assert_abs_diff_eq!(residual.s[0], 0.5, epsilon = 1e-12);
    }

    #[test]
    fn pca_finds_the_direction_of_a_line() {
        let x = array![[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]];
        let p = pca(&x, 2).unwrap();
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert_abs_diff_eq!(p.components.row(0), array![h, h], epsilon = 1e-12);
        assert_abs_diff_eq!(p.explained_variance, array![10.0 / 3.0, 0.0], epsilon = 1e-12);
        assert_abs_diff_eq!(p.explained_variance_ratio.sum(), 1.0, epsilon = 1e-12);
        // Projections on the first component: distances along the line from the mean.
        assert_abs_diff_eq!(p.projected.column(0), array![-1.5, -0.5, 0.5, 1.5] * 2f64.sqrt(), epsilon = 1e-12);
    }

    // One test per error variant this module returns.

    #[test]
    fn error_shape_mismatch() {
        let e = matmul(&[[1.0, 2.0, 3.0]], &[[1.0, 2.0]]).unwrap_err();
        assert_eq!(e, Error::ShapeMismatch {
            op: "matmul",
            left: vec![1, 3],
            right: vec![1, 2],
            rule: "(m×n)·(n×p): the left's columns must equal the right's rows",
        });
        assert!(matches!(cosine_similarity(&[1.0], &[1.0, 2.0]), Err(Error::ShapeMismatch { op: "cosine_similarity", .. })));
    }

    #[test]
    fn error_bad_shape() {
        let e = sym_eigen(&[[1.0, 2.0, 3.0]]).unwrap_err();
        assert!(matches!(e, Error::BadShape { op: "sym_eigen", ref got, .. } if got == &vec![1, 3]));
        assert!(matches!(covariance(&[[1.0, 2.0]]), Err(Error::BadShape { op: "covariance", .. })));
    }

    #[test]
    fn error_invalid_argument() {
        assert!(matches!(normalize(&[0.0, 0.0]), Err(Error::InvalidArgument { name: "a", .. })));
        let e = sym_eigen(&[[1.0, 2.0], [3.0, 1.0]]).unwrap_err();
        assert_eq!(e.to_string(), "invalid argument `a` = a[0][1] = 2, a[1][0] = 3: the matrix must be symmetric (use svd for general matrices)");
        assert!(matches!(pca(&[[1.0, 2.0], [2.0, 1.0]], 3), Err(Error::InvalidArgument { name: "k", .. })));
        assert!(matches!(svd(&[[1.0]]).unwrap().low_rank(2), Err(Error::InvalidArgument { name: "k", .. })));
    }

    #[test]
    fn error_no_convergence() {
        let a = randn_matrix_for_tests();
        let e = svd_within(&a.view(), 1).unwrap_err();
        assert_eq!(e, Error::NoConvergence { op: "svd", iterations: 1 });
        assert!(svd_within(&a.view(), 10_000).is_ok());
    }

    fn randn_matrix_for_tests() -> Array2<f64> {
        crate::random::randn(&mut crate::random::seeded_rng(5), (6, 6))
    }

    #[test]
    fn error_non_finite() {
        let e = svd(&[[1.0, f64::NAN]]).unwrap_err();
        assert!(matches!(e, Error::NonFinite { op: "svd", ref index, .. } if index == &vec![0, 1]));
    }

    #[test]
    fn an_svd_cut_by_hand_is_an_error_in_low_rank_not_a_panic() {
        let mut d = svd(&array![[3.0, 0.0], [4.0, 5.0]]).unwrap();
        d.u = d.u.slice(ndarray::s![.., ..1]).to_owned(); // one column left, two singular values
        let message = d.low_rank(2).unwrap_err().to_string();
        assert!(message.contains("one column") && message.contains("[2, 1]"), "{message}");
    }

    #[test]
    fn pca_of_constant_data_is_an_error_not_ratios_that_do_not_sum_to_1() {
        let message = pca(&array![[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]], 1).unwrap_err().to_string();
        assert!(message.contains("no variance"), "{message}");
    }

    #[test]
    fn dot_of_finite_vectors_is_never_nan() {
        // 1e308·1e308 − 1e308·1e308: each product overflows, the answer is 0.
        assert_eq!(dot(&[1e308, -1e308], &[1e308, 1e308]).unwrap(), 0.0);
        // Beside products of 1e616, the 3·2 is far below rounding (the usual
        // bound n·ε·Σ|aᵢbᵢ|): finite, and within that bound.
        assert!(dot(&[1e308, -1e308, 3.0], &[1e308, 1e308, 2.0]).unwrap().abs() <= 6.0);
        let message = dot(&[1e308, 1e308, -1e307], &[1e308, 1e308, 1e308]).unwrap_err().to_string();
        assert!(message.contains("beyond the largest f64"), "{message}");
        assert!(dot(&[f64::NAN, 1.0], &[1.0, 1.0]).unwrap().is_nan()); // a NaN in stays a NaN
    }

    #[test]
    fn error_overflow_names_the_operation_and_the_entry() {
        let e = covariance(&array![[1e308], [-1e308]]).unwrap_err();
        assert!(matches!(&e, Error::Overflow { op: "covariance", index } if index == &vec![0, 0]), "{e:?}");
        assert!(e.to_string().contains("beyond the largest f64"), "{e}");
        assert!(matches!(matmul(&array![[1e200]], &array![[1e200]]), Err(Error::Overflow { op: "matmul", .. })));
    }
}

//! Seeded toy data sets for classifiers: XOR, two moons, spirals.

use std::f64::consts::PI;

use ndarray::{Array2, array};
use rand::Rng;

use crate::error::{Error, Result};
use crate::random::randn;

/// The four points of XOR with their classes: `(0,0) → 0`, `(0,1) → 1`,
/// `(1,0) → 1`, `(1,1) → 0`. No straight line separates the two classes.
///
/// Shapes: `x: (4, 2)`, targets `(4,)`.
///
/// # Examples
/// ```
/// use llm_math::nn::xor_data;
/// let (x, y) = xor_data();
/// assert_eq!(y, vec![0, 1, 1, 0]);
/// assert_eq!(x.row(3).to_vec(), vec![1.0, 1.0]);
/// ```
pub fn xor_data() -> (Array2<f64>, Vec<usize>) {
    (array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], vec![0, 1, 1, 0])
}

fn check_noise(noise: f64) -> Result<()> {
    if noise.is_finite() && (0.0..=10.0).contains(&noise) {
        Ok(())
    } else {
        Err(Error::invalid("noise", noise, "the noise is a standard deviation from 0 to 10"))
    }
}

fn check_count(name: &'static str, n: usize, min: usize) -> Result<()> {
    if (min..=1_000_000).contains(&n) {
        Ok(())
    } else {
        Err(Error::invalid(name, n, format!("between {min} and 1 000 000 points")))
    }
}

/// Two interleaved half circles ("two moons"), `n` points in all (class 0
/// gets the extra one when `n` is odd), with Gaussian noise of standard
/// deviation `noise` added to both coordinates:
///
/// ```text
/// class 0: (cos t, sin t)              t evenly spaced in [0, π]
/// class 1: (1 − cos t, 1/2 − sin t)
/// ```
///
/// Shapes: `x: (n, 2)`, targets `(n,)`, class 0 first.
///
/// # Errors
/// [`Error::InvalidArgument`] for `n` below 2 or above 1 000 000, or a
/// `noise` outside `[0, 10]`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::nn::two_moons;
/// let (x, y) = two_moons(&mut seeded_rng(0), 200, 0.0)?;
/// assert_eq!((x.dim(), y.iter().filter(|&&c| c == 1).count()), ((200, 2), 100));
/// // Without noise, class 0 lies on the unit circle.
/// assert!((x[[3, 0]].hypot(x[[3, 1]]) - 1.0).abs() < 1e-12);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn two_moons<R: Rng + ?Sized>(rng: &mut R, n: usize, noise: f64) -> Result<(Array2<f64>, Vec<usize>)> {
    check_count("n", n, 2)?;
    check_noise(noise)?;
    let n0 = n - n / 2;
    let n1 = n / 2;
    let angle = |i: usize, m: usize| if m > 1 { PI * i as f64 / (m - 1) as f64 } else { 0.0 };
    let mut x = Array2::zeros((n, 2));
    let mut y = Vec::with_capacity(n);
    for i in 0..n0 {
        let t = angle(i, n0);
        x[[i, 0]] = t.cos();
        x[[i, 1]] = t.sin();
        y.push(0);
    }
    for i in 0..n1 {
        let t = angle(i, n1);
        x[[n0 + i, 0]] = 1.0 - t.cos();
        x[[n0 + i, 1]] = 0.5 - t.sin();
        y.push(1);
    }
    x += &(randn(rng, (n, 2)) * noise);
    Ok((x, y))
}

/// `classes` interleaved spiral arms of `per_class` points each, turning
/// once around the origin from radius 0 to 1, with Gaussian noise of
/// standard deviation `noise` added to both coordinates:
///
/// ```text
/// arm c, point i:  r = i / per_class,  θ = 2π·(c / classes + r),  (r cos θ, r sin θ)
/// ```
///
/// Shapes: `x: (classes·per_class, 2)`, targets in `0..classes`, arm by arm.
///
/// # Errors
/// [`Error::InvalidArgument`] for `classes` outside 2 to 10, `per_class`
/// below 1 or more than 1 000 000 points in all, or a `noise` outside
/// `[0, 10]`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::nn::spirals;
/// let (x, y) = spirals(&mut seeded_rng(0), 100, 3, 0.0)?;
/// assert_eq!((x.nrows(), y[150]), (300, 1));
/// assert!(x.iter().all(|v| v.abs() <= 1.0));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn spirals<R: Rng + ?Sized>(rng: &mut R, per_class: usize, classes: usize, noise: f64) -> Result<(Array2<f64>, Vec<usize>)> {
    if !(2..=10).contains(&classes) {
        return Err(Error::invalid("classes", classes, "from 2 to 10 spiral arms"));
    }
    check_count("per_class", per_class, 1)?;
    check_count("per_class", per_class * classes, 1).map_err(|_| {
        Error::invalid("per_class", per_class, format!("{classes} arms of {per_class} points are more than 1 000 000 points"))
    })?;
    check_noise(noise)?;
    let n = per_class * classes;
    let mut x = Array2::zeros((n, 2));
    let mut y = Vec::with_capacity(n);
    for c in 0..classes {
        for i in 0..per_class {
            let r = i as f64 / per_class as f64;
            let theta = 2.0 * PI * (c as f64 / classes as f64 + r);
            x[[c * per_class + i, 0]] = r * theta.cos();
            x[[c * per_class + i, 1]] = r * theta.sin();
            y.push(c);
        }
    }
    x += &(randn(rng, (n, 2)) * noise);
    Ok((x, y))
}

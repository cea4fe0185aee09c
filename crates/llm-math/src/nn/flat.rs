//! How parameters flatten into one vector and back, for every layer (not
//! part of the lesson; the lesson is [`Layer::params`] and [`Layer::grads`]).
//!
//! Two cases, one rule: pieces one after the other, each in its own order.
//! A layer that holds arrays (a [`Linear`](super::Linear), the norms, an
//! embedding table, a learned positional table) flattens them with
//! [`flatten`] and fills them back with [`set_arrays`]; a layer made of
//! layers ([`Sequential`](super::Sequential), the MLP, attention, the
//! transformer block) uses [`params_of`], [`grads_of`] and
//! [`set_params_of`], which name a failing part by its number
//! (`layer 2 (…)`).

use ndarray::{Array1, Array2, ArrayView1, s};

use super::{Layer, in_layer};
use crate::error::{Result, check_finite, check_same_len};

/// A parameter array that flattens row by row.
pub(crate) trait FlatSlot {
    /// How many numbers it holds.
    fn len(&self) -> usize;
    /// Appends them to `out`, row by row.
    fn append_to(&self, out: &mut Vec<f64>);
    /// Overwrites them from `values` (of length [`len`](FlatSlot::len)), row by row.
    fn fill_from(&mut self, values: ArrayView1<f64>);
}

impl FlatSlot for Array1<f64> {
    fn len(&self) -> usize {
        self.len()
    }
    fn append_to(&self, out: &mut Vec<f64>) {
        out.extend(self.iter());
    }
    fn fill_from(&mut self, values: ArrayView1<f64>) {
        self.assign(&values);
    }
}

impl FlatSlot for Array2<f64> {
    fn len(&self) -> usize {
        self.len()
    }
    fn append_to(&self, out: &mut Vec<f64>) {
        out.extend(self.iter()); // logical order: row by row, whatever the memory layout
    }
    fn fill_from(&mut self, values: ArrayView1<f64>) {
        for (w, v) in self.iter_mut().zip(values.iter()) {
            *w = *v;
        }
    }
}

/// The arrays' numbers one after the other, `(Σ len,)`.
pub(crate) fn flatten(arrays: &[&dyn FlatSlot]) -> Array1<f64> {
    let mut all = Vec::with_capacity(arrays.iter().map(|a| a.len()).sum());
    for a in arrays {
        a.append_to(&mut all);
    }
    Array1::from(all)
}

/// Fills `arrays`, in order, from `params` after checking that it has one
/// value per number in them (`rule` says so in the error) and that every
/// value is finite: on error nothing changes.
pub(crate) fn set_arrays(op: &'static str, rule: &'static str, params: ArrayView1<f64>, arrays: &mut [&mut dyn FlatSlot]) -> Result<()> {
    let total: usize = arrays.iter().map(|a| a.len()).sum();
    check_same_len(op, params.len(), total, rule)?;
    check_finite(op, &params)?;
    let mut start = 0;
    for a in arrays.iter_mut() {
        let n = a.len();
        a.fill_from(params.slice(s![start..start + n]));
        start += n;
    }
    Ok(())
}

/// A layer inside another, with the number its errors give it (`layer 2
/// (…)`): its position, counting the parts without parameters too.
pub(crate) type Part<'a> = (usize, &'a dyn Layer);

/// Every part's parameters one after the other.
pub(crate) fn params_of(parts: &[Part]) -> Array1<f64> {
    let mut all = Vec::with_capacity(parts.iter().map(|(_, l)| l.num_params()).sum());
    for (_, layer) in parts {
        all.extend(layer.params());
    }
    Array1::from(all)
}

/// Every part's gradients one after the other; an error names the first
/// part that has none by its number.
pub(crate) fn grads_of(parts: &[Part]) -> Result<Array1<f64>> {
    let mut all = Vec::with_capacity(parts.iter().map(|(_, l)| l.num_params()).sum());
    for &(i, layer) in parts {
        all.extend(layer.grads().map_err(|e| in_layer(i, layer, e))?);
    }
    Ok(Array1::from(all))
}

/// Hands each part its slice of `params` after checking that it has one
/// value per parameter of every part (`rule` says so in the error) and
/// that every value is finite: on error nothing changes.
pub(crate) fn set_params_of(op: &'static str, rule: &'static str, parts: &mut [(usize, &mut dyn Layer)], params: ArrayView1<f64>) -> Result<()> {
    let total: usize = parts.iter().map(|(_, l)| l.num_params()).sum();
    check_same_len(op, params.len(), total, rule)?;
    check_finite(op, &params)?;
    let mut start = 0;
    for (i, layer) in parts.iter_mut() {
        let n = layer.num_params();
        layer.set_params(params.slice(s![start..start + n])).map_err(|e| in_layer(*i, &**layer, e))?;
        start += n;
    }
    Ok(())
}

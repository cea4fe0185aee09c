//! Positional encodings: attention alone ignores order, so each position
//! gets a vector added to its token's.

use ndarray::{Array1, Array2, ArrayView1, s};
use rand::Rng;

use super::{check_entries, check_positive};
use crate::error::{Error, Result, Rows, check_cols, check_finite, check_result};
use crate::nn::flat::{FlatSlot, flatten, set_arrays};
use crate::nn::{Layer, check_grad_shape, no_forward_yet, no_grads_yet};

/// The sinusoidal positional encoding of "Attention Is All You Need": a
/// `(max_len, d_model)` table whose even columns are sines and odd columns
/// cosines of the position, at wavelengths from `2π` to `10000·2π`.
///
/// ```text
/// PE[pos, 2i]     = sin(pos / 10000^(2i / d_model))
/// PE[pos, 2i + 1] = cos(pos / 10000^(2i / d_model))
/// ```
///
/// Each pair of columns is a point turning on a circle at its own speed, so
/// moving `k` positions on is a rotation that does not depend on `pos`: for
/// an even `d_model` the dot product `PE[p + k]·PE[p]` depends only on `k`
/// (it is `Σᵢ cos(k·ωᵢ)`). An odd `d_model` ends with a sine column that has
/// no cosine partner, and its term `sin((p + k)·ω)·sin(p·ω)` depends on `p`
/// too.
///
/// Shapes: → `(max_len, d_model)`.
///
/// # Errors
/// [`Error::InvalidArgument`] if `max_len` or `d_model` is 0, or the table
/// would hold more than 100 million numbers.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let pe = sinusoidal_positions(50, 8)?;
/// assert_eq!(pe.row(0), array![0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]); // sin 0, cos 0, …
/// assert_eq!((pe[[1, 0]], pe[[1, 1]]), (1f64.sin(), 1f64.cos()));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn sinusoidal_positions(max_len: usize, d_model: usize) -> Result<Array2<f64>> {
    check_positive("max_len", max_len, "a positional table")?;
    check_positive("d_model", d_model, "a positional encoding")?;
    check_entries("max_len", max_len, max_len, d_model, "positional entries")?;
    // One frequency per pair of columns: 1 / 10000^(2i / d_model).
    let frequency: Array1<f64> = (0..d_model).map(|j| 10000f64.powf(-((j - j % 2) as f64) / d_model as f64)).collect(); // (d_model,)
    Ok(Array2::from_shape_fn((max_len, d_model), |(pos, j)| {
        let angle = pos as f64 * frequency[j];
        if j % 2 == 0 { angle.sin() } else { angle.cos() }
    }))
}

/// Adds a position's vector to each row: `Y[t, :] = X[t, :] + P[t, :]`, with
/// `P` a `(max_len, d_model)` table, either fixed
/// ([`sinusoidal`](PositionalEncoding::sinusoidal), nothing to learn) or
/// learned ([`learned`](PositionalEncoding::learned), GPT-2's choice).
///
/// Backward passes the gradient through and, for a learned table, keeps it
/// for the rows used:
///
/// ```text
/// ∂L/∂X = G        ∂L/∂P[t, :] = G[t, :] for t < T, 0 for the rows past T
/// ```
///
/// A sequence longer than the table is an error that names both lengths
/// (`seq_len = 5 > max_len = 4`).
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let pe = PositionalEncoding::sinusoidal(4, 2)?;
/// let y = pe.predict(&Array2::zeros((3, 2)))?;                  // 3 tokens, all zero
/// assert_eq!(y, sinusoidal_positions(4, 2)?.slice(s![..3, ..])); // the table's first 3 rows
/// let err = pe.predict(&Array2::zeros((5, 2))).unwrap_err();
/// assert!(err.to_string().contains("`seq_len` = 5 > max_len = 4"));
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PositionalEncoding {
    /// `P`, `(max_len, d_model)`.
    table: Array2<f64>,
    learned: bool,
    /// `T` of the last forward pass.
    /// The last forward pass's (rows, seq_len): rows = a number of stacked sequences × seq_len.
    seq_len: Option<(usize, usize)>,
    /// `∂L/∂P`, `(max_len, d_model)` (a learned table only).
    grad_table: Option<Array2<f64>>,
}

impl PositionalEncoding {
    /// The fixed sinusoidal encoding of [`sinusoidal_positions`].
    ///
    /// # Errors
    /// As [`sinusoidal_positions`].
    pub fn sinusoidal(max_len: usize, d_model: usize) -> Result<Self> {
        Ok(PositionalEncoding { table: sinusoidal_positions(max_len, d_model)?, learned: false, seq_len: None, grad_table: None })
    }

    /// A learned table with entries drawn from `N(0, std²)` (GPT-2: 0.01).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `max_len` or `d_model` is 0, the table
    /// would hold more than 100 million numbers, or `std` is negative or not
    /// finite.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let pe = PositionalEncoding::learned(&mut seeded_rng(0), 16, 8, 0.01)?;
    /// assert_eq!((pe.max_len(), pe.d_model(), pe.num_params()), (16, 8, 128));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn learned<R: Rng + ?Sized>(rng: &mut R, max_len: usize, d_model: usize, std: f64) -> Result<Self> {
        check_positive("max_len", max_len, "a positional table")?;
        check_positive("d_model", d_model, "a positional encoding")?;
        check_entries("max_len", max_len, max_len, d_model, "positional entries")?;
        PositionalEncoding::from_table(crate::random::normal(rng, (max_len, d_model), 0.0, std)?)
    }

    /// A learned encoding starting from this table, `(max_len, d_model)`.
    ///
    /// # Errors
    /// [`Error::BadShape`] for an empty table; [`Error::NonFinite`] for NaN
    /// or infinite entries.
    pub fn from_table(table: Array2<f64>) -> Result<Self> {
        if table.is_empty() {
            return Err(Error::BadShape { op: "PositionalEncoding::from_table", got: table.shape().to_vec(), expected: "a non-empty table (max_len, d_model)" });
        }
        check_finite("PositionalEncoding::from_table", &table.view())?;
        Ok(PositionalEncoding { table, learned: true, seq_len: None, grad_table: None })
    }

    /// The table `P`, `(max_len, d_model)`.
    pub fn table(&self) -> &Array2<f64> {
        &self.table
    }

    /// The longest sequence the table has positions for.
    pub fn max_len(&self) -> usize {
        self.table.nrows()
    }

    /// The width of each position's vector.
    pub fn d_model(&self) -> usize {
        self.table.ncols()
    }

    /// Whether the table is learned (else fixed sinusoids).
    pub fn is_learned(&self) -> bool {
        self.learned
    }

    /// `∂L/∂P` from the last backward pass of a learned table, `(max_len, d_model)`.
    pub fn grad_table(&self) -> Option<&Array2<f64>> {
        self.grad_table.as_ref()
    }

    /// `X + P[..T]` after checking `x`.
    fn add(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.add_seqs(x, x.nrows())
    }

    /// `X + P` for `X` made of sequences of `seq_len` rows stacked one
    /// above the other: row `i` gets position `i mod seq_len`.
    fn add_seqs(&self, x: &Array2<f64>, seq_len: usize) -> Result<Array2<f64>> {
        check_cols("PositionalEncoding.forward", x, Rows::AtLeastOne, self.d_model(), self.table.shape(), "X (T, d_model) needs at least one row and the table's d_model columns")?;
        let (t, max_len) = (seq_len, self.max_len());
        if t > max_len {
            return Err(Error::invalid(
                "seq_len",
                format!("{t} > max_len = {max_len}"),
                format!("a sequence longer than the table has no position vectors past position {} (crop it to the last {max_len} tokens, or use a longer table)", max_len - 1),
            ));
        }
        if t == 0 || !x.nrows().is_multiple_of(t) {
            return Err(Error::invalid("seq_len", t, format!("the {} rows must be whole sequences of seq_len rows", x.nrows())));
        }
        check_finite("PositionalEncoding.forward", &x.view())?;
        let mut y = x.to_owned();
        for mut block in y.exact_chunks_mut((t, self.d_model())) {
            block += &self.table.slice(s![..t, ..]); // (T, d_model) + (T, d_model)
        }
        check_result("PositionalEncoding.forward", &y.view())?;
        Ok(y)
    }

    /// [`predict`](Layer::predict) for stacked sequences of `seq_len` rows.
    pub(crate) fn predict_seqs(&self, x: &Array2<f64>, seq_len: usize) -> Result<Array2<f64>> {
        self.add_seqs(x, seq_len)
    }

    /// [`forward`](Layer::forward) for `x` made of sequences of `seq_len`
    /// rows stacked (a batch in one matrix): positions restart every
    /// `seq_len` rows.
    pub(crate) fn forward_seqs(&mut self, x: &Array2<f64>, seq_len: usize) -> Result<Array2<f64>> {
        self.seq_len = None; // a failed pass must not leave an earlier pass's length for backward
        let y = self.add_seqs(x, seq_len)?;
        self.seq_len = Some((x.nrows(), seq_len));
        Ok(y)
    }
}

impl Layer for PositionalEncoding {
    fn name(&self) -> String {
        let kind = if self.learned { "learned" } else { "sinusoidal" };
        format!("PositionalEncoding({kind}, {} positions × {})", self.max_len(), self.d_model())
    }

    fn forward(&mut self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.forward_seqs(x, x.nrows())
    }

    fn predict(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.add(x)
    }

    fn backward(&mut self, grad_output: &Array2<f64>) -> Result<Array2<f64>> {
        let (rows, t) = self.seq_len.ok_or_else(|| no_forward_yet("PositionalEncoding"))?;
        check_grad_shape("PositionalEncoding.backward", grad_output, (rows, self.d_model()))?;
        check_finite("PositionalEncoding.backward", &grad_output.view())?;
        if self.learned {
            let mut grad = Array2::zeros(self.table.raw_dim()); // (max_len, d_model)
            // Rows past T were not used: 0. Stacked sequences each add their rows to P[..T].
            let mut used = grad.slice_mut(s![..t, ..]);
            for block in grad_output.exact_chunks((t, self.d_model())) {
                used += &block;
            }
            check_result("PositionalEncoding.backward", &grad.view())?;
            self.grad_table = Some(grad);
        }
        Ok(grad_output.clone())
    }

    fn num_params(&self) -> usize {
        if self.learned { self.table.len() } else { 0 }
    }

    fn params(&self) -> Array1<f64> {
        if self.learned { flatten(&[&self.table]) } else { Array1::zeros(0) }
    }

    fn grads(&self) -> Result<Array1<f64>> {
        match (&self.grad_table, self.learned) {
            (_, false) => Ok(Array1::zeros(0)),
            (Some(g), true) => Ok(flatten(&[g])),
            (None, true) => Err(no_grads_yet(&self.name())),
        }
    }

    fn set_params(&mut self, params: ArrayView1<f64>) -> Result<()> {
        let rule = if self.learned { "one value per table entry (max_len · d_model)" } else { "a sinusoidal encoding has no parameters" };
        let table: &mut [&mut dyn FlatSlot] = if self.learned { &mut [&mut self.table] } else { &mut [] }; // a sinusoidal table is no parameter
        set_arrays("PositionalEncoding.set_params", rule, params, table)
    }

    fn clone_box(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

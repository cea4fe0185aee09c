//! Token embedding (a table lookup) and the unembedding back to logits that
//! shares its matrix (weight tying).

use ndarray::{Array1, Array2, ArrayView1};
use rand::Rng;

use super::{check_entries, check_ids, check_positive};
use crate::error::{Error, Result, Rows, check_cols, check_finite, check_result};
use crate::nn::flat::{flatten, set_arrays};
use crate::nn::products::matmul;
use crate::nn::{check_grad_shape, no_forward_yet, no_grads_yet, remember};

/// A token embedding: a table `E` of shape `(vocab_size, d_model)` whose row
/// `id` is the vector of token `id`, used twice in a GPT.
///
/// **Lookup** ([`forward`](Embedding::forward)): row `t` of the output is row
/// `ids[t]` of the table, the same as a one-hot row times the table (notebook
/// 01), without building the one-hot matrix. Backward scatters the gradient
/// back to the rows used; a token that appears twice collects both rows:
///
/// ```text
/// X[t, :] = E[ids[t], :]                  ids: (T,) -> X: (T, d_model)
/// ∂L/∂E[v, :] = Σ_{t : ids[t] = v} G[t, :]   (rows never used get 0)
/// ```
///
/// **Unembedding with tied weights** ([`forward_logits`](Embedding::forward_logits)):
/// the logits of every token are dot products with the same rows, so a
/// token's input and output vectors are one vector (GPT-2 ties them):
///
/// ```text
/// logits = H·Eᵀ        H: (T, d_model), Eᵀ: (d_model, V) -> (T, V)
/// ∂L/∂H = G·E          ∂L/∂E = Gᵀ·H   (V, T)·(T, d_model) -> (V, d_model)
/// ```
///
/// The table's gradient ([`grads`](Embedding::grads)) is the **sum of both
/// uses**: a [`forward`](Embedding::forward) lookup starts a new pass and
/// forgets both gradients; [`backward`](Embedding::backward) and
/// [`backward_logits`](Embedding::backward_logits) each keep their own, and
/// `grads` adds whichever have run since. (An untied output layer is a
/// [`Linear`](crate::nn::Linear) from `d_model` to `vocab_size`.)
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let mut emb = Embedding::new(array![[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])?; // V = 3, d_model = 2
/// assert_eq!(emb.forward(&[2, 0, 2])?, array![[2.0, 2.0], [1.0, 0.0], [2.0, 2.0]]);
/// emb.backward(&array![[1.0, 1.0], [5.0, 0.0], [0.5, 0.5]])?;
/// // Token 2 was used twice: its row collects both gradients; token 1 was not used.
/// assert_eq!(emb.grad_from_lookup().unwrap(), &array![[5.0, 0.0], [0.0, 0.0], [1.5, 1.5]]);
/// // The tied unembedding: logits = H·Eᵀ, one column per token.
/// assert_eq!(emb.predict_logits(&array![[1.0, 1.0]])?, array![[1.0, 1.0, 4.0]]);
/// // A token id outside the vocabulary names itself.
/// let err = emb.predict(&[0, 3]).unwrap_err();
/// assert!(err.to_string().contains("ids[1] = 3") && err.to_string().contains("3 tokens"));
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    /// `E`, `(vocab_size, d_model)`.
    table: Array2<f64>,
    /// The ids of the last lookup.
    ids: Option<Vec<usize>>,
    /// The input of the last [`forward_logits`](Embedding::forward_logits), `(T, d_model)`.
    hidden: Option<Array2<f64>>,
    /// `∂L/∂E` through the lookup, `(vocab_size, d_model)`.
    grad_from_lookup: Option<Array2<f64>>,
    /// `∂L/∂E` through the unembedding, `(vocab_size, d_model)`.
    grad_from_logits: Option<Array2<f64>>,
}

impl Embedding {
    /// An embedding with this table, `(vocab_size, d_model)`.
    ///
    /// # Errors
    /// [`Error::BadShape`] for an empty table; [`Error::NonFinite`] for NaN
    /// or infinite entries.
    pub fn new(table: Array2<f64>) -> Result<Self> {
        if table.is_empty() {
            return Err(Error::BadShape { op: "Embedding::new", got: table.shape().to_vec(), expected: "a non-empty table (vocab_size, d_model)" });
        }
        check_finite("Embedding::new", &table.view())?;
        Ok(Embedding { table, ids: None, hidden: None, grad_from_lookup: None, grad_from_logits: None })
    }

    /// An embedding with entries drawn from `N(0, std²)`: GPT-2 uses
    /// `std = 0.02`, PyTorch's `nn.Embedding` `std = 1`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `vocab_size` or `d_model` is 0, the
    /// table would hold more than 100 million numbers, or `std` is negative
    /// or not finite.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let emb = Embedding::init(&mut seeded_rng(0), 65, 16, 0.02)?;
    /// assert_eq!((emb.vocab_size(), emb.d_model(), emb.num_params()), (65, 16, 65 * 16));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn init<R: Rng + ?Sized>(rng: &mut R, vocab_size: usize, d_model: usize, std: f64) -> Result<Self> {
        check_positive("vocab_size", vocab_size, "a vocabulary")?;
        check_positive("d_model", d_model, "an embedding")?;
        check_entries("d_model", d_model, vocab_size, d_model, "table entries")?;
        Embedding::new(crate::random::normal(rng, (vocab_size, d_model), 0.0, std)?)
    }

    /// The table `E`, `(vocab_size, d_model)`.
    pub fn table(&self) -> &Array2<f64> {
        &self.table
    }

    /// How many tokens the vocabulary has, `V`.
    pub fn vocab_size(&self) -> usize {
        self.table.nrows()
    }

    /// The width of each token's vector.
    pub fn d_model(&self) -> usize {
        self.table.ncols()
    }

    /// The rows of `ids`, `(T, d_model)`, after checking them.
    fn lookup(&self, op: &'static str, ids: &[usize]) -> Result<Array2<f64>> {
        if ids.is_empty() {
            return Err(Error::BadShape { op, got: vec![0], expected: "at least one token id" });
        }
        check_ids("ids", ids, self.vocab_size())?;
        check_entries("ids", ids.len(), ids.len(), self.d_model(), "embedding entries")?;
        Ok(self.table.select(ndarray::Axis(0), ids)) // (V, d_model) -> (T, d_model)
    }

    /// The vectors of `ids`, `(T, d_model)`, remembering the ids for
    /// [`backward`](Embedding::backward). Starts a new pass: both
    /// gradients are forgotten, and after an error a backward pass has
    /// nothing to run on.
    ///
    /// # Errors
    /// [`Error::BadShape`] for no ids; [`Error::InvalidArgument`] (named
    /// `ids`, the value naming the position) for an id `≥ vocab_size`, or
    /// an output of more than 100 million numbers.
    pub fn forward(&mut self, ids: &[usize]) -> Result<Array2<f64>> {
        // A new pass, even one that fails: nothing of the last one is left for a backward pass.
        self.ids = None;
        self.hidden = None;
        self.grad_from_lookup = None;
        self.grad_from_logits = None;
        let x = self.lookup("Embedding.forward", ids)?; // (T,) -> (T, d_model)
        self.ids = Some(ids.to_vec());
        Ok(x)
    }

    /// The same vectors as [`forward`](Embedding::forward), remembering nothing.
    ///
    /// # Errors
    /// As [`forward`](Embedding::forward).
    pub fn predict(&self, ids: &[usize]) -> Result<Array2<f64>> {
        self.lookup("Embedding.forward", ids) // (T,) -> (T, d_model)
    }

    /// Scatters `grad_output = ∂L/∂X`, `(T, d_model)`, back to the rows of
    /// the last lookup's ids (repeated ids add up) and keeps the result for
    /// [`grads`](Embedding::grads). The ids are integers: there is no
    /// gradient to return.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before any [`forward`](Embedding::forward);
    /// [`Error::ShapeMismatch`] unless `grad_output` is `(T, d_model)`;
    /// [`Error::NonFinite`] for NaN or infinite entries; [`Error::Overflow`]
    /// if a row's sum is beyond f64.
    pub fn backward(&mut self, grad_output: &Array2<f64>) -> Result<()> {
        let ids = self.ids.as_ref().ok_or_else(|| no_forward_yet("Embedding"))?;
        check_grad_shape("Embedding.backward", grad_output, (ids.len(), self.d_model()))?;
        check_finite("Embedding.backward", &grad_output.view())?;
        let mut grad = Array2::zeros(self.table.raw_dim()); // (V, d_model)
        for (&id, g) in ids.iter().zip(grad_output.rows()) {
            grad.row_mut(id).scaled_add(1.0, &g); // a repeated id collects every row it was used at
        }
        check_result("Embedding.backward", &grad.view())?;
        self.grad_from_lookup = Some(grad);
        Ok(())
    }

    /// `H·Eᵀ` after checking `h`.
    fn unembed(&self, op: &'static str, h: &Array2<f64>) -> Result<Array2<f64>> {
        check_cols(op, h, Rows::AtLeastOne, self.d_model(), self.table.shape(), "H·Eᵀ needs at least one row in H and H's columns equal to the table's (d_model)")?;
        check_finite(op, &h.view())?;
        check_entries("h", h.nrows(), h.nrows(), self.vocab_size(), "logits")?;
        let logits = matmul(h.view(), self.table.t()); // (T, d_model)·(d_model, V) -> (T, V)
        check_result(op, &logits.view())?;
        Ok(logits)
    }

    /// The logits of every token at every position with the tied matrix,
    /// `H·Eᵀ`, `(T, vocab_size)`, remembering `h` for
    /// [`backward_logits`](Embedding::backward_logits).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] unless `h` is `(T, d_model)` with `T ≥ 1`;
    /// [`Error::NonFinite`] for NaN or infinite entries;
    /// [`Error::InvalidArgument`] for more than 100 million logits;
    /// [`Error::Overflow`] for logits beyond f64.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let mut emb = Embedding::new(array![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])?; // V = 3, d_model = 2
    /// let h = array![[2.0, 0.5]];                            // T = 1
    /// let logits = emb.forward_logits(&h)?;                  // (1, 2)·(2, 3) -> (1, 3)
    /// assert_eq!(logits, array![[2.0, 0.5, 2.5]]);           // one dot product per token's row
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn forward_logits(&mut self, h: &Array2<f64>) -> Result<Array2<f64>> {
        self.grad_from_logits = None;
        let logits = self.unembed("Embedding.forward_logits", h).inspect_err(|_| self.hidden = None)?; // (T, d_model) -> (T, V)
        remember(&mut self.hidden, h);
        Ok(logits)
    }

    /// The same logits as [`forward_logits`](Embedding::forward_logits),
    /// remembering nothing.
    ///
    /// # Errors
    /// As [`forward_logits`](Embedding::forward_logits).
    pub fn predict_logits(&self, h: &Array2<f64>) -> Result<Array2<f64>> {
        self.unembed("Embedding.forward_logits", h) // (T, d_model)·(d_model, V) -> (T, V)
    }

    /// From `grad_logits = ∂L/∂logits`, `(T, vocab_size)`, to `∂L/∂H = G·E`,
    /// `(T, d_model)`; keeps `∂L/∂E = Gᵀ·H` for [`grads`](Embedding::grads).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before any
    /// [`forward_logits`](Embedding::forward_logits) since the last lookup;
    /// [`Error::ShapeMismatch`] unless `grad_logits` is `(T, vocab_size)`;
    /// [`Error::NonFinite`] for NaN or infinite entries; [`Error::Overflow`]
    /// for a gradient beyond f64.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let mut emb = Embedding::new(array![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])?;
    /// let h = array![[2.0, 0.5]];
    /// emb.forward_logits(&h)?;
    /// let g = array![[1.0, 0.0, -1.0]];                      // ∂L/∂logits, (T, V)
    /// let grad_h = emb.backward_logits(&g)?;                 // G·E: (1, 3)·(3, 2) -> (1, 2)
    /// assert_eq!(grad_h, array![[0.0, -1.0]]);
    /// // The table's gradient from this use, Gᵀ·H: (3, 1)·(1, 2) -> (3, 2).
    /// assert_eq!(emb.grad_from_logits().unwrap(), &array![[2.0, 0.5], [0.0, 0.0], [-2.0, -0.5]]);
    /// assert_eq!(emb.grads()?, array![2.0, 0.5, 0.0, 0.0, -2.0, -0.5]); // no lookup since: this use only
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn backward_logits(&mut self, grad_logits: &Array2<f64>) -> Result<Array2<f64>> {
        let h = self.hidden.as_ref().ok_or_else(|| {
            Error::invalid(
                "grad_logits",
                "(no forward_logits yet)",
                "Embedding.backward_logits needs the input of forward_logits first (a lookup with forward starts a new pass and forgets it)",
            )
        })?; // (T, d_model)
        check_grad_shape("Embedding.backward_logits", grad_logits, (h.nrows(), self.vocab_size()))?;
        check_finite("Embedding.backward_logits", &grad_logits.view())?;
        let grad_table = matmul(grad_logits.t(), h.view()); // (V, T)·(T, d_model) -> (V, d_model)
        let grad_h = matmul(grad_logits.view(), self.table.view()); // (T, V)·(V, d_model) -> (T, d_model)
        check_result("Embedding.backward_logits (∂L/∂E)", &grad_table.view())?;
        check_result("Embedding.backward_logits (∂L/∂H)", &grad_h.view())?;
        self.grad_from_logits = Some(grad_table);
        Ok(grad_h)
    }

    /// `∂L/∂E` (the table's gradient) from its use as the lookup, from the
    /// last [`backward`](Embedding::backward), `(vocab_size, d_model)`.
    pub fn grad_from_lookup(&self) -> Option<&Array2<f64>> {
        self.grad_from_lookup.as_ref()
    }

    /// `∂L/∂E` (the table's gradient, not `∂L/∂logits`) from its use as the
    /// tied unembedding, `Gᵀ·H`, from the last
    /// [`backward_logits`](Embedding::backward_logits), `(vocab_size, d_model)`.
    pub fn grad_from_logits(&self) -> Option<&Array2<f64>> {
        self.grad_from_logits.as_ref()
    }

    /// How many numbers the embedding learns, `vocab_size · d_model`.
    pub fn num_params(&self) -> usize {
        self.table.len()
    }

    /// The table as one flat vector, row by row, `(vocab_size · d_model,)`:
    /// the layout of [`Layer::params`](crate::nn::Layer::params).
    pub fn params(&self) -> Array1<f64> {
        flatten(&[&self.table]) // (V, d_model) row by row -> (V·d_model,)
    }

    /// `∂L/∂E` flattened like [`params`](Embedding::params): the sum of the
    /// lookup's and the unembedding's gradients, whichever have run since
    /// the last [`forward`](Embedding::forward).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if neither backward pass has run;
    /// [`Error::Overflow`] if the sum is beyond f64.
    pub fn grads(&self) -> Result<Array1<f64>> {
        // Written straight into the flat vector: no (V, d_model) sum or copy first.
        let flat: Array1<f64> = match (&self.grad_from_lookup, &self.grad_from_logits) {
            (Some(a), Some(b)) => a.iter().zip(b.iter()).map(|(a, b)| a + b).collect(), // weight tying: one matrix, two uses
            (Some(a), None) | (None, Some(a)) => a.iter().copied().collect(),
            (None, None) => return Err(no_grads_yet(&self.name())),
        }; // (V, d_model) row by row -> (V·d_model,)
        check_result("Embedding.grads (the sum of both uses)", &flat.view())?;
        Ok(flat)
    }

    /// Replaces the table from a flat vector in the order of
    /// [`params`](Embedding::params).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] unless `params` has
    /// [`num_params`](Embedding::num_params) entries; [`Error::NonFinite`]
    /// for NaN or infinite entries. On error nothing changes.
    pub fn set_params(&mut self, params: ArrayView1<f64>) -> Result<()> {
        set_arrays("Embedding.set_params", "one value per table entry (vocab_size · d_model)", params, &mut [&mut self.table])
    }

    /// A short description with the shape, e.g. `"Embedding(65 tokens × 16)"`.
    pub fn name(&self) -> String {
        format!("Embedding({} tokens × {})", self.vocab_size(), self.d_model())
    }
}

//! Multi-head self-attention as a layer, with its backward pass.

use ndarray::{Array1, Array2, ArrayView1, s};
use rand::Rng;

use crate::attention::{Mask, MultiHeadAttention, head_size, scaled_dot_product_attention};
use crate::error::{Error, Result, Rows, check_cols, check_finite, check_result};
use crate::nn::flat::{params_of, set_params_of};
use crate::nn::products::matmul;
use crate::nn::{Init, Layer, Linear, MAX_WEIGHTS, check_grad_shape, in_layer, no_forward_yet, no_grads_yet, softmax_backward_rows};

/// What the backward pass needs from the forward pass.
#[derive(Debug, Clone, PartialEq)]
struct Saved {
    /// `X·W_Q + b_Q`, `X·W_K + b_K`, `X·W_V + b_V`, each `(T, d_model)`.
    q: Array2<f64>,
    k: Array2<f64>,
    v: Array2<f64>,
    /// Each head's attention weights, `n_heads × (T, T)` (for stacked
    /// sequences, sequence by sequence: every head of the first, then of the second, …).
    weights: Vec<Array2<f64>>,
    /// The rows of one sequence (all the rows unless sequences were stacked).
    seq_len: usize,
}

/// Multi-head self-attention with learned projections (each a
/// [`Linear`] with a bias, as in GPT-2), optionally causal, as a layer:
/// notebook 05's [`MultiHeadAttention`] with a backward pass.
///
/// ```text
/// Q = X·W_Q + b_Q,  K = X·W_K + b_K,  V = X·W_V + b_V         (T, d_model) each
/// for each head h (columns h·d_head .. (h+1)·d_head):
///     S_h = Q_h·K_hᵀ / √d_head                                 (T, T)
///     A_h = softmax of each row of S_h (causal: keys j > i get weight 0)
///     O_h = A_h·V_h                                            (T, d_head)
/// Y = [O_0 … O_{n_heads−1}]·W_O + b_O                          (T, d_model)
/// ```
///
/// Backward, per head, from `∂L/∂O_h` (through `W_O` first):
///
/// ```text
/// ∂L/∂A_h = ∂L/∂O_h · V_hᵀ          ∂L/∂V_h = A_hᵀ · ∂L/∂O_h
/// ∂L/∂S_h = A_h ⊙ (∂L/∂A_h − rowsum(∂L/∂A_h ⊙ A_h))     (softmax's Jacobian, row by row)
/// ∂L/∂Q_h = ∂L/∂S_h · K_h / √d_head    ∂L/∂K_h = ∂L/∂S_hᵀ · Q_h / √d_head
/// ∂L/∂X = ∂L/∂Q·W_Qᵀ + ∂L/∂K·W_Kᵀ + ∂L/∂V·W_Vᵀ        (X feeds all three projections)
/// ```
///
/// A masked weight is exactly 0, so no gradient reaches its score. Without
/// the causal mask (and without positional encodings) attention is
/// permutation-equivariant: shuffling the tokens shuffles the outputs the
/// same way. Parameters flatten as `W_Q, b_Q, W_K, b_K, W_V, b_V, W_O, b_O`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let mut attn = SelfAttention::init(&mut seeded_rng(0), 8, 2, true)?; // d_model = 8, 2 heads, causal
/// let x = randn(&mut seeded_rng(1), (5, 8));
/// let y = attn.forward(&x)?;
/// assert_eq!(y.dim(), (5, 8));
/// let weights = attn.attention_weights().unwrap(); // 2 × (5, 5), nothing above the diagonal
/// assert!(weights.iter().all(|a| (0..5).all(|i| (i + 1..5).all(|j| a[[i, j]] == 0.0))));
/// let dx = attn.backward(&Array2::ones((5, 8)))?;
/// assert_eq!((dx.dim(), attn.grads()?.len()), ((5, 8), 4 * (8 * 8 + 8)));
/// // d_model must split into the heads.
/// let err = SelfAttention::init(&mut seeded_rng(0), 8, 3, true).unwrap_err();
/// assert!(err.to_string().contains("d_model = 8 must be divisible by the number of heads"));
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SelfAttention {
    w_q: Linear,
    w_k: Linear,
    w_v: Linear,
    w_o: Linear,
    n_heads: usize,
    causal: bool,
    saved: Option<Saved>,
}

impl SelfAttention {
    /// A layer from its four projections, each `d_model → d_model`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] unless every projection is square with the
    /// `d_model` of `w_q`; [`Error::InvalidArgument`] if `n_heads` is 0 or
    /// does not divide `d_model`.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// // Identity projections, zero biases: Q = K = V = X, and the output is A·X.
    /// let identity = || Linear::new(Array2::eye(2), Array1::zeros(2));
    /// let attn = SelfAttention::new(identity()?, identity()?, identity()?, identity()?, 1, true)?;
    /// assert_eq!((attn.d_model(), attn.n_heads(), attn.d_head()), (2, 1, 2));
    /// let y = attn.predict(&array![[1.0, 0.0], [0.0, 2.0]])?;
    /// assert_eq!(y.row(0), array![1.0, 0.0]); // causal: the first token sees only itself
    /// // A projection that is not d_model → d_model is refused.
    /// let narrow = Linear::new(Array2::zeros((2, 1)), Array1::zeros(1))?;
    /// assert!(SelfAttention::new(identity()?, identity()?, narrow, identity()?, 1, true).is_err());
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn new(w_q: Linear, w_k: Linear, w_v: Linear, w_o: Linear, n_heads: usize, causal: bool) -> Result<Self> {
        let d = w_q.d_in();
        for w in [&w_q, &w_k, &w_v, &w_o] {
            if (w.d_in(), w.d_out()) != (d, d) {
                return Err(Error::ShapeMismatch {
                    op: "SelfAttention::new",
                    left: vec![w.d_in(), w.d_out()],
                    right: vec![d, d],
                    rule: "every projection (left) must map d_model to d_model, d_model taken from W_Q's input (right)",
                });
            }
        }
        head_size(d, n_heads)?;
        Ok(SelfAttention { w_q, w_k, w_v, w_o, n_heads, causal, saved: None })
    }

    /// A layer with Xavier-initialised projections and zero biases.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `d_model` is 0 or above 10 000, or
    /// `n_heads` is 0 or does not divide `d_model` (the message suggests
    /// the nearest that does).
    pub fn init<R: Rng + ?Sized>(rng: &mut R, d_model: usize, n_heads: usize, causal: bool) -> Result<Self> {
        if d_model == 0 {
            return Err(Error::invalid("d_model", d_model, "attention needs at least one dimension"));
        }
        super::check_entries("d_model", d_model, d_model, d_model, "projection weights")?;
        head_size(d_model, n_heads)?;
        let mut projection = || Linear::init(rng, d_model, d_model, Init::Xavier);
        let (w_q, w_k, w_v, w_o) = (projection()?, projection()?, projection()?, projection()?);
        SelfAttention::new(w_q, w_k, w_v, w_o, n_heads, causal)
    }

    /// The same layer as notebook 05's [`MultiHeadAttention`] (same
    /// matrices, zero biases), with a backward pass.
    ///
    /// # Errors
    /// Those of [`SelfAttention::new`]; [`Error::NonFinite`] for a weight
    /// replaced by NaN.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let mha = MultiHeadAttention::random(&mut seeded_rng(0), 6, 3)?;
    /// let attn = SelfAttention::from_multi_head(&mha, true)?;
    /// let x = randn(&mut seeded_rng(1), (4, 6));
    /// let theirs = mha.forward(&x, Some(&Mask::Causal))?.output;
    /// assert!((&attn.predict(&x)? - &theirs).iter().all(|d| d.abs() < 1e-12));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn from_multi_head(mha: &MultiHeadAttention, causal: bool) -> Result<Self> {
        let linear = |w: &Array2<f64>| Linear::new(w.clone(), Array1::zeros(w.ncols()));
        SelfAttention::new(linear(&mha.w_q)?, linear(&mha.w_k)?, linear(&mha.w_v)?, linear(&mha.w_o)?, mha.n_heads(), causal)
    }

    /// The query projection `X·W_Q + b_Q`.
    pub fn w_q(&self) -> &Linear {
        &self.w_q
    }

    /// The key projection `X·W_K + b_K`.
    pub fn w_k(&self) -> &Linear {
        &self.w_k
    }

    /// The value projection `X·W_V + b_V`.
    pub fn w_v(&self) -> &Linear {
        &self.w_v
    }

    /// The output projection, applied to the heads side by side.
    pub fn w_o(&self) -> &Linear {
        &self.w_o
    }

    /// The model width.
    pub fn d_model(&self) -> usize {
        self.w_q.d_in()
    }

    /// The number of heads.
    pub fn n_heads(&self) -> usize {
        self.n_heads
    }

    /// Columns per head, `d_model / n_heads`.
    pub fn d_head(&self) -> usize {
        self.d_model() / self.n_heads
    }

    /// Whether a token may only attend to itself and earlier tokens.
    pub fn is_causal(&self) -> bool {
        self.causal
    }

    /// Each head's attention weights from the last forward pass,
    /// `n_heads × (T, T)`: row `i` says how much token `i` took from each
    /// token (a heatmap per head).
    pub fn attention_weights(&self) -> Option<&[Array2<f64>]> {
        self.saved.as_ref().map(|s| s.weights.as_slice())
    }

    /// The layers in the order their errors are numbered.
    fn projections(&self) -> [&Linear; 4] {
        [&self.w_q, &self.w_k, &self.w_v, &self.w_o]
    }

    /// Checks `x`: `(T, d_model)`, `T ≥ 1`, finite, and `(n_heads + 2)·T²`
    /// at most 100 million numbers: the saved weights of every head, one
    /// more `(T, T)` matrix (a head's scores, or `∂L/∂A`) and the causal
    /// mask's `T²` bytes are the layer's peak, kept below 800 MB.
    fn check_input(&self, x: &Array2<f64>, seq_len: usize) -> Result<()> {
        const OP: &str = "SelfAttention.forward";
        let d = self.d_model();
        check_cols(OP, x, Rows::AtLeastOne, d, &[d, d], "X (left) needs at least one row (token) and d_model columns, one per row of W_Q (right)")?;
        if seq_len == 0 || !x.nrows().is_multiple_of(seq_len) {
            return Err(Error::invalid("seq_len", seq_len, format!("the {} rows must be whole sequences of seq_len rows", x.nrows())));
        }
        check_finite(OP, &x.view())?;
        let t = seq_len;
        let blocks = x.nrows() / t;
        // (blocks · n_heads + 2)·T²: every sequence's and head's weights, one more (T, T), the mask.
        let peak = blocks.checked_mul(self.n_heads).and_then(|m| m.checked_add(2)).and_then(|m| t.checked_mul(t)?.checked_mul(m));
        if peak.is_none_or(|n| n > MAX_WEIGHTS) {
            return Err(Error::invalid(
                "seq_len",
                t,
                format!(
                    "attention holds ({} heads + 2) × {t} × {t} numbers at its peak (every head's weights, one head's scores or gradient, the mask), more than this crate holds at once (at most 100 million numbers, 800 MB)",
                    self.n_heads
                ),
            ));
        }
        Ok(())
    }

    /// Attention in each head on the projections, the heads side by side;
    /// each head's weights pushed onto `keep` if given (forward keeps them
    /// for backward, predict drops each head's after use).
    fn attend(&self, q: &Array2<f64>, k: &Array2<f64>, v: &Array2<f64>, seq_len: usize, mut keep: Option<&mut Vec<Array2<f64>>>) -> Result<Array2<f64>> {
        let (t, dh) = (seq_len, self.d_head());
        let mask = if self.causal { Some(Mask::Causal) } else { None };
        let mut concat = Array2::zeros((q.nrows(), self.d_model())); // (T, d_model)
        for b in 0..q.nrows() / t {
            let rows = b * t..(b + 1) * t; // one sequence; stacked ones never attend to each other
            for h in 0..self.n_heads {
                let cols = h * dh..(h + 1) * dh;
                let at = s![rows.clone(), cols];
                // (T, d_head)·(d_head, T) -> (T, T) weights, (T, T)·(T, d_head) -> (T, d_head) output
                let head = scaled_dot_product_attention(q.slice(at), k.slice(at), v.slice(at), mask.as_ref())?;
                concat.slice_mut(at).assign(&head.output);
                if let Some(kept) = keep.as_deref_mut() {
                    kept.push(head.weights); // (T, T)
                }
            }
        }
        Ok(concat)
    }

    /// [`forward`](Layer::forward) for `x` made of sequences of `seq_len`
    /// rows stacked (a batch in one matrix): the projections run on all
    /// rows at once, attention within each sequence.
    pub(crate) fn forward_seqs(&mut self, x: &Array2<f64>, seq_len: usize) -> Result<Array2<f64>> {
        self.saved = None; // a failed pass must not leave an earlier pass's state for backward
        self.check_input(x, seq_len)?;
        let q = self.w_q.forward(x).map_err(|e| in_layer(0, &self.w_q, e))?; // (T, d_model)
        let k = self.w_k.forward(x).map_err(|e| in_layer(1, &self.w_k, e))?; // (T, d_model)
        let v = self.w_v.forward(x).map_err(|e| in_layer(2, &self.w_v, e))?; // (T, d_model)
        let mut weights = Vec::with_capacity(self.n_heads); // n_heads × (T, T)
        let concat = self.attend(&q, &k, &v, seq_len, Some(&mut weights))?; // (T, d_model)
        let y = self.w_o.forward(&concat).map_err(|e| in_layer(3, &self.w_o, e))?; // (T, d_model)
        self.saved = Some(Saved { q, k, v, weights, seq_len });
        Ok(y)
    }

    /// [`predict`](Layer::predict) for stacked sequences of `seq_len` rows.
    pub(crate) fn predict_seqs(&self, x: &Array2<f64>, seq_len: usize) -> Result<Array2<f64>> {
        self.check_input(x, seq_len)?;
        let [w_q, w_k, w_v, w_o] = self.projections();
        let q = w_q.predict(x).map_err(|e| in_layer(0, w_q, e))?; // (T, d_model)·(d_model, d_model) -> (T, d_model)
        let k = w_k.predict(x).map_err(|e| in_layer(1, w_k, e))?; // (T, d_model)
        let v = w_v.predict(x).map_err(|e| in_layer(2, w_v, e))?; // (T, d_model)
        let concat = self.attend(&q, &k, &v, seq_len, None)?; // (T, d_model): the heads side by side
        w_o.predict(&concat).map_err(|e| in_layer(3, w_o, e)) // (T, d_model)·(d_model, d_model) -> (T, d_model)
    }
}

impl Layer for SelfAttention {
    fn name(&self) -> String {
        let mask = if self.causal { "causal" } else { "unmasked" };
        format!("SelfAttention(d_model {}, {} heads, {mask})", self.d_model(), self.n_heads)
    }

    fn forward(&mut self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.forward_seqs(x, x.nrows())
    }

    fn predict(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.predict_seqs(x, x.nrows())
    }

    fn backward(&mut self, grad_output: &Array2<f64>) -> Result<Array2<f64>> {
        const OP: &str = "SelfAttention.backward";
        let Saved { q, k, v, weights, seq_len } = self.saved.as_ref().ok_or_else(|| no_forward_yet("SelfAttention"))?;
        let (t, dh) = (*seq_len, self.d_model() / self.n_heads);
        check_grad_shape(OP, grad_output, (q.nrows(), self.d_model()))?;
        check_finite(OP, &grad_output.view())?;
        let grad_concat = self.w_o.backward(grad_output).map_err(|e| in_layer(3, &self.w_o, e))?; // (T, d_model)
        let scale = 1.0 / (dh as f64).sqrt();
        let (mut grad_q, mut grad_k, mut grad_v) = (Array2::zeros(q.raw_dim()), Array2::zeros(k.raw_dim()), Array2::zeros(v.raw_dim())); // (T, d_model) each
        for (i, a) in weights.iter().enumerate() {
            let (b, h) = (i / self.n_heads, i % self.n_heads); // sequence b, head h
            let cols = s![b * t..(b + 1) * t, h * dh..(h + 1) * dh];
            let grad_out = grad_concat.slice(cols); // (T, d_head): ∂L/∂O_h
            grad_v.slice_mut(cols).assign(&matmul(a.t(), grad_out)); // (T, T)·(T, d_head) -> (T, d_head)
            // The one (T, T) matrix of the backward pass: ∂L/∂A, turned into ∂L/∂S in place.
            let mut grad_s = matmul(grad_out, v.slice(cols).t()); // (T, d_head)·(d_head, T) -> (T, T): ∂L/∂A
            // Softmax backward, row by row: A ⊙ (∂L/∂A − Σⱼ ∂L/∂Aⱼ·Aⱼ); masked weights are 0 and stay 0.
            softmax_backward_rows(a.view(), grad_s.view_mut()); // (T, T): ∂L/∂S
            grad_q.slice_mut(cols).assign(&(matmul(grad_s.view(), k.slice(cols)) * scale)); // (T, T)·(T, d_head) -> (T, d_head)
            grad_k.slice_mut(cols).assign(&(matmul(grad_s.t(), q.slice(cols)) * scale)); // (T, T)·(T, d_head) -> (T, d_head)
        }
        check_result("SelfAttention.backward (∂L/∂Q)", &grad_q.view())?;
        check_result("SelfAttention.backward (∂L/∂K)", &grad_k.view())?;
        check_result("SelfAttention.backward (∂L/∂V)", &grad_v.view())?;
        let dx_q = self.w_q.backward(&grad_q).map_err(|e| in_layer(0, &self.w_q, e))?; // (T, d_model)
        let dx_k = self.w_k.backward(&grad_k).map_err(|e| in_layer(1, &self.w_k, e))?;
        let dx_v = self.w_v.backward(&grad_v).map_err(|e| in_layer(2, &self.w_v, e))?;
        let grad_input = dx_q + dx_k + dx_v; // X was the input of all three projections
        check_result("SelfAttention.backward (∂L/∂X)", &grad_input.view())?;
        Ok(grad_input)
    }

    fn num_params(&self) -> usize {
        self.projections().iter().map(|l| l.num_params()).sum()
    }

    fn params(&self) -> Array1<f64> {
        let [q, k, v, o] = self.projections();
        params_of(&[(0, q), (1, k), (2, v), (3, o)])
    }

    fn grads(&self) -> Result<Array1<f64>> {
        let mut all = Vec::with_capacity(self.num_params());
        for l in self.projections() {
            all.extend(l.grads().map_err(|_| no_grads_yet(&self.name()))?);
        }
        Ok(Array1::from(all))
    }

    fn set_params(&mut self, params: ArrayView1<f64>) -> Result<()> {
        // Each projection's set_params checks what was checked here already: it cannot fail.
        set_params_of(
            "SelfAttention.set_params",
            "W_Q, b_Q, W_K, b_K, W_V, b_V, W_O, b_O: 4 · (d_model² + d_model) values",
            &mut [(0, &mut self.w_q), (1, &mut self.w_k), (2, &mut self.w_v), (3, &mut self.w_o)],
            params,
        )
    }

    fn clone_box(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

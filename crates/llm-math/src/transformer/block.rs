//! The position-wise MLP, residual connections (with the experiment that
//! shows why deep stacks need them), and the pre-norm block that composes
//! them with attention.

use ndarray::{Array1, Array2, ArrayView1};
use rand::Rng;

use super::{LayerNorm, SelfAttention};
use crate::error::{Error, Result, check_finite, check_result, check_same_shape};
use crate::nn::flat::{Part, grads_of, params_of, set_params_of};
use crate::nn::{Activation, Init, Layer, Linear, MAX_WEIGHTS, Sequential, check_grad_shape, in_layer, no_forward_yet};
use crate::random::randn;

/// What `set_params` of a block or an MLP says its vector must hold.
const PARTS_RULE: &str = "one value per parameter of every part, in order";

/// The position-wise MLP of a transformer block: the same two-layer network
/// applied to every token on its own, widening to `hidden` (usually
/// `4·d_model`) and back:
///
/// ```text
/// Y = φ(X·W₁ + b₁)·W₂ + b₂        X: (T, d_model) -> (T, hidden) -> (T, d_model)
/// ```
///
/// with `φ` GELU in GPT-2 (any [`Activation`] here). Backward is that of its
/// three layers in reverse order; parameters flatten as `W₁, b₁, W₂, b₂`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let mlp = Mlp::init(&mut seeded_rng(0), 8, 32, Activation::gelu())?; // d → 4d → d
/// assert_eq!(mlp.num_params(), (8 * 32 + 32) + (32 * 8 + 8));
/// let x = randn(&mut seeded_rng(1), (3, 8));
/// let y = mlp.predict(&x)?;
/// // Position-wise: each row's output depends on that row only.
/// let row = mlp.predict(&x.slice(s![1..2, ..]).to_owned())?;
/// assert!((&y.slice(s![1..2, ..]) - &row).iter().all(|d| d.abs() < 1e-12));
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    fc: Linear,
    activation: Activation,
    proj: Linear,
    /// The shape of the last forward pass's input, `None` until a pass has
    /// gone through all three layers (a failed one leaves its first layers
    /// holding the new pass and the rest an older one).
    shape: Option<(usize, usize)>,
}

impl Mlp {
    /// An MLP from its two layers, `d_model → hidden` and `hidden → d_model`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] unless `proj` maps `fc`'s output width back
    /// to `fc`'s input width.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// // d_model = 1, hidden = 2: y = relu(x·[1, −1])·[[2], [3]]
    /// let fc = Linear::new(array![[1.0, -1.0]], array![0.0, 0.0])?;
    /// let proj = Linear::new(array![[2.0], [3.0]], array![0.0])?;
    /// let mlp = Mlp::new(fc, Activation::relu(), proj)?;
    /// assert_eq!((mlp.d_model(), mlp.hidden()), (1, 2));
    /// assert_eq!(mlp.predict(&array![[1.0], [-1.0]])?, array![[2.0], [3.0]]);
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn new(fc: Linear, activation: Activation, proj: Linear) -> Result<Self> {
        if (proj.d_in(), proj.d_out()) != (fc.d_out(), fc.d_in()) {
            return Err(Error::ShapeMismatch {
                op: "Mlp::new",
                left: vec![fc.d_in(), fc.d_out()],
                right: vec![proj.d_in(), proj.d_out()],
                rule: "the second layer (right) must map the first's output (hidden) back to its input (d_model): (d_model, hidden) then (hidden, d_model)",
            });
        }
        Ok(Mlp { fc, activation, proj, shape: None })
    }

    /// An MLP `d_model → hidden → d_model` with He-initialised weights
    /// before a ReLU-like activation (Xavier otherwise) and zero biases.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `d_model` or `hidden` is 0, or a weight
    /// matrix would hold more than 100 million numbers.
    pub fn init<R: Rng + ?Sized>(rng: &mut R, d_model: usize, hidden: usize, activation: Activation) -> Result<Self> {
        if d_model == 0 {
            return Err(Error::invalid("d_model", d_model, "an MLP needs at least one input"));
        }
        if hidden == 0 {
            return Err(Error::invalid("hidden", hidden, "an MLP needs at least one hidden unit (GPT-2: 4 · d_model)"));
        }
        let fc = Linear::init(rng, d_model, hidden, Init::He).map_err(|e| rename_size(e, "hidden"))?;
        let proj = Linear::init(rng, hidden, d_model, Init::Xavier).map_err(|e| rename_size(e, "hidden"))?;
        Mlp::new(fc, activation, proj)
    }

    /// The widening layer, `d_model → hidden`.
    pub fn fc(&self) -> &Linear {
        &self.fc
    }

    /// The non-linearity between the two layers.
    pub fn activation(&self) -> &Activation {
        &self.activation
    }

    /// The narrowing layer, `hidden → d_model`.
    pub fn proj(&self) -> &Linear {
        &self.proj
    }

    /// The width of the input and output.
    pub fn d_model(&self) -> usize {
        self.fc.d_in()
    }

    /// The width in between.
    pub fn hidden(&self) -> usize {
        self.fc.d_out()
    }

    /// The layers with parameters, numbered as in errors (the activation is 1).
    fn parts(&self) -> [Part<'_>; 2] {
        [(0, &self.fc), (2, &self.proj)]
    }
}

/// An `InvalidArgument` about a weight matrix's size, renamed for the caller's parameter.
fn rename_size(e: Error, name: &'static str) -> Error {
    match e {
        Error::InvalidArgument { value, why, .. } => Error::InvalidArgument { name, value, why },
        other => other,
    }
}

impl Layer for Mlp {
    fn name(&self) -> String {
        format!("Mlp({} → {} → {}, {})", self.d_model(), self.hidden(), self.d_model(), self.activation.name())
    }

    fn forward(&mut self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.shape = None; // a failed pass must not leave an earlier pass's state for backward
        let h = self.fc.forward(x).map_err(|e| in_layer(0, &self.fc, e))?; // (T, d_model)·(d_model, hidden) -> (T, hidden)
        let a = self.activation.forward(&h).map_err(|e| in_layer(1, &self.activation, e))?; // (T, hidden)
        let y = self.proj.forward(&a).map_err(|e| in_layer(2, &self.proj, e))?; // (T, hidden)·(hidden, d_model) -> (T, d_model)
        self.shape = Some(x.dim());
        Ok(y)
    }

    fn predict(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        let h = self.fc.predict(x).map_err(|e| in_layer(0, &self.fc, e))?; // (T, d_model)·(d_model, hidden) -> (T, hidden)
        let a = self.activation.predict(&h).map_err(|e| in_layer(1, &self.activation, e))?; // (T, hidden)
        self.proj.predict(&a).map_err(|e| in_layer(2, &self.proj, e)) // (T, hidden)·(hidden, d_model) -> (T, d_model)
    }

    fn backward(&mut self, grad_output: &Array2<f64>) -> Result<Array2<f64>> {
        self.shape.ok_or_else(|| no_forward_yet("Mlp"))?;
        let g = self.proj.backward(grad_output).map_err(|e| in_layer(2, &self.proj, e))?; // (T, hidden)
        let g = self.activation.backward(&g).map_err(|e| in_layer(1, &self.activation, e))?; // (T, hidden)
        self.fc.backward(&g).map_err(|e| in_layer(0, &self.fc, e)) // (T, d_model)
    }

    fn num_params(&self) -> usize {
        self.fc.num_params() + self.proj.num_params()
    }

    fn params(&self) -> Array1<f64> {
        params_of(&self.parts())
    }

    fn grads(&self) -> Result<Array1<f64>> {
        grads_of(&self.parts())
    }

    fn set_params(&mut self, params: ArrayView1<f64>) -> Result<()> {
        set_params_of("Mlp.set_params", PARTS_RULE, &mut [(0, &mut self.fc), (2, &mut self.proj)], params)
    }

    fn clone_box(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

/// A residual (skip) connection around a layer that keeps the shape:
///
/// ```text
/// Y = X + f(X)          ∂L/∂X = G + ∂L/∂X through f
/// ```
///
/// The `G` that flows straight through the sum is why deep stacks still
/// train: every layer gets the loss's gradient directly, not only after it
/// has passed through every layer above. The parameters are the inner
/// layer's.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let mut r = Residual::new(Activation::relu());
/// assert_eq!(r.forward(&array![[-1.0, 2.0]])?, array![[-1.0, 4.0]]); // x + relu(x)
/// assert_eq!(r.backward(&array![[1.0, 1.0]])?, array![[1.0, 2.0]]);  // 1 + relu'(x)
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Residual {
    inner: Box<dyn Layer>,
    /// The shape of the last forward pass's input, `None` until a pass has
    /// gone through (a failed one may leave the inner layer holding it).
    shape: Option<(usize, usize)>,
}

impl Residual {
    /// `X + inner(X)`.
    pub fn new(inner: impl Layer + 'static) -> Self {
        Residual { inner: Box::new(inner), shape: None }
    }

    /// The layer inside the connection.
    pub fn inner(&self) -> &dyn Layer {
        self.inner.as_ref()
    }

    /// `x + f(x)` once `f(x)` is known to have `x`'s shape.
    fn add(x: &Array2<f64>, fx: Array2<f64>) -> Result<Array2<f64>> {
        check_same_shape("Residual.forward", x.shape(), fx.shape(), "X + f(X) needs a layer f that keeps the shape of its input (T, d_model)")?;
        let y = fx + x; // (T, d_model)
        check_result("Residual.forward", &y.view())?;
        Ok(y)
    }
}

impl Layer for Residual {
    fn name(&self) -> String {
        format!("Residual({})", self.inner.name())
    }

    fn forward(&mut self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.shape = None; // a failed pass must not leave an earlier pass's state for backward
        let fx = self.inner.forward(x).map_err(|e| in_layer(0, self.inner.as_ref(), e))?; // (T, d_model)
        let y = Residual::add(x, fx)?;
        self.shape = Some(x.dim());
        Ok(y)
    }

    fn predict(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        let fx = self.inner.predict(x).map_err(|e| in_layer(0, self.inner.as_ref(), e))?;
        Residual::add(x, fx)
    }

    fn backward(&mut self, grad_output: &Array2<f64>) -> Result<Array2<f64>> {
        self.shape.ok_or_else(|| no_forward_yet("Residual"))?;
        let through = self.inner.backward(grad_output).map_err(|e| in_layer(0, self.inner.as_ref(), e))?;
        check_same_shape("Residual.backward", grad_output.shape(), through.shape(), "G + ∂L/∂X through f needs a layer f that keeps the shape of its input (T, d_model)")?;
        let grad_input = through + grad_output; // the skip path passes G unchanged
        check_result("Residual.backward", &grad_input.view())?;
        Ok(grad_input)
    }

    fn num_params(&self) -> usize {
        self.inner.num_params()
    }

    fn params(&self) -> Array1<f64> {
        self.inner.params()
    }

    fn grads(&self) -> Result<Array1<f64>> {
        self.inner.grads().map_err(|e| in_layer(0, self.inner.as_ref(), e))
    }

    fn set_params(&mut self, params: ArrayView1<f64>) -> Result<()> {
        self.inner.set_params(params).map_err(|e| in_layer(0, self.inner.as_ref(), e))
    }

    fn clone_box(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

/// The most layers [`grad_norms_through_depth`] stacks.
const MAX_DEPTH: usize = 10_000;

/// How big the gradient is at the input of every layer of a deep stack,
/// plain or with residual connections: the experiment of notebook 07 that
/// shows why a skip path keeps the gradient alive.
///
/// The stack has `depth` layers `f(X) = tanh(X·W + b)` of `width` units,
/// each `W ~ N(0, std²)` drawn from `rng` in turn ([`Init::Normal`]) and
/// `b = 0`, applied one after the other (`skip = false`: `f(f(…f(X)))`) or
/// each around a skip (`skip = true`: [`Residual`], `X + f(X)`). The input
/// is a batch of 4 rows from `N(0, 1)`, drawn after the weights, and the
/// loss is `L = Σ Y`, so `G = ∂L/∂Y` is all ones. Entry `l` is the size
/// (Frobenius norm) of the gradient at the input of layer `l`; the last,
/// `l = depth`, is that of `G` itself, `√(4·width)`:
///
/// ```text
/// X₀ = X (4, width)     X_{l+1} = f_l(X_l)  or  X_l + f_l(X_l)     Y = X_depth
/// norms[l] = ‖∂L/∂X_l‖ = √(Σᵢⱼ (∂L/∂X_l)ᵢⱼ²)      l = 0..=depth  -> (depth + 1,)
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] for a `width` of 0 or above 10 000, a
/// `depth` above 10 000 or of more than 100 million weights in all
/// (`depth·width²`), or (when there is a layer to draw) a negative or
/// non-finite `std`; [`Error::InLayer`] for a pass beyond f64, naming the
/// layer; [`Error::Overflow`] for weights drawn beyond f64 (a `std` near
/// the largest f64) or a gradient whose size is.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let plain = grad_norms_through_depth(&mut seeded_rng(0), 20, 8, 0.1, false)?;
/// let skipped = grad_norms_through_depth(&mut seeded_rng(0), 20, 8, 0.1, true)?;
/// assert_eq!(plain.len(), 21);                   // the input of each of 20 layers, then G
/// assert_eq!(plain[20], (4.0f64 * 8.0).sqrt());  // ‖G‖ for G all ones, (4, 8)
/// assert!(plain[0] < 1e-10 && skipped[0] > 1.0); // small weights: without skips it vanishes
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn grad_norms_through_depth<R: Rng + ?Sized>(rng: &mut R, depth: usize, width: usize, std: f64, skip: bool) -> Result<Array1<f64>> {
    if width == 0 || width > 10_000 {
        return Err(Error::invalid("width", width, "each layer needs 1 to 10 000 units (a width × width weight matrix of at most 100 million numbers)"));
    }
    if depth > MAX_DEPTH || depth * width * width > MAX_WEIGHTS {
        return Err(Error::invalid(
            "depth",
            depth,
            format!("{depth} layers of {width} × {width} weights: at most {MAX_DEPTH} layers and 100 million weights in all (800 MB)"),
        ));
    }
    let mut layers: Vec<Box<dyn Layer>> = Vec::with_capacity(depth);
    for _ in 0..depth {
        let f = Sequential::new().push(Linear::init(rng, width, width, Init::Normal(std))?).push(Activation::tanh()); // tanh(X·W + b)
        layers.push(if skip { Box::new(Residual::new(f)) } else { Box::new(f) }); // X + f(X), or f(X)
    }
    let mut h = randn(rng, (4, width)); // X₀: (4, width)
    for (l, layer) in layers.iter_mut().enumerate() {
        h = layer.forward(&h).map_err(|e| in_layer(l, layer.as_ref(), e))?; // (4, width) -> (4, width)
    }
    let size = |g: &Array2<f64>| crate::linalg::norm(g.as_slice_memory_order().expect("a fresh array is contiguous"));
    let mut g = Array2::ones(h.dim()); // G = ∂L/∂Y for L = Σ Y
    let mut norms = vec![size(&g)];
    for (l, layer) in layers.iter_mut().enumerate().rev() {
        g = layer.backward(&g).map_err(|e| in_layer(l, layer.as_ref(), e))?; // ∂L/∂X_l, (4, width)
        norms.push(size(&g));
    }
    norms.reverse(); // from the input up: norms[l] at the input of layer l
    let norms = Array1::from(norms); // (depth + 1,)
    check_result("grad_norms_through_depth", &norms.view())?; // finite entries whose squares add up beyond f64
    Ok(norms)
}

/// A pre-norm transformer block (GPT-2's arrangement): each sub-layer sees
/// a normalised copy of the stream and adds its result back to it.
///
/// ```text
/// H = X + SelfAttention(LayerNorm₁(X))        (T, d_model)
/// Y = H + Mlp(LayerNorm₂(H))                  (T, d_model)
/// ```
///
/// Backward runs the same path in reverse, adding the skip paths:
///
/// ```text
/// ∂L/∂H = G + LayerNorm₂ᵀ(Mlpᵀ(G))
/// ∂L/∂X = ∂L/∂H + LayerNorm₁ᵀ(SelfAttentionᵀ(∂L/∂H))
/// ```
///
/// (`fᵀ(G)` for the backward pass of `f`.) Parameters flatten as
/// LayerNorm₁, attention, LayerNorm₂, MLP; errors name the part (`layer 1
/// (SelfAttention(…))` …).
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let mut block = TransformerBlock::init(&mut seeded_rng(0), 8, 2)?; // d_model = 8, 2 heads
/// let x = randn(&mut seeded_rng(1), (5, 8));
/// let y = block.forward(&x)?;
/// assert_eq!(y.dim(), (5, 8));
/// let dx = block.backward(&Array2::ones((5, 8)))?;
/// assert_eq!(dx.dim(), (5, 8));
/// // 2·(2·8) LayerNorm + 4·(8·8 + 8) attention + (8·32 + 32) + (32·8 + 8) MLP
/// assert_eq!(block.num_params(), 32 + 288 + 552);
/// assert_eq!(block.grads()?.len(), block.num_params());
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TransformerBlock {
    ln1: LayerNorm,
    attn: SelfAttention,
    ln2: LayerNorm,
    mlp: Mlp,
    /// The shape of the last forward pass's input.
    shape: Option<(usize, usize)>,
}

impl TransformerBlock {
    /// A block from its four parts.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] unless all four have the same `d_model`.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let mut rng = seeded_rng(0);
    /// let attn = SelfAttention::init(&mut rng, 4, 2, true)?;        // d_model = 4, 2 heads, causal
    /// let mlp = Mlp::init(&mut rng, 4, 16, Activation::gelu_tanh())?; // GPT-2's code: tanh GELU
    /// let block = TransformerBlock::new(LayerNorm::new(4)?, attn, LayerNorm::new(4)?, mlp)?;
    /// assert_eq!(block.predict(&randn(&mut rng, (3, 4)))?.dim(), (3, 4));
    /// // Every part must have the same d_model.
    /// let (attn, mlp) = (block.attn().clone(), block.mlp().clone());
    /// assert!(TransformerBlock::new(LayerNorm::new(5)?, attn, LayerNorm::new(4)?, mlp).is_err());
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn new(ln1: LayerNorm, attn: SelfAttention, ln2: LayerNorm, mlp: Mlp) -> Result<Self> {
        let d = attn.d_model();
        for other in [ln1.d_model(), ln2.d_model(), mlp.d_model()] {
            if other != d {
                return Err(Error::ShapeMismatch {
                    op: "TransformerBlock::new",
                    left: vec![ln1.d_model(), d, ln2.d_model(), mlp.d_model()],
                    right: vec![d],
                    rule: "LayerNorm₁, attention, LayerNorm₂ and the MLP (left, in that order) need one d_model (right, the attention's)",
                });
            }
        }
        Ok(TransformerBlock { ln1, attn, ln2, mlp, shape: None })
    }

    /// A block arranged as GPT-2's: LayerNorms with `γ = 1`, `β = 0`;
    /// causal attention with `n_heads` heads; an MLP
    /// `d_model → 4·d_model → d_model` with exact GELU (GPT-2's code used
    /// the tanh approximation, [`Activation::gelu_tanh`], within about
    /// 4.7e-4 of it; build the block with [`TransformerBlock::new`] for
    /// that).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `d_model` is 0 or too large (a weight
    /// matrix of more than 100 million numbers), or `n_heads` is 0 or does
    /// not divide `d_model`.
    pub fn init<R: Rng + ?Sized>(rng: &mut R, d_model: usize, n_heads: usize) -> Result<Self> {
        let attn = SelfAttention::init(rng, d_model, n_heads, true)?;
        let hidden = d_model.checked_mul(4).ok_or_else(|| Error::invalid("d_model", d_model, "4 · d_model is beyond usize"))?;
        let mlp = Mlp::init(rng, d_model, hidden, Activation::gelu()).map_err(|e| rename_size(e, "d_model"))?;
        TransformerBlock::new(LayerNorm::new(d_model)?, attn, LayerNorm::new(d_model)?, mlp)
    }

    /// The LayerNorm before attention.
    pub fn ln1(&self) -> &LayerNorm {
        &self.ln1
    }

    /// The attention sub-layer.
    pub fn attn(&self) -> &SelfAttention {
        &self.attn
    }

    /// The LayerNorm before the MLP.
    pub fn ln2(&self) -> &LayerNorm {
        &self.ln2
    }

    /// The MLP sub-layer.
    pub fn mlp(&self) -> &Mlp {
        &self.mlp
    }

    /// The width of the residual stream.
    pub fn d_model(&self) -> usize {
        self.attn.d_model()
    }

    /// The parts in the order of their parameters and error numbers.
    fn parts(&self) -> [Part<'_>; 4] {
        [(0, &self.ln1), (1, &self.attn), (2, &self.ln2), (3, &self.mlp)]
    }
}

impl TransformerBlock {
    /// [`forward`](Layer::forward) for `x` made of sequences of `seq_len`
    /// rows stacked (a batch in one matrix): everything but attention works
    /// row by row, and attention stays within each sequence.
    pub(crate) fn forward_seqs(&mut self, x: &Array2<f64>, seq_len: usize) -> Result<Array2<f64>> {
        self.shape = None;
        let a = self.ln1.forward(x).map_err(|e| in_layer(0, &self.ln1, e))?; // (T, d_model)
        let a = self.attn.forward_seqs(&a, seq_len).map_err(|e| in_layer(1, &self.attn, e))?; // (T, d_model)
        let h = residual_sum("TransformerBlock.forward (X + attention)", x, a)?;
        let m = self.ln2.forward(&h).map_err(|e| in_layer(2, &self.ln2, e))?;
        let m = self.mlp.forward(&m).map_err(|e| in_layer(3, &self.mlp, e))?;
        let y = residual_sum("TransformerBlock.forward (H + MLP)", &h, m)?;
        self.shape = Some(x.dim());
        Ok(y)
    }

    /// [`predict`](Layer::predict) for stacked sequences of `seq_len` rows.
    pub(crate) fn predict_seqs(&self, x: &Array2<f64>, seq_len: usize) -> Result<Array2<f64>> {
        let a = self.ln1.predict(x).map_err(|e| in_layer(0, &self.ln1, e))?; // (T, d_model) -> (T, d_model)
        let a = self.attn.predict_seqs(&a, seq_len).map_err(|e| in_layer(1, &self.attn, e))?; // (T, d_model) -> (T, d_model)
        let h = residual_sum("TransformerBlock.forward (X + attention)", x, a)?; // (T, d_model) + (T, d_model)
        let m = self.ln2.predict(&h).map_err(|e| in_layer(2, &self.ln2, e))?; // (T, d_model) -> (T, d_model)
        let m = self.mlp.predict(&m).map_err(|e| in_layer(3, &self.mlp, e))?; // (T, d_model) -> (T, hidden) -> (T, d_model)
        residual_sum("TransformerBlock.forward (H + MLP)", &h, m) // (T, d_model) + (T, d_model)
    }
}

/// `x + fx` in a block, an overflow error naming `op` if it is beyond f64.
fn residual_sum(op: &'static str, x: &Array2<f64>, fx: Array2<f64>) -> Result<Array2<f64>> {
    let y = fx + x;
    check_result(op, &y.view())?;
    Ok(y)
}

impl Layer for TransformerBlock {
    fn name(&self) -> String {
        format!("TransformerBlock(d_model {}, {} heads)", self.d_model(), self.attn.n_heads())
    }

    fn forward(&mut self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.forward_seqs(x, x.nrows())
    }

    fn predict(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.predict_seqs(x, x.nrows())
    }

    fn backward(&mut self, grad_output: &Array2<f64>) -> Result<Array2<f64>> {
        const OP: &str = "TransformerBlock.backward";
        let shape = self.shape.ok_or_else(|| no_forward_yet("TransformerBlock"))?;
        check_grad_shape(OP, grad_output, shape)?;
        check_finite(OP, &grad_output.view())?;
        let g = self.mlp.backward(grad_output).map_err(|e| in_layer(3, &self.mlp, e))?;
        let g = self.ln2.backward(&g).map_err(|e| in_layer(2, &self.ln2, e))?;
        let grad_h = residual_sum("TransformerBlock.backward (∂L/∂H)", grad_output, g)?; // G + through the MLP
        let g = self.attn.backward(&grad_h).map_err(|e| in_layer(1, &self.attn, e))?;
        let g = self.ln1.backward(&g).map_err(|e| in_layer(0, &self.ln1, e))?;
        residual_sum("TransformerBlock.backward (∂L/∂X)", &grad_h, g) // ∂L/∂H + through attention
    }

    fn num_params(&self) -> usize {
        self.parts().iter().map(|(_, l)| l.num_params()).sum()
    }

    fn params(&self) -> Array1<f64> {
        params_of(&self.parts())
    }

    fn grads(&self) -> Result<Array1<f64>> {
        grads_of(&self.parts())
    }

    fn set_params(&mut self, params: ArrayView1<f64>) -> Result<()> {
        set_params_of("TransformerBlock.set_params", PARTS_RULE, &mut [(0, &mut self.ln1), (1, &mut self.attn), (2, &mut self.ln2), (3, &mut self.mlp)], params)
    }

    fn clone_box(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

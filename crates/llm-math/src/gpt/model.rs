//! The tiny GPT: token and learned positional embeddings, pre-norm blocks,
//! a final LayerNorm and the tied unembedding, all from `transformer`.

use std::fmt;

use ndarray::{Array1, Array2, ArrayView1, s};
use rand::Rng;

use crate::error::{Error, Result, check_finite, check_same_len};
use crate::nn::{Activation, Layer, in_layer, softmax_cross_entropy};
use crate::transformer::{Embedding, LayerNorm, Mlp, PositionalEncoding, Sampler, SelfAttention, TransformerBlock, generate, lm_loss};

/// The sizes of a [`Gpt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GptConfig {
    /// How many tokens the vocabulary has.
    pub vocab_size: usize,
    /// The width of the residual stream.
    pub d_model: usize,
    /// Attention heads per block (must divide `d_model`).
    pub n_heads: usize,
    /// How many transformer blocks.
    pub n_layers: usize,
    /// The context: the most tokens the positional table covers.
    pub max_len: usize,
}

impl GptConfig {
    /// The largest number of blocks a [`Gpt`] takes.
    pub const MAX_LAYERS: usize = 64;

    fn check(&self) -> Result<()> {
        for (name, value) in [("vocab_size", self.vocab_size), ("d_model", self.d_model), ("n_heads", self.n_heads), ("max_len", self.max_len)] {
            if value == 0 {
                return Err(Error::invalid(name, value, "a GPT needs at least 1"));
            }
        }
        if self.n_layers > Self::MAX_LAYERS {
            return Err(Error::invalid("n_layers", self.n_layers, "at most 64 blocks in this course's GPT"));
        }
        Ok(())
    }
}

/// A GPT small enough to train in a notebook:
///
/// ```text
/// ids (T,) → wte[ids] + wpe[0..T] → block₁ … block_L → ln_f → · wteᵀ → logits (T, V)
/// ```
///
/// Each block is a pre-norm [`TransformerBlock`] with causal multi-head
/// attention and an MLP `d → 4d → d` with GELU's tanh form (as GPT-2's
/// code). The unembedding reuses the token table (weight tying). Its
/// parameters flatten, in the order of [`Gpt::tensors`], for the optimizers
/// of `optim`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let cfg = GptConfig { vocab_size: 10, d_model: 8, n_heads: 2, n_layers: 1, max_len: 6 };
/// let mut gpt = Gpt::new(&mut seeded_rng(0), cfg)?;
/// let logits = gpt.forward(&[1, 2, 3])?;
/// assert_eq!(logits.dim(), (3, 10));
/// // A context longer than the positional table is an error.
/// let err = gpt.forward(&[0; 7]).unwrap_err().to_string();
/// assert!(err.contains("7 tokens") && err.contains("max_len = 6"), "{err}");
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Gpt {
    config: GptConfig,
    wte: Embedding,
    wpe: PositionalEncoding,
    blocks: Vec<TransformerBlock>,
    ln_f: LayerNorm,
}

impl Gpt {
    /// A freshly initialised GPT: token and position tables from
    /// `N(0, 0.02²)`, each block as [`TransformerBlock::new`] with
    /// [`SelfAttention::init`] and [`Mlp::init`] (tanh GELU), LayerNorms with
    /// `γ = 1`, `β = 0`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a size of 0, more than 64 blocks,
    /// `n_heads` that does not divide `d_model`, or tables beyond 100
    /// million numbers.
    pub fn new<R: Rng + ?Sized>(rng: &mut R, config: GptConfig) -> Result<Self> {
        config.check()?;
        let d = config.d_model;
        let wte = Embedding::init(rng, config.vocab_size, d, 0.02)?;
        let wpe = PositionalEncoding::learned(rng, config.max_len, d, 0.02)?;
        let hidden = d.checked_mul(4).ok_or_else(|| Error::invalid("d_model", d, "4 · d_model is beyond usize"))?;
        let blocks = (0..config.n_layers)
            .map(|_| {
                let attn = SelfAttention::init(rng, d, config.n_heads, true)?;
                let mlp = Mlp::init(rng, d, hidden, Activation::gelu_tanh())?;
                TransformerBlock::new(LayerNorm::new(d)?, attn, LayerNorm::new(d)?, mlp)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Gpt { config, wte, wpe, blocks, ln_f: LayerNorm::new(d)? })
    }

    /// The sizes.
    pub fn config(&self) -> GptConfig {
        self.config
    }

    /// The token table (also the unembedding).
    pub fn wte(&self) -> &Embedding {
        &self.wte
    }

    /// The learned positional table.
    pub fn wpe(&self) -> &PositionalEncoding {
        &self.wpe
    }

    /// The blocks, first to last.
    pub fn blocks(&self) -> &[TransformerBlock] {
        &self.blocks
    }

    /// The final LayerNorm.
    pub fn ln_f(&self) -> &LayerNorm {
        &self.ln_f
    }

    /// Every parameter tensor's name and shape, in the order of
    /// [`params`](Gpt::params), with GPT-2's names. Weights are stored
    /// `(d_in, d_out)`: `y = x·W + b`.
    pub fn tensors(&self) -> Vec<(String, Vec<usize>)> {
        let GptConfig { vocab_size: v, d_model: d, max_len, .. } = self.config;
        let mut out = vec![("wte".to_string(), vec![v, d]), ("wpe".to_string(), vec![max_len, d])];
        for i in 0..self.blocks.len() {
            let mut add = |name: &str, shape: Vec<usize>| out.push((format!("h.{i}.{name}"), shape));
            add("ln_1.weight", vec![d]);
            add("ln_1.bias", vec![d]);
            for p in ["q", "k", "v", "proj"] {
                add(&format!("attn.{p}.weight"), vec![d, d]);
                add(&format!("attn.{p}.bias"), vec![d]);
            }
            add("ln_2.weight", vec![d]);
            add("ln_2.bias", vec![d]);
            add("mlp.fc.weight", vec![d, 4 * d]);
            add("mlp.fc.bias", vec![4 * d]);
            add("mlp.proj.weight", vec![4 * d, d]);
            add("mlp.proj.bias", vec![d]);
        }
        out.push(("ln_f.weight".to_string(), vec![d]));
        out.push(("ln_f.bias".to_string(), vec![d]));
        out
    }

    /// The number of parameters (the token table counted once).
    pub fn num_params(&self) -> usize {
        self.wte.num_params() + self.wpe.num_params() + self.blocks.iter().map(|b| b.num_params()).sum::<usize>() + self.ln_f.num_params()
    }

    fn check_context(&self, ids: &[usize]) -> Result<()> {
        if ids.len() > self.config.max_len {
            return Err(Error::invalid(
                "ids",
                format!("{} tokens", ids.len()),
                format!(
                    "the context is longer than the positional table (max_len = {}); pass at most the last {} tokens",
                    self.config.max_len, self.config.max_len
                ),
            ));
        }
        Ok(())
    }

    /// The logits `(T, V)` for `ids` (`T` tokens, `1 ≤ T ≤ max_len`),
    /// remembering what [`backward`](Gpt::backward) needs.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a context longer than `max_len` or an
    /// id not below the vocabulary size; [`Error::BadShape`] for no ids; an
    /// error inside a block is [`Error::InLayer`] naming it.
    pub fn forward(&mut self, ids: &[usize]) -> Result<Array2<f64>> {
        self.check_context(ids)?;
        let x = self.wte.forward(ids)?; // (T,) -> (T, d)
        let mut x = self.wpe.forward(&x)?; // + positions
        for (i, b) in self.blocks.iter_mut().enumerate() {
            x = b.forward(&x).map_err(|e| in_layer(i, b, e))?;
        }
        let h = self.ln_f.forward(&x)?;
        self.wte.forward_logits(&h) // (T, d) · (d, V) -> (T, V)
    }

    /// The logits for `ids`, remembering nothing.
    ///
    /// # Errors
    /// As [`forward`](Gpt::forward).
    pub fn predict(&self, ids: &[usize]) -> Result<Array2<f64>> {
        self.check_context(ids)?;
        let x = self.wte.predict(ids)?;
        let mut x = self.wpe.predict(&x)?;
        for (i, b) in self.blocks.iter().enumerate() {
            x = b.predict(&x).map_err(|e| in_layer(i, b, e))?;
        }
        let h = self.ln_f.predict(&x)?;
        self.wte.predict_logits(&h)
    }

    /// Back through the model from `∂L/∂logits`, keeping every parameter's
    /// gradient (read them with [`grads`](Gpt::grads)).
    ///
    /// # Errors
    /// As the layers' `backward`: no forward pass yet, a gradient of the
    /// wrong shape or not finite.
    pub fn backward(&mut self, grad_logits: &Array2<f64>) -> Result<()> {
        let g = self.wte.backward_logits(grad_logits)?;
        let mut g = self.ln_f.backward(&g)?;
        for (i, b) in self.blocks.iter_mut().enumerate().rev() {
            g = b.backward(&g).map_err(|e| in_layer(i, b, e))?;
        }
        let g = self.wpe.backward(&g)?;
        self.wte.backward(&g)
    }

    /// The mean next-token loss of one sequence of `T + 1` tokens (inputs
    /// `tokens[..T]`, targets `tokens[1..]`), after which [`grads`](Gpt::grads)
    /// holds its gradient.
    ///
    /// # Errors
    /// [`Error::BadShape`] for fewer than 2 tokens; otherwise as
    /// [`forward`](Gpt::forward).
    pub fn loss_and_backward(&mut self, tokens: &[usize]) -> Result<f64> {
        if tokens.len() < 2 {
            return Err(Error::BadShape { op: "Gpt::loss_and_backward", got: vec![tokens.len()], expected: "at least 2 tokens (an input and its next token)" });
        }
        let logits = self.forward(&tokens[..tokens.len() - 1])?;
        let loss = lm_loss(&logits, tokens)?;
        self.backward(&loss.grad)?;
        Ok(loss.value)
    }

    /// The mean next-token loss of one sequence of `T + 1` tokens, without
    /// gradients.
    ///
    /// # Errors
    /// As [`loss_and_backward`](Gpt::loss_and_backward).
    pub fn loss(&self, tokens: &[usize]) -> Result<f64> {
        if tokens.len() < 2 {
            return Err(Error::BadShape { op: "Gpt::loss", got: vec![tokens.len()], expected: "at least 2 tokens (an input and its next token)" });
        }
        Ok(lm_loss(&self.predict(&tokens[..tokens.len() - 1])?, tokens)?.value)
    }

    /// The inputs and targets of equal windows of `T + 1` tokens, stacked
    /// one window after another, and `T`.
    fn stack(&self, op: &'static str, windows: &[&[usize]]) -> Result<(Vec<usize>, Vec<usize>, usize)> {
        let Some(first) = windows.first() else {
            return Err(Error::BadShape { op, got: vec![0], expected: "at least one window" });
        };
        let len = first.len();
        if len < 2 {
            return Err(Error::BadShape { op, got: vec![len], expected: "windows of at least 2 tokens (an input and its next token)" });
        }
        if let Some((i, w)) = windows.iter().enumerate().find(|(_, w)| w.len() != len) {
            return Err(Error::invalid("windows", format!("windows[{i}] has {} tokens", w.len()), format!("every window needs the same length as windows[0], {len} tokens")));
        }
        let t = len - 1;
        if t > self.config.max_len {
            return Err(Error::invalid(
                "windows",
                format!("{t} tokens of context"),
                format!("the context is longer than the positional table (max_len = {}): windows of at most {} tokens", self.config.max_len, self.config.max_len + 1),
            ));
        }
        let v = self.config.vocab_size;
        for (i, w) in windows.iter().enumerate() {
            if let Some((j, id)) = w.iter().enumerate().find(|(_, id)| **id >= v) {
                return Err(Error::invalid("windows", format!("windows[{i}][{j}] = {id}"), format!("a token id must be below the vocabulary size, {v}")));
            }
        }
        let inputs: Vec<usize> = windows.iter().flat_map(|w| w[..t].iter().copied()).collect();
        let targets: Vec<usize> = windows.iter().flat_map(|w| w[1..].iter().copied()).collect();
        Ok((inputs, targets, t))
    }

    /// The mean next-token loss over a batch of windows of `T + 1` tokens
    /// each (the mean over all `B·T` predictions, as the mean of
    /// [`loss_and_backward`](Gpt::loss_and_backward) over the windows),
    /// after which [`grads`](Gpt::grads) holds its gradient. The windows
    /// run as one stacked `(B·T, d_model)` matrix (attention stays within
    /// each window), which is what makes training fast.
    ///
    /// # Errors
    /// [`Error::BadShape`] for no windows or windows shorter than 2 tokens;
    /// [`Error::InvalidArgument`] for windows of different lengths, a
    /// context longer than `max_len`, or an id outside the vocabulary.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let cfg = GptConfig { vocab_size: 5, d_model: 4, n_heads: 2, n_layers: 1, max_len: 4 };
    /// let mut gpt = Gpt::new(&mut seeded_rng(0), cfg)?;
    /// let (a, b) = ([1, 2, 3, 4], [0, 4, 4, 1]);
    /// let batch = gpt.loss_and_backward_batch(&[&a, &b])?;
    /// let one_by_one = (gpt.loss(&a)? + gpt.loss(&b)?) / 2.0;
    /// assert!((batch - one_by_one).abs() < 1e-12);
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn loss_and_backward_batch(&mut self, windows: &[&[usize]]) -> Result<f64> {
        let (inputs, targets, t) = self.stack("Gpt::loss_and_backward_batch", windows)?;
        let x = self.wte.forward(&inputs)?; // (B·T, d)
        let mut x = self.wpe.forward_seqs(&x, t)?; // + positions, restarting every T rows
        for (i, b) in self.blocks.iter_mut().enumerate() {
            x = b.forward_seqs(&x, t).map_err(|e| in_layer(i, b, e))?;
        }
        let h = self.ln_f.forward(&x)?;
        let logits = self.wte.forward_logits(&h)?; // (B·T, V)
        let loss = softmax_cross_entropy(&logits, &targets)?; // the mean over all B·T rows
        self.backward(&loss.grad)?;
        Ok(loss.value)
    }

    /// The mean next-token loss over a batch of windows, without gradients.
    ///
    /// # Errors
    /// As [`loss_and_backward_batch`](Gpt::loss_and_backward_batch).
    pub fn loss_batch(&self, windows: &[&[usize]]) -> Result<f64> {
        let (inputs, targets, t) = self.stack("Gpt::loss_batch", windows)?;
        let x = self.wte.predict(&inputs)?;
        let mut x = self.wpe.predict_seqs(&x, t)?;
        for (i, b) in self.blocks.iter().enumerate() {
            x = b.predict_seqs(&x, t).map_err(|e| in_layer(i, b, e))?;
        }
        let h = self.ln_f.predict(&x)?;
        Ok(softmax_cross_entropy(&self.wte.predict_logits(&h)?, &targets)?.value)
    }

    /// Every parameter in one vector, in the order of [`tensors`](Gpt::tensors).
    pub fn params(&self) -> Array1<f64> {
        let mut all = Vec::with_capacity(self.num_params());
        all.extend(self.wte.params());
        all.extend(self.wpe.params());
        for b in &self.blocks {
            all.extend(b.params());
        }
        all.extend(self.ln_f.params());
        Array1::from(all)
    }

    /// Every gradient of the last backward pass, flattened like
    /// [`params`](Gpt::params).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if there has been no backward pass since
    /// the last forward pass.
    pub fn grads(&self) -> Result<Array1<f64>> {
        let mut all = Vec::with_capacity(self.num_params());
        all.extend(self.wte.grads()?);
        all.extend(self.wpe.grads()?);
        for (i, b) in self.blocks.iter().enumerate() {
            all.extend(b.grads().map_err(|e| in_layer(i, b, e))?);
        }
        all.extend(self.ln_f.grads()?);
        Ok(Array1::from(all))
    }

    /// Sets every parameter from one vector flattened like
    /// [`params`](Gpt::params). Nothing changes on error.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for the wrong length; [`Error::NonFinite`]
    /// for a NaN or infinite value.
    pub fn set_params(&mut self, params: ArrayView1<f64>) -> Result<()> {
        check_same_len("Gpt::set_params", params.len(), self.num_params(), "one value per parameter, in the order of Gpt::tensors")?;
        check_finite("Gpt::set_params", &params)?;
        let mut start = 0;
        let mut next = |n: usize| {
            let view = params.slice(s![start..start + n]);
            start += n;
            view
        };
        self.wte.set_params(next(self.wte.num_params()))?;
        self.wpe.set_params(next(self.wpe.num_params()))?;
        for b in &mut self.blocks {
            let n = b.num_params();
            b.set_params(next(n))?;
        }
        let n = self.ln_f.num_params();
        self.ln_f.set_params(next(n))
    }

    /// The attention weights of every head of block `layer` from the last
    /// [`forward`](Gpt::forward): one `(T, T)` matrix per head, row `i` =
    /// how much token `i` draws from each token.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a block that does not exist or before
    /// any forward pass.
    pub fn attention_weights(&self, layer: usize) -> Result<Vec<Array2<f64>>> {
        let block = self.blocks.get(layer).ok_or_else(|| {
            Error::invalid("layer", layer, format!("the model has {} blocks (0 to {})", self.blocks.len(), self.blocks.len().saturating_sub(1)))
        })?;
        block
            .attn()
            .attention_weights()
            .map(<[Array2<f64>]>::to_vec)
            .ok_or_else(|| Error::invalid("layer", layer, "no forward pass yet: call forward first"))
    }

    /// `n` new tokens after `prompt`, each drawn by `sampler` from the
    /// logits of the last `max_len` tokens (older ones fall out of the
    /// context).
    ///
    /// # Errors
    /// As [`generate`]: an empty prompt, more than 100 000 new tokens; an id
    /// outside the vocabulary.
    pub fn generate<R: Rng + ?Sized>(&self, prompt: &[usize], n: usize, sampler: &Sampler, rng: &mut R) -> Result<Vec<usize>> {
        let max_len = self.config.max_len;
        generate(prompt, n, sampler, rng, |ids| {
            let window = &ids[ids.len().saturating_sub(max_len)..];
            let logits = self.predict(window)?;
            Ok(logits.row(logits.nrows() - 1).to_owned())
        })
    }

    /// Generates after `prompt` until `stop` appears (or `max_new` tokens),
    /// returning the new tokens without the stop token.
    ///
    /// # Errors
    /// As [`generate`](Gpt::generate), and a `stop` outside the vocabulary
    /// (it could never be sampled).
    pub fn generate_until<R: Rng + ?Sized>(&self, prompt: &[usize], stop: usize, max_new: usize, sampler: &Sampler, rng: &mut R) -> Result<Vec<usize>> {
        let max_len = self.config.max_len;
        let mut ids = prompt.to_vec();
        if ids.is_empty() {
            return Err(Error::invalid("prompt", "[]", "generation starts from at least one token"));
        }
        crate::transformer::check_stop_and_max_new(stop, self.config.vocab_size, max_new)?;
        let mut out = Vec::new();
        for _ in 0..max_new {
            let window = &ids[ids.len().saturating_sub(max_len)..];
            let logits = self.predict(window)?;
            let next = sampler.sample(logits.row(logits.nrows() - 1), rng)?;
            if next == stop {
                break;
            }
            out.push(next);
            ids.push(next);
        }
        Ok(out)
    }
}

impl fmt::Display for Gpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.config;
        write!(
            f,
            "Gpt(vocab {}, d_model {}, {} heads, {} block{}, context {}; {} parameters)",
            c.vocab_size,
            c.d_model,
            c.n_heads,
            c.n_layers,
            if c.n_layers == 1 { "" } else { "s" },
            c.max_len,
            self.num_params()
        )
    }
}

//! The transformer block and the language-model objective: the pieces of a
//! GPT, each with a hand-written backward pass.
//!
//! Taught in notebook 07 (transformer block), with the language-model
//! objective; notebook 08 trains a tiny GPT from them.
//!
//! This is a module of its own beside [`nn`](crate::nn) (notebook 06), built
//! on the same conventions: rows are tokens, a sequence is a matrix `X` of
//! shape `(T, d_model)` (`T = seq_len`), and every piece that maps
//! `(T, d_model) → (T, d_model)` implements [`Layer`](crate::nn::Layer), so it
//! composes with [`Sequential`](crate::nn::Sequential) and its parameters and
//! gradients flatten for the optimizers of [`optim`](crate::optim). In the
//! order a GPT uses them:
//!
//! ```text
//! ids (T,)  ──Embedding──▶  (T, d)  ──+ PositionalEncoding──▶  X (T, d)
//! X ──TransformerBlock──▶ … ──TransformerBlock──▶ H (T, d)
//!     block:  H₁ = X + SelfAttention(LayerNorm₁(X))        (pre-norm, residual)
//!             Y  = H₁ + Mlp(LayerNorm₂(H₁))                 Mlp: d → 4d → d, GELU
//! H ──LayerNorm_f──▶ H_f (T, d)                           (the final LayerNorm, GPT-2's ln_f)
//! H_f ──Embedding::forward_logits (H_f·Eᵀ, tied)──▶ logits (T, V)
//! lm_loss(logits, tokens): cross-entropy against the next token, mean over T
//! decoding: greedy, temperature, top-k, top-p ([`Sampler`]), [`generate`]
//! ```
//!
//! The files follow the pieces: `embedding` (lookup and tied unembedding),
//! `position` (sinusoidal and learned), `norm` (LayerNorm, RMSNorm),
//! `attention` (causal multi-head self-attention with its backward), `block`
//! (the MLP, residual connections, the pre-norm block), `lm` (the loss and
//! perplexity) and `decoding` (sampling rules and the autoregressive loop).
//! GELU and its tanh approximation are [`Activation::gelu`](crate::nn::Activation::gelu)
//! and [`Activation::gelu_tanh`](crate::nn::Activation::gelu_tanh) of `nn`.
//!
//! **Sizes.** No table or activation of this module holds more than 100
//! million numbers (800 MB, the cap of `nn`'s weight matrices), and
//! [`generate`] makes at most 100 000 tokens: a typo in a notebook is an
//! error, not a machine out of memory. Attention is the large case: one
//! [`SelfAttention`] holds at its peak its saved weights, `n_heads` matrices
//! `(T, T)`, plus one more `(T, T)` matrix of f64 (a head's scores in the
//! forward pass, `∂L/∂A` in the backward pass) and the causal mask (`T²`
//! booleans, `T²` bytes): `(n_heads + 1)·8·T² + T²` bytes. The cap counts
//! `(n_heads + 2)·T²` numbers against the 100 million, so that peak stays
//! below 800 MB (for one head, `T` up to 5 773).

mod attention;
mod block;
mod decoding;
mod embedding;
mod lm;
mod norm;
mod position;

pub use attention::SelfAttention;
pub use block::{Mlp, Residual, TransformerBlock, grad_norms_through_depth};
pub use decoding::{Sampler, generate, greedy, top_k_filter, top_p_filter};
pub(crate) use decoding::check_stop_and_max_new;
pub use embedding::Embedding;
pub use lm::{lm_loss, perplexity};
pub use norm::{LayerNorm, RmsNorm};
pub use position::{PositionalEncoding, sinusoidal_positions};

use crate::error::{Error, Result};
use crate::nn::MAX_WEIGHTS;

/// `InvalidArgument` named `name` unless `rows × cols` is at most
/// [`MAX_WEIGHTS`] (100 million numbers, 800 MB, as `nn` caps a weight
/// matrix: one table or activation here is held the same way).
fn check_entries(name: &'static str, value: usize, rows: usize, cols: usize, what: &str) -> Result<()> {
    if rows.checked_mul(cols).is_some_and(|n| n <= MAX_WEIGHTS) {
        return Ok(());
    }
    Err(Error::invalid(
        name,
        value,
        format!("{rows} × {cols} {what} are more than this crate holds at once (at most 100 million numbers, 800 MB)"),
    ))
}

/// `InvalidArgument` named `name` for a size of 0.
fn check_positive(name: &'static str, value: usize, what: &str) -> Result<()> {
    if value == 0 { Err(Error::invalid(name, value, format!("{what} needs at least 1"))) } else { Ok(()) }
}

/// `InvalidArgument` naming the first id that is not below `vocab_size`.
fn check_ids(name: &'static str, ids: &[usize], vocab_size: usize) -> Result<()> {
    match ids.iter().enumerate().find(|(_, id)| **id >= vocab_size) {
        Some((i, id)) => Err(Error::invalid(
            name,
            format!("{name}[{i}] = {id}"),
            format!("a token id must be below the vocabulary size, {vocab_size} tokens (0 to {})", vocab_size.saturating_sub(1)),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;

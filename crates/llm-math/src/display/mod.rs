//! Rich output in the evcxr Jupyter kernel.
//!
//! When the last expression of a cell is a value with an `evcxr_display`
//! method, the kernel calls it instead of printing `{:?}`. The method prints
//! one block per MIME type:
//!
//! ```text
//! EVCXR_BEGIN_CONTENT image/svg+xml
//! <svg ...>...</svg>
//! EVCXR_END_CONTENT
//! ```
//!
//! and Jupyter shows the richest type it understands (nbconvert keeps SVG
//! inline in exported HTML). Outside a kernel, these methods just print those
//! lines. Used by every notebook.
//!
//! Numbers, arrays, tuples, lists and the crate's result structs get an
//! `evcxr_display` too, from [`TextOutput`] (in the prelude): their
//! [`Readable`] text, NumPy-like (see [`text`]) instead of the `{:?}` the
//! kernel would print (`0.35011175980689...`, `strides=[3, 1], layout=Cc`).
//! It is also for speed: without an `evcxr_display` the kernel compiles such
//! a cell twice, once to find there is none and once with its `{:?}`
//! fallback (≈ 0.1 s per cell; see docs/performance.md). A type with no
//! [`Readable`] still shows, through that fallback.

pub mod text;

pub use text::{ArrayEntry, Readable};

use crate::error::Error;
use crate::plot::{Chart, Figure, Grid};

/// Prints one evcxr content block.
///
/// # Examples
/// ```
/// llm_math::display::emit("text/plain", "hello");
/// ```
pub fn emit(mime: &str, content: &str) {
    println!("EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT");
}

/// `evcxr_display` for every [`Readable`] value: its readable text as the
/// kernel's text/plain output. Types with their own `evcxr_display`
/// ([`Chart`], [`Figure`], tables) keep theirs: inherent methods win over
/// trait methods.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// // In the kernel, a cell ending in `array![1.0, 2.0]` calls this and prints
/// // EVCXR_BEGIN_CONTENT text/plain / [1.0, 2.0]  shape (2,) / EVCXR_END_CONTENT
/// array![1.0, 2.0].evcxr_display();
/// ```
pub trait TextOutput {
    /// Prints the value's [`Readable`] text as the kernel's text/plain output.
    fn evcxr_display(&self);
}

impl<T: Readable + ?Sized> TextOutput for T {
    fn evcxr_display(&self) {
        emit("text/plain", &self.readable());
    }
}

/// Shows a figure, or says on stderr why it could not be drawn (the kernel
/// shows stderr in red, and the notebook tests treat it as a failure).
fn show(figure: Result<Figure, Error>) {
    match figure {
        Ok(figure) => figure.evcxr_display(),
        Err(e) => eprintln!("Error: {e}"),
    }
}

impl Figure {
    /// Shows the figure inline (called by the kernel).
    pub fn evcxr_display(&self) {
        emit("image/svg+xml", self.svg());
    }
}

impl Chart {
    /// Draws and shows the chart inline (called by the kernel).
    pub fn evcxr_display(&self) {
        show(self.render());
    }
}

impl Grid {
    /// Draws and shows every panel as one figure (called by the kernel).
    pub fn evcxr_display(&self) {
        show(self.render());
    }
}

#[cfg(feature = "tables")]
impl crate::table::Table {
    /// Shows the table as HTML, with a plain-text copy (called by the kernel).
    pub fn evcxr_display(&self) {
        emit("text/html", &self.to_html());
        emit("text/plain", &self.to_string());
    }
}

// ---------------------------------------------------------------------------
// The crate's own values, shown field by field with readable numbers.
// ---------------------------------------------------------------------------

use crate::attention::{Attention, Mask, MultiHeadAttention, MultiHeadOutput};
use crate::autodiff::Value;
use crate::calculus::GradientCheck;
use crate::gpt::{Bigram, CharTokenizer, Gpt, GptConfig, History, TrainConfig};
use crate::linalg::{Pca, Svd, SymEigen};
use crate::nn::{Activation, Layer, Linear, Loss, Sequential, Softmax};
use crate::optim::{Adam, Momentum, Schedule, Sgd};
use crate::stats::TTest;
use crate::transformer::{
    Embedding, LayerNorm, Mlp, PositionalEncoding, Residual, RmsNorm, Sampler, SelfAttention, TransformerBlock,
};
use text::readable_struct;

readable_struct!(GradientCheck { analytic, numerical, max_relative_error, worst_index });
readable_struct!(TTest { statistic, df, p_value });
readable_struct!(SymEigen { values, vectors });
readable_struct!(Svd { u, s, vt });
readable_struct!(Pca { mean, components, projected, explained_variance, explained_variance_ratio });
readable_struct!(Attention { scores, weights, output });
readable_struct!(MultiHeadOutput { q, k, v, heads, concat, output });
readable_struct!(Loss { value, grad });
readable_struct!(GptConfig { vocab_size, d_model, n_heads, n_layers, max_len });
readable_struct!(TrainConfig { steps, batch_size, context, lr, warmup, clip, eval_every, eval_windows, seed, threads });

/// The sizes and one line per part, with the parameter counts.
impl Readable for Gpt {
    fn readable(&self) -> String {
        let mut fields = vec![
            ("config", self.config().readable()),
            ("wte", format!("{} ({} parameters, also the unembedding)", self.wte().name(), self.wte().num_params())),
            ("wpe", layer_summary(self.wpe())),
        ];
        let blocks: Vec<String> = self.blocks().iter().map(|b| layer_summary(b)).collect();
        fields.push(("blocks", blocks.readable().replace('"', "")));
        fields.push(("ln_f", layer_summary(self.ln_f())));
        text::fields(&format!("Gpt ({} parameters)", self.num_params()), &fields)
    }
}

/// The measured losses; the per-step series as their length and last value
/// (a thousand numbers would fill the page), and no wall-clock time (it
/// differs from run to run: read `seconds` for it).
impl Readable for History {
    fn readable(&self) -> String {
        let series = |v: &[f64]| match v.last() {
            Some(x) => format!("{} values, last {}", v.len(), x.readable()),
            None => "no values".to_string(),
        };
        let fields = [
            ("eval_steps", self.eval_steps.readable()),
            ("train_loss", self.train_loss.readable()),
            ("val_loss", self.val_loss.readable()),
            ("batch_loss", series(&self.batch_loss)),
            ("lr", series(&self.lr)),
            ("grad_norm", series(&self.grad_norm)),
            ("tokens", self.tokens.readable()),
        ];
        text::fields("History", &fields)
    }
}

impl Readable for Bigram {
    fn readable(&self) -> String {
        text::fields(&self.to_string(), &[("probs", self.probs().readable())])
    }
}

/// The vocabulary as one string, a newline written `\n`.
impl Readable for CharTokenizer {
    fn readable(&self) -> String {
        format!("CharTokenizer({} characters: \"{self}\")", self.vocab_size())
    }
}

impl Readable for Linear {
    fn readable(&self) -> String {
        text::fields(&self.name(), &[("weight", self.weight().readable()), ("bias", self.bias().readable())])
    }
}

impl Readable for Activation {
    fn readable(&self) -> String {
        self.name()
    }
}

impl Readable for Softmax {
    fn readable(&self) -> String {
        self.name()
    }
}

/// A layer in a network: its name and how many numbers it learns.
impl Readable for Box<dyn Layer> {
    fn readable(&self) -> String {
        layer_summary(self.as_ref())
    }
}

/// A layer's name and how many numbers it learns, e.g. `Linear(2 → 16) (48 parameters)`.
fn layer_summary(layer: &dyn Layer) -> String {
    match layer.num_params() {
        0 => layer.name(),
        n => format!("{} ({n} parameters)", layer.name()),
    }
}

/// One line per layer, with the parameter counts.
impl Readable for Sequential {
    fn readable(&self) -> String {
        let lines: Vec<String> = self.layers().iter().enumerate().map(|(i, l)| format!("  {i}: {}", l.readable())).collect();
        format!("Sequential ({} layers, {} parameters) [\n{}\n]", self.layers().len(), self.num_params(), lines.join("\n"))
    }
}

impl Readable for Embedding {
    fn readable(&self) -> String {
        text::fields(&self.name(), &[("table", self.table().readable())])
    }
}

impl Readable for PositionalEncoding {
    fn readable(&self) -> String {
        text::fields(&self.name(), &[("table", self.table().readable())])
    }
}

impl Readable for LayerNorm {
    fn readable(&self) -> String {
        let fields = [("gamma", self.gamma().readable()), ("beta", self.beta().readable()), ("eps", self.eps().readable())];
        text::fields(&self.name(), &fields)
    }
}

impl Readable for RmsNorm {
    fn readable(&self) -> String {
        text::fields(&self.name(), &[("gamma", self.gamma().readable()), ("eps", self.eps().readable())])
    }
}

/// The four projections by name and size (their weights would fill a page).
impl Readable for SelfAttention {
    fn readable(&self) -> String {
        let fields = [("w_q", layer_summary(self.w_q())), ("w_k", layer_summary(self.w_k())),
                      ("w_v", layer_summary(self.w_v())), ("w_o", layer_summary(self.w_o()))];
        text::fields(&self.name(), &fields)
    }
}

impl Readable for Mlp {
    fn readable(&self) -> String {
        let fields = [("fc", layer_summary(self.fc())), ("activation", self.activation().name()), ("proj", layer_summary(self.proj()))];
        text::fields(&self.name(), &fields)
    }
}

impl Readable for Residual {
    fn readable(&self) -> String {
        text::fields("Residual", &[("inner", layer_summary(self.inner()))])
    }
}

/// One line per part, with the parameter counts.
impl Readable for TransformerBlock {
    fn readable(&self) -> String {
        let fields = [("ln1", layer_summary(self.ln1())), ("attn", layer_summary(self.attn())),
                      ("ln2", layer_summary(self.ln2())), ("mlp", layer_summary(self.mlp()))];
        text::fields(&format!("{} ({} parameters)", self.name(), self.num_params()), &fields)
    }
}

/// The rules in words: `Sampler(greedy)`, `Sampler(temperature 0.8, top-k 40, top-p 0.95)`.
impl Readable for Sampler {
    fn readable(&self) -> String {
        self.describe()
    }
}

impl Readable for MultiHeadAttention {
    fn readable(&self) -> String {
        let heads = self.n_heads().to_string();
        let fields = [("heads", heads), ("w_q", self.w_q.readable()), ("w_k", self.w_k.readable()),
                      ("w_v", self.w_v.readable()), ("w_o", self.w_o.readable())];
        text::fields("MultiHeadAttention", &fields)
    }
}

impl Readable for Mask {
    fn readable(&self) -> String {
        match self {
            Mask::Causal => "Causal".into(),
            Mask::Allowed(allowed) => format!("Allowed({})", allowed.readable()),
        }
    }
}

impl Readable for Error {
    /// The message, as `?` would report it.
    fn readable(&self) -> String {
        self.to_string()
    }
}

// These already print readable numbers with `Debug` (`Value(data=0.7311,
// grad=1.0000)`, the optimizers' hyperparameters).
text::readable_as_debug!(Value, Sgd, Momentum, Adam, Schedule);

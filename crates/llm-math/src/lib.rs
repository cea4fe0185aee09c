//! # llm-math
//!
//! The helper crate of the llm-math notebooks: the maths you need to
//! understand large language models, on [`ndarray`], with figures and tables
//! that show inline in the evcxr Jupyter kernel.
//!
//! A notebook loads it with one setup cell:
//!
//! ```text
//! :dep llm-math = { path = "../crates/llm-math" }
//! use llm_math::prelude::*;
//! ```
//!
//! Modules follow the notebooks: [`linalg`] (01), [`calculus`] and
//! [`autodiff`] (02), [`probability`], [`info`] and [`stats`] (03), [`optim`] (04), [`attention`] (05), [`nn`] (06),
//! [`transformer`] (07), then
//! plotting ([`plot`]),
//! display glue ([`display`]), seeded randomness ([`random`]) and, with the
//! `tables` feature, polars tables (`table`). The maths modules never depend
//! on plotting. Every fallible function returns [`Result`] with one [`Error`]
//! type whose message says what to fix.
//!
//! The crates the notebooks build on are re-exported ([`ndarray`],
//! [`plotters`], [`statrs`], [`rand`], and `polars` with `tables`), so a
//! notebook never pins its own versions: two copies of ndarray in one kernel
//! would not work together.

#![warn(missing_docs)]

pub mod attention;
pub mod autodiff;
pub mod calculus;
pub mod display;
pub mod error;
pub mod gpt;
pub mod exercises;
mod fastmath;
pub mod info;
pub mod linalg;
pub mod nn;
pub mod optim;
pub mod plot;
pub mod probability;
pub mod random;
pub mod stats;
#[cfg(feature = "tables")]
pub mod table;
pub mod transformer;

pub use error::{Error, Result};

pub use ndarray;
pub use plotters;
pub use rand;
pub use statrs;
#[cfg(feature = "tables")]
pub use polars;

/// Everything a notebook needs, with one `use llm_math::prelude::*;`.
///
/// Brings in ndarray's prelude (`array!`, `Array1`, `Array2`, `s!`, `Axis`,
/// …), this crate's functions and types, and `Error`/`Result`.
pub mod prelude {
    pub use ndarray::prelude::*;

    pub use crate::attention::{
        Attention, Mask, MultiHeadAttention, MultiHeadOutput, concat_heads, scaled_dot_product_attention, split_heads,
    };
    pub use crate::autodiff::Value;
    // Anonymous: brings `.evcxr_display()` for Debug values into scope
    // (one compile per cell instead of two), without adding a name.
    pub use crate::display::TextOutput as _;
    pub use crate::calculus::{
        GradientCheck, central_difference, forward_difference, gelu, gelu_derivative, gelu_tanh, gelu_tanh_derivative,
        gelu_tanh_error, gradient_check, numerical_gradient, partial_derivative, relu, relu_derivative, sigmoid,
        sigmoid_derivative, tanh, tanh_derivative,
    };
    pub use crate::error::{Error, Result};
    pub use crate::exercises::{Verdict, exercise};
    pub use crate::info::{cross_entropy, cross_entropy_from_logits, entropy, entropy_bits, kl_divergence};
    pub use crate::linalg::{
        Pca, Svd, SymEigen, cosine_similarity, covariance, dot, l1_norm, matmul, norm, normalize, pca,
        least_squares, project_onto, rotation_2d, svd, sym_eigen,
    };
    pub use crate::nn::{
        Activation, Init, Layer, Linear, Loss, Sequential, Softmax, accuracy, argmax_rows, he_normal, mlp, mse_loss,
        softmax_cross_entropy, softmax_jacobian, spirals, two_moons, xavier_uniform, xor_data,
    };
    pub use crate::gpt::{
        ADJECTIVES, Bigram, CharTokenizer, Gpt, GptConfig, History, NOUNS, TrainConfig, VERBS, grammar_corpus,
        grammar_sentences, grammatical_share, is_grammatical, train, train_val_split,
    };
    pub use crate::optim::{
        Adam, Momentum, Optimizer, Schedule, Sgd, clip_grad_norm, linear_regression_data, shuffled_batches,
    };
    pub use crate::plot::{Chart, Figure, Grid, grid};
    pub use crate::probability::{
        check_distribution, expectation, log_softmax, log_softmax_rows, sample_index, softmax, softmax_rows,
        softmax_with_temperature, variance,
    };
    pub use crate::random::{SeededRng, normal, randn, randn_vec, seeded_rng, uniform};
    pub use crate::stats::{TTest, bayes, proportion_ci, t_test_student, t_test_welch};
    #[cfg(feature = "tables")]
    pub use crate::table::Table;
    pub use crate::transformer::{
        Embedding, LayerNorm, Mlp, PositionalEncoding, Residual, RmsNorm, Sampler, SelfAttention, TransformerBlock,
        generate, grad_norms_through_depth, greedy, lm_loss, perplexity, sinusoidal_positions, top_k_filter, top_p_filter,
    };
    /// Build tables with `df!("column" => values, ...)?` (polars' macro).
    #[cfg(feature = "tables")]
    pub use polars::prelude::{DataFrame, df};
}

//! Notebook 08's capstone: a corpus, a character tokenizer, a bigram
//! baseline, a tiny GPT built from [`transformer`](crate::transformer)'s
//! pieces, its training loop, and saving it in the safetensors format.
//!
//! ```text
//! grammar_corpus(seed, n) ──CharTokenizer──▶ ids ──train_val_split──▶ train / val
//! Bigram::count(train)                       the baseline (previous character only)
//! Gpt::new(rng, GptConfig) ──train(…, TrainConfig)──▶ History (losses, lr, grad norms)
//! Gpt::generate_until + is_grammatical       the skill: the share of grammatical sentences
//! Gpt::save / Gpt::load                      safetensors, GPT-2's tensor names
//! ```

mod bigram;
mod corpus;
mod io;
mod model;
mod tokenizer;
mod train;

pub use bigram::Bigram;
pub use corpus::{ADJECTIVES, NOUNS, VERBS, grammar_corpus, grammar_sentences, grammatical_share, is_grammatical};
pub use model::{Gpt, GptConfig};
pub use tokenizer::CharTokenizer;
pub use train::{History, TrainConfig, train, train_val_split};

#[cfg(test)]
mod tests;

//! The bigram baseline: the next token from the previous one alone.

use std::fmt;

use ndarray::Array2;
use rand::Rng;

use crate::error::{Error, Result, check_finite};
use crate::probability::softmax_rows;
use crate::transformer::Sampler;

/// A bigram model: row `a` of [`probs`](Bigram::probs) is the distribution
/// of the token after `a`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// // 0 → 1 twice, 1 → 0 once, 1 → 1 once
/// let bg = Bigram::count(&[0, 1, 0, 1, 1], 2, 0.0)?;
/// assert_eq!(bg.counts()[[0, 1]], 2.0);
/// assert_eq!(bg.probs()[[1, 0]], 0.5);
/// // the mean of −ln p over the 4 pairs: −(ln 1 + ln ½ + ln 1 + ln ½) / 4
/// assert!((bg.loss(&[0, 1, 0, 1, 1])? - 0.5 * 2f64.ln()).abs() < 1e-12);
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Bigram {
    counts: Array2<f64>,
    probs: Array2<f64>,
}

fn check_tokens(name: &'static str, ids: &[usize], vocab_size: usize) -> Result<()> {
    if ids.len() < 2 {
        return Err(Error::invalid(name, format!("{} tokens", ids.len()), "a bigram needs at least 2 tokens (one pair)"));
    }
    if let Some((i, id)) = ids.iter().enumerate().find(|(_, id)| **id >= vocab_size) {
        return Err(Error::invalid(name, format!("{name}[{i}] = {id}"), format!("a token id must be below the vocabulary size, {vocab_size}")));
    }
    Ok(())
}

impl Bigram {
    /// Counts every pair `(ids[t], ids[t+1])`, adds `smoothing` to every
    /// cell (add-α smoothing; 0 for the plain maximum-likelihood counts) and
    /// normalises each row. A row never seen with no smoothing is uniform.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for fewer than 2 tokens, an id not below
    /// `vocab_size`, a `vocab_size` of 0 or above 10 000, or a smoothing that
    /// is not finite and ≥ 0.
    pub fn count(ids: &[usize], vocab_size: usize, smoothing: f64) -> Result<Self> {
        if vocab_size == 0 || vocab_size > 10_000 {
            return Err(Error::invalid("vocab_size", vocab_size, "between 1 and 10 000 tokens (the table is vocab_size²)"));
        }
        if !(smoothing.is_finite() && smoothing >= 0.0) {
            return Err(Error::invalid("smoothing", smoothing, "a pseudo-count must be finite and ≥ 0"));
        }
        check_tokens("ids", ids, vocab_size)?;
        let mut counts = Array2::<f64>::zeros((vocab_size, vocab_size));
        for pair in ids.windows(2) {
            counts[[pair[0], pair[1]]] += 1.0;
        }
        let mut probs = &counts + smoothing;
        for mut row in probs.rows_mut() {
            let mut total: f64 = row.sum();
            if total.is_infinite() {
                // A huge smoothing overflows the sum (V · α > f64::MAX) and every entry
                // would become 0: scale the row by its largest entry first.
                let top = row.fold(0.0_f64, |m, &x| m.max(x));
                row /= top;
                total = row.sum();
            }
            if total > 0.0 {
                row /= total;
            } else {
                row.fill(1.0 / vocab_size as f64);
            }
        }
        Ok(Bigram { counts, probs })
    }

    /// A bigram from a table of logits `(V, V)` (e.g. one trained by
    /// gradient descent): each row through softmax.
    ///
    /// # Errors
    /// [`Error::BadShape`] unless the table is square and non-empty;
    /// [`Error::NonFinite`] for NaN or infinite logits.
    pub fn from_logits(logits: &Array2<f64>) -> Result<Self> {
        if logits.nrows() != logits.ncols() || logits.is_empty() {
            return Err(Error::BadShape { op: "Bigram::from_logits", got: logits.shape().to_vec(), expected: "a square (V, V) table" });
        }
        check_finite("Bigram::from_logits", &logits.view())?;
        Ok(Bigram { counts: Array2::zeros(logits.raw_dim()), probs: softmax_rows(logits)? })
    }

    /// The pair counts (all 0 for a model made by [`from_logits`](Bigram::from_logits)).
    pub fn counts(&self) -> &Array2<f64> {
        &self.counts
    }

    /// The next-token distributions, one row per previous token.
    pub fn probs(&self) -> &Array2<f64> {
        &self.probs
    }

    /// How many tokens the vocabulary has.
    pub fn vocab_size(&self) -> usize {
        self.probs.nrows()
    }

    /// The mean next-token loss `−(1/N) Σ ln p(ids[t+1] | ids[t])` over the
    /// `N = len − 1` pairs, in nats.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for fewer than 2 tokens, an id outside the
    /// vocabulary, or a pair of probability 0 (never counted and no
    /// smoothing: its loss would be infinite).
    pub fn loss(&self, ids: &[usize]) -> Result<f64> {
        check_tokens("ids", ids, self.vocab_size())?;
        let mut total = 0.0;
        for (t, pair) in ids.windows(2).enumerate() {
            let p = self.probs[[pair[0], pair[1]]];
            if p <= 0.0 {
                return Err(Error::invalid(
                    "ids",
                    format!("the pair ids[{t}..={}] = ({}, {})", t + 1, pair[0], pair[1]),
                    "the model gives it probability 0, so its loss is infinite; count with smoothing > 0",
                ));
            }
            total -= p.ln();
        }
        Ok(total / (ids.len() - 1) as f64)
    }

    /// Draws tokens after `prompt` with `sampler` from the row of the last
    /// token, until `stop` (not included) or `max_new` tokens.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty prompt, an id (or `stop`)
    /// outside the vocabulary, or more than 100 000 new tokens; as
    /// [`Sampler::sample`].
    pub fn generate_until<R: Rng + ?Sized>(&self, prompt: &[usize], stop: usize, max_new: usize, sampler: &Sampler, rng: &mut R) -> Result<Vec<usize>> {
        let Some(&first) = prompt.last() else {
            return Err(Error::invalid("prompt", "[]", "generation starts from at least one token"));
        };
        let v = self.vocab_size();
        if let Some((i, id)) = prompt.iter().enumerate().find(|(_, id)| **id >= v) {
            return Err(Error::invalid("prompt", format!("prompt[{i}] = {id}"), format!("a token id must be below the vocabulary size, {v}")));
        }
        crate::transformer::check_stop_and_max_new(stop, v, max_new)?;
        let logits = self.probs.mapv(f64::ln); // ln 0 = −inf: a pair never seen is a forbidden token
        let mut last = first;
        let mut out = Vec::new();
        for _ in 0..max_new {
            let next = sampler.sample(logits.row(last), rng)?;
            if next == stop {
                break;
            }
            out.push(next);
            last = next;
        }
        Ok(out)
    }
}

impl fmt::Display for Bigram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bigram({} tokens, {} pairs counted)", self.vocab_size(), self.counts.sum())
    }
}

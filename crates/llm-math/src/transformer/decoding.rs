//! Decoding: turning the last position's logits into the next token, and
//! the loop that writes a sequence one token at a time.

use ndarray::{Array1, ArrayView1, AsArray, Ix1};
use rand::Rng;

use crate::error::{Error, Result, ShownValue};
use crate::probability::{DEFAULT_TOLERANCE, check_probs, sample_index, softmax_in_place};

/// Checks logits for decoding: at least one, no NaN or `+∞`, and at least
/// one finite. A logit of `−∞` is a forbidden token (probability 0), as a
/// mask writes it (nanoGPT sets the logits outside its top-k to `−∞`).
fn check_decoding_logits(op: &'static str, logits: &ArrayView1<f64>) -> Result<()> {
    if logits.is_empty() {
        return Err(Error::BadShape { op, got: vec![0], expected: "a non-empty vector of logits (V,)" });
    }
    if let Some((i, &value)) = logits.indexed_iter().find(|(_, v)| v.is_nan() || **v == f64::INFINITY) {
        return Err(Error::NonFinite { op, index: vec![i], value });
    }
    if !logits.iter().any(|v| v.is_finite()) {
        return Err(Error::invalid(
            "logits",
            format!("all {} −inf", logits.len()),
            "−inf forbids a token, and every token is forbidden: at least one logit must be finite",
        ));
    }
    Ok(())
}

/// Greedy decoding: the token with the largest logit (the first, on a tie).
///
/// ```text
/// next = argmaxᵢ logitsᵢ
/// ```
///
/// Shapes: `logits: (V,)` → an index in `0..V`. A logit of `−∞` is a
/// forbidden token, never chosen.
///
/// # Errors
/// [`Error::BadShape`] for no logits; [`Error::NonFinite`] for a NaN or
/// `+∞` logit; [`Error::InvalidArgument`] (named `logits`) if every logit
/// is `−∞`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// assert_eq!(greedy(&[0.1, 2.0, -1.0, 2.0])?, 1); // a tie goes to the first
/// assert_eq!(greedy(&[f64::NEG_INFINITY, -5.0])?, 1); // −inf: a forbidden token
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn greedy<'a>(logits: impl AsArray<'a, f64, Ix1>) -> Result<usize> {
    let logits = logits.into();
    check_decoding_logits("greedy", &logits)?;
    Ok(logits.iter().enumerate().fold(0, |best, (i, &v)| if v > logits[best] { i } else { best }))
}

/// The tokens in decreasing order of probability; equal probabilities keep
/// their order (the lower id first).
fn ranked(probs: &Array1<f64>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a])); // stable: ties stay in id order
    order
}

/// Keeps the tokens of `order[..kept]`, zeroes the rest and renormalises.
fn keep(probs: &Array1<f64>, order: &[usize], kept: usize) -> Array1<f64> {
    let mut out = Array1::zeros(probs.len()); // (V,)
    for &i in &order[..kept] {
        out[i] = probs[i];
    }
    let total = out.sum(); // > 0: the most likely token is always kept, and a distribution's largest entry is > 0
    out / total
}

/// `probs` checked as a probability distribution over at least one token.
fn checked_probs<'a>(op: &'static str, probs: impl AsArray<'a, f64, Ix1>) -> Result<Array1<f64>> {
    let probs = probs.into();
    if probs.is_empty() {
        return Err(Error::BadShape { op, got: vec![0], expected: "a non-empty probability vector (V,)" });
    }
    check_probs(op, "probs", &probs, DEFAULT_TOLERANCE)?;
    Ok(probs.to_owned())
}

/// Top-k filtering: keeps the `k` most likely tokens, sets the others to 0
/// and renormalises what is left to sum to 1.
///
/// ```text
/// keep = the k largest pᵢ        p'ᵢ = pᵢ / Σ_{j ∈ keep} pⱼ for i ∈ keep, else 0
/// ```
///
/// Exactly `min(k, V)` tokens survive: among equal probabilities at the
/// cut the lower ids are kept (a `k` above `V` keeps every token).
///
/// Shapes: `probs: (V,)` → `(V,)`.
///
/// # Errors
/// [`Error::InvalidArgument`] for `k = 0`; [`Error::BadShape`] for an
/// empty `probs`; those of
/// [`check_distribution`](crate::probability::check_distribution) if
/// `probs` is not a distribution.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let p = top_k_filter(&[0.1, 0.5, 0.15, 0.25], 2)?;
/// assert!((&p - &array![0.0, 0.5 / 0.75, 0.0, 0.25 / 0.75]).iter().all(|d| d.abs() < 1e-15));
/// assert!(top_k_filter(&[0.5, 0.5], 0).unwrap_err().to_string().contains("`k` = 0"));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn top_k_filter<'a>(probs: impl AsArray<'a, f64, Ix1>, k: usize) -> Result<Array1<f64>> {
    check_k(k)?;
    let probs = checked_probs("top_k_filter", probs)?;
    let order = ranked(&probs);
    Ok(keep(&probs, &order, k.min(probs.len())))
}

/// Top-p (nucleus) filtering: keeps the smallest set of most likely tokens
/// whose probabilities add up to at least `p`, and renormalises it.
///
/// ```text
/// sort p descending: p₍₁₎ ≥ p₍₂₎ ≥ …      m = min { m : p₍₁₎ + … + p₍ₘ₎ ≥ p }
/// keep the m tokens p₍₁₎ … p₍ₘ₎, renormalised to sum to 1
/// ```
///
/// Unlike top-k, the number kept follows the model's confidence: one token
/// when it is sure, many when it is not. Ties are ranked by id (the lower
/// first); for `p < 1` the running sum is compared with `p − 1e-12`, so
/// rounding in it cannot add a token. `p = 1` returns `probs` unchanged:
/// every token of non-zero probability is kept, however small.
///
/// Shapes: `probs: (V,)` → `(V,)`.
///
/// # Errors
/// [`Error::InvalidArgument`] unless `0 < p ≤ 1`; [`Error::BadShape`] for
/// an empty `probs`; those of
/// [`check_distribution`](crate::probability::check_distribution) if
/// `probs` is not a distribution.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// // Sorted: 0.5, 0.25, 0.15, 0.1. For p = 0.7, 0.5 is not enough, 0.5 + 0.25 = 0.75 is.
/// let q = top_p_filter(&[0.1, 0.5, 0.15, 0.25], 0.7)?;
/// assert!((&q - &array![0.0, 0.5 / 0.75, 0.0, 0.25 / 0.75]).iter().all(|d| d.abs() < 1e-15));
/// assert!(top_p_filter(&[0.5, 0.5], 1.5).is_err());
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn top_p_filter<'a>(probs: impl AsArray<'a, f64, Ix1>, p: f64) -> Result<Array1<f64>> {
    check_p(p)?;
    let probs = checked_probs("top_p_filter", probs)?;
    if p == 1.0 {
        return Ok(probs); // the whole distribution: no slack may cut its tail
    }
    let order = ranked(&probs);
    let mut cumulative = 0.0;
    let mut kept = order.len();
    for (m, &i) in order.iter().enumerate() {
        cumulative += probs[i];
        if cumulative >= p - 1e-12 {
            kept = m + 1;
            break;
        }
    }
    Ok(keep(&probs, &order, kept))
}

fn check_k(k: usize) -> Result<()> {
    if k == 0 { Err(Error::invalid("k", k, "top-k keeps the k most likely tokens: k must be at least 1")) } else { Ok(()) }
}

/// The error of a filter added to [`Sampler::greedy`], where it would change nothing.
fn no_filter_on_greedy(name: &'static str, value: impl ShownValue, filter: &str, call: &str) -> Error {
    Error::invalid(
        name,
        value,
        format!("greedy decoding always takes the most likely token, so a {filter} filter would change nothing: sample instead, e.g. Sampler::with_temperature(1.0)?.{call}"),
    )
}

fn check_p(p: f64) -> Result<()> {
    if p > 0.0 && p <= 1.0 {
        Ok(())
    } else {
        Err(Error::invalid("p", p, "top-p keeps the most likely tokens up to a total probability p: p must be in (0, 1]"))
    }
}

/// How the next token is chosen from the logits of the last position:
/// greedily, or by sampling from `softmax(logits / temperature)` after an
/// optional top-k and then an optional top-p filter.
///
/// ```text
/// greedy:   next = argmax logits
/// sampling: q = softmax(logits / T) -> top_k_filter(q, k) -> top_p_filter(·, p) -> draw
/// ```
///
/// A temperature below 1 sharpens the distribution (towards greedy as
/// `T → 0`), above 1 flattens it; `T = 1` is the model's own softmax.
/// [`probs`](Sampler::probs) returns the distribution a token is drawn
/// from, so a notebook can show which tokens each rule lets through.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let logits = [2.0, 1.0, 0.5, -1.0];
/// let sampler = Sampler::with_temperature(0.8)?.top_k(3)?.top_p(0.9)?;
/// let q = sampler.probs(&logits)?;
/// assert_eq!(q[3], 0.0);                           // cut by top-k
/// assert!((q.sum() - 1.0).abs() < 1e-12);
/// let mut rng = seeded_rng(0);
/// let token = sampler.sample(&logits, &mut rng)?;
/// assert!(q[token] > 0.0);                         // only a surviving token is drawn
/// assert_eq!(Sampler::greedy().sample(&logits, &mut rng)?, 0);
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sampler {
    /// `None`: greedy.
    temperature: Option<f64>,
    top_k: Option<usize>,
    top_p: Option<f64>,
}

impl Sampler {
    /// Greedy decoding: always the most likely token (draws no random
    /// number). A filter would change nothing, so [`top_k`](Sampler::top_k)
    /// and [`top_p`](Sampler::top_p) on it are errors.
    pub fn greedy() -> Self {
        Sampler { temperature: None, top_k: None, top_p: None }
    }

    /// Sampling from `softmax(logits / temperature)`, every token allowed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless the temperature is finite and > 0
    /// (for `T → 0` use [`Sampler::greedy`]).
    pub fn with_temperature(temperature: f64) -> Result<Self> {
        if !(temperature.is_finite() && temperature > 0.0) {
            return Err(Error::invalid("temperature", temperature, "the temperature must be finite and > 0 (1 leaves the logits unchanged; use Sampler::greedy for the limit T → 0)"));
        }
        Ok(Sampler { temperature: Some(temperature), top_k: None, top_p: None })
    }

    /// The same sampler keeping only the `k` most likely tokens ([`top_k_filter`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] (named `k`) for `k = 0`, or on
    /// [`Sampler::greedy`], which a filter would not change.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let sampler = Sampler::with_temperature(1.0)?.top_k(2)?;
    /// let q = sampler.probs(&[1.0, 3.0, 2.0])?;
    /// assert_eq!(q[0], 0.0);                                  // only the 2 largest logits are left
    /// assert!((q[1] / q[2] - 1f64.exp()).abs() < 1e-12);      // in the softmax's ratio
    /// let err = Sampler::greedy().top_k(5).unwrap_err();      // greedy takes the top 1 anyway
    /// assert!(err.to_string().contains("greedy decoding"));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn top_k(self, k: usize) -> Result<Self> {
        check_k(k)?;
        if self.temperature.is_none() {
            return Err(no_filter_on_greedy("k", k, "top-k", "top_k(k)"));
        }
        Ok(Sampler { top_k: Some(k), ..self })
    }

    /// The same sampler keeping only the nucleus of mass `p` ([`top_p_filter`]),
    /// applied after top-k if both are set.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] (named `p`) unless `0 < p ≤ 1`, or on
    /// [`Sampler::greedy`], which a filter would not change.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let sampler = Sampler::with_temperature(1.0)?.top_p(0.9)?;
    /// let logits = [4.0, 0.0, 0.0];                           // softmax ≈ [0.965, 0.018, 0.018]
    /// assert_eq!(sampler.probs(&logits)?, array![1.0, 0.0, 0.0]); // 0.965 ≥ 0.9: one token is enough
    /// assert!(Sampler::with_temperature(1.0)?.top_p(1.5).is_err());
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn top_p(self, p: f64) -> Result<Self> {
        check_p(p)?;
        if self.temperature.is_none() {
            return Err(no_filter_on_greedy("p", p, "top-p", "top_p(p)"));
        }
        Ok(Sampler { top_p: Some(p), ..self })
    }

    /// The distribution the next token is drawn from: one-hot at the
    /// argmax for greedy decoding, else `softmax(logits / T)` and then the
    /// filters, top-k before top-p, each renormalising what it keeps.
    ///
    /// Shapes: `logits: (V,)` → `(V,)`. A logit of `−∞` is a forbidden
    /// token: probability 0.
    ///
    /// # Errors
    /// [`Error::BadShape`] for no logits; [`Error::NonFinite`] for a NaN or
    /// `+∞` logit; [`Error::InvalidArgument`] (named `logits`) if every
    /// logit is `−∞`.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let logits = array![2.0, 0.0, f64::NEG_INFINITY];      // token 2 forbidden
    /// let q = Sampler::with_temperature(2.0)?.probs(&logits)?;
    /// // softmax(logits / 2) = [e¹, e⁰, 0] / (e¹ + e⁰)
    /// let e = 1f64.exp();
    /// assert!((&q - &array![e / (e + 1.0), 1.0 / (e + 1.0), 0.0]).iter().all(|d| d.abs() < 1e-15));
    /// assert_eq!(Sampler::greedy().probs(&logits)?, array![1.0, 0.0, 0.0]); // one-hot at the argmax
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn probs<'a>(&self, logits: impl AsArray<'a, f64, Ix1>) -> Result<Array1<f64>> {
        let logits = logits.into();
        let Some(temperature) = self.temperature else {
            let mut onehot = Array1::zeros(logits.len()); // (V,)
            onehot[greedy(logits)?] = 1.0;
            return Ok(onehot);
        };
        check_decoding_logits("Sampler.probs", &logits)?;
        // The temperature first, then the filters, in this order.
        let mut q = logits.to_owned(); // (V,)
        softmax_in_place(&mut q.view_mut(), temperature); // softmax(logits / T), −inf -> 0
        if let Some(k) = self.top_k {
            q = top_k_filter(&q, k)?;
        }
        if let Some(p) = self.top_p {
            q = top_p_filter(&q, p)?;
        }
        Ok(q)
    }

    /// The rules in words: `Sampler(greedy)`,
    /// `Sampler(temperature 0.8, top-k 40, top-p 0.95)`.
    pub(crate) fn describe(&self) -> String {
        let Some(t) = self.temperature else { return "Sampler(greedy)".into() };
        let mut rules = vec![format!("temperature {}", crate::display::Readable::readable(&t))];
        if let Some(k) = self.top_k {
            rules.push(format!("top-k {k}"));
        }
        if let Some(p) = self.top_p {
            rules.push(format!("top-p {}", crate::display::Readable::readable(&p)));
        }
        format!("Sampler({})", rules.join(", "))
    }

    /// Draws the next token from [`probs`](Sampler::probs) with `rng` (one
    /// uniform draw; none for greedy decoding). The same seed gives the
    /// same token.
    ///
    /// # Errors
    /// As [`probs`](Sampler::probs).
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let logits = [1.0, 1.0, f64::NEG_INFINITY];
    /// let sampler = Sampler::with_temperature(1.0)?;
    /// let draws: Vec<usize> = (0..5).map(|_| sampler.sample(&logits, &mut seeded_rng(3))).collect::<Result<_>>()?;
    /// assert!(draws.iter().all(|&t| t == draws[0]));          // the same seed, the same token
    /// let mut rng = seeded_rng(4);
    /// assert!((0..100).all(|_| sampler.sample(&logits, &mut rng).unwrap() < 2)); // never the forbidden one
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn sample<'a, R: Rng + ?Sized>(&self, logits: impl AsArray<'a, f64, Ix1>, rng: &mut R) -> Result<usize> {
        let logits = logits.into();
        if self.temperature.is_none() {
            return greedy(logits);
        }
        sample_index(&self.probs(logits)?, rng)
    }
}

/// The most tokens [`generate`] writes in one call.
const MAX_NEW_TOKENS: usize = 100_000;

/// The limit of [`generate`], also for the loops that stop at a token
/// (`Gpt::generate_until`, `Bigram::generate_until`), and a stop token that
/// can be sampled at all: otherwise such a loop runs `max_new` times,
/// which for a typo like `usize::MAX` never ends.
pub(crate) fn check_stop_and_max_new(stop: usize, vocab_size: usize, max_new: usize) -> Result<()> {
    if stop >= vocab_size {
        return Err(Error::invalid(
            "stop",
            stop,
            format!("a token id must be below the vocabulary size, {vocab_size}: this one could never be sampled"),
        ));
    }
    check_max_new_tokens(max_new)
}

fn check_max_new_tokens(max_new_tokens: usize) -> Result<()> {
    if max_new_tokens > MAX_NEW_TOKENS {
        return Err(Error::invalid("max_new_tokens", max_new_tokens, "at most 100 000 new tokens in one call"));
    }
    Ok(())
}

/// Autoregressive generation: runs `model` on the sequence so far, picks
/// the next token from the logits it returns for the last position with
/// `sampler`, appends it, and repeats `max_new_tokens` times. Returns the
/// prompt followed by the new tokens.
///
/// ```text
/// ids = prompt
/// repeat max_new_tokens times:  ids.push(sampler.sample(model(ids), rng))
/// ```
///
/// `model` gets every id so far and returns the logits `(V,)` of the next
/// token; a model with a context of `n` tokens crops to the last `n` itself
/// (no key–value cache: each step reruns the model on the whole context).
///
/// # Errors
/// [`Error::InvalidArgument`] for an empty prompt or more than 100 000 new
/// tokens; [`Error::BadShape`] for empty logits, [`Error::NonFinite`]
/// for a NaN or `+∞` logit and [`Error::InvalidArgument`] for logits that
/// are all `−∞` from the model (naming `generate`; a `−∞` beside finite
/// logits is a forbidden token); whatever error `model` returns.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// // A "model" over 3 tokens that always prefers the token after the last one.
/// let model = |ids: &[usize]| -> Result<Array1<f64>> {
///     let mut logits = Array1::zeros(3);
///     logits[(ids[ids.len() - 1] + 1) % 3] = 5.0;
///     Ok(logits)
/// };
/// let ids = generate(&[0], 5, &Sampler::greedy(), &mut seeded_rng(0), model)?;
/// assert_eq!(ids, vec![0, 1, 2, 0, 1, 2]);
/// // Seeded sampling repeats itself.
/// let hot = Sampler::with_temperature(2.0)?;
/// let a = generate(&[0], 20, &hot, &mut seeded_rng(7), model)?;
/// assert_eq!(a, generate(&[0], 20, &hot, &mut seeded_rng(7), model)?);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn generate<R, F>(prompt: &[usize], max_new_tokens: usize, sampler: &Sampler, rng: &mut R, mut model: F) -> Result<Vec<usize>>
where
    R: Rng + ?Sized,
    F: FnMut(&[usize]) -> Result<Array1<f64>>,
{
    if prompt.is_empty() {
        return Err(Error::invalid("prompt", "[]", "generation starts from at least one token"));
    }
    check_max_new_tokens(max_new_tokens)?;
    let mut ids = Vec::with_capacity(prompt.len() + max_new_tokens);
    ids.extend_from_slice(prompt);
    for _ in 0..max_new_tokens {
        let logits = model(&ids)?; // (V,)
        if logits.is_empty() {
            return Err(Error::BadShape { op: "generate: the model's logits", got: vec![0], expected: "one logit per token of the vocabulary (V,)" });
        }
        check_decoding_logits("generate: the model's logits", &logits.view())?;
        ids.push(sampler.sample(&logits, rng)?);
    }
    Ok(ids)
}

//! The course's own corpus: sentences of a small grammar, with a checker, so
//! a trained model's skill can be measured beyond its loss.
//!
//! ```text
//! sentence  → subject verb object "."
//! subject   → "a" [adjective] singular-noun  |  "the" [adjective] noun
//! object    → the same rule as subject (any number)
//! verb      → agrees with the subject: "sees" after a singular noun, "see" after a plural one
//! ```
//!
//! Two rules need memory beyond the previous character: "a" takes only a
//! singular noun, and the verb agrees with the subject's noun two or three
//! words back. Spelling the words is the first thing a character model
//! learns; the agreement comes later.

use rand::{Rng, RngExt};
use rand::seq::IndexedRandom;

use crate::error::{Error, Result};
use crate::random::seeded_rng;

/// The nouns: (singular, plural).
pub const NOUNS: [(&str, &str); 6] =
    [("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("fox", "foxes"), ("girl", "girls"), ("boy", "boys")];

/// The verbs: (after a singular subject, after a plural subject).
pub const VERBS: [(&str, &str); 4] = [("sees", "see"), ("likes", "like"), ("chases", "chase"), ("follows", "follow")];

/// The adjectives; a noun phrase has at most one.
pub const ADJECTIVES: [&str; 5] = ["big", "small", "red", "quick", "sleepy"];

/// The most sentences [`grammar_sentences`] makes in one call.
const MAX_SENTENCES: usize = 1_000_000;

/// One noun phrase: its words and whether the noun is plural.
fn noun_phrase<R: Rng + ?Sized>(rng: &mut R, words: &mut Vec<&'static str>) -> bool {
    let plural = rng.random_bool(0.5);
    // "a" only before a singular noun; "the" before either.
    let det = if !plural && rng.random_bool(0.5) { "a" } else { "the" };
    words.push(det);
    if rng.random_bool(0.5) {
        words.push(ADJECTIVES.choose(rng).expect("ADJECTIVES is not empty"));
    }
    let (singular, plural_form) = *NOUNS.choose(rng).expect("NOUNS is not empty");
    words.push(if plural { plural_form } else { singular });
    plural
}

/// `n` sentences of the grammar, each ending in `.`, from a seeded random
/// generator: the same seed gives the same sentences.
///
/// # Errors
/// [`Error::InvalidArgument`] if `n` is 0 or above 1 000 000.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let s = grammar_sentences(7, 3)?;
/// assert_eq!(s.len(), 3);
/// assert!(s.iter().all(|s| is_grammatical(s)));
/// assert_eq!(s, grammar_sentences(7, 3)?); // seeded
/// assert!(!is_grammatical("a cats sees the dog."));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn grammar_sentences(seed: u64, n: usize) -> Result<Vec<String>> {
    if n == 0 || n > MAX_SENTENCES {
        return Err(Error::invalid("n", n, "between 1 and 1 000 000 sentences"));
    }
    let mut rng = seeded_rng(seed);
    let mut out = Vec::with_capacity(n);
    let mut words = Vec::with_capacity(8);
    for _ in 0..n {
        words.clear();
        let plural = noun_phrase(&mut rng, &mut words);
        let (sees, see) = *VERBS.choose(&mut rng).expect("VERBS is not empty");
        words.push(if plural { see } else { sees });
        noun_phrase(&mut rng, &mut words);
        out.push(format!("{}.", words.join(" ")));
    }
    Ok(out)
}

/// The corpus as one text: `n` seeded sentences, one per line (each line
/// ends with `\n`).
///
/// # Errors
/// As [`grammar_sentences`].
pub fn grammar_corpus(seed: u64, n: usize) -> Result<String> {
    Ok(grammar_sentences(seed, n)?.into_iter().map(|s| s + "\n").collect())
}

/// Parses one noun phrase from `words`, returning `Some(plural)` and the
/// rest, or `None` if it breaks a rule.
fn parse_noun_phrase<'a>(words: &'a [&'a str]) -> Option<(bool, &'a [&'a str])> {
    let (&det, rest) = words.split_first()?;
    if det != "a" && det != "the" {
        return None;
    }
    let rest = match rest.first() {
        Some(w) if ADJECTIVES.contains(w) => &rest[1..],
        _ => rest,
    };
    let (&noun, rest) = rest.split_first()?;
    let plural = if NOUNS.iter().any(|(s, _)| *s == noun) {
        false
    } else if NOUNS.iter().any(|(_, p)| *p == noun) {
        true
    } else {
        return None;
    };
    if det == "a" && plural {
        return None;
    }
    Some((plural, rest))
}

/// Whether `sentence` is a sentence of the grammar: words separated by
/// single spaces, a final `.`, "a" only before a singular noun and a verb
/// that agrees with its subject. Anything else (a misspelt word, a missing
/// `.`, a space too many) is not.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// assert!(is_grammatical("the big dogs chase a sleepy cat."));
/// assert!(!is_grammatical("the big dogs chases a sleepy cat.")); // agreement
/// assert!(!is_grammatical("a dogs chase the cat."));               // "a" + plural
/// assert!(!is_grammatical("the dog sees the cat"));                // no full stop
/// assert!(!is_grammatical("the dog sees the cta."));               // spelling
/// ```
pub fn is_grammatical(sentence: &str) -> bool {
    let Some(body) = sentence.strip_suffix('.') else { return false };
    let words: Vec<&str> = body.split(' ').collect();
    let Some((plural, rest)) = parse_noun_phrase(&words) else { return false };
    let Some((&verb, rest)) = rest.split_first() else { return false };
    let agrees = VERBS.iter().any(|&(sees, see)| verb == if plural { see } else { sees });
    if !agrees {
        return false;
    }
    matches!(parse_noun_phrase(rest), Some((_, [])))
}

/// The share of `sentences` that [`is_grammatical`] accepts, in [0, 1].
///
/// # Errors
/// [`Error::InvalidArgument`] for an empty list.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let s = ["the cat sees a dog.", "the cat see a dog."];
/// assert_eq!(grammatical_share(&s)?, 0.5);
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn grammatical_share<S: AsRef<str>>(sentences: &[S]) -> Result<f64> {
    if sentences.is_empty() {
        return Err(Error::invalid("sentences", "[]", "a share needs at least one sentence"));
    }
    let ok = sentences.iter().filter(|s| is_grammatical(s.as_ref())).count();
    Ok(ok as f64 / sentences.len() as f64)
}

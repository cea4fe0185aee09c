//! A character-level tokenizer: one token per distinct character.

use std::fmt;

use crate::error::{Error, Result};

/// Maps each distinct character of a text to a token id, in sorted order.
///
/// The vocabulary is the sorted set of characters of the text it was built
/// from, so the same text always gives the same ids.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let tok = CharTokenizer::from_text("a cat.")?;
/// assert_eq!(tok.vocab(), &[' ', '.', 'a', 'c', 't']);
/// let ids = tok.encode("cat")?;
/// assert_eq!(ids, vec![3, 2, 4]);
/// assert_eq!(tok.decode(&ids)?, "cat");
/// // A character the vocabulary lacks is an error naming it and where it is.
/// let err = tok.encode("cats").unwrap_err().to_string();
/// assert!(err.contains("'s'") && err.contains("position 3"), "{err}");
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharTokenizer {
    chars: Vec<char>,
}

/// A character, written so that a newline or a space can be seen.
pub(crate) fn shown_char(c: char) -> String {
    match c {
        '\n' => "'\\n'".to_string(),
        '\t' => "'\\t'".to_string(),
        c => format!("'{c}'"),
    }
}

impl CharTokenizer {
    /// The tokenizer of every character in `text`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty text.
    pub fn from_text(text: &str) -> Result<Self> {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        if chars.is_empty() {
            return Err(Error::invalid("text", "\"\"", "a vocabulary needs at least one character"));
        }
        Ok(CharTokenizer { chars })
    }

    /// The vocabulary: the characters, id `i` at index `i`.
    pub fn vocab(&self) -> &[char] {
        &self.chars
    }

    /// How many tokens there are.
    pub fn vocab_size(&self) -> usize {
        self.chars.len()
    }

    /// The id of one character, if it is in the vocabulary.
    pub fn id(&self, c: char) -> Option<usize> {
        self.chars.binary_search(&c).ok()
    }

    /// The ids of `text`, one per character.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the first character that is not in
    /// the vocabulary and its position (counted in characters from 0).
    pub fn encode(&self, text: &str) -> Result<Vec<usize>> {
        text.chars()
            .enumerate()
            .map(|(i, c)| {
                self.id(c).ok_or_else(|| {
                    Error::invalid(
                        "text",
                        format!("{} at position {i}", shown_char(c)),
                        format!("that character is not in the vocabulary ({} characters: {self})", self.chars.len()),
                    )
                })
            })
            .collect()
    }

    /// The text of `ids`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the first id that is not below the
    /// vocabulary size.
    pub fn decode(&self, ids: &[usize]) -> Result<String> {
        ids.iter()
            .enumerate()
            .map(|(i, &id)| {
                self.chars.get(id).copied().ok_or_else(|| {
                    Error::invalid(
                        "ids",
                        format!("ids[{i}] = {id}"),
                        format!("a token id must be below the vocabulary size, {} (0 to {})", self.chars.len(), self.chars.len() - 1),
                    )
                })
            })
            .collect()
    }
}

impl fmt::Display for CharTokenizer {
    /// The vocabulary as one string, with a newline shown as `\n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &c in &self.chars {
            match c {
                '\n' => write!(f, "\\n")?,
                '\t' => write!(f, "\\t")?,
                c => write!(f, "{c}")?,
            }
        }
        Ok(())
    }
}

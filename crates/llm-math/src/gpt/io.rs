//! Saving and loading a [`Gpt`] in the safetensors format: a JSON header
//! (each tensor's name, dtype, shape and byte range, plus string metadata)
//! followed by the raw little-endian numbers. Any framework with a
//! safetensors reader (Python's `safetensors`, PyTorch, candle) opens it.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::{CharTokenizer, Gpt, GptConfig};
use crate::error::{Error, Result};
use crate::random::seeded_rng;

/// The largest file [`Gpt::load`] reads: 100 million f64 and a header.
const MAX_FILE_BYTES: u64 = 900_000_000;

fn io_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io { path: path.display().to_string(), message: e.to_string() }
}

fn bad(path: &Path, problem: impl Into<String>) -> Error {
    Error::BadFile { path: path.display().to_string(), problem: problem.into() }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and
/// a rename, so `path` holds either its old content or all of the new.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().ok_or_else(|| io_error(path, "the path names no file"))?;
    let tmp = path.with_file_name(format!(".{}.{}.partial", name.to_string_lossy(), std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp); // best effort: the error below is the one that matters
        return Err(io_error(path, e));
    }
    Ok(())
}

impl Gpt {
    /// Saves every parameter in the safetensors format (f64, the names of
    /// [`tensors`](Gpt::tensors)), with the sizes and the tokenizer's
    /// vocabulary as metadata. The file is written whole or not at all: a
    /// failed save leaves an older file at `path` as it was.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the tokenizer's vocabulary is not the
    /// model's size; [`Error::Io`] if the file cannot be written.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let tok = CharTokenizer::from_text("ab.")?;
    /// let cfg = GptConfig { vocab_size: 3, d_model: 4, n_heads: 2, n_layers: 1, max_len: 5 };
    /// let gpt = Gpt::new(&mut seeded_rng(0), cfg)?;
    /// let path = std::env::temp_dir().join(format!("doc-gpt-{}.safetensors", std::process::id()));
    /// gpt.save(&path, &tok)?;
    /// let (back, tok2) = Gpt::load(&path)?;
    /// assert_eq!(back.predict(&[0, 1])?, gpt.predict(&[0, 1])?);
    /// assert_eq!(tok2, tok);
    /// std::fs::remove_file(&path).ok();
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn save(&self, path: impl AsRef<Path>, tokenizer: &CharTokenizer) -> Result<()> {
        let path = path.as_ref();
        let c = self.config();
        if tokenizer.vocab_size() != c.vocab_size {
            return Err(Error::invalid(
                "tokenizer",
                format!("{} characters", tokenizer.vocab_size()),
                format!("the model's vocabulary has {} tokens; save it with the tokenizer it was trained with", c.vocab_size),
            ));
        }
        let params = self.params();
        let bytes: Vec<u8> = params.iter().flat_map(|x| x.to_le_bytes()).collect();
        let mut views = Vec::new();
        let mut start = 0;
        for (name, shape) in self.tensors() {
            let n: usize = shape.iter().product::<usize>() * 8;
            let view = TensorView::new(Dtype::F64, shape, &bytes[start..start + n]).map_err(|e| io_error(path, e))?;
            views.push((name, view));
            start += n;
        }
        let vocab: String = tokenizer.vocab().iter().collect();
        let metadata = HashMap::from([
            ("format".to_string(), "llm-math tiny GPT".to_string()),
            ("layout".to_string(), "row vectors: y = x @ W + b, W is (d_in, d_out); logits = ln_f(h) @ wte.T".to_string()),
            ("activation".to_string(), "gelu_tanh".to_string()),
            ("vocab".to_string(), vocab),
            ("vocab_size".to_string(), c.vocab_size.to_string()),
            ("d_model".to_string(), c.d_model.to_string()),
            ("n_heads".to_string(), c.n_heads.to_string()),
            ("n_layers".to_string(), c.n_layers.to_string()),
            ("max_len".to_string(), c.max_len.to_string()),
        ]);
        let file = safetensors::serialize(views, Some(metadata)).map_err(|e| io_error(path, e))?;
        write_atomically(path, &file)
    }

    /// Loads a model and its tokenizer saved by [`save`](Gpt::save).
    ///
    /// # Errors
    /// [`Error::BadFile`] naming the problem: no such file, a file that is
    /// not safetensors or is cut short, missing metadata, a missing or extra
    /// tensor, a tensor of the wrong shape or dtype, or NaN/infinite values.
    pub fn load(path: impl AsRef<Path>) -> Result<(Gpt, CharTokenizer)> {
        let path = path.as_ref();
        let size = fs::metadata(path).map_err(|e| bad(path, e.to_string()))?.len();
        if size > MAX_FILE_BYTES {
            return Err(bad(path, format!("{size} bytes is more than a model of this course (at most {MAX_FILE_BYTES})")));
        }
        let bytes = fs::read(path).map_err(|e| bad(path, e.to_string()))?;
        let file = SafeTensors::deserialize(&bytes).map_err(|e| bad(path, format!("not a complete safetensors file ({e})")))?;
        let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| bad(path, format!("not a complete safetensors file ({e})")))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let field = |key: &str| -> Result<usize> {
            let text = meta.get(key).ok_or_else(|| bad(path, format!("the metadata has no `{key}` (was it saved by Gpt::save?)")))?;
            text.parse().map_err(|_| bad(path, format!("metadata `{key}` = {text:?} is not a whole number")))
        };
        let config = GptConfig {
            vocab_size: field("vocab_size")?,
            d_model: field("d_model")?,
            n_heads: field("n_heads")?,
            n_layers: field("n_layers")?,
            max_len: field("max_len")?,
        };
        let vocab = meta.get("vocab").ok_or_else(|| bad(path, "the metadata has no `vocab`"))?;
        let tokenizer = CharTokenizer::from_text(vocab).map_err(|e| bad(path, format!("metadata `vocab`: {e}")))?;
        if tokenizer.vocab().iter().collect::<String>() != *vocab || tokenizer.vocab_size() != config.vocab_size {
            return Err(bad(path, format!("metadata `vocab` is not {} distinct sorted characters", config.vocab_size)));
        }
        let mut model = Gpt::new(&mut seeded_rng(0), config).map_err(|e| bad(path, format!("its sizes do not make a model: {e}")))?;
        let expected = model.tensors();
        let mut params = Vec::with_capacity(model.num_params());
        for (name, shape) in &expected {
            let t = file.tensor(name).map_err(|_| bad(path, format!("tensor `{name}` is missing")))?;
            if t.dtype() != Dtype::F64 {
                return Err(bad(path, format!("tensor `{name}` is {:?}, expected F64", t.dtype())));
            }
            if t.shape() != shape.as_slice() {
                return Err(bad(path, format!("tensor `{name}` has shape {:?}, the model's sizes need {shape:?}", t.shape())));
            }
            params.extend(t.data().chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("chunks of 8 bytes"))));
        }
        let mut extra: Vec<&str> = file.names().into_iter().filter(|n| !expected.iter().any(|(e, _)| e == n)).collect();
        if !extra.is_empty() {
            extra.sort_unstable();
            return Err(bad(path, format!("tensors the model does not have: {}", extra.join(", "))));
        }
        model.set_params(ndarray::ArrayView1::from(&params)).map_err(|e| bad(path, e.to_string()))?;
        Ok((model, tokenizer))
    }
}

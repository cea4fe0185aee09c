//! The training loop of the tiny GPT: random windows of the corpus, Adam
//! with warmup and a cosine decay, gradient clipping, progress lines, and
//! the batch split over a fixed number of threads.

use std::fmt;
use std::time::Instant;

use ndarray::Array1;
use rand::RngExt;

use super::Gpt;
use crate::error::{Error, Result};
use crate::optim::{Adam, Optimizer, Schedule, clip_grad_norm};
use crate::random::seeded_rng;

/// How to train a [`Gpt`] with [`train`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    /// Optimizer steps.
    pub steps: usize,
    /// Windows per step; each is `context + 1` tokens of the training ids.
    pub batch_size: usize,
    /// Tokens per window's input (at most the model's `max_len`).
    pub context: usize,
    /// The peak learning rate of Adam, reached after the warmup.
    pub lr: f64,
    /// Steps of the linear warmup (then a cosine down to 0 at `steps`).
    pub warmup: usize,
    /// The largest global gradient norm; larger gradients are scaled down to it.
    pub clip: f64,
    /// Steps between progress lines and loss measurements (0: none).
    pub eval_every: usize,
    /// Windows of each split that a measurement averages over.
    pub eval_windows: usize,
    /// The seed of the data order.
    pub seed: u64,
    /// How many threads share a batch. The numbers depend on this and on
    /// nothing else (not on the machine's cores or the threads' timing).
    pub threads: usize,
}

impl Default for TrainConfig {
    /// The notebook's settings: 1 000 steps of 16 windows of 32 tokens,
    /// lr 3e-3 with 100 warmup steps, clip 1.0, a line every 200 steps.
    fn default() -> Self {
        TrainConfig { steps: 1000, batch_size: 16, context: 32, lr: 3e-3, warmup: 100, clip: 1.0, eval_every: 200, eval_windows: 32, seed: 0, threads: 2 }
    }
}

impl TrainConfig {
    fn check(&self, model: &Gpt) -> Result<()> {
        for (name, value) in [("steps", self.steps), ("batch_size", self.batch_size), ("context", self.context), ("threads", self.threads), ("eval_windows", self.eval_windows)] {
            if value == 0 {
                return Err(Error::invalid(name, value, "training needs at least 1"));
            }
        }
        if self.steps > 1_000_000 {
            return Err(Error::invalid("steps", self.steps, "at most 1 000 000 steps in one call"));
        }
        if self.threads > 64 {
            return Err(Error::invalid("threads", self.threads, "at most 64 threads"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::invalid("lr", self.lr, "the learning rate must be finite and > 0"));
        }
        crate::optim::check_max_norm("clip", self.clip)?;
        if self.warmup == 0 || self.warmup >= self.steps {
            return Err(Error::invalid("warmup", self.warmup, format!("need 1 ≤ warmup < steps (steps = {})", self.steps)));
        }
        let max_len = model.config().max_len;
        if self.context > max_len {
            return Err(Error::invalid(
                "context",
                self.context,
                format!("longer than the model's positional table (max_len = {max_len})"),
            ));
        }
        Ok(())
    }
}

/// What [`train`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// The mean loss of each step's batch.
    pub batch_loss: Vec<f64>,
    /// The learning rate of each step.
    pub lr: Vec<f64>,
    /// The gradient norm of each step, before clipping.
    pub grad_norm: Vec<f64>,
    /// The steps at which the losses below were measured (before that step's update).
    pub eval_steps: Vec<usize>,
    /// The mean loss on fixed training windows at each of `eval_steps`.
    pub train_loss: Vec<f64>,
    /// The mean loss on fixed validation windows at each of `eval_steps`.
    pub val_loss: Vec<f64>,
    /// Tokens the model was trained on (steps × batch × context).
    pub tokens: usize,
    /// Wall-clock seconds of the whole run (not printed by the loop: it
    /// differs from run to run).
    pub seconds: f64,
}

impl History {
    /// Training throughput: tokens per second of wall-clock time.
    pub fn tokens_per_second(&self) -> f64 {
        self.tokens as f64 / self.seconds.max(1e-9)
    }
}

impl fmt::Display for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = |v: &[f64]| v.last().map_or("-".to_string(), |x| format!("{x:.4}"));
        write!(
            f,
            "History({} steps, {} tokens; last train loss {}, val loss {})",
            self.batch_loss.len(),
            self.tokens,
            last(&self.train_loss),
            last(&self.val_loss)
        )
    }
}

/// `n` offsets of windows of `len` tokens spread evenly over `ids`.
fn fixed_windows(ids: &[usize], len: usize, n: usize) -> Vec<usize> {
    let last = ids.len() - len;
    (0..n).map(|i| if n == 1 { 0 } else { i * last / (n - 1) }).collect()
}

/// The mean loss over fixed windows of `ids`.
fn mean_loss(model: &Gpt, ids: &[usize], len: usize, n: usize) -> Result<f64> {
    let windows: Vec<&[usize]> = fixed_windows(ids, len, n).into_iter().map(|s| &ids[s..s + len]).collect();
    model.loss_batch(&windows)
}

fn check_split(name: &'static str, ids: &[usize], len: usize, vocab: usize) -> Result<()> {
    if ids.len() < len {
        return Err(Error::invalid(name, format!("{} tokens", ids.len()), format!("a window needs context + 1 = {len} tokens")));
    }
    if let Some((i, id)) = ids.iter().enumerate().find(|(_, id)| **id >= vocab) {
        return Err(Error::invalid(name, format!("{name}[{i}] = {id}"), format!("a token id must be below the vocabulary size, {vocab}")));
    }
    Ok(())
}

/// The summed loss and summed gradients of `windows` on one replica (the
/// windows stacked into one pass).
fn work(replica: &mut Gpt, ids: &[usize], windows: &[usize], len: usize) -> Result<(f64, Array1<f64>)> {
    let batch: Vec<&[usize]> = windows.iter().map(|&s| &ids[s..s + len]).collect();
    let n = batch.len() as f64;
    let loss = replica.loss_and_backward_batch(&batch)?;
    Ok((loss * n, replica.grads()? * n))
}

/// Trains `model` on `train_ids` with Adam (β₁ 0.9, β₂ 0.999), a warmup +
/// cosine schedule and global-norm clipping, measuring the loss on fixed
/// windows of both splits every `eval_every` steps and printing a line then.
///
/// Each step takes `batch_size` random windows of `context + 1` tokens,
/// splits them over `threads` threads (each with its own copy of the
/// model), and adds their gradients in a fixed order, so a seed gives the
/// same numbers every time.
///
/// # Errors
/// [`Error::InvalidArgument`] for a learning rate that is not both finite
/// and above 0, a clip below 2.2e-308 (or not finite), a warmup not in `1..steps`, a context
/// longer than the model's `max_len`, a split shorter than one window or
/// with an id outside the vocabulary; an error of a step (a diverged loss)
/// stops the loop and is returned; the model keeps the last good parameters.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let cfg = GptConfig { vocab_size: 5, d_model: 8, n_heads: 2, n_layers: 1, max_len: 8 };
/// let mut gpt = Gpt::new(&mut seeded_rng(0), cfg)?;
/// let ids: Vec<usize> = (0..200).map(|i| i % 5).collect(); // 0 1 2 3 4 0 1 …
/// let tc = TrainConfig { steps: 60, batch_size: 4, context: 8, lr: 1e-2, warmup: 10, eval_every: 0, ..Default::default() };
/// let h = train(&mut gpt, &ids[..150], &ids[150..], &tc)?;
/// assert_eq!(h.batch_loss.len(), 60);
/// assert!(gpt.loss(&ids[150..159])? < 0.5); // a cycle is easy to learn
/// let bad = TrainConfig { lr: 0.0, ..tc };
/// assert!(train(&mut gpt, &ids, &ids, &bad).unwrap_err().to_string().contains("`lr`"));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn train(model: &mut Gpt, train_ids: &[usize], val_ids: &[usize], config: &TrainConfig) -> Result<History> {
    config.check(model)?;
    let len = config.context + 1;
    let vocab = model.config().vocab_size;
    check_split("train_ids", train_ids, len, vocab)?;
    check_split("val_ids", val_ids, len, vocab)?;
    let started = Instant::now();
    let schedule = Schedule::warmup_cosine(config.lr, config.warmup, config.steps)?;
    let mut adam = Adam::new(config.lr)?;
    let mut rng = seeded_rng(config.seed);
    let mut params = model.params();
    let mut replicas: Vec<Gpt> = (0..config.threads.min(config.batch_size)).map(|_| model.clone()).collect();
    let mut h = History {
        batch_loss: Vec::with_capacity(config.steps),
        lr: Vec::with_capacity(config.steps),
        grad_norm: Vec::with_capacity(config.steps),
        eval_steps: Vec::new(),
        train_loss: Vec::new(),
        val_loss: Vec::new(),
        tokens: 0,
        seconds: 0.0,
    };
    let measure = |model: &Gpt, h: &mut History, step: usize| -> Result<()> {
        let tr = mean_loss(model, train_ids, len, config.eval_windows)?;
        let va = mean_loss(model, val_ids, len, config.eval_windows)?;
        h.eval_steps.push(step);
        h.train_loss.push(tr);
        h.val_loss.push(va);
        Ok(())
    };
    let last_start = train_ids.len() - len;
    for step in 0..config.steps {
        if config.eval_every > 0 && step % config.eval_every == 0 {
            measure(model, &mut h, step)?;
            println!(
                "step {step:>5}/{} | train loss {:.4} | val loss {:.4} | lr {:.2e}",
                config.steps,
                h.train_loss[h.train_loss.len() - 1],
                h.val_loss[h.val_loss.len() - 1],
                schedule.lr(step)
            );
        }
        let windows: Vec<usize> = (0..config.batch_size).map(|_| rng.random_range(0..=last_start)).collect();
        let per = windows.len().div_ceil(replicas.len());
        let results: Vec<Result<(f64, Array1<f64>)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = replicas
                .iter_mut()
                .zip(windows.chunks(per))
                .map(|(replica, chunk)| {
                    let params = &params;
                    scope.spawn(move || {
                        replica.set_params(params.view())?;
                        work(replica, train_ids, chunk, len)
                    })
                })
                .collect();
            handles.into_iter().map(|t| t.join().unwrap_or_else(|_| Err(Error::invalid("threads", "a worker", "a training thread panicked")))).collect()
        });
        let mut loss = 0.0;
        let mut grads = Array1::zeros(params.len());
        for r in results {
            let (l, g) = r?;
            loss += l;
            grads += &g;
        }
        let n = windows.len() as f64;
        loss /= n;
        grads /= n;
        let norm = clip_grad_norm(&mut grads, config.clip)?;
        let lr = schedule.lr(step);
        adam.set_lr(lr)?;
        adam.step(&mut params, &grads)?;
        model.set_params(params.view())?;
        h.batch_loss.push(loss);
        h.lr.push(lr);
        h.grad_norm.push(norm);
        h.tokens += windows.len() * config.context;
    }
    if config.eval_every > 0 {
        measure(model, &mut h, config.steps)?;
        println!(
            "step {:>5}/{} | train loss {:.4} | val loss {:.4} | done",
            config.steps,
            config.steps,
            h.train_loss[h.train_loss.len() - 1],
            h.val_loss[h.val_loss.len() - 1]
        );
    }
    h.seconds = started.elapsed().as_secs_f64();
    Ok(h)
}

/// Splits `ids` into a training part (the first `train_share`) and a
/// validation part (the rest), as consecutive runs, so no window of one
/// split overlaps the other.
///
/// # Errors
/// [`Error::InvalidArgument`] unless `train_share` is in (0, 1) and both
/// parts are non-empty.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let ids: Vec<usize> = (0..10).collect();
/// let (tr, va) = train_val_split(&ids, 0.8)?;
/// assert_eq!((tr.len(), va.len()), (8, 2));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn train_val_split(ids: &[usize], train_share: f64) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(train_share > 0.0 && train_share < 1.0) {
        return Err(Error::invalid("train_share", train_share, "a share strictly between 0 and 1"));
    }
    let cut = (ids.len() as f64 * train_share).round() as usize;
    if cut == 0 || cut >= ids.len() {
        return Err(Error::invalid("ids", format!("{} tokens", ids.len()), format!("too few to split at {train_share}: both parts need a token")));
    }
    let (train, val) = ids.split_at(cut);
    Ok((train.to_vec(), val.to_vec())) // owned: a notebook keeps them from one cell to the next
}

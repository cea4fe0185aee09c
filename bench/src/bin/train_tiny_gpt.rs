//! The Rust side of the training benchmark: notebook 08's tiny GPT trained
//! on the grammar corpus for a number of steps, printing one JSON line with
//! the throughput and the peak memory (scripts/bench runs it next to
//! bench/tiny_gpt_numpy.py and bench/tiny_gpt_torch.py).
//!
//! Usage: train_tiny_gpt [--d-model D] [--heads H] [--layers L] [--context T]
//!                       [--batch B] [--steps N] [--threads K]

use llm_math::prelude::*;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name} takes a whole number, got {v}")))
}

/// Peak resident memory of this process in MB (VmHWM from /proc).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let context = arg(&args, "--context", 32);
    let steps = arg(&args, "--steps", 200);
    let text = grammar_corpus(0, 20_000)?;
    let tok = CharTokenizer::from_text(&text)?;
    let ids = tok.encode(&text)?;
    let (train_ids, val_ids) = train_val_split(&ids, 0.9)?;
    let cfg = GptConfig {
        vocab_size: tok.vocab_size(),
        d_model: arg(&args, "--d-model", 48),
        n_heads: arg(&args, "--heads", 4),
        n_layers: arg(&args, "--layers", 2),
        max_len: context,
    };
    let mut gpt = Gpt::new(&mut seeded_rng(0), cfg)?;
    let tc = TrainConfig {
        steps,
        batch_size: arg(&args, "--batch", 16),
        context,
        warmup: (steps / 10).max(1),
        eval_every: 0,
        threads: arg(&args, "--threads", 2),
        ..TrainConfig::default()
    };
    // A few steps first, so the timed run does not include first-touch costs.
    train(&mut gpt.clone(), &train_ids, &val_ids, &TrainConfig { steps: 3, warmup: 1, ..tc })?;
    let h = train(&mut gpt, &train_ids, &val_ids, &tc)?;
    println!(
        "{{\"impl\": \"rust\", \"tokens_per_s\": {:.1}, \"step_ms\": {:.3}, \"peak_rss_mb\": {:.1}, \"final_loss\": {:.4}, \"threads\": {}, \"params\": {}}}",
        h.tokens_per_second(),
        1000.0 * h.seconds / steps as f64,
        peak_rss_mb(),
        h.batch_loss.last().copied().unwrap_or(f64::NAN),
        tc.threads,
        gpt.num_params()
    );
    Ok(())
}

//! Benchmarks of `llm-math`'s numerics live in `benches/numerics.rs`; run them
//! with `scripts/bench` (which also times numpy on the same inputs) or with
//! `cargo bench -p llm-math-bench`.

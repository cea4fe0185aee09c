//! Tests of the capstone pieces against independent routes: counting by
//! hand, finite differences, PyTorch's documented clipping rule, and the
//! grammar's own definition.

use ndarray::{Array1, Array2};

use super::*;
use crate::calculus::gradient_check;
use crate::error::Error;
use crate::random::seeded_rng;
use crate::transformer::Sampler;

fn tiny() -> Gpt {
    let cfg = GptConfig { vocab_size: 7, d_model: 8, n_heads: 2, n_layers: 2, max_len: 6 };
    Gpt::new(&mut seeded_rng(3), cfg).unwrap()
}

#[test]
fn gpt_gradient_matches_finite_differences() {
    let mut gpt = tiny();
    // Parameters off their initial values (γ = 1, β = 0, tables of std 0.02):
    // at the initial scale LayerNorm divides by a standard deviation near
    // 0.02, and the third derivative makes a central difference with
    // h = 1e-5 wrong in the sixth digit.
    let p = gpt.params() + &crate::random::randn_vec(&mut seeded_rng(6), gpt.num_params()).mapv(|x| 0.3 * x);
    gpt.set_params(p.view()).unwrap();
    let tokens = [1, 4, 2, 6, 0, 3];
    gpt.loss_and_backward(&tokens).unwrap();
    let analytic = gpt.grads().unwrap();
    let theta = gpt.params();
    let probe = gpt.clone();
    let f = |p: &[f64]| {
        let mut m = probe.clone();
        m.set_params(ndarray::ArrayView1::from(p)).unwrap();
        m.loss(&tokens).unwrap()
    };
    let check = gradient_check(f, &analytic, theta.as_slice().unwrap(), 1e-5).unwrap();
    // As transformer's tests: a relative 1e-6, or 1e-9 absolutely where the
    // true partial is (nearly) 0 and the difference quotient is rounding noise.
    let bad: Vec<(usize, f64, f64)> = check.analytic.iter().zip(&check.numerical).enumerate().filter(|(_, (a, n))| (*a - *n).abs() > 1e-6 * a.abs().max(n.abs()) + 1e-9).map(|(i, (a, n))| (i, *a, *n)).collect();
    assert!(bad.is_empty(), "{} of {}: {:?}", bad.len(), check.analytic.len(), &bad[..bad.len().min(20)]);
}

#[test]
fn gpt_shapes_params_and_tensor_table_agree() {
    let gpt = tiny();
    let total: usize = gpt.tensors().iter().map(|(_, s)| s.iter().product::<usize>()).sum();
    assert_eq!(total, gpt.num_params());
    assert_eq!(gpt.params().len(), gpt.num_params());
    // wte 7·8 + wpe 6·8 + 2 blocks of 12d² + 13d + ln_f 2d
    assert_eq!(gpt.num_params(), 56 + 48 + 2 * (12 * 64 + 13 * 8) + 16);
    let names: Vec<String> = gpt.tensors().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names[0], "wte");
    assert!(names.contains(&"h.1.attn.proj.weight".to_string()));
    assert_eq!(names.last().unwrap(), "ln_f.bias");
}

#[test]
fn tied_unembedding_is_the_token_table() {
    let gpt = tiny();
    let ids = [2, 5, 1];
    // The logits are ln_f(h) · wteᵀ: rebuild them from the parts by hand.
    let mut x = gpt.wte().table().select(ndarray::Axis(0), &ids) + gpt.wpe().table().slice(ndarray::s![..3, ..]);
    for b in gpt.blocks() {
        x = crate::nn::Layer::predict(b, &x).unwrap();
    }
    let h = crate::nn::Layer::predict(gpt.ln_f(), &x).unwrap();
    let by_hand = h.dot(&gpt.wte().table().t());
    let logits = gpt.predict(&ids).unwrap();
    assert!((&logits - &by_hand).iter().all(|d| d.abs() < 1e-12));
}

#[test]
fn causal_model_ignores_later_tokens() {
    let gpt = tiny();
    let a = gpt.predict(&[1, 2, 3, 4]).unwrap();
    let b = gpt.predict(&[1, 2, 3, 0]).unwrap();
    for t in 0..3 {
        assert_eq!(a.row(t), b.row(t), "row {t} saw a later token");
    }
    assert_ne!(a.row(3), b.row(3));
}

#[test]
fn gpt_errors_name_the_problem() {
    let mut gpt = tiny();
    let e = gpt.forward(&[0; 7]).unwrap_err().to_string();
    assert!(e.contains("7 tokens") && e.contains("max_len = 6"), "{e}");
    let e = gpt.forward(&[0, 9]).unwrap_err().to_string();
    assert!(e.contains("ids[1] = 9"), "{e}");
    let e = gpt.loss(&[1]).unwrap_err().to_string();
    assert!(e.contains("at least 2 tokens"), "{e}");
    let e = tiny().backward(&Array2::zeros((2, 7))).unwrap_err().to_string();
    assert!(e.contains("forward"), "{e}");
    let e = gpt.attention_weights(5).unwrap_err().to_string();
    assert!(e.contains("2 blocks"), "{e}");
    let bad = GptConfig { vocab_size: 7, d_model: 6, n_heads: 4, n_layers: 1, max_len: 4 };
    assert!(Gpt::new(&mut seeded_rng(0), bad).unwrap_err().to_string().contains("n_heads"));
    let zero = GptConfig { max_len: 0, ..bad };
    assert!(Gpt::new(&mut seeded_rng(0), zero).unwrap_err().to_string().contains("max_len"));
    let mut nan = gpt.params();
    nan[3] = f64::NAN;
    let before = gpt.params();
    assert!(matches!(gpt.set_params(nan.view()), Err(Error::NonFinite { .. })));
    assert_eq!(gpt.params(), before);
}

#[test]
fn attention_weights_are_causal_rows_of_probabilities() {
    let mut gpt = tiny();
    gpt.forward(&[1, 2, 3, 4]).unwrap();
    let heads = gpt.attention_weights(1).unwrap();
    assert_eq!(heads.len(), 2);
    for a in &heads {
        for (i, row) in a.rows().into_iter().enumerate() {
            assert!((row.sum() - 1.0).abs() < 1e-12);
            assert!(row.iter().skip(i + 1).all(|&w| w == 0.0));
        }
    }
}

#[test]
fn generation_is_seeded_and_stops_at_the_stop_token() {
    let gpt = tiny();
    let s = Sampler::with_temperature(1.0).unwrap();
    let a = gpt.generate(&[1], 20, &s, &mut seeded_rng(4)).unwrap();
    let b = gpt.generate(&[1], 20, &s, &mut seeded_rng(4)).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 21); // longer than max_len = 6: the window slides
    let out = gpt.generate_until(&[1], 0, 50, &s, &mut seeded_rng(4)).unwrap();
    assert!(!out.contains(&0) && out.len() <= 50);
    assert!(gpt.generate_until(&[], 0, 5, &s, &mut seeded_rng(4)).is_err());
}

#[test]
fn tokenizer_round_trip_and_errors() {
    let tok = CharTokenizer::from_text("the cat.\n").unwrap();
    assert_eq!(tok.vocab_size(), 8);
    assert_eq!(tok.to_string(), "\\n .aceht");
    let ids = tok.encode("a cat.\n").unwrap();
    assert_eq!(tok.decode(&ids).unwrap(), "a cat.\n");
    let e = tok.encode("the dog").unwrap_err().to_string();
    assert!(e.contains("'d' at position 4"), "{e}");
    assert!(tok.decode(&[8]).unwrap_err().to_string().contains("ids[0] = 8"));
    assert!(CharTokenizer::from_text("").is_err());
}

#[test]
fn grammar_makes_only_grammatical_sentences_and_rejects_broken_ones() {
    let sentences = grammar_sentences(11, 500).unwrap();
    assert!(sentences.iter().all(|s| is_grammatical(s)));
    // Every noun, verb form and determiner shows up.
    let text = sentences.join(" ");
    for (s, p) in NOUNS {
        assert!(text.contains(&format!(" {s} ")) || text.contains(&format!(" {s}.")), "{s}");
        assert!(text.contains(p), "{p}");
    }
    for (s, p) in VERBS {
        assert!(text.contains(&format!(" {s} ")) && text.contains(&format!(" {p} ")));
    }
    // "a" is never followed (possibly after an adjective) by a plural noun.
    assert!(!sentences.iter().any(|s| s.starts_with("a ") && !is_grammatical(s)));
    for bad in ["the cat sees the dog", "the cat see the dog.", "a cats see the dog.", "the cat sees the.", "the  cat sees a dog.", "the big big cat sees a dog.", "", "."] {
        assert!(!is_grammatical(bad), "{bad:?}");
    }
    let corpus = grammar_corpus(11, 3).unwrap();
    assert_eq!(corpus.lines().count(), 3);
    assert!(corpus.ends_with(".\n"));
    assert!(grammar_sentences(0, 0).is_err());
    assert!(grammatical_share::<&str>(&[]).is_err());
}

#[test]
fn bigram_counts_match_a_hand_count() {
    let ids = [0, 1, 2, 1, 2, 0, 1];
    let bg = Bigram::count(&ids, 3, 0.0).unwrap();
    let mut by_hand = Array2::<f64>::zeros((3, 3));
    for t in 0..ids.len() - 1 {
        by_hand[[ids[t], ids[t + 1]]] += 1.0;
    }
    assert_eq!(bg.counts(), &by_hand);
    assert_eq!(bg.probs().row(1).to_vec(), vec![0.0, 0.0, 1.0]);
    assert_eq!(bg.probs().row(2).to_vec(), vec![0.5, 0.5, 0.0]);
    // Smoothing 1: (count + 1) / (row total + V).
    let smooth = Bigram::count(&ids, 3, 1.0).unwrap();
    assert!((smooth.probs()[[2, 2]] - 1.0 / 5.0).abs() < 1e-15);
    // Its loss is the mean −ln p over the 6 pairs.
    let expected = -(0..6).map(|t| bg.probs()[[ids[t], ids[t + 1]]].ln()).sum::<f64>() / 6.0;
    assert!((bg.loss(&ids).unwrap() - expected).abs() < 1e-15);
    // A pair never seen has probability 0 without smoothing: a clear error.
    assert!(bg.loss(&[2, 2]).unwrap_err().to_string().contains("probability 0"));
    assert!(Bigram::count(&ids, 3, -1.0).is_err());
    assert!(Bigram::count(&[0], 3, 0.0).is_err());
    assert!(Bigram::count(&[0, 5], 3, 0.0).unwrap_err().to_string().contains("ids[1] = 5"));
    // From logits: the rows are softmaxes.
    let from = Bigram::from_logits(&bg.probs().mapv(|p| (p + 1e-300).ln())).unwrap();
    assert!((from.probs() - bg.probs()).iter().all(|d| d.abs() < 1e-12));
    assert!(Bigram::from_logits(&Array2::zeros((2, 3))).is_err());
}

#[test]
fn bigram_never_generates_an_unseen_pair() {
    let ids = [0, 1, 2, 0, 1, 2, 0];
    let bg = Bigram::count(&ids, 4, 0.0).unwrap();
    let out = bg.generate_until(&[0], 3, 30, &Sampler::with_temperature(1.0).unwrap(), &mut seeded_rng(0)).unwrap();
    assert_eq!(out.len(), 30); // token 3 never follows anything, so it never stops
    let mut prev = 0;
    for &t in &out {
        assert_eq!(t, (prev + 1) % 3);
        prev = t;
    }
}

#[test]
fn clip_grad_norm_follows_pytorchs_rule() {
    let mut g = ndarray::array![6.0, 8.0, 0.0];
    let before = crate::optim::clip_grad_norm(&mut g, 2.0).unwrap();
    assert_eq!(before, 10.0);
    // g · (max_norm / ‖g‖) = (6, 8, 0) · 0.2
    assert!((g[0] - 1.2).abs() < 1e-15 && (g[1] - 1.6).abs() < 1e-15);
    assert!(crate::optim::clip_grad_norm(&mut g, 0.0).is_err());
    let mut nan = ndarray::array![f64::NAN];
    assert!(matches!(crate::optim::clip_grad_norm(&mut nan, 1.0), Err(Error::NonFinite { .. })));
}

fn cycle(n: usize) -> Vec<usize> {
    (0..n).map(|i| [0, 1, 2, 3, 2, 1][i % 6]).collect()
}

#[test]
fn training_is_deterministic_and_learns_a_pattern() {
    let ids = cycle(300);
    let cfg = GptConfig { vocab_size: 4, d_model: 8, n_heads: 2, n_layers: 1, max_len: 8 };
    let tc = TrainConfig { steps: 120, batch_size: 4, context: 8, lr: 2e-2, warmup: 5, eval_every: 60, eval_windows: 4, seed: 2, threads: 2, clip: 1.0 };
    let run = || {
        let mut gpt = Gpt::new(&mut seeded_rng(1), cfg).unwrap();
        let h = train(&mut gpt, &ids[..240], &ids[240..], &tc).unwrap();
        (gpt, h)
    };
    let (a, ha) = run();
    let (b, hb) = run();
    assert_eq!(a.params(), b.params()); // bit for bit, whatever the threads' timing
    assert_eq!(ha.batch_loss, hb.batch_loss);
    assert_eq!(ha.eval_steps, vec![0, 60, 120]);
    assert!(ha.val_loss[2] < 0.5 * ha.val_loss[0], "{:?}", ha.val_loss);
    assert_eq!(ha.tokens, 120 * 4 * 8);
    // The schedule: a ramp to lr over the warmup, then a cosine to 0.
    assert!((ha.lr[4] - 2e-2).abs() < 1e-15 && ha.lr[0] < ha.lr[4] && ha.lr[119] < 1e-4);
    // One thread gives the same model up to the order of the gradient sums.
    let mut one = Gpt::new(&mut seeded_rng(1), cfg).unwrap();
    train(&mut one, &ids[..240], &ids[240..], &TrainConfig { threads: 1, ..tc }).unwrap();
    assert!((&one.params() - &a.params()).iter().all(|d| d.abs() < 1e-9));
}

#[test]
fn train_refuses_bad_settings_with_their_names() {
    let ids = cycle(100);
    let cfg = GptConfig { vocab_size: 4, d_model: 8, n_heads: 2, n_layers: 1, max_len: 8 };
    let mut gpt = Gpt::new(&mut seeded_rng(1), cfg).unwrap();
    let ok = TrainConfig { steps: 10, batch_size: 2, context: 8, warmup: 2, eval_every: 0, ..TrainConfig::default() };
    for (bad, name) in [
        (TrainConfig { lr: 0.0, ..ok }, "`lr`"),
        (TrainConfig { lr: -1e-3, ..ok }, "`lr`"),
        (TrainConfig { lr: f64::NAN, ..ok }, "`lr`"),
        (TrainConfig { clip: 0.0, ..ok }, "`clip`"),
        (TrainConfig { clip: 1e-310, ..ok }, "`clip`"), // subnormal: the clipped rounding overshoots
        (TrainConfig { warmup: 10, ..ok }, "`warmup`"),
        (TrainConfig { context: 9, ..ok }, "`context`"),
        (TrainConfig { batch_size: 0, ..ok }, "`batch_size`"),
        (TrainConfig { threads: 0, ..ok }, "`threads`"),
    ] {
        let before = gpt.params();
        let e = train(&mut gpt, &ids, &ids, &bad).unwrap_err().to_string();
        assert!(e.contains(name), "{name}: {e}");
        assert_eq!(gpt.params(), before);
    }
    assert!(train(&mut gpt, &ids[..5], &ids, &ok).unwrap_err().to_string().contains("train_ids"));
    assert!(train(&mut gpt, &ids, &[0, 1, 9, 0, 0, 0, 0, 0, 0, 0], &ok).unwrap_err().to_string().contains("val_ids[2] = 9"));
    let (tr, va) = train_val_split(&ids, 0.9).unwrap();
    assert_eq!((tr.len(), va.len()), (90, 10));
    assert!(train_val_split(&ids, 1.0).is_err());
    assert!(train_val_split(&[1], 0.5).is_err());
}

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("llm-math-gpt-{}-{name}", std::process::id()))
}

#[test]
fn save_and_load_give_identical_logits() {
    let gpt = tiny();
    let tok = CharTokenizer::from_text("abc de\n").unwrap();
    let path = temp("round.safetensors");
    gpt.save(&path, &tok).unwrap();
    let (back, tok2) = Gpt::load(&path).unwrap();
    assert_eq!(tok2, tok);
    assert_eq!(back.params(), gpt.params());
    assert_eq!(back.predict(&[1, 2, 3]).unwrap(), gpt.predict(&[1, 2, 3]).unwrap());
    // The file is what the format says: 8 bytes of header length, the JSON header, then raw f64.
    let bytes = std::fs::read(&path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    assert!(header.contains("\"wte\"") && header.contains("\"F64\"") && header.contains("\"d_model\":\"8\""), "{header}");
    assert_eq!(bytes.len(), 8 + n + 8 * gpt.num_params());
    // No temporary file is left beside it.
    let leftovers = std::fs::read_dir(std::env::temp_dir()).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().contains("round.safetensors.")).count();
    assert_eq!(leftovers, 0);
    std::fs::remove_file(&path).ok();
}

#[test]
fn broken_files_give_clear_errors() {
    let gpt = tiny();
    let tok = CharTokenizer::from_text("abc de\n").unwrap();
    let path = temp("broken.safetensors");
    gpt.save(&path, &tok).unwrap();
    let good = std::fs::read(&path).unwrap();
    let load_err = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        Gpt::load(&path).unwrap_err().to_string()
    };
    let e = load_err(&good[..good.len() - 100]);
    assert!(e.contains("cannot load") && e.contains("not a complete safetensors file"), "{e}");
    let e = load_err(&good[..5]);
    assert!(e.contains("not a complete safetensors file"), "{e}");
    let e = load_err(b"hello, this is not a model at all");
    assert!(e.contains("not a complete safetensors file"), "{e}");
    // A model of other sizes: a tensor of the wrong shape.
    let other = Gpt::new(&mut seeded_rng(0), GptConfig { d_model: 4, ..gpt.config() }).unwrap();
    let other_path = temp("other.safetensors");
    other.save(&other_path, &tok).unwrap();
    let mut bytes = std::fs::read(&other_path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8(bytes[8..8 + n].to_vec()).unwrap().replace("\"d_model\":\"4\"", "\"d_model\":\"8\"");
    bytes.splice(8..8 + n, header.into_bytes());
    let e = load_err(&bytes);
    assert!(e.contains("tensor `wte` has shape [7, 4]") && e.contains("[7, 8]"), "{e}");
    // A missing tensor: save a one-block model, claim two blocks.
    let one = Gpt::new(&mut seeded_rng(0), GptConfig { n_layers: 1, ..gpt.config() }).unwrap();
    one.save(&other_path, &tok).unwrap();
    let mut bytes = std::fs::read(&other_path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8(bytes[8..8 + n].to_vec()).unwrap().replace("\"n_layers\":\"1\"", "\"n_layers\":\"2\"");
    bytes.splice(8..8 + n, header.into_bytes());
    let e = load_err(&bytes);
    assert!(e.contains("tensor `h.1.ln_1.weight` is missing"), "{e}");
    // Extra tensors: a two-block file said to hold one block.
    let mut bytes = good.clone();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8(bytes[8..8 + n].to_vec()).unwrap().replace("\"n_layers\":\"2\"", "\"n_layers\":\"1\"");
    bytes.splice(8..8 + n, header.into_bytes());
    let e = load_err(&bytes);
    assert!(e.contains("tensors the model does not have: h.1."), "{e}");
    let e = Gpt::load(temp("no-such-file")).unwrap_err().to_string();
    assert!(e.contains("cannot load") && e.contains("No such file"), "{e}");
    // A save with the wrong tokenizer is refused before anything is written.
    let e = gpt.save(&path, &CharTokenizer::from_text("ab").unwrap()).unwrap_err().to_string();
    assert!(e.contains("7 tokens"), "{e}");
    std::fs::remove_file(&path).ok();
    std::fs::remove_file(&other_path).ok();
}

#[test]
fn a_failed_save_leaves_the_old_file_whole() {
    let gpt = tiny();
    let tok = CharTokenizer::from_text("abc de\n").unwrap();
    let dir = temp("readonly-dir");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.safetensors");
    gpt.save(&path, &tok).unwrap();
    let before = std::fs::read(&path).unwrap();
    // A save into a folder that cannot take a new file fails, and the old file is untouched.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    let other = Gpt::new(&mut seeded_rng(9), gpt.config()).unwrap();
    let result = other.save(&path, &tok);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    if result.is_ok() {
        // Running as root: permissions do not stop the write; check the new file is whole instead.
        assert_eq!(Gpt::load(&path).unwrap().0.params(), other.params());
    } else {
        assert!(matches!(result, Err(Error::Io { .. })));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "a temporary file was left behind");
    std::fs::remove_dir_all(&dir).ok();
}

/// Writes a small trained-shape model and its logits for the Python read
/// test (tooling/tests/test_safetensors_python.py runs it with
/// LLM_MATH_PY_MODEL_DIR set).
#[test]
#[ignore = "run by the Python safetensors test"]
fn write_model_for_python() {
    let dir = std::path::PathBuf::from(std::env::var("LLM_MATH_PY_MODEL_DIR").expect("LLM_MATH_PY_MODEL_DIR"));
    let tok = CharTokenizer::from_text("the cat sees a dog.\n").unwrap();
    let cfg = GptConfig { vocab_size: tok.vocab_size(), d_model: 12, n_heads: 3, n_layers: 2, max_len: 10 };
    let mut gpt = Gpt::new(&mut seeded_rng(5), cfg).unwrap();
    // Move every parameter off its initial value (γ = 1, β = 0 would hide a swapped pair).
    let p = gpt.params() + &crate::random::randn_vec(&mut seeded_rng(6), gpt.num_params()).mapv(|x| 0.1 * x);
    gpt.set_params(p.view()).unwrap();
    gpt.save(dir.join("model.safetensors"), &tok).unwrap();
    let ids = tok.encode("a cat sees").unwrap();
    let logits = gpt.predict(&ids).unwrap();
    let rows: Vec<String> = logits.rows().into_iter().map(|r| format!("[{}]", r.iter().map(|x| format!("{x:e}")).collect::<Vec<_>>().join(","))).collect();
    // The loss and every gradient of a batch of two windows, by tensor name.
    let windows: [&[usize]; 2] = [&tok.encode("a cat sees ").unwrap(), &tok.encode("the dog.\nth").unwrap()];
    let loss = gpt.loss_and_backward_batch(&windows).unwrap();
    let grads = gpt.grads().unwrap();
    let mut start = 0;
    let mut named = Vec::new();
    for (name, shape) in gpt.tensors() {
        let n: usize = shape.iter().product();
        let values: Vec<String> = grads.slice(ndarray::s![start..start + n]).iter().map(|x| format!("{x:e}")).collect();
        named.push(format!("\"{name}\": [{}]", values.join(",")));
        start += n;
    }
    let json = format!(
        "{{\"ids\": {ids:?}, \"logits\": [{}], \"windows\": {:?}, \"loss\": {loss:e}, \"grads\": {{{}}}}}",
        rows.join(","),
        windows.iter().map(|w| w.to_vec()).collect::<Vec<_>>(),
        named.join(",")
    );
    std::fs::write(dir.join("logits.json"), json).unwrap();
}

#[test]
fn a_stacked_batch_equals_its_windows_one_by_one() {
    let mut gpt = tiny();
    let p = gpt.params() + &crate::random::randn_vec(&mut seeded_rng(8), gpt.num_params()).mapv(|x| 0.3 * x);
    gpt.set_params(p.view()).unwrap();
    let windows: [&[usize]; 3] = [&[1, 4, 2, 6, 0], &[3, 3, 3, 1, 2], &[6, 5, 4, 3, 2]];
    // Route 1: each window alone (attention, positions and the loss of one sequence), then the mean.
    let mut one = gpt.clone();
    let mut mean_grad = Array1::<f64>::zeros(gpt.num_params());
    let mut mean_loss = 0.0;
    for w in windows {
        mean_loss += one.loss_and_backward(w).unwrap() / 3.0;
        mean_grad = mean_grad + one.grads().unwrap() / 3.0;
    }
    // Route 2: the windows stacked into one (15, d) pass.
    let loss = gpt.loss_and_backward_batch(&windows).unwrap();
    assert!((loss - mean_loss).abs() < 1e-13, "{loss} vs {mean_loss}");
    assert!((loss - gpt.loss_batch(&windows).unwrap()).abs() < 1e-13);
    let diff = (&gpt.grads().unwrap() - &mean_grad).mapv(f64::abs).fold(0.0f64, |m, &d| m.max(d));
    assert!(diff < 1e-13, "largest gradient difference {diff}");
    // One attention matrix per window and head, each causal within its window.
    let weights = gpt.attention_weights(0).unwrap();
    assert_eq!(weights.len(), 3 * 2);
    assert!(weights.iter().all(|a| a.dim() == (4, 4)));
    // Errors name the window.
    let e = gpt.loss_and_backward_batch(&[&[1, 2, 3], &[1, 2]]).unwrap_err().to_string();
    assert!(e.contains("windows[1] has 2 tokens"), "{e}");
    let e = gpt.loss_batch(&[&[1, 2, 3], &[1, 9, 2]]).unwrap_err().to_string();
    assert!(e.contains("windows[1][1] = 9"), "{e}");
    let e = gpt.loss_batch(&[&[0; 8]]).unwrap_err().to_string();
    assert!(e.contains("max_len = 6"), "{e}");
    assert!(gpt.loss_batch(&[]).is_err());
}

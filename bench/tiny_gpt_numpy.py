"""NumPy twin of notebook 08's tiny character-level GPT: the training-throughput baseline.

The same model and maths as the Rust side (crates/llm-math/src/gpt/), in
float64, batched over (B, T, d): forward, a hand-written backward, Adam,
linear warmup + cosine learning rate, global-norm gradient clipping.

    x      = wte[ids] + wpe[:T]                                   (B, T, d)
    block  : x = x + proj(attn(LN1(x)));  x = x + mlp(LN2(x))     (pre-norm)
    logits = LN_f(x) @ wteᵀ                                       (tied unembedding)
    loss   = mean cross-entropy of the next token over all B·T positions

Other scripts import it (tiny_gpt_torch.py does, for the init and the data):
init_params, load_safetensors, save_safetensors, forward, loss_and_grads,
train. As a script it trains on random tokens and prints one JSON line:

    python bench/tiny_gpt_numpy.py --vocab 30 --d-model 48 --heads 4 --layers 2 \\
        --context 32 --batch 16 --steps 50 --warmup 5 --lr 3e-3 --seed 0
    python bench/tiny_gpt_numpy.py --check-grads        # backward vs finite differences
    python bench/tiny_gpt_numpy.py --check-safetensors  # save -> load round trip

The BLAS thread count is OpenBLAS's own (all cores unless OPENBLAS_NUM_THREADS
is set); the JSON line reports it. The allocator matters here: glibc gives
freed blocks of the size of a (B, T, 4d) activation back to the OS, so every
fresh one costs page faults; MALLOC_TRIM_THRESHOLD_=268435456
MALLOC_MMAP_THRESHOLD_=268435456 in the environment keeps them (about 1.4x
faster at the bench's usual size). The script leaves the allocator alone.
"""

import argparse
import ctypes
import functools
import glob
import json
import math
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np

LN_EPS = 1e-5
ADAM_BETA1, ADAM_BETA2, ADAM_EPS = 0.9, 0.999, 1e-8
MAX_GRAD_NORM = 1.0
UNTIMED_STEPS = 3  # the first steps warm caches and the allocator; not timed
GELU_C = math.sqrt(2.0 / math.pi)
METADATA_KEYS = ("vocab_size", "d_model", "n_heads", "n_layers", "max_len")


# ---------------------------------------------------------------- config and parameters


@dataclass(frozen=True)
class Config:
    """The model's sizes; max_len is the longest context (wpe's rows)."""

    vocab_size: int
    d_model: int
    n_heads: int
    n_layers: int
    max_len: int

    def __post_init__(self):
        for name in METADATA_KEYS:
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model {self.d_model} is not divisible by n_heads {self.n_heads}"
            )

    @property
    def d_head(self):
        return self.d_model // self.n_heads


def param_shapes(cfg):
    """Every tensor's name -> shape, in the order of the safetensors file's names."""
    d, V = cfg.d_model, cfg.vocab_size
    shapes = {"wte": (V, d), "wpe": (cfg.max_len, d)}
    for i in range(cfg.n_layers):
        p = f"h.{i}."
        shapes[p + "ln_1.weight"] = (d,)
        shapes[p + "ln_1.bias"] = (d,)
        for name in ("q", "k", "v", "proj"):
            shapes[p + f"attn.{name}.weight"] = (d, d)
            shapes[p + f"attn.{name}.bias"] = (d,)
        shapes[p + "ln_2.weight"] = (d,)
        shapes[p + "ln_2.bias"] = (d,)
        shapes[p + "mlp.fc.weight"] = (d, 4 * d)
        shapes[p + "mlp.fc.bias"] = (4 * d,)
        shapes[p + "mlp.proj.weight"] = (4 * d, d)
        shapes[p + "mlp.proj.bias"] = (d,)
    shapes["ln_f.weight"] = (d,)
    shapes["ln_f.bias"] = (d,)
    return shapes


def init_params(cfg, rng, std=0.02):
    """The bench's init: N(0, std) for embeddings and weights, zero biases, γ = 1, β = 0."""
    params = {}
    for name, shape in param_shapes(cfg).items():
        if len(shape) == 2:  # wte, wpe and every weight matrix
            params[name] = rng.normal(0.0, std, size=shape)
        elif name.endswith(".weight"):  # a LayerNorm's γ
            params[name] = np.ones(shape)
        else:  # a bias or a LayerNorm's β
            params[name] = np.zeros(shape)
    return params


def check_params(params, cfg):
    """Raise if a tensor is missing, extra, or of the wrong shape."""
    shapes = param_shapes(cfg)
    missing = sorted(set(shapes) - set(params))
    extra = sorted(set(params) - set(shapes))
    if missing or extra:
        raise ValueError(f"tensor names do not match the config: missing {missing}, extra {extra}")
    for name, shape in shapes.items():
        if params[name].shape != shape:
            raise ValueError(f"{name}: expected shape {shape}, got {params[name].shape}")


def load_safetensors(path):
    """Read a model written by the Rust side: (params as float64 arrays, Config)."""
    from safetensors import safe_open
    from safetensors.numpy import load_file

    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
    missing = [k for k in METADATA_KEYS if k not in meta]
    if missing:
        raise ValueError(f"{path}: metadata lacks {missing} (has {sorted(meta)})")
    cfg = Config(**{k: int(meta[k]) for k in METADATA_KEYS})
    params = {name: np.asarray(t, dtype=np.float64) for name, t in load_file(path).items()}
    check_params(params, cfg)
    return params, cfg


def save_safetensors(path, params, cfg):
    """Write params (float64) with the config as decimal-string metadata."""
    from safetensors.numpy import save_file

    check_params(params, cfg)
    meta = {k: str(getattr(cfg, k)) for k in METADATA_KEYS}
    save_file({k: np.ascontiguousarray(v, dtype=np.float64) for k, v in params.items()}, path, metadata=meta)


# ---------------------------------------------------------------- building blocks
# Each forward returns (out, cache); each backward takes (d_out, cache) and
# returns the gradients of its inputs and parameters.


def layer_norm(x, gamma, beta):
    """(x - mean) / sqrt(var + eps) * γ + β over the last axis, biased variance."""
    mean = x.mean(axis=-1, keepdims=True)  # (B, T, 1)
    xc = x - mean
    rstd = 1.0 / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + LN_EPS)  # (B, T, 1)
    x_hat = xc * rstd
    return x_hat * gamma + beta, (x_hat, rstd, gamma)


def layer_norm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    d_gamma = (dy * x_hat).sum(axis=(0, 1))  # (B, T, d) -> (d,)
    d_beta = dy.sum(axis=(0, 1))  # (B, T, d) -> (d,)
    dx_hat = dy * gamma
    # the mean and the variance depend on every x_j: project those two directions out
    dx = rstd * (
        dx_hat
        - dx_hat.mean(axis=-1, keepdims=True)
        - x_hat * (dx_hat * x_hat).mean(axis=-1, keepdims=True)
    )
    return dx, d_gamma, d_beta


def linear(x, w, b):
    """y = x @ W + b, W stored (d_in, d_out)."""
    B, T, d_in = x.shape
    # one (B·T, d_in) @ (d_in, d_out) product is one BLAS call, not B of them
    y = x.reshape(B * T, d_in) @ w + b  # (B·T, d_out)
    return y.reshape(B, T, w.shape[1]), (x, w)  # (B, T, d_out)


def linear_backward(dy, cache):
    x, w = cache
    B, T, d_in = x.shape
    dy2 = dy.reshape(B * T, w.shape[1])  # (B·T, d_out)
    dw = x.reshape(B * T, d_in).T @ dy2  # (d_in, B·T) @ (B·T, d_out) -> (d_in, d_out)
    db = dy2.sum(axis=0)  # (d_out,)
    dx = (dy2 @ w.T).reshape(B, T, d_in)  # (B·T, d_out) @ (d_out, d_in) -> (B, T, d_in)
    return dx, dw, db


def gelu_tanh(x):
    """0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), PyTorch's approximate='tanh'."""
    t = np.tanh(GELU_C * (x + 0.044715 * (x * x * x)))  # x * x * x: x**3 calls pow(), 30x slower
    return 0.5 * x * (1.0 + t), (x, t)


def gelu_tanh_backward(dy, cache):
    x, t = cache
    du_dx = GELU_C * (1.0 + 3.0 * 0.044715 * x * x)
    return dy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du_dx)


@functools.lru_cache(maxsize=8)
def causal_mask(seq_len):
    """(T, T): 0 where key j ≤ query i, -inf where j > i (a token cannot see its future)."""
    mask = np.triu(np.full((seq_len, seq_len), -np.inf), k=1)
    mask.flags.writeable = False  # shared between calls
    return mask


def split_heads(x, n_heads):
    B, T, d = x.shape
    return x.reshape(B, T, n_heads, d // n_heads).transpose(0, 2, 1, 3)  # (B, H, T, d_head)


def merge_heads(x):
    B, H, T, d_head = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, H * d_head)  # (B, T, d)


def attention(q, k, v, n_heads):
    """Causal softmax(q kᵀ / √d_head) v per head; q, k, v: (B, T, d) -> (B, T, d)."""
    T = q.shape[1]
    qh, kh, vh = (split_heads(a, n_heads) for a in (q, k, v))  # (B, H, T, d_head)
    scale = 1.0 / math.sqrt(qh.shape[-1])
    scores = (qh @ kh.transpose(0, 1, 3, 2)) * scale + causal_mask(T)  # (B, H, T, T)
    # subtract the row max so exp cannot overflow (the diagonal keeps it finite)
    probs = np.exp(scores - scores.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    out = probs @ vh  # (B, H, T, T) @ (B, H, T, d_head) -> (B, H, T, d_head)
    return merge_heads(out), (qh, kh, vh, probs, scale)  # (B, T, d)


def attention_backward(d_out, cache):
    qh, kh, vh, probs, scale = cache
    n_heads = qh.shape[1]
    d_oh = split_heads(d_out, n_heads)  # (B, H, T, d_head)
    d_probs = d_oh @ vh.transpose(0, 1, 3, 2)  # (B, H, T, T)
    d_vh = probs.transpose(0, 1, 3, 2) @ d_oh  # (B, H, T, d_head)
    # softmax's Jacobian: p ⊙ (g - ⟨g, p⟩); masked entries have p = 0, so no gradient
    d_scores = probs * (d_probs - (d_probs * probs).sum(axis=-1, keepdims=True))
    d_scores *= scale
    d_qh = d_scores @ kh  # (B, H, T, d_head)
    d_kh = d_scores.transpose(0, 1, 3, 2) @ qh  # (B, H, T, d_head)
    return merge_heads(d_qh), merge_heads(d_kh), merge_heads(d_vh)  # (B, T, d) each


def block(x, params, i, n_heads):
    """One pre-norm block: x + attn(LN1(x)), then + mlp(LN2(·))."""
    p = lambda name: params[f"h.{i}.{name}"]  # noqa: E731
    a, c_ln1 = layer_norm(x, p("ln_1.weight"), p("ln_1.bias"))
    q, c_q = linear(a, p("attn.q.weight"), p("attn.q.bias"))
    k, c_k = linear(a, p("attn.k.weight"), p("attn.k.bias"))
    v, c_v = linear(a, p("attn.v.weight"), p("attn.v.bias"))
    o, c_att = attention(q, k, v, n_heads)
    y, c_proj = linear(o, p("attn.proj.weight"), p("attn.proj.bias"))
    x = x + y
    m, c_ln2 = layer_norm(x, p("ln_2.weight"), p("ln_2.bias"))
    f, c_fc = linear(m, p("mlp.fc.weight"), p("mlp.fc.bias"))  # (B, T, 4d)
    g, c_gelu = gelu_tanh(f)
    z, c_mproj = linear(g, p("mlp.proj.weight"), p("mlp.proj.bias"))  # (B, T, d)
    x = x + z
    return x, (c_ln1, c_q, c_k, c_v, c_att, c_proj, c_ln2, c_fc, c_gelu, c_mproj)


def block_backward(dx, cache, grads, i):
    """Backward of block(); adds the block's parameter gradients into grads."""
    c_ln1, c_q, c_k, c_v, c_att, c_proj, c_ln2, c_fc, c_gelu, c_mproj = cache
    p = f"h.{i}."
    # MLP branch; the residual passes dx through unchanged
    dg, grads[p + "mlp.proj.weight"], grads[p + "mlp.proj.bias"] = linear_backward(dx, c_mproj)
    df = gelu_tanh_backward(dg, c_gelu)
    dm, grads[p + "mlp.fc.weight"], grads[p + "mlp.fc.bias"] = linear_backward(df, c_fc)
    dx_ln2, grads[p + "ln_2.weight"], grads[p + "ln_2.bias"] = layer_norm_backward(dm, c_ln2)
    dx = dx + dx_ln2
    # attention branch
    do, grads[p + "attn.proj.weight"], grads[p + "attn.proj.bias"] = linear_backward(dx, c_proj)
    dq, dk, dv = attention_backward(do, c_att)
    da_q, grads[p + "attn.q.weight"], grads[p + "attn.q.bias"] = linear_backward(dq, c_q)
    da_k, grads[p + "attn.k.weight"], grads[p + "attn.k.bias"] = linear_backward(dk, c_k)
    da_v, grads[p + "attn.v.weight"], grads[p + "attn.v.bias"] = linear_backward(dv, c_v)
    dx_ln1, grads[p + "ln_1.weight"], grads[p + "ln_1.bias"] = layer_norm_backward(
        da_q + da_k + da_v, c_ln1
    )
    return dx + dx_ln1


# ---------------------------------------------------------------- model, loss, gradients


def _check_ids(ids, cfg):
    if ids.ndim != 2:
        raise ValueError(f"ids must have shape (B, T), got {ids.shape}")
    if ids.shape[1] > cfg.max_len:
        raise ValueError(f"cannot forward sequence of length {ids.shape[1]}, max_len is {cfg.max_len}")
    if ids.size and (ids.min() < 0 or ids.max() >= cfg.vocab_size):
        raise ValueError(f"token ids must lie in [0, {cfg.vocab_size}), got [{ids.min()}, {ids.max()}]")


def _forward(params, cfg, ids):
    """Logits (B, T, V) and everything backward needs."""
    _check_ids(ids, cfg)
    T = ids.shape[1]
    wte = params["wte"]
    x = wte[ids] + params["wpe"][:T]  # (B, T, d)
    caches = []
    for i in range(cfg.n_layers):
        x, c = block(x, params, i, cfg.n_heads)
        caches.append(c)
    h, c_lnf = layer_norm(x, params["ln_f.weight"], params["ln_f.bias"])
    logits = h @ wte.T  # (B, T, d) @ (d, V) -> (B, T, V), tied unembedding
    return logits, (h, c_lnf, caches)


def forward(params, cfg, ids):
    """Logits for token ids: (B, T) -> (B, T, V), or (T,) -> (T, V)."""
    ids = np.asarray(ids)
    if ids.ndim == 1:
        return _forward(params, cfg, ids[None])[0][0]
    return _forward(params, cfg, ids)[0]


def cross_entropy(logits, targets):
    """Mean -log softmax(logits)[target] over all positions, and its gradient in logits."""
    V = logits.shape[-1]
    z = logits.reshape(-1, V)  # (N, V), N = B·T
    # subtract the row max so exp cannot overflow
    z = z - z.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # (N, V)
    rows, cols = np.arange(z.shape[0]), targets.reshape(-1)
    loss = -log_probs[rows, cols].mean()
    d_logits = np.exp(log_probs)  # softmax - one_hot, over N
    d_logits[rows, cols] -= 1.0
    d_logits /= z.shape[0]
    return loss, d_logits.reshape(logits.shape)  # (B, T, V)


def loss_and_grads(params, cfg, ids_in, ids_target):
    """Mean next-token cross-entropy and its gradient for every tensor (a dict like params)."""
    ids_in, ids_target = np.asarray(ids_in), np.asarray(ids_target)
    if ids_in.shape != ids_target.shape:
        raise ValueError(f"ids_in {ids_in.shape} and ids_target {ids_target.shape} differ in shape")
    _check_ids(ids_target, cfg)
    logits, (h, c_lnf, caches) = _forward(params, cfg, ids_in)
    loss, d_logits = cross_entropy(logits, ids_target)
    B, T, V = logits.shape
    d = cfg.d_model
    grads = {}
    # tied unembedding: wte gets a gradient from the logits here and from the lookup below
    d_wte = d_logits.reshape(B * T, V).T @ h.reshape(B * T, d)  # (V, B·T) @ (B·T, d) -> (V, d)
    dh = d_logits @ params["wte"]  # (B, T, V) @ (V, d) -> (B, T, d)
    dx, grads["ln_f.weight"], grads["ln_f.bias"] = layer_norm_backward(dh, c_lnf)
    for i in reversed(range(cfg.n_layers)):
        dx = block_backward(dx, caches[i], grads, i)
    # a token id used twice adds twice: np.add.at accumulates repeated indices
    np.add.at(d_wte, ids_in.reshape(-1), dx.reshape(B * T, d))
    grads["wte"] = d_wte
    d_wpe = np.zeros_like(params["wpe"])
    d_wpe[:T] = dx.sum(axis=0)  # (B, T, d) -> (T, d)
    grads["wpe"] = d_wpe
    return loss, grads


# ---------------------------------------------------------------- optimiser and training


def lr_at(step, steps, warmup, lr):
    """Linear warmup lr·(t+1)/W for t < W, then cosine lr·½(1 + cos(π(t−W)/(N−W)))."""
    if step < warmup:
        return lr * (step + 1) / warmup
    return lr * 0.5 * (1.0 + math.cos(math.pi * (step - warmup) / (steps - warmup)))


def clip_grad_norm(grads, max_norm=MAX_GRAD_NORM):
    """Scale every gradient by 1 / max(1, ‖g‖ / max_norm), ‖g‖ over all tensors; returns ‖g‖."""
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
    scale = 1.0 / max(1.0, norm / max_norm)
    if scale < 1.0:
        for g in grads.values():
            g *= scale
    return norm


class Adam:
    """Adam with bias correction, no weight decay: p -= lr · m̂ / (√v̂ + eps)."""

    def __init__(self, params, beta1=ADAM_BETA1, beta2=ADAM_BETA2, eps=ADAM_EPS):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, params, grads, lr):
        self.t += 1
        c1 = 1.0 - self.beta1**self.t
        c2 = 1.0 - self.beta2**self.t
        for k, g in grads.items():
            m, v = self.m[k], self.v[k]
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * (g * g)
            params[k] -= lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


def train(params, cfg, batches, *, steps, warmup, lr, max_grad_norm=MAX_GRAD_NORM, clip=clip_grad_norm):
    """Train params in place for `steps` steps on batches (an iterator of (B, T+1) ids).

    Returns (losses, ends): the loss before each update, and time.perf_counter()
    at the end of each step (ends[-1] - ends[k] times steps k+1 .. N-1).
    `clip(grads, max_norm)` scales the gradients in place (tiny_gpt_torch's
    check swaps in PyTorch's formula).
    """
    if not 0 <= warmup <= steps:
        raise ValueError(f"warmup must lie in [0, steps = {steps}], got {warmup}")
    opt = Adam(params)
    losses, ends = [], []
    for step in range(steps):
        ids = next(batches)  # (B, T+1)
        loss, grads = loss_and_grads(params, cfg, ids[:, :-1], ids[:, 1:])
        clip(grads, max_grad_norm)
        opt.step(params, grads, lr_at(step, steps, warmup, lr))
        losses.append(float(loss))
        ends.append(time.perf_counter())
    return losses, ends


def random_batches(cfg, batch, seq_len, rng):
    """Endless (B, T+1) batches of uniform random token ids: input = [:, :-1], target = [:, 1:]."""
    while True:
        yield rng.integers(0, cfg.vocab_size, size=(batch, seq_len + 1))


# ---------------------------------------------------------------- checks


def wide_params(cfg, rng, std=0.3):
    """Parameters for checks: N(0, std) everywhere, γ = 1 + N(0, std).

    Wide enough that softmax, GELU and LayerNorm work away from their linear
    regime, which the bench's N(0, 0.02) init would not reach.
    """
    params = {k: rng.normal(0.0, std, size=shape) for k, shape in param_shapes(cfg).items()}
    for k, v in params.items():
        if k.endswith(".weight") and v.ndim == 1:
            v += 1.0  # a LayerNorm's γ, near 1
    return params


def check_grads(seed=0, per_tensor=4, h=1e-6, atol=1e-8, rtol=1e-6):
    """Hand-written backward vs central differences (f(p+h) - f(p-h)) / 2h; True if all agree.

    A tiny config with wide_params, a few random entries of every tensor.
    """
    cfg = Config(vocab_size=7, d_model=8, n_heads=2, n_layers=2, max_len=6)
    B, T = 2, 5  # T < max_len: wpe's last row gets no gradient
    rng = np.random.default_rng(seed)
    params = wide_params(cfg, rng)
    ids = rng.integers(0, cfg.vocab_size, size=(B, T + 1))
    x_in, y = ids[:, :-1], ids[:, 1:]
    loss, grads = loss_and_grads(params, cfg, x_in, y)
    loss_only = cross_entropy(forward(params, cfg, x_in), y)[0]
    ok = abs(loss - loss_only) == 0.0
    print(f"loss {loss:.12f}; forward() + cross_entropy agree: {ok}")
    worst = 0.0
    for name, g in grads.items():
        p = params[name]
        rows = p.shape[0] if name != "wpe" else T  # wpe rows ≥ T are unused
        flat = rng.choice(rows * (p.size // p.shape[0]), size=min(per_tensor, p.size), replace=False)
        errs = []
        for j in flat:
            idx = np.unravel_index(j, p.shape)
            old = p[idx]
            p[idx] = old + h
            f_plus = cross_entropy(forward(params, cfg, x_in), y)[0]
            p[idx] = old - h
            f_minus = cross_entropy(forward(params, cfg, x_in), y)[0]
            p[idx] = old
            numeric = (f_plus - f_minus) / (2 * h)
            err = abs(g[idx] - numeric)
            errs.append(err)
            if err > atol + rtol * abs(numeric):
                ok = False
                print(f"  MISMATCH {name}{tuple(int(i) for i in idx)}: backward {g[idx]:.12e}, numeric {numeric:.12e}")
        worst = max(worst, max(errs))
        print(f"{name:22s} {str(p.shape):10s} checked {len(errs)}  max |err| {max(errs):.2e}")
    if np.any(grads["wpe"][T:]):
        ok = False
        print(f"  MISMATCH wpe rows {T}.. (never used) have a non-zero gradient")
    print(f"worst |backward - numeric| {worst:.2e} (pass if ≤ {atol:g} + {rtol:g}·|numeric|): "
          + ("OK" if ok else "FAILED"))
    return ok


def check_safetensors(seed=0):
    """save_safetensors -> load_safetensors gives back the same config and tensors."""
    cfg = Config(vocab_size=11, d_model=12, n_heads=3, n_layers=2, max_len=9)
    params = init_params(cfg, np.random.default_rng(seed))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tiny.safetensors")
        save_safetensors(path, params, cfg)
        loaded, cfg2 = load_safetensors(path)
    ok = cfg2 == cfg and all(np.array_equal(params[k], loaded[k]) for k in params)
    ok = ok and all(loaded[k].dtype == np.float64 for k in loaded)
    print(f"safetensors round trip ({len(params)} tensors, {cfg2}): " + ("OK" if ok else "FAILED"))
    return ok


# ---------------------------------------------------------------- command line


def blas_threads():
    """OpenBLAS's thread count as numpy's bundled library reports it (best effort)."""
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "libscipy_openblas*.so"))
    for lib in libs:
        so = ctypes.CDLL(lib)
        for sym in ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads"):
            if hasattr(so, sym):
                return int(getattr(so, sym)())
    env = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    return int(env) if env else os.cpu_count()


def bench_args(impl):
    """The command line shared with tiny_gpt_torch.py."""
    ap = argparse.ArgumentParser(description=f"Train the tiny GPT ({impl}) on random tokens; print one JSON line.")
    ap.add_argument("--vocab", type=int, default=30, help="vocab_size V")
    ap.add_argument("--d-model", type=int, default=48, help="d_model d")
    ap.add_argument("--heads", type=int, default=4, help="n_heads H")
    ap.add_argument("--layers", type=int, default=2, help="n_layers L")
    ap.add_argument("--context", type=int, default=32, help="T, also max_len")
    ap.add_argument("--batch", type=int, default=16, help="B")
    ap.add_argument("--steps", type=int, default=50, help=f"N, > {UNTIMED_STEPS} (the first {UNTIMED_STEPS} are not timed)")
    ap.add_argument("--warmup", type=int, default=5, help="W, linear-warmup steps")
    ap.add_argument("--lr", type=float, default=3e-3, help="peak learning rate")
    ap.add_argument("--seed", type=int, default=0, help="seeds init and data (numpy's default_rng)")
    return ap


def bench_setup(args):
    """Config, initial params and the batch stream, identical for numpy and torch."""
    if args.steps <= UNTIMED_STEPS:
        raise SystemExit(f"--steps must exceed {UNTIMED_STEPS} (those steps are not timed), got {args.steps}")
    try:
        cfg = Config(args.vocab, args.d_model, args.heads, args.layers, args.context)
    except ValueError as e:
        raise SystemExit(f"bad model size: {e}")
    rng = np.random.default_rng(args.seed)
    params = init_params(cfg, rng)
    return cfg, params, random_batches(cfg, args.batch, args.context, rng)


def bench_result(impl, args, losses, ends, threads):
    timed = args.steps - UNTIMED_STEPS
    seconds = ends[-1] - ends[UNTIMED_STEPS - 1]
    return {
        "impl": impl,
        "tokens_per_s": timed * args.batch * args.context / seconds,
        "step_ms": 1000.0 * seconds / timed,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "final_loss": losses[-1],
        "threads": threads,
    }


def main():
    ap = bench_args("numpy")
    ap.add_argument("--check-grads", action="store_true", help="backward vs finite differences; exit 1 on mismatch")
    ap.add_argument("--check-safetensors", action="store_true", help="save/load round trip; exit 1 on mismatch")
    args = ap.parse_args()
    if args.check_grads or args.check_safetensors:
        ok = True
        if args.check_grads:
            ok = check_grads(args.seed) and ok
        if args.check_safetensors:
            ok = check_safetensors(args.seed) and ok
        sys.exit(0 if ok else 1)
    cfg, params, batches = bench_setup(args)
    losses, ends = train(params, cfg, batches, steps=args.steps, warmup=args.warmup, lr=args.lr)
    print(json.dumps(bench_result("numpy", args, losses, ends, blas_threads())))


if __name__ == "__main__":
    main()

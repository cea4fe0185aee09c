"""PyTorch twin of notebook 08's tiny character-level GPT: the autograd baseline.

The same model as tiny_gpt_numpy.py (whose docstring gives the maths), in
float64 on the CPU with torch.set_num_threads(2): autograd for the backward,
torch.optim.Adam (β = (0.9, 0.999), eps = 1e-8, no weight decay), the same
warmup + cosine schedule, torch.nn.utils.clip_grad_norm_ to 1.0. The initial
parameters and the batches come from tiny_gpt_numpy.py with the same seed, so
both scripts train the same model on the same tokens.

One difference, inside PyTorch: clip_grad_norm_ scales by
max_norm / (‖g‖ + 1e-6) instead of 1 / max(1, ‖g‖ / max_norm), a relative
change of 1e-6 when it clips.

    python bench/tiny_gpt_torch.py --vocab 30 --d-model 48 --heads 4 --layers 2 \\
        --context 32 --batch 16 --steps 50 --warmup 5 --lr 3e-3 --seed 0
    python bench/tiny_gpt_torch.py --check-numpy   # autograd vs the numpy twin

Without torch it prints {"impl": "torch", "error": ...} and exits 0.
Requirements: bench/requirements-torch.txt.
"""

import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

import tiny_gpt_numpy as ref  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except Exception as e:  # ImportError, or a broken install failing to load its libraries
    torch = None
    TORCH_ERROR = f"cannot import torch: {type(e).__name__}: {e}"

THREADS = 2


def to_torch(params):
    """numpy float64 arrays -> leaf tensors that collect gradients."""
    return {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}


def attention(q, k, v, n_heads):
    """Causal softmax(q kᵀ / √d_head) v per head; q, k, v: (B, T, d) -> (B, T, d)."""
    B, T, d = q.shape
    d_head = d // n_heads
    q, k, v = (a.view(B, T, n_heads, d_head).transpose(1, 2) for a in (q, k, v))  # (B, H, T, d_head)
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(d_head)  # (B, H, T, T)
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    probs = F.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
    return (probs @ v).transpose(1, 2).reshape(B, T, d)  # (B, H, T, d_head) -> (B, T, d)


def forward(params, cfg, ids):
    """Logits for token ids: (B, T) -> (B, T, V)."""
    B, T = ids.shape
    d = cfg.d_model
    x = params["wte"][ids] + params["wpe"][:T]  # (B, T, d)
    for i in range(cfg.n_layers):
        p = lambda name: params[f"h.{i}.{name}"]  # noqa: E731
        a = F.layer_norm(x, (d,), p("ln_1.weight"), p("ln_1.bias"), eps=ref.LN_EPS)
        q = a @ p("attn.q.weight") + p("attn.q.bias")
        k = a @ p("attn.k.weight") + p("attn.k.bias")
        v = a @ p("attn.v.weight") + p("attn.v.bias")
        x = x + attention(q, k, v, cfg.n_heads) @ p("attn.proj.weight") + p("attn.proj.bias")
        m = F.layer_norm(x, (d,), p("ln_2.weight"), p("ln_2.bias"), eps=ref.LN_EPS)
        f = F.gelu(m @ p("mlp.fc.weight") + p("mlp.fc.bias"), approximate="tanh")  # (B, T, 4d)
        x = x + f @ p("mlp.proj.weight") + p("mlp.proj.bias")  # (B, T, d)
    h = F.layer_norm(x, (d,), params["ln_f.weight"], params["ln_f.bias"], eps=ref.LN_EPS)
    return h @ params["wte"].T  # (B, T, d) @ (d, V) -> (B, T, V), tied unembedding


def loss_fn(params, cfg, ids_in, ids_target):
    """Mean next-token cross-entropy over all B·T positions."""
    logits = forward(params, cfg, ids_in)  # (B, T, V)
    return F.cross_entropy(logits.reshape(-1, cfg.vocab_size), ids_target.reshape(-1))


def train(params_np, cfg, batches, *, steps, warmup, lr, max_grad_norm=ref.MAX_GRAD_NORM):
    """Train a torch copy of params_np; returns (losses, ends, params) as ref.train does."""
    params = to_torch(params_np)
    plist = list(params.values())
    opt = torch.optim.Adam(
        plist, lr=lr, betas=(ref.ADAM_BETA1, ref.ADAM_BETA2), eps=ref.ADAM_EPS, weight_decay=0.0
    )
    losses, ends = [], []
    for step in range(steps):
        ids = torch.from_numpy(next(batches))  # (B, T+1), int64
        for group in opt.param_groups:
            group["lr"] = ref.lr_at(step, steps, warmup, lr)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(params, cfg, ids[:, :-1], ids[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(plist, max_grad_norm)
        opt.step()
        losses.append(loss.item())
        ends.append(time.perf_counter())
    return losses, ends, params


def torch_style_clip(grads, max_norm):
    """numpy gradients clipped by clip_grad_norm_'s formula: min(1, max_norm / (‖g‖ + 1e-6))."""
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
    scale = min(1.0, max_norm / (norm + 1e-6))
    for g in grads.values():
        g *= scale
    return norm


def check_numpy(seed=0, steps=10):
    """Autograd vs tiny_gpt_numpy's hand-written backward, then `steps` training steps of each.

    Training is compared twice: with numpy clipping by PyTorch's formula (must
    agree to rounding), and with the spec's formula (reported, not checked:
    the 1e-6 in clip_grad_norm_ moves the parameters by about lr·1e-6).
    """
    cfg = ref.Config(vocab_size=7, d_model=8, n_heads=2, n_layers=2, max_len=6)
    B, T = 3, 5
    rng = np.random.default_rng(seed)
    params_np = ref.wide_params(cfg, rng)
    ids = rng.integers(0, cfg.vocab_size, size=(B, T + 1))
    loss_np, grads_np = ref.loss_and_grads(params_np, cfg, ids[:, :-1], ids[:, 1:])
    params = to_torch(params_np)
    ids_t = torch.from_numpy(ids)
    loss = loss_fn(params, cfg, ids_t[:, :-1], ids_t[:, 1:])
    loss.backward()
    loss_err = abs(loss.item() - loss_np)
    # absolute, not relative: attn.k.bias's gradient is exactly 0 in exact arithmetic
    # (adding q·b_k to every score of a row leaves the softmax unchanged)
    grad_err = max(float(np.max(np.abs(params[k].grad.numpy() - g))) for k, g in grads_np.items())
    grad_max = max(float(np.max(np.abs(g))) for g in grads_np.values())
    print(f"loss: numpy {loss_np:.15f}, torch {loss.item():.15f}, |diff| {loss_err:.1e}")
    print(f"gradients, {len(grads_np)} tensors: worst |diff| {grad_err:.1e} (largest |grad| {grad_max:.2f})")

    # training: same init, same batches, lr large enough for clipping and Adam to matter
    kw = dict(steps=steps, warmup=3, lr=1e-2)
    fresh = lambda: ref.random_batches(cfg, B, T, np.random.default_rng(seed + 1))  # noqa: E731
    losses_t, _, params_t = train(params_np, cfg, fresh(), **kw)
    ok = loss_err < 1e-12 and grad_err < 1e-12
    for clip, limit in ((torch_style_clip, 1e-9), (ref.clip_grad_norm, None)):
        run = {k: v.copy() for k, v in params_np.items()}
        losses_np, _ = ref.train(run, cfg, fresh(), clip=clip, **kw)
        loss_diff = max(abs(a - b) for a, b in zip(losses_np, losses_t))
        param_diff = max(float(np.max(np.abs(params_t[k].detach().numpy() - v))) for k, v in run.items())
        verdict = "(reported only)" if limit is None else f"(limit {limit:g})"
        print(f"{steps} Adam steps, numpy clipping by {clip.__name__}: loss {losses_np[0]:.6f} -> "
              f"{losses_np[-1]:.6f}; worst |loss diff| {loss_diff:.1e}, |param diff| {param_diff:.1e} {verdict}")
        if limit is not None:
            ok = ok and loss_diff < limit and param_diff < limit
    print("torch and numpy agree: " + ("OK" if ok else "FAILED"))
    return ok


def main():
    ap = ref.bench_args("torch")
    ap.add_argument("--check-numpy", action="store_true",
                    help="compare autograd and training with tiny_gpt_numpy.py; exit 1 on mismatch")
    args = ap.parse_args()
    if torch is None:
        print(json.dumps({"impl": "torch", "error": TORCH_ERROR}))
        sys.exit(0)
    torch.set_num_threads(THREADS)
    if args.check_numpy:
        sys.exit(0 if check_numpy(args.seed) else 1)
    cfg, params_np, batches = ref.bench_setup(args)
    losses, ends, _ = train(params_np, cfg, batches, steps=args.steps, warmup=args.warmup, lr=args.lr)
    print(json.dumps(ref.bench_result("torch", args, losses, ends, torch.get_num_threads())))


if __name__ == "__main__":
    main()

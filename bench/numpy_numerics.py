"""numpy's side of the numerics comparison in scripts/bench.

Times the same four operations as bench/benches/numerics.rs, on
inputs built by the same LCG, and prints one JSON object: name -> median
seconds per call. Run with the project's venv Python after
`pip install -r bench/requirements.txt` (scripts/bench does both).
"""

import json
import sys
import timeit

import numpy as np

MASK64 = (1 << 64) - 1


def values(n, seed):
    """The LCG of numerics.rs: values in [-1, 1)."""
    out = np.empty(n)
    state = seed
    for i in range(n):
        state = (state * 6364136223846793005 + 1442695040888963407) & MASK64
        out[i] = (state >> 11) / float(1 << 53) * 2.0 - 1.0
    return out


def matrix(rows, cols, seed):
    return values(rows * cols, seed).reshape(rows, cols)


def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def attention(q, k, v):
    scores = q @ k.T / np.sqrt(q.shape[1])
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return scores, weights, weights @ v


def mlp_fwd_bwd(x, target, w1, b1, w2, b2):
    """numerics.rs's 2-layer MLP: forward, MSE, backward to every gradient."""
    h = x @ w1 + b1
    a = np.maximum(h, 0.0)
    y = a @ w2 + b2
    diff = y - target
    loss = (diff * diff).mean()
    g = diff * (2.0 / diff.size)
    g_w2, g_b2 = a.T @ g, g.sum(axis=0)
    g_a = g @ w2.T
    g_h = g_a * (h > 0)
    g_w1, g_b1 = x.T @ g_h, g_h.sum(axis=0)
    g_x = g_h @ w1.T
    return loss, g_w1, g_b1, g_w2, g_b2, g_x


def median_seconds(fn, repeats=15):
    """Median time of one call over `repeats` batches sized to take ≥ 0.2 s."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    times = sorted(t / number for t in timer.repeat(repeat=repeats, number=number))
    return times[len(times) // 2]


def main():
    a, b = matrix(512, 512, 1), matrix(512, 512, 2)
    logits = values(50_257, 3) * 8.0
    q, k, v = matrix(512, 64, 4), matrix(512, 64, 5), matrix(512, 64, 6)
    mlp_inputs = (matrix(64, 256, 7), matrix(64, 256, 8), matrix(256, 512, 9) / 16.0, values(512, 10) * 0.1,
                  matrix(512, 256, 11) / np.sqrt(512.0), values(256, 12) * 0.1)
    results = {
        "matmul_512": median_seconds(lambda: a @ b),
        "softmax_50257": median_seconds(lambda: softmax(logits)),
        "attention_512x64": median_seconds(lambda: attention(q, k, v)),
        "mlp_fwd_bwd_64x256x512x256": median_seconds(lambda: mlp_fwd_bwd(*mlp_inputs)),
    }
    results["numpy"] = np.__version__
    config = np.show_config(mode="dicts")
    blas = config.get("Build Dependencies", {}).get("blas", {})
    results["blas"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    json.dump(results, sys.stdout)
    print()


if __name__ == "__main__":
    main()

"""numpy's side of the numerics comparison in scripts/bench.

Times the same three operations as bench/benches/numerics.rs, on
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
    results = {
        "matmul_512": median_seconds(lambda: a @ b),
        "softmax_50257": median_seconds(lambda: softmax(logits)),
        "attention_512x64": median_seconds(lambda: attention(q, k, v)),
    }
    results["numpy"] = np.__version__
    config = np.show_config(mode="dicts")
    blas = config.get("Build Dependencies", {}).get("blas", {})
    results["blas"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    json.dump(results, sys.stdout)
    print()


if __name__ == "__main__":
    main()

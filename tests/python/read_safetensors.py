"""A model saved by the crate, opened by Python's safetensors (NumPy backend).

Issue 18: the file Gpt::save writes must open in any framework. This test
1. runs the crate's ignored unit test `gpt::tests::write_model_for_python`,
   which saves a small GPT (every parameter moved off its initial value) and
   the logits it gives for one input, into a temporary folder;
2. opens the file with `safetensors.safe_open(..., framework="numpy")` and
   `safetensors.numpy.load_file`: every tensor the model has (GPT-2's names),
   float64, the shapes its metadata implies, nothing else;
3. runs the NumPy twin of the model (bench/tiny_gpt_numpy.py, written apart
   from the crate, its backward pass checked by finite differences) on those
   tensors and compares its logits, and the loss and every gradient of a
   batch of two windows, with the crate's;
4. checks that safetensors refuses the same file cut short.

Run by scripts/test after `cargo test` (whose build it reuses).
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import tiny_gpt_numpy as twin  # noqa: E402


def fail(message):
    print(f"FAILED: {message}")
    sys.exit(1)


def main():
    with tempfile.TemporaryDirectory(prefix="llm-math-safetensors-") as tmp:
        tmp = Path(tmp)
        print("writing a model with the crate (cargo test -p llm-math --lib gpt::tests::write_model_for_python -- --ignored)")
        subprocess.run(["cargo", "test", "--quiet", "-p", "llm-math", "--lib", "gpt::tests::write_model_for_python",
                        "--", "--ignored", "--exact"], cwd=ROOT, check=True,
                       env={**__import__("os").environ, "LLM_MATH_PY_MODEL_DIR": str(tmp)})
        path = tmp / "model.safetensors"
        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata()
            names = sorted(f.keys())
        cfg = twin.Config(**{k: int(meta[k]) for k in twin.METADATA_KEYS})
        expected = dict(twin.param_shapes(cfg))
        if sorted(expected) != names:
            fail(f"tensor names differ: file has {names}, the model needs {sorted(expected)}")
        tensors = load_file(str(path))
        for name, t in tensors.items():
            if t.dtype != np.float64 or t.shape != tuple(expected[name]):
                fail(f"{name}: {t.dtype} {t.shape}, expected float64 {tuple(expected[name])}")
        print(f"  opened {path.name}: {len(tensors)} tensors, float64, "
              f"{sum(t.size for t in tensors.values())} numbers; metadata vocab {meta['vocab']!r}")
        reference = json.loads((tmp / "logits.json").read_text())
        ids = np.array([reference["ids"]])
        logits = twin.forward(tensors, cfg, ids)[0]
        crate = np.array(reference["logits"])
        worst = float(np.max(np.abs(logits - crate)))
        if worst > 1e-10 * max(1.0, float(np.max(np.abs(crate)))):
            fail(f"the NumPy forward pass differs from the crate's logits by {worst:.3e}")
        print(f"  NumPy's forward pass on the loaded tensors = the crate's logits ({crate.shape}), largest difference {worst:.1e}")
        windows = np.array(reference["windows"])
        loss, grads = twin.loss_and_grads(tensors, cfg, windows[:, :-1], windows[:, 1:])
        if abs(loss - reference["loss"]) > 1e-12 * max(1.0, abs(loss)):
            fail(f"loss: NumPy {loss!r}, crate {reference['loss']!r}")
        worst = max(float(np.max(np.abs(grads[name].ravel() - np.array(values))))
                    for name, values in reference["grads"].items())
        if worst > 1e-12:
            fail(f"a gradient differs from NumPy's by {worst:.3e}")
        print(f"  loss {loss:.6f} and all {len(grads)} gradients of a 2-window batch = NumPy's, largest difference {worst:.1e}")
        data = path.read_bytes()
        cut = tmp / "cut.safetensors"
        cut.write_bytes(data[: len(data) - 8])
        try:
            load_file(str(cut))
        except SafetensorError as e:
            print(f"  a copy cut 8 bytes short is refused by Python too: {e}")
        else:
            fail("safetensors loaded a file cut short")
    print("safetensors read test passed")


if __name__ == "__main__":
    main()

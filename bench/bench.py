"""Cell latency and numerics benchmark: the Rust kernel next to Python's.

Run through scripts/bench, which sets up first. This script installs the
Python baseline's packages (bench/requirements.txt, pinned) into the venv,
runs the criterion benchmarks (bench/benches/numerics.rs) unless the
numerics section is left out, then measures:

  start      fresh kernel -> helper crate loaded -> first cell answered,
             with the project's warm build cache and with an empty one; and
             a notebook opened the JupyterLab way (a session over a Jupyter
             server's REST API) once its spare kernel is ready (spare.py)
  cells      warm per-cell latency over many reruns (median, p90): a trivial
             cell, a helper call, a figure, a table; the same trivial and
             small-numeric cells in ipykernel
  notebooks  every notebook executed headless in a fresh kernel, and an
             ipykernel notebook of the same shape (same cells, same figures)
  numerics   criterion's medians (target/criterion) against numpy's
  training   notebook 08's tiny GPT trained for a number of steps: tokens/s
             and peak memory of the crate (bench/src/bin/train_tiny_gpt.rs,
             release), the same model and maths in NumPy
             (bench/tiny_gpt_numpy.py) and in PyTorch on the CPU
             (bench/tiny_gpt_torch.py, its own venv under .tools/, pinned in
             bench/requirements-torch.txt: ~3.4 GB of CUDA wheels from PyPI)

Usage (the venv's Python; scripts/bench runs it so):
  bench/bench.py [--reps N] [--no-cold] [--only SECTION ...] [--out FILE]
"""

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from llm_math_tools import JUPYTER_PATH, NOTEBOOKS, ROOT, VENV
from llm_math_tools.install import stamped
from llm_math_tools.report import Steps, say
from llm_math_tools.rule import cell_failure, notebook_failures

BENCH = Path(__file__).resolve().parent
SECTIONS = ("start", "cells", "notebooks", "numerics", "training")
TIMEOUT_S = 1800  # a cold kernel compiles every dependency inside one cell

SETUP = ':dep llm-math = { path = "../crates/llm-math" }\nuse llm_math::prelude::*;'
SETUP_TABLES = ':dep llm-math = { path = "../crates/llm-math", features = ["tables"] }\nuse llm_math::prelude::*;'
# A learner reads the notebook's first lines before running the next cell; the kernel
# resolves the dependencies' names in the background meanwhile (the patched evcxr).
READING_PAUSE_S = 10
# The first cell after set-up defines a variable: that is what every notebook does.
FIRST = "let x = array![1.0, 2.0, 3.0];\nsoftmax(&x)?"
RUST_CELLS = {
    "trivial": "1 + 1",
    "helper": "softmax(&x)?",
    "figure": 'Chart::new("bench").line("y = x²", &x, &x.mapv(|v| v * v))',
    "table": 'Table::new(df!("x" => x.to_vec(), "p" => softmax(&x)?.to_vec())?)',
}
PY_SETUP = "import numpy as np"
PY_FIRST = "x = np.array([1.0, 2.0, 3.0])\ne = np.exp(x - x.max()); e / e.sum()"
PY_CELLS = {
    "trivial": "1 + 1",
    "helper": "e = np.exp(x - x.max()); e / e.sum()",
}
# An ipykernel notebook shaped like ours: imports, then numeric cells and
# matplotlib figures (SVG, as ours are) in the same numbers.
PY_NB_SETUP = ("import numpy as np\nimport matplotlib.pyplot as plt\n"
               "%config InlineBackend.figure_formats = ['svg']")
PY_NB_CELL = "x = np.linspace(-3, 3, 200); e = np.exp(x - x.max()); (e / e.sum()).sum()"
PY_NB_FIGURE = "x = np.linspace(-3, 3, 200); plt.plot(x, x ** 2); plt.title('bench'); plt.show()"


class Kernel:
    """One kernel, driven over ZeroMQ the way Jupyter drives it."""

    def __init__(self, name, env=None):
        started = time.perf_counter()
        self.name = name
        self.manager = KernelManager(kernel_name=name)
        self.manager.start_kernel(cwd=str(NOTEBOOKS), env={**os.environ, **(env or {})})
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)
        self.start_s = time.perf_counter() - started

    def run(self, code, what):
        """Runs a cell; returns (seconds, MIME types shown). A cell failed by the rule ends the bench."""
        cell = nbformat.v4.new_code_cell(code)

        def hook(msg):
            if msg["msg_type"] in ("stream", "error", "execute_result", "display_data"):
                cell.outputs.append(nbformat.v4.output_from_msg(msg))

        started = time.perf_counter()
        reply = self.client.execute_interactive(code, output_hook=hook, timeout=TIMEOUT_S)
        seconds = time.perf_counter() - started
        why = cell_failure(cell) or (None if reply["content"]["status"] == "ok" else "the kernel replied with an error")
        if why:
            sys.exit(f"bench: the {what} cell failed in the {self.name} kernel: {why}")
        return seconds, [mime for o in cell.outputs for mime in o.get("data", {})]

    def close(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=False)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def fmt_s(seconds):
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_t(seconds):
    """Numerics: µs or ms."""
    return f"{seconds * 1e6:.0f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------

def bench_start(results, cold):
    """Fresh kernel -> helper loaded -> first cell answered."""
    rows = []
    # (label, setup cell, empty cache?, seconds between the set-up cell and the first cell)
    runs = [("warm cache", SETUP, None, 0), ("warm cache, tables (polars)", SETUP_TABLES, None, 0),
            (f"warm cache, {READING_PAUSE_S} s read before the first cell", SETUP, None, READING_PAUSE_S)]
    if cold:
        runs.append(("cold cache", SETUP, tempfile.mkdtemp(prefix="llm-math-cold-cache-"), 0))
    for label, setup, cache, pause in runs:
        env = {"LLM_MATH_CACHE_DIR": cache} if cache else None
        say(f"start ({label}): starting a Rust kernel{' with an empty build cache, which compiles every dependency (minutes)' if cache else ''} ...")
        kernel = Kernel("rust", env)
        setup_s, _ = kernel.run(setup, "set-up")
        time.sleep(pause)  # not counted: the learner reads while the kernel works in the background
        first_s, _ = kernel.run(FIRST, "first")
        kernel.close()
        total = kernel.start_s + setup_s + first_s
        say(f"  kernel {kernel.start_s:.2f} s, :dep + use {setup_s:.2f} s, first cell {first_s:.2f} s: {total:.2f} s")
        rows.append({"kernel": f"Rust, {label}", "start": kernel.start_s, "setup": setup_s, "first": first_s, "total": total})
        if cache:
            subprocess.run(["rm", "-rf", cache], check=False)
    bench_spare(rows)
    say("start: starting an ipykernel (Python) kernel ...")
    kernel = Kernel("python3")
    setup_s, _ = kernel.run(PY_SETUP, "import")
    first_s, _ = kernel.run(PY_FIRST, "first")
    kernel.close()
    total = kernel.start_s + setup_s + first_s
    say(f"  kernel {kernel.start_s:.2f} s, import numpy {setup_s:.2f} s, first cell {first_s:.2f} s: {total:.2f} s")
    rows.append({"kernel": "Python (ipykernel)", "start": kernel.start_s, "setup": setup_s, "first": first_s, "total": total})
    results["start"] = rows


class SessionKernel(Kernel):
    """A kernel JupyterLab's way: a session for a notebook, created over a Jupyter server's REST API."""

    def __init__(self, server, notebook, kernel_name):
        started = time.perf_counter()
        self.name = f"{kernel_name} (session for {notebook})"
        session = server.api("POST", "sessions", {"path": notebook, "type": "notebook", "name": notebook,
                                                  "kernel": {"name": kernel_name}})
        self.server, self.session = server, session["id"]
        self.manager = None
        self.client = BlockingKernelClient(connection_file=str(server.runtime / f"kernel-{session['kernel']['id']}.json"))
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)
        self.start_s = time.perf_counter() - started

    def close(self):
        self.client.stop_channels()
        self.server.api("DELETE", f"sessions/{self.session}")


class LabServer:
    """`jupyter server` at notebooks/ with the spare-kernel extension, as scripts/lab starts it."""

    def __init__(self):
        self.port, self.token = free_port(), os.urandom(12).hex()
        self.runtime = Path(tempfile.mkdtemp(prefix="llm-math-bench-runtime-"))
        self.log = Path(self.runtime) / "server.log"
        self.process = subprocess.Popen(
            [str(VENV / "bin" / "jupyter"), "server", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
             "--ServerApp.port_retries=0", f"--ServerApp.root_dir={NOTEBOOKS}", f"--IdentityProvider.token={self.token}",
             "--ServerApp.jpserver_extensions=llm_math_tools.spare=True", *(["--allow-root"] if os.geteuid() == 0 else [])],
            env={**os.environ, "JUPYTER_RUNTIME_DIR": str(self.runtime)},
            stdout=subprocess.DEVNULL, stderr=open(self.log, "w"), start_new_session=True)

    def said(self, text, times=1):
        return self.log.read_text().count(text) >= times

    def wait_for(self, text, timeout, times=1):
        deadline = time.monotonic() + timeout
        while not self.said(text, times):
            failed = self.said("llm-math: the spare kernel failed") or self.said("Traceback")
            if failed or self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"bench: the Jupyter server did not say {text!r}:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def api(self, method, path, body=None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            sys.exit(f"bench: {method} /api/{path}: {error}; the server said:\n{self.log.read_text()[-4000:]}")
        return json.loads(text) if text else None

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        shutil.rmtree(self.runtime, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_spare(rows):
    """Opening a notebook in JupyterLab once its spare kernel is ready (llm_math_tools.spare):
    notebook 01 (the shared setup cell) and notebook 03 (tables, polars), then a Python
    notebook session through the same server for comparison."""
    say("start (JupyterLab, spare kernels): starting a Jupyter server with the spare-kernel extension ...")
    server = LabServer()
    try:
        setups = {}
        for notebook in sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")):
            cells = [c for c in nbformat.read(NOTEBOOKS / notebook, as_version=4).cells if c.cell_type == "code"]
            setups.setdefault("tables" if "tables" in cells[0].source else "plain", (notebook, cells[0].source))
        server.wait_for("spare kernel ready", 900, times=len(setups))
        for kind, label in (("plain", "Rust, JupyterLab, spare kernel ready"),
                            ("tables", "Rust, JupyterLab, spare kernel ready, tables (polars)")):
            if kind not in setups:
                continue
            notebook, setup = setups[kind]
            kernel = SessionKernel(server, notebook, "rust")
            if not server.said(f"{notebook} attached to the spare kernel"):
                sys.exit(f"bench: {notebook} did not get a spare kernel:\n{server.log.read_text()[-3000:]}")
            setup_s, _ = kernel.run(setup, "set-up")
            first_s, _ = kernel.run(FIRST, "first")
            kernel.close()
            total = kernel.start_s + setup_s + first_s
            say(f"  session {kernel.start_s:.2f} s, {notebook}'s setup cell {setup_s:.2f} s, first cell {first_s:.2f} s: {total:.2f} s")
            rows.append({"kernel": f"{label} ({notebook})", "start": kernel.start_s, "setup": setup_s,
                         "first": first_s, "total": total})
        say("start (JupyterLab): a Python notebook session through the same server ...")
        kernel = SessionKernel(server, "bench-python.ipynb", "python3")
        setup_s, _ = kernel.run(PY_SETUP, "import")
        first_s, _ = kernel.run(PY_FIRST, "first")
        kernel.close()
        total = kernel.start_s + setup_s + first_s
        say(f"  session {kernel.start_s:.2f} s, import numpy {setup_s:.2f} s, first cell {first_s:.2f} s: {total:.2f} s")
        rows.append({"kernel": "Python (ipykernel), JupyterLab session", "start": kernel.start_s,
                     "setup": setup_s, "first": first_s, "total": total})
        say("  " + "; ".join(line.split("llm-math: ", 1)[1] for line in server.log.read_text().splitlines()
                             if "llm-math: spare kernel ready" in line))
    finally:
        server.stop()


EXPECTED_MIME = {"figure": "image/svg+xml", "table": "text/html"}


def rerun(kernel, name, code, reps):
    times = []
    for _ in range(reps):
        seconds, shown = kernel.run(code, name)
        times.append(seconds)
    if EXPECTED_MIME.get(name, "text/plain") not in shown:
        sys.exit(f"bench: the {name} cell showed {shown}, not {EXPECTED_MIME.get(name, 'text/plain')}")
    say(f"  {kernel.name} {name}: median {fmt_s(statistics.median(times))}, p90 {fmt_s(percentile(times, 90))} over {reps} runs; shows {', '.join(shown) or 'nothing'}")
    return {"median": statistics.median(times), "p90": percentile(times, 90), "reps": reps, "shown": shown}


def bench_cells(results, reps):
    """Warm per-cell latency: each cell rerun `reps` times in one kernel."""
    cells = {}
    say(f"cells: Rust kernel, each cell rerun {reps} times after a warm-up ...")
    kernel = Kernel("rust")
    kernel.run(SETUP, "set-up")
    kernel.run(FIRST, "first")
    for name in ("trivial", "helper", "figure"):
        kernel.run(RUST_CELLS[name], name)  # warm-up: the first run of a new cell
        cells[("rust", name)] = rerun(kernel, name, RUST_CELLS[name], reps)
    kernel.close()
    say("cells: Rust kernel with no dependency at all (the floor of compiling a cell) ...")
    kernel = Kernel("rust")
    kernel.run(RUST_CELLS["trivial"], "trivial")
    cells[("bare", "trivial")] = rerun(kernel, "trivial", RUST_CELLS["trivial"], reps)
    kernel.close()
    say("cells: Rust kernel with the tables feature (polars) ...")
    kernel = Kernel("rust")
    kernel.run(SETUP_TABLES, "set-up (tables)")
    kernel.run(FIRST, "first")
    kernel.run(RUST_CELLS["table"], "table")
    cells[("rust", "table")] = rerun(kernel, "table", RUST_CELLS["table"], reps)
    kernel.close()
    say("cells: ipykernel ...")
    kernel = Kernel("python3")
    kernel.run(PY_SETUP, "import")
    kernel.run(PY_FIRST, "first")
    for name in ("trivial", "helper"):
        kernel.run(PY_CELLS[name], name)
        cells[("python", name)] = rerun(kernel, name, PY_CELLS[name], reps)
    kernel.close()
    results["cells"] = {f"{k[0]}/{k[1]}": v for k, v in cells.items()}


def run_notebook(nb, kernel_name, name):
    """Executes a notebook in a fresh kernel; a cell failed by the rule ends the bench."""
    started = time.perf_counter()
    client = NotebookClient(nb, kernel_name=kernel_name, timeout=TIMEOUT_S, allow_errors=True,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    seconds = time.perf_counter() - started
    if kernel_name == "rust":
        problems = notebook_failures(nb, name)
    else:  # ipykernel: matplotlib may warn on stderr (its first font-cache build); errors still count
        problems = [f"{name}: {o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code"
                    for o in c.outputs if o.output_type == "error"]
    if problems:
        sys.exit("bench: a notebook failed, so its time means nothing:\n" + "\n".join(problems))
    return seconds


def count_figures(nb):
    return sum(1 for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []) if "image/svg+xml" in o.get("data", {}))


def python_twin(code_cells, figures):
    """An ipykernel notebook with the same number of code cells and figures."""
    cells = [nbformat.v4.new_code_cell(PY_NB_SETUP)]
    for i in range(code_cells - 1):
        cells.append(nbformat.v4.new_code_cell(PY_NB_FIGURE if i < figures else PY_NB_CELL))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def bench_notebooks(results):
    rows = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code_cells = sum(1 for c in nb.cells if c.cell_type == "code")
        say(f"notebooks: {path.name} ({code_cells} code cells) in a fresh Rust kernel ...")
        rust_s = run_notebook(nb, "rust", path.name)
        figures = count_figures(nb)
        py_s = run_notebook(python_twin(code_cells, figures), "python3", f"{path.stem} (ipykernel twin)")
        say(f"  Rust {rust_s:.1f} s; its ipykernel twin ({code_cells} cells, {figures} figures) {py_s:.1f} s")
        rows.append({"notebook": path.stem, "cells": code_cells, "figures": figures, "rust": rust_s, "python": py_s})
    results["notebooks"] = rows


def bench_numerics(results):
    say("numerics: numpy on the same inputs (bench/numpy_numerics.py) ...")
    numpy = json.loads(subprocess.run([sys.executable, str(BENCH / "numpy_numerics.py")],
                                      check=True, capture_output=True, text=True).stdout)
    rows = []
    for name in ("matmul_512", "softmax_50257", "attention_512x64", "mlp_fwd_bwd_64x256x512x256"):
        estimates = ROOT / "target" / "criterion" / name / "new" / "estimates.json"
        if not estimates.exists():
            sys.exit(f"bench: {estimates} is missing; run the criterion benchmarks first (scripts/bench does)")
        rust = json.loads(estimates.read_text())["median"]["point_estimate"] / 1e9
        rows.append({"op": name, "rust": rust, "numpy": numpy[name]})
        say(f"  {name}: llm-math {fmt_t(rust)}, numpy {fmt_t(numpy[name])}")
    results["numerics"] = {"rows": rows, "numpy": numpy["numpy"], "blas": numpy["blas"]}


# Notebook 08's model and batch: d_model 48, 4 heads, 2 blocks, context 32, 16 windows a step.
TRAIN_ARGS = ["--d-model", "48", "--heads", "4", "--layers", "2", "--context", "32", "--batch", "16"]
TRAIN_STEPS = 200
TRAIN_RUNS = 3
TORCH_VENV = ROOT / ".tools" / "torch-venv"


def torch_python(steps):
    """The torch venv's python, installing it (pinned) the first time; None if it cannot be installed."""
    python = TORCH_VENV / "bin" / "python"

    def install():
        subprocess.run([sys.executable, "-m", "venv", str(TORCH_VENV)], check=True)
        subprocess.run([str(TORCH_VENV / "bin" / "pip"), "install", "--disable-pip-version-check", "--progress-bar", "off",
                        "-r", str(BENCH / "requirements-torch.txt")], check=True)
    try:
        stamped(steps, "PyTorch for the training baseline (bench/requirements-torch.txt, its own venv in .tools/torch-venv; "
                "about 3.4 GB of wheels the first time)", TORCH_VENV / ".requirements.sha256",
                [BENCH / "requirements-torch.txt"], install)
    except subprocess.CalledProcessError as e:
        say(f"  PyTorch could not be installed ({e}); its row is left out")
        return None
    return python


def train_once(cmd, env=None):
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_training(results, steps):
    binary = ROOT / "target" / "release" / "train_tiny_gpt"
    tuned_env = dict(os.environ, MALLOC_TRIM_THRESHOLD_="268435456", MALLOC_MMAP_THRESHOLD_="268435456")
    torch = torch_python(steps)
    sides = [("llm-math (Rust, 2 threads)", [str(binary)] + TRAIN_ARGS, None),
             ("NumPy (OpenBLAS, 2 threads)", [sys.executable, str(BENCH / "tiny_gpt_numpy.py"), "--vocab", "25"] + TRAIN_ARGS, None),
             ("NumPy, glibc malloc thresholds raised", [sys.executable, str(BENCH / "tiny_gpt_numpy.py"), "--vocab", "25"] + TRAIN_ARGS, tuned_env)]
    if torch:
        sides.append(("PyTorch CPU (2 threads)", [str(torch), str(BENCH / "tiny_gpt_torch.py"), "--vocab", "25"] + TRAIN_ARGS, None))
    rows = {name: [] for name, _, _ in sides}
    for run in range(TRAIN_RUNS):  # interleaved, so a busy moment of the machine does not hit one side only
        for name, cmd, env in sides:
            r = train_once(cmd + ["--steps", str(TRAIN_STEPS)], env)
            if "error" in r:
                say(f"  {name}: {r['error']}")
                rows.pop(name, None)
                continue
            rows[name].append(r)
            say(f"  run {run + 1}/{TRAIN_RUNS} {name}: {r['tokens_per_s']:,.0f} tokens/s, {r['step_ms']:.1f} ms/step, peak {r['peak_rss_mb']:.0f} MB")
    summary = []
    for name, runs in rows.items():
        if runs:
            summary.append({"impl": name, "tokens_per_s": statistics.median(r["tokens_per_s"] for r in runs),
                            "step_ms": statistics.median(r["step_ms"] for r in runs),
                            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs), "runs": runs})
    results["training"] = {"steps": TRAIN_STEPS, "args": " ".join(TRAIN_ARGS), "rows": summary,
                           "load": os.getloadavg()[0]}


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem_kib = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores, {mem_kib / 2**20:.0f} GiB; {platform.system()} {platform.release()}; {rustc}; Python {platform.python_version()}"


def report(results):
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on {machine()}.", ""]
    if "start" in results:
        lines += ["**Fresh kernel → helper loaded → first cell answered**", "",
                  "| kernel | start | set-up cell | first cell | total |", "|---|---:|---:|---:|---:|"]
        for r in results["start"]:
            setup = "`:dep` + `use`" if r["kernel"].startswith("Rust") else "`import numpy`"
            lines.append(f"| {r['kernel']} | {fmt_s(r['start'])} | {fmt_s(r['setup'])} ({setup}) | {fmt_s(r['first'])} | **{fmt_s(r['total'])}** |")
        lines.append("")
    if "cells" in results:
        cells = results["cells"]
        reps = next(iter(cells.values()))["reps"]
        lines += [f"**Warm cell latency** (each cell rerun {reps} times)", "",
                  "| cell | Rust median | Rust p90 | ipykernel median | ratio |", "|---|---:|---:|---:|---:|"]
        for name in ("trivial", "helper", "figure", "table"):
            rust = cells.get(f"rust/{name}")
            py = cells.get(f"python/{name}")
            if not rust:
                continue
            py_cols = f"{py['median'] * 1000:.1f} ms | {rust['median'] / py['median']:.0f}×" if py else "– | –"
            lines.append(f"| {name} (`{RUST_CELLS[name]}`) | {fmt_s(rust['median'])} | {fmt_s(rust['p90'])} | {py_cols} |")
        bare, rust = cells.get("bare/trivial"), cells.get("rust/trivial")
        if bare and rust:
            lines.append(f"| trivial, kernel with no dependency | {fmt_s(bare['median'])} | {fmt_s(bare['p90'])} | "
                         f"– | llm-math's {rust['median'] / bare['median']:.2f}× this |")
        lines.append("")
    if "notebooks" in results:
        rows = results["notebooks"]
        lines += ["**Whole notebooks, headless** (nbclient, fresh kernel each, warm build cache)", "",
                  "| notebook | code cells | figures | Rust | ipykernel twin | ratio |", "|---|---:|---:|---:|---:|---:|"]
        for r in rows:
            lines.append(f"| {r['notebook']} | {r['cells']} | {r['figures']} | {r['rust']:.1f} s | {r['python']:.1f} s | {r['rust'] / r['python']:.1f}× |")
        rust, py = sum(r["rust"] for r in rows), sum(r["python"] for r in rows)
        lines.append(f"| **curriculum** | {sum(r['cells'] for r in rows)} | {sum(r['figures'] for r in rows)} | **{rust:.1f} s** | {py:.1f} s | **{rust / py:.1f}×** |")
        lines.append("")
    if "numerics" in results:
        n = results["numerics"]
        lines += [f"**Numerics** (llm-math: criterion median, release; numpy {n['numpy']} with {n['blas']}: timeit median)", "",
                  "| operation | llm-math | numpy | speed vs numpy |", "|---|---:|---:|---:|"]
        for r in n["rows"]:
            lines.append(f"| {r['op']} | {fmt_t(r['rust'])} | {fmt_t(r['numpy'])} | {r['numpy'] / r['rust']:.2f}× |")
        lines.append("")
    if "training" in results:
        t = results["training"]
        numpy = next((r for r in t["rows"] if r["impl"].startswith("NumPy (")), None)
        lines += [f"**Training notebook 08's tiny GPT** ({t['args']}; {t['steps']} steps, median of {TRAIN_RUNS} runs; "
                  "peak memory = the process's largest resident set)", "",
                  "| implementation | tokens/s | ms/step | peak memory | speed vs NumPy |", "|---|---:|---:|---:|---:|"]
        for r in t["rows"]:
            ratio = f"{r['tokens_per_s'] / numpy['tokens_per_s']:.2f}×" if numpy else "–"
            lines.append(f"| {r['impl']} | {r['tokens_per_s']:,.0f} | {r['step_ms']:.1f} | {r['peak_rss_mb']:.0f} MB | {ratio} |")
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20, help="reruns per cell (default 20)")
    parser.add_argument("--no-cold", action="store_true", help="skip the empty-cache kernel start (saves minutes)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--out", default=str(ROOT / "target" / "bench" / "latest.md"), help="markdown report path")
    args = parser.parse_args()
    sections = args.only or SECTIONS
    os.environ["JUPYTER_PATH"] = str(JUPYTER_PATH)
    steps = Steps()
    stamped(steps, "Python baseline packages (bench/requirements.txt: numpy, matplotlib)",
            VENV / ".bench-requirements.sha256", [BENCH / "requirements.txt"],
            lambda: subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                                    "-r", str(BENCH / "requirements.txt")], check=True))
    if "numerics" in sections:
        steps.step("llm-math numerics with criterion (cargo bench -p llm-math-bench; the first build takes minutes)")
        subprocess.run(["cargo", "bench", "-p", "llm-math-bench", "--bench", "numerics", "--", "--noplot"], cwd=ROOT, check=True)
        steps.done()
    if "training" in sections:
        steps.step("The training benchmark's Rust side (cargo build --release -p llm-math-bench --bin train_tiny_gpt)")
        subprocess.run(["cargo", "build", "--release", "-p", "llm-math-bench", "--bin", "train_tiny_gpt"], cwd=ROOT, check=True)
        steps.done()
    steps.step(f"Kernels, cells and notebooks: {', '.join(s for s in sections if s not in ('numerics', 'training')) or 'none'}")
    results = {}
    if "start" in sections:
        bench_start(results, cold=not args.no_cold)
    if "cells" in sections:
        bench_cells(results, args.reps)
    if "notebooks" in sections:
        bench_notebooks(results)
    if "numerics" in sections:
        bench_numerics(results)
    if "training" in sections:
        say("training: notebook 08's tiny GPT in Rust, NumPy and PyTorch ...")
        bench_training(results, steps)
    text = report(results)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    steps.done()
    say("\n" + text)
    say(f"(written to {out} and {out.with_suffix('.json')})")


if __name__ == "__main__":
    main()

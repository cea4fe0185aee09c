"""Failing and runaway cells, as a learner meets them, in the real kernel.

One kernel (the project's, through scripts/kernel) is started with
jupyter_client and sent the cells a learner might write. Each case checks what
Jupyter receives: the execute reply's status (an "error" makes the cell red
and stops Run All), the error's text (what happened, on which line of the
cell, what was lost, what to do), no backtrace, and what is left afterwards:

- the session's first `?`, in a cell's last expression: the value still shows
  through the crate's display, not as Debug text;
- a `:dep` of a crate the project does not use: it works, and the kernel's
  other crates stay at the versions Cargo.lock pins;
- a panic in the cell's own code, and one inside a library (ndarray): error
  reply naming the cell's line; variables defined before are kept;
- an error returned with `?`: the same, with the crate's message;
- Run All (nbclient, as JupyterLab's "Run All" does) stops at the failing cell;
- `loop {}` stopped with Jupyter's interrupt: "Interrupted", every variable
  gone and how to get them back; the kernel then runs the next cell;
- a stack overflow, and an allocation larger than the memory: a message that
  says so instead of "signal: 11 (SIGSEGV)" / "signal: 6 (SIGABRT)";
- `:replay_on_crash 1`: after a crash, the cells that had succeeded rerun and
  their variables are back.

`python -m llm_math_tools runaway`; a stage of scripts/test.
"""

import queue
import time

from . import KERNEL, NOTEBOOKS
from .checks import BUILD_DIR_CELL, unpinned_in
from .report import Reporter, say

SETUP = ':dep llm-math = { path = "../crates/llm-math" }\nuse llm_math::prelude::*;'
# A cold kernel may build every dependency inside its first cell.
TIMEOUT_S = 1800


class Kernel:
    """A running kernel and a blocking client, with a helper that runs one cell."""

    def __init__(self):
        from jupyter_client.manager import KernelManager

        self.manager = KernelManager(kernel_name=KERNEL)
        self.manager.start_kernel(cwd=str(NOTEBOOKS))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code, interrupt_after=None, timeout=TIMEOUT_S):
        """Executes `code`; returns (reply content, outputs as nbformat-like dicts).

        With `interrupt_after` (a text), the kernel is interrupted as soon as
        the cell prints that text on stdout, as a learner presses ■.
        """
        msg_id = self.client.execute(code)
        outputs, interrupted = [], False
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.client.get_iopub_msg(timeout=max(1, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no answer within {timeout} s to:\n{code}") from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content["execution_state"] == "idle":
                break
            if kind == "stream":
                outputs.append({"output_type": "stream", "name": content["name"], "text": content["text"]})
                if interrupt_after and not interrupted and interrupt_after in content["text"]:
                    time.sleep(0.5)  # let it spin a little
                    self.manager.interrupt_kernel()
                    interrupted = True
            elif kind == "error":
                outputs.append({"output_type": "error", **{k: content[k] for k in ("ename", "evalue", "traceback")}})
            elif kind in ("execute_result", "display_data"):
                outputs.append({"output_type": kind, "data": content["data"]})
        reply = self.client.get_shell_msg(timeout=60)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.client.get_shell_msg(timeout=60)
        return reply["content"], outputs

    def stop(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def text_of(outputs, kind=None):
    """All text of the outputs (stream text, error values, plain-text results)."""
    parts = []
    for o in outputs:
        if kind and o["output_type"] != kind:
            continue
        parts.append(o.get("text") or o.get("evalue") or o.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def expect_error(reply, outputs, must_say, name):
    """Problems unless the cell failed for Jupyter, saying every phrase of `must_say`, with no backtrace."""
    problems = []
    if reply.get("status") != "error":
        problems.append(f"the execute reply says {reply.get('status')!r}, not 'error' (Run All would go on)")
    error = text_of(outputs, "error")
    if not error:
        problems.append("no error output (the cell would not turn red)")
    for phrase in must_say:
        if phrase not in error:
            problems.append(f"the error does not say {phrase!r}")
    everything = text_of(outputs)
    if "stack backtrace" in everything:
        problems.append("a backtrace was shown")
    if problems:
        problems.append(f"what the learner saw ({name}):\n{everything}")
    return problems


def expect_value(kernel, code, value):
    reply, outputs = kernel.run(code)
    shown = text_of(outputs, "execute_result").strip()
    if reply.get("status") != "ok" or shown != value:
        return [f"`{code}` gave {shown!r} (status {reply.get('status')}), not {value!r}:\n{text_of(outputs)}"]
    return []


def run_all_stops():
    """nbclient runs a notebook as "Run All" does: it must stop at the panicking cell."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL, "language": "rust", "display_name": KERNEL}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in
                (SETUP, "let before = 1;", "let v: Vec<i32> = Vec::new();\nv[3]", "let after = before + 1;\nafter")]
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=TIMEOUT_S,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    try:
        client.execute()
    except CellExecutionError as e:
        if nb.cells[3].get("outputs") or nb.cells[3].get("execution_count"):
            return ["the cell after the panic ran anyway"]
        if "index out of bounds" not in str(e):
            return [f"Run All stopped, but the error does not name the panic:\n{e}"]
        return []
    return ["Run All ran every cell: the panic was not reported as an error"]


def runaway():
    """Runs every case; returns the exit status."""
    reporter = Reporter()
    started = time.monotonic()
    kernel = Kernel()
    try:
        reply, outputs = kernel.run(SETUP + "\nlet kept = 41;")
        if reply.get("status") != "ok":
            reporter.report("set-up cell", f"the set-up cell failed:\n{text_of(outputs)}")
            return reporter.finish()

        # The session's first `?`, in the cell's last expression: evcxr 0.22 unpatched showed
        # the array's Debug text here ("... shape=[3], strides=[1], layout=CFcf ...").
        problems = expect_value(kernel, "let x = array![1.0, 2.0, 3.0];\nsoftmax(&x)?",
                                "[0.0900, 0.2447, 0.6652]  shape (3,)")
        reporter.report("the first cell using ? shows the crate's display, as every later one does", problems)

        # A dependency the project does not pin: resolved for the learner, while the course's
        # crates stay at Cargo.lock's versions (scripts/kernel's EVCXR_CARGO_LOCK).
        problems = expect_value(kernel, ':dep dissimilar = "=1.0.11"\ndissimilar::diff("abc", "abd").len()', "3")
        reply, outputs = kernel.run(BUILD_DIR_CELL)
        wrong = unpinned_in(text_of(outputs)) or ["no Cargo.lock"]
        if wrong != ["dissimilar 1.0.11"]:
            problems.append(f"after the :dep, the kernel's lock differs from the project's by {wrong}, "
                            "not by the one new crate")
        problems += expect_value(kernel, "kept + 1", "42")
        reporter.report("a :dep of a crate the project does not use works; the course's crates stay pinned", problems)

        reply, outputs = kernel.run("let v: Vec<i32> = Vec::new();\nlet i = 3;\nv[i]")
        problems = expect_error(reply, outputs, ["panicked at line 3", "index out of bounds"], "panic")
        problems += expect_value(kernel, "kept + 1", "42")
        reporter.report("a panic in the cell: error reply, its line, no backtrace, variables kept", problems)

        reply, outputs = kernel.run("let m = Array2::<f64>::zeros((2, 2));\n\nm.dot(&Array2::<f64>::zeros((3, 3)))")
        problems = expect_error(reply, outputs, ["panicked at line 3", "inside", "ndarray"], "panic in ndarray")
        problems += expect_value(kernel, "kept + 1", "42")
        reporter.report("a panic inside a library: the cell's line and the library's place", problems)

        reply, outputs = kernel.run("let a = [[1.0, 2.0]];\nlet product = matmul(&a, &a)?;")
        problems = expect_error(reply, outputs, ["error at line 2", "shape mismatch in matmul"], "? error")
        problems += expect_value(kernel, "kept + 1", "42")
        reporter.report("an error returned with ?: error reply, its line, the crate's message", problems)

        reply, outputs = kernel.run('print!("no newline");\nlet a = [[1.0, 2.0]];\nlet product = matmul(&a, &a)?;')
        problems = expect_error(reply, outputs, ["error at line 3", "shape mismatch in matmul"], "print! then ?")
        if "no newline" not in text_of(outputs, "stream") or "EVCXR" in text_of(outputs):
            problems.append(f"the printed text was lost or a marker leaked:\n{text_of(outputs)}")
        reporter.report("text printed without a newline, then a ? error: both shown, the error still an error",
                        problems)

        problems = expect_value(kernel, "fn third(v: &[i32]) -> i32 {\n    v[2]\n}\nthird(&[1, 2, 3])", "3")
        reply, outputs = kernel.run("let short = vec![1];\n\nthird(&short)")
        problems += expect_error(reply, outputs, ["panicked at line 3", "index out of bounds"],
                                 "panic in a fn of an earlier cell")
        reporter.report("a panic inside a function an earlier cell defined: the calling line", problems)

        reporter.report("Run All stops at the failing cell (nbclient, a second kernel)", run_all_stops())

        reply, outputs = kernel.run('println!("looping");\nloop {}', interrupt_after="looping", timeout=600)
        problems = expect_error(reply, outputs, ["Interrupted", "Every variable is gone", "Run All Above"],
                                "interrupt")
        problems += expect_value(kernel, "1 + 1", "2")
        reply, outputs = kernel.run("kept")
        if reply.get("status") != "error":
            problems.append("`kept` is still defined after the interrupt, so the message would be wrong")
        reporter.report("interrupting loop {}: says so, variables gone and how to get them back, kernel usable",
                        problems)

        problems = expect_value(kernel, "let kept = 41;\nkept", "41")
        reply, outputs = kernel.run("fn deeper(n: u64) -> u64 {\n    deeper(n + 1) + 1\n}\ndeeper(0)")
        problems += expect_error(reply, outputs, ["stack overflow", "Every variable is gone"], "stack overflow")
        problems += expect_value(kernel, "1 + 1", "2")
        reporter.report("a stack overflow: named, not a bare signal", problems)

        reply, outputs = kernel.run("let huge: Vec<u8> = Vec::with_capacity(1 << 50);\nhuge.len()")
        problems = expect_error(reply, outputs, ["allocation larger than the memory"], "allocation")
        problems += expect_value(kernel, "1 + 1", "2")
        reporter.report("an allocation beyond memory: named, not a bare signal", problems)

        problems = []
        for code in (":replay_on_crash 1", "let kept = 41;", "let doubled = kept * 2;"):
            reply, outputs = kernel.run(code)
            if reply.get("status") != "ok":
                problems.append(f"`{code}` failed:\n{text_of(outputs)}")
        reply, outputs = kernel.run("std::process::abort();")
        problems += expect_error(reply, outputs, ["these variables are back: doubled, kept"], "replay")
        problems += expect_value(kernel, "doubled + kept", "123")
        reporter.report(":replay_on_crash 1: after a crash the cells that succeeded rerun, variables back", problems)
    finally:
        kernel.stop()
    say(f"  ({time.monotonic() - started:.0f} s)")
    return reporter.finish()

"""Spare kernels kept ready in JupyterLab, so that opening a notebook finds its setup cell done.

A fresh Rust kernel spends seconds before its first answer: evcxr starts, the
setup cell (`:dep llm-math …` and `use llm_math::prelude::*;`) loads the
crate's compiled dependency graph, and rust-analyzer reads that graph. Two
pieces, both standard Jupyter hooks, move that wait to a moment nobody is
waiting:

- a server extension (`_load_jupyter_server_extension`, enabled by
  scripts/lab) starts, when JupyterLab starts, one spare kernel for each
  distinct setup cell of the course (`warm.by_use`: the most used first, one
  after another), in `notebooks/` like any notebook's kernel. Each runs its
  setup cell as a silent request (not counted, so the notebook's own first
  cell is still [1]; the patched evcxr_jupyter honours that), then waits
  until the kernel's background work on it (rust-analyzer reading the
  dependency graph) is done;
- a kernel provisioner (`SpareKernelProvisioner`, named `llm-math-spare` in
  the kernel's kernel.json) starts every kernel of the course. When JupyterLab
  starts one for a notebook whose first code cell is a spare's setup cell
  (comment lines aside), in the same folder, it hands over that spare (its
  process and its connection), and the pool starts the next one
  REFILL_DELAY seconds later (not at once: it would take a core from the
  notebook that just opened). Any other kernel — another setup cell, another
  folder, no spare ready, no JupyterLab (the tests, nbconvert, the
  benchmark's own kernels) — starts the ordinary way, as jupyter_client's
  LocalProvisioner does. A restart takes a spare too.

The notebook then runs its setup cell again in that kernel: `:dep` with the
same dependency and the same `use` change nothing, so the kernel is in the
state a fresh kernel reaches after the same cell, and the cell's outputs are
the same. Two differences a learner can meet: a cell run before the setup
cell finds the crate already loaded (a fresh kernel would not know
`array!`), and a setup cell edited before it first runs changes a kernel
that already ran the original (the file on disk decided the handover), as
rerunning an edited cell changes any kernel.

Each spare holds its own build directory (scripts/kernel) and the memory of
a kernel that ran its setup cell (1.4–1.9 GB, docs/performance.md);
LLM_MATH_SPARES=N keeps only the N most used, 0 none. Spares end with the
server (atexit), and get SIGTERM if the server dies without cleaning up
(PR_SET_PDEATHSIG), so none is left behind.
"""

import asyncio
import atexit
import ctypes
import os
import signal
import time
import uuid
from pathlib import Path

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import write_connection_file
from jupyter_client.launcher import launch_kernel
from jupyter_client.provisioning import LocalProvisioner

from . import NOTEBOOKS, kernel, warm

REFILL_DELAY = 20  # seconds between a handover and the start of the next spare
WARM_TIMEOUT = 900  # seconds for the spare's setup cell (a cold cache compiles the dependency tree)


def setup_of(path):
    """A notebook file's first code cell without comments (`warm.without_comments`), or None."""
    try:
        cells = kernel.code_cells(kernel.read(path))
    except (OSError, ValueError, TypeError):
        return None
    return warm.without_comments(cells[0].source) if cells else None


def _die_with_parent():
    """In the child before exec: SIGTERM when the process that started it ends (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def cpu_seconds(pid):
    """User + system CPU time a process (all its threads) has used, from /proc; None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def resident_mb(pid):
    """A process's resident memory in MB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0


async def until_idle(pid, step=0.5, quiet=0.05, longest=60):
    """Waits until the kernel stops working in the background (two steps in a row using less than
    `quiet` s of CPU). After a setup cell the patched evcxr resolves the dependency graph's names
    for rust-analyzer once it has been idle 500 ms; a spare is only ready once that is done too,
    or the notebook's first cell that stores a variable would wait for it."""
    deadline = time.monotonic() + longest
    calm, last = 0, cpu_seconds(pid)
    while calm < 2 and last is not None and time.monotonic() < deadline:
        await asyncio.sleep(step)
        now = cpu_seconds(pid)
        calm = calm + 1 if now is not None and now - last < quiet else 0
        last = now


class Spare:
    """One kernel started ahead of time; `ready` is set once its setup cell ran (or failed)."""

    def __init__(self, process, connection_file, info, cwd, setup):
        self.process, self.connection_file, self.info = process, connection_file, info
        self.cwd, self.setup = cwd, setup
        self.ready = asyncio.Event()
        self.failed = None
        self.started = time.monotonic()


class Pool:
    """The spare kernels of one Jupyter server: one for each distinct setup cell of the course,
    the most used first, started one after another (each kernel holds its own memory, see
    docs/performance.md; LLM_MATH_SPARES=N keeps only the N most used, 0 none)."""

    def __init__(self):
        self.enabled = False
        self.spares = {}     # setup cell -> Spare
        self.setups = []     # the setup cells to keep a spare for, most used first
        self.broken = set()  # setup cells whose spare failed: not tried again
        self.filling = None
        self.kernel_spec = None
        self.log = None
        self.handed_over = 0
        # After a handover the next spare waits this long, so that it does not take a core
        # from the notebook that just got its kernel (its first cells run now).
        self.refill_delay = REFILL_DELAY

    def enable(self, kernel_spec, log, cwd=NOTEBOOKS, setups=None):
        self.kernel_spec, self.log = kernel_spec, log
        self.cwd = str(Path(cwd).resolve())
        self.setups = list(setups if setups is not None else warm.by_use())
        keep = os.environ.get("LLM_MATH_SPARES", "").strip()
        if keep.isdigit():
            self.setups = self.setups[:int(keep)]
        self.enabled = bool(self.setups)
        atexit.register(self.stop)
        self.refill()

    def refill(self, delay=0):
        """Starts the missing spares in the background, one at a time, after `delay` seconds."""
        if self.enabled and (self.filling is None or self.filling.done()):
            self.filling = asyncio.get_running_loop().create_task(self._fill(delay))

    async def _fill(self, delay):
        await asyncio.sleep(delay)
        while self.enabled:
            missing = [setup for setup in self.setups if setup not in self.spares and setup not in self.broken]
            if not missing:
                return
            await self._start(missing[0])

    async def _start(self, setup):
        connection_file = str(Path(os.environ.get("TMPDIR", "/tmp")) / f"llm-math-spare-{uuid.uuid4()}.json")
        key = str(uuid.uuid4()).encode()
        connection_file, info = write_connection_file(connection_file, ip="127.0.0.1", key=key, kernel_name="rust")
        info = {**info, "key": key}  # bytes, as a KernelManager holds it (the file has it as text)
        argv = [part.replace("{connection_file}", connection_file) for part in self.kernel_spec.argv]
        env = {**os.environ, **(self.kernel_spec.env or {})}
        process = launch_kernel(argv, env=env, cwd=self.cwd, preexec_fn=_die_with_parent)
        spare = self.spares[setup] = Spare(process, connection_file, info, self.cwd, setup)
        first_line = setup.splitlines()[0] if setup else ""
        self.log.info("llm-math: starting a spare kernel (pid %s) for the setup cell `%s`", process.pid, first_line)
        try:
            await asyncio.wait_for(self._warm(spare), WARM_TIMEOUT)
            self.log.info("llm-math: spare kernel ready in %.1f s (pid %s, setup cell done, %.0f MB resident)",
                          time.monotonic() - spare.started, process.pid, resident_mb(process.pid))
        except Exception as error:  # a spare that cannot warm up is stopped, never handed over
            spare.failed = f"{type(error).__name__}: {error}"
            self.log.warning("llm-math: the spare kernel failed (%s); notebooks start their own kernels", spare.failed)
            self.broken.add(setup)
            if self.spares.get(setup) is spare:
                del self.spares[setup]
                self._kill(spare)
        finally:
            spare.ready.set()

    async def _warm(self, spare):
        client = AsyncKernelClient()
        client.load_connection_info(spare.info)
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=120)
            msg_id = client.execute(spare.setup, silent=True, store_history=False)
            while True:
                reply = await client.get_shell_msg(timeout=WARM_TIMEOUT)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            if reply["content"].get("status") != "ok":
                raise RuntimeError(f"the setup cell failed: {reply['content'].get('evalue', reply['content'])}")
        finally:
            client.stop_channels()
        await until_idle(spare.process.pid)

    def take(self, cwd, notebook):
        """The spare, if one suits a kernel for `notebook` started in `cwd`; None otherwise."""
        setup = setup_of(notebook)
        spare = self.spares.get(setup) if setup is not None else None
        if spare is None or spare.failed or spare.process.poll() is not None:
            return None
        if str(Path(cwd).resolve()) != spare.cwd:
            return None
        del self.spares[setup]
        self.handed_over += 1
        self.log.info("llm-math: %s attached to the spare kernel (pid %s, setup cell %s)", Path(notebook).name,
                      spare.process.pid, "already run" if spare.ready.is_set() else "still running")
        self.refill(self.refill_delay)
        return spare

    @staticmethod
    def _kill(spare):
        if spare.process.poll() is None:
            try:
                os.killpg(os.getpgid(spare.process.pid), signal.SIGKILL)
            except OSError:
                spare.process.kill()
        Path(spare.connection_file).unlink(missing_ok=True)

    def stop(self):
        self.enabled = False
        for spare in self.spares.values():
            self._kill(spare)
        self.spares.clear()


POOL = Pool()


class SpareKernelProvisioner(LocalProvisioner):
    """LocalProvisioner that hands over the pool's spare kernel when it suits the notebook."""

    async def launch_kernel(self, cmd, **kwargs):
        notebook = (kwargs.get("env") or {}).get("JPY_SESSION_NAME")
        spare = POOL.take(kwargs.get("cwd", os.getcwd()), notebook) if POOL.enabled and notebook else None
        if spare is None:
            return await super().launch_kernel(cmd, **kwargs)
        # The connection file written for a new kernel is replaced by the spare's
        # (KernelManager._reconcile_connection_info), its ports returned in cleanup().
        self.process = spare.process
        self.pid = spare.process.pid
        try:
            self.pgid = os.getpgid(self.pid)
        except OSError:
            self.pgid = None
        self.cwd = spare.cwd
        Path(spare.connection_file).unlink(missing_ok=True)
        return spare.info


def _jupyter_server_extension_points():
    return [{"module": "llm_math_tools.spare"}]


def _load_jupyter_server_extension(serverapp):
    """Starts the pool when JupyterLab starts (scripts/lab enables this extension)."""
    spec = serverapp.kernel_spec_manager.get_kernel_spec("rust")

    async def start():
        POOL.enable(spec, serverapp.log, cwd=serverapp.root_dir)

    serverapp.io_loop.add_callback(start)

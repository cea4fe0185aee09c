"""The classroom image (Dockerfile, docs/deploy.md), built and run on this machine.

`test()` is the test stage (`python -m llm_math_tools image`):
  1. podman, runc and mmdebstrap from Debian (apt-get, if missing), and the
     Debian 13 base image built by mmdebstrap from Debian's archive (if missing);
  2. a fresh clone of the project's HEAD, built with the command docs/deploy.md
     gives (BUILD_FLAGS, plus the host's CA bundle when it has one);
  3. the image's size and the build's time;
  4. JupyterLab started from the image through its entry point, as uid 1000,
     with an empty folder as the home, as JupyterHub mounts a user's volume;
  5. notebook 01 run through that server: a session over its REST API, the
     cells sent to the kernel it started; every cell must pass the rule and
     show its expected numbers (notebooks/expected/);
  6. the first setup cell must not have compiled the dependency tree: every
     crate the kernel compiled leaves an entry in the compilation cache in the
     user's home, and only the course's own crate may be among them;
  7. the first kernel's time (session to setup cell done), a second kernel's
     in the same home, and that jupyterhub-singleuser runs.

`measure(counts)` (`image --measure`) runs notebook 01 in 1, 2 and 4 kernels
at once in one container and reports their memory and CPU, read from /proc on
the host (the kernels' processes and their children), for the resource
numbers of docs/deploy.md.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat

from . import NOTEBOOKS, ROOT, expected, install, kernel
from .report import Reporter, Steps, say
from .rule import notebook_failures

IMAGE = "localhost/llm-math:test"
BASE = "localhost/debian:trixie"
SUITE = "trixie"
MIRRORS = ("deb http://deb.debian.org/debian trixie main",
           "deb http://deb.debian.org/debian trixie-updates main",
           "deb http://deb.debian.org/debian-security trixie-security main")
# What this machine's podman needs (docs/deploy.md says why): runc, not crun, and limits
# the sandbox may set.
RUN_FLAGS = ("--runtime", "runc", "--network", "host", "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096")
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
CA_IN_BUILD = "/etc/ssl/host-ca.crt"
CA_ARGS = ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "CARGO_HTTP_CAINFO")
NOTEBOOK = "01-linear-algebra.ipynb"
USER_HOME = "/home/jovyan"
UID = 1000
CELL_TIMEOUT_S = 600


def run(*cmd, **kwargs):
    return subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def build_command(context, tag=IMAGE, base=BASE):
    """The documented build command (docs/deploy.md), with the host's CA bundle when there is one."""
    cmd = ["podman", "build", *RUN_FLAGS]
    if HOST_CA.exists():
        cmd += ["-v", f"{HOST_CA}:{CA_IN_BUILD}:ro"]
        for name in CA_ARGS:
            cmd += ["--build-arg", f"{name}={CA_IN_BUILD}"]
    return [*cmd, "--build-arg", f"BASE={base}", "-t", tag, "-f", "Dockerfile", str(context)]


def tools(steps):
    steps.step("podman, runc and mmdebstrap (Debian's packages)")
    missing = [tool for tool in ("podman", "runc", "mmdebstrap") if not shutil.which(tool)]
    if missing:
        install.apt_install(missing)
    steps.done(subprocess.run(["podman", "--version"], capture_output=True, text=True).stdout.strip())
    steps.step(f"The base image {BASE} (mmdebstrap from Debian's archive)")
    if subprocess.run(["podman", "image", "exists", BASE]).returncode == 0:
        steps.done("already there")
        return
    with tempfile.TemporaryDirectory(prefix="llm-math-base-") as tmp:
        tar = Path(tmp) / "base.tar"
        run("mmdebstrap", "--quiet", "--variant=apt", "--include=ca-certificates", SUITE, tar, *MIRRORS)
        run("podman", "import", tar, BASE, stdout=subprocess.DEVNULL)
    steps.done()


# Lines of the build worth showing as it goes (podman's steps, set-up's steps and their times);
# the whole output goes to a log, shown in part if the build fails.
PROGRESS = ("STEP ", "==> ", "    done in ", "  warmed ", "Set-up complete")


def _build(cmd, cwd, log):
    """Runs the build, printing its progress lines indented; returns its exit status."""
    with open(log, "w") as out, subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                                 text=True, errors="replace") as build:
        for line in build.stdout:
            out.write(line)
            if line.startswith(PROGRESS):
                say("    | " + line.rstrip()[:200])
    return build.returncode


def image_size(tag=IMAGE):
    out = subprocess.run(["podman", "image", "inspect", "--format", "{{.Size}}", tag],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Container:
    """JupyterLab from the image, as uid 1000, its home an empty folder of the host (as a user's volume)."""

    def __init__(self, tag=IMAGE):
        self.home = Path(tempfile.mkdtemp(prefix="llm-math-home-"))
        os.chown(self.home, UID, UID)
        self.port, self.token = free_port(), os.urandom(12).hex()
        self.name = f"llm-math-test-{os.getpid()}-{self.port}"
        runtime = f"{USER_HOME}/.local/share/jupyter/runtime"
        run("podman", "run", "--detach", "--name", self.name, *RUN_FLAGS, "--user", f"{UID}:{UID}",
            "-v", f"{self.home}:{USER_HOME}", "-e", f"JUPYTER_RUNTIME_DIR={runtime}", tag,
            "jupyter", "lab", "--ip=127.0.0.1", f"--port={self.port}", "--no-browser",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}", stdout=subprocess.DEVNULL)
        self.runtime = self.home / ".local" / "share" / "jupyter" / "runtime"
        deadline = time.monotonic() + 120
        while True:
            try:
                self.api("GET", "status")
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline or not self.running():
                    logs = self.logs()
                    self.stop()
                    raise RuntimeError(f"JupyterLab in the container did not answer:\n{logs}")
                time.sleep(0.5)

    def running(self):
        out = subprocess.run(["podman", "inspect", "--format", "{{.State.Running}}", self.name],
                             capture_output=True, text=True).stdout
        return out.strip() == "true"

    def logs(self):
        out = subprocess.run(["podman", "logs", self.name], capture_output=True, text=True)
        return (out.stdout + out.stderr)[-4000:]

    def api(self, method, path, body=None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=300) as response:
            text = response.read()
        return json.loads(text) if text else None

    def exec(self, *cmd):
        return subprocess.run(["podman", "exec", "--user", f"{UID}:{UID}", self.name, *cmd],
                              capture_output=True, text=True)

    def stop(self):
        subprocess.run(["podman", "rm", "--force", "--time", "5", self.name], capture_output=True)
        # Files the kernels wrote are the container user's; the test runs as root or as that user.
        shutil.rmtree(self.home, ignore_errors=True)


class Session:
    """A notebook's kernel JupyterLab's way: a session over the server's REST API, the kernel driven over ZeroMQ."""

    def __init__(self, container, path):
        from jupyter_client import BlockingKernelClient

        started = time.monotonic()
        self.container = container
        session = container.api("POST", "sessions", {"path": path, "type": "notebook", "name": path,
                                                     "kernel": {"name": "rust"}})
        self.id, self.kernel_id = session["id"], session["kernel"]["id"]
        self.client = BlockingKernelClient(connection_file=str(container.runtime / f"kernel-{self.kernel_id}.json"))
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)
        self.start_s = time.monotonic() - started

    def run(self, cell):
        """Runs `cell` (an nbformat code cell), storing its outputs in it; returns seconds."""
        cell.outputs = []

        def hook(msg):
            if msg["msg_type"] in ("stream", "error", "execute_result", "display_data"):
                cell.outputs.append(nbformat.v4.output_from_msg(msg))

        started = time.monotonic()
        self.client.execute_interactive(cell.source, output_hook=hook, timeout=CELL_TIMEOUT_S)
        return time.monotonic() - started

    def close(self):
        self.client.stop_channels()
        self.container.api("DELETE", f"sessions/{self.id}")


# What cargo itself writes in its home on every build (a lock and its record of what was
# used): the only files under /opt a user's kernels may change. They land in the container's
# own writable layer, gone with the container.
CARGO_BOOKKEEPING = {"/opt/cargo", "/opt/cargo/.global-cache", "/opt/cargo/.package-cache",
                     "/opt/cargo/.package-cache-mutate"}


def writes_to_the_course(diff_lines):
    """Paths under /opt that `podman diff` lists as changed or added, but cargo's bookkeeping."""
    paths = [line.split(maxsplit=1)[1] for line in diff_lines if len(line.split(maxsplit=1)) == 2]
    return [p for p in paths if (p == "/opt" or p.startswith("/opt/")) and p not in CARGO_BOOKKEEPING and p != "/opt"]


def user_cache(container):
    """The kernels' own compilation cache in the user's home (scripts/hub-start's LLM_MATH_CACHE_DIR)."""
    return container.home / ".cache" / "llm-math-course" / "evcxr"


def compiled_crates(container):
    """Crates the user's kernels compiled: entries of the compilation cache in their home that are not links to the image's."""
    cache = user_cache(container)
    crates = []
    for entry in sorted(cache.iterdir()) if cache.is_dir() else []:
        if entry.is_symlink() or not entry.is_dir():
            continue
        args = (entry / "meta").read_text().splitlines() if (entry / "meta").exists() else []
        crates.append(args[args.index("--crate-name") + 1] if "--crate-name" in args else entry.name)
    return crates


def linked_entries(container):
    cache = user_cache(container)
    return sum(1 for e in cache.iterdir() if e.is_symlink()) if cache.is_dir() else 0


# The course's own crate: a path dependency, built where each kernel builds (evcxr never caches it).
OWN_CRATES = {"llm_math"}
# Build scripts (num-traits', ndarray's, ...) that use autocfg compile tiny probe programs,
# named autocfg_<hash>_<n>, when they run in a new build directory: probes, not crates.
PROBE_PREFIX = "autocfg_"


def dependencies_compiled(crates):
    return sorted(set(c for c in crates if c not in OWN_CRATES and not c.startswith(PROBE_PREFIX)))


def run_notebook(session, name=NOTEBOOK):
    """Every code cell of notebook `name` in `session`; returns (executed notebook, setup cell seconds)."""
    nb = kernel.read(NOTEBOOKS / name)
    seconds = [session.run(cell) for cell in kernel.code_cells(nb)]
    return nb, seconds[0]


def test(build=True):
    """The image test stage; returns the exit status."""
    steps = Steps()
    reporter = Reporter()
    tools(steps)
    if build:
        with tempfile.TemporaryDirectory(prefix="llm-math-image-") as tmp:
            clone = Path(tmp) / "llm-math"
            run("git", "clone", "--quiet", ROOT, clone)
            what = "Building the image from a fresh clone with the documented command (scripts/setup inside)"
            steps.step(what)
            say("    " + " ".join(build_command(".")))
            started = time.monotonic()
            log = Path(tmp) / "build.log"
            status = _build(build_command(clone), clone, log)
            build_s = time.monotonic() - started
            if status != 0:
                say(log.read_text()[-6000:])
            reporter.report("the image builds from a fresh clone", [] if status == 0 else [f"podman build exited with {status}"])
            if status != 0:
                return reporter.finish()
            # The image this tag named before is now unnamed: gone, so builds do not fill the disk.
            subprocess.run(["podman", "image", "prune", "--force"], capture_output=True)
            steps.done(f"{build_s / 60:.1f} min")
    size = image_size()
    say(f"    image {IMAGE}: {size / 1e9:.2f} GB")

    steps.step(f"JupyterLab from the image as uid {UID}, an empty home; {NOTEBOOK} through it")
    try:
        container = Container()
    except (RuntimeError, subprocess.CalledProcessError) as error:
        reporter.report("JupyterLab starts from the image", [str(error)])
        return reporter.finish()
    try:
        first = Session(container, f"llm-math/notebooks/{NOTEBOOK}")
        nb, setup_s = run_notebook(first)
        first.close()
        problems = notebook_failures(nb, NOTEBOOK) + expected.compare(NOTEBOOKS / NOTEBOOK, nb)
        reporter.report(f"{NOTEBOOK} in JupyterLab in the image: the rule and the expected numbers", problems)
        crates = compiled_crates(container)
        linked = linked_entries(container)
        foreign = dependencies_compiled(crates)
        reporter.report("the first setup cell did not compile the dependency tree",
                        [] if linked and not foreign else
                        [f"compiled {len(foreign)} dependencies in the user's home: {', '.join(foreign[:20])}"] if foreign else
                        ["no entry of the image's compilation cache was linked into the user's home"])
        say(f"    first kernel: session {first.start_s:.1f} s + setup cell {setup_s:.1f} s = {first.start_s + setup_s:.1f} s "
            f"({linked} compiled dependencies linked from the image; compiled in the home: {', '.join(crates) or 'nothing'})")
        slot = user_cache(container).parent / "kernels" / "0"
        slot_bytes = int(subprocess.run(["du", "-sb", str(slot)], capture_output=True, text=True).stdout.split()[0] or 0)
        say(f"    the first kernel's build directory in the home: {slot_bytes / 2**20:.0f} MiB")
        second = Session(container, f"llm-math/notebooks/{NOTEBOOK}")
        setup_cell = kernel.code_cells(kernel.read(NOTEBOOKS / NOTEBOOK))[0]
        again_s = second.run(setup_cell)
        second.close()
        reporter.report("a second kernel's setup cell in the same home", notebook_failures(
            nbformat.v4.new_notebook(cells=[setup_cell]), "second kernel"))
        say(f"    second kernel (its build directory kept in the home): session {second.start_s:.1f} s + setup cell {again_s:.1f} s")
        diff = subprocess.run(["podman", "diff", container.name], capture_output=True, text=True, check=True)
        written = writes_to_the_course(diff.stdout.splitlines())
        reporter.report("the kernels wrote nothing into the image's course (podman diff under /opt)",
                        [f"{len(written)} paths changed, e.g. {', '.join(written[:8])}"] if written else [])
        hub = container.exec("/opt/llm-math/scripts/hub-start", "jupyterhub-singleuser", "--version")
        reporter.report("jupyterhub-singleuser runs in the image",
                        [] if hub.returncode == 0 else [f"exit {hub.returncode}: {(hub.stdout + hub.stderr)[-500:]}"])
        say(f"    jupyterhub-singleuser {hub.stdout.strip().splitlines()[-1] if hub.stdout.strip() else '?'}")
    except Exception as error:  # the container's log says why; the reporter names the stage
        reporter.report("the image serves the notebook", [f"{type(error).__name__}: {error}", container.logs()])
    finally:
        container.stop()
    return reporter.finish()


# ---------------------------------------------------------------------------
# Per-user cost: memory and CPU of N kernels running notebook 01 at once
# ---------------------------------------------------------------------------

def _children():
    kids = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        kids.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return kids


def _tree(pid, kids):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def _usage(pids):
    """(resident bytes, CPU seconds incl. waited-for children) of these processes."""
    page, tick = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")
    rss = cpu = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        cpu += sum(int(fields[i]) for i in (11, 12, 13, 14)) / tick  # utime stime cutime cstime
        rss += int(fields[21]) * page
    return rss, cpu


def _kernel_pids():
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"evcxr_jupyter" in cmdline.read_bytes().split(b"\0")[0]:
                pids.append(int(cmdline.parent.name))
        except OSError:
            continue
    return pids


def measure(counts=(1, 2, 4)):
    """Memory and CPU of `counts` kernels running notebook 01 at once in one container; returns the exit status."""
    steps = Steps()
    reporter = Reporter()
    container = Container()
    rows = []
    try:
        # Each kernel needs a build directory of its own in the home; the first use of one
        # builds the course's crate there. Done here, so the rows measure kernels of a user who
        # has run the course before (the first kernel's cost is the test stage's number).
        steps.step(f"Preparing {max(counts)} build directories in the home (the course's crate built in each)")
        # A session per path: the server gives a second session for the same path the first's kernel.
        sessions = [Session(container, f"llm-math/notebooks/kernel-{i}.ipynb") for i in range(max(counts))]
        setup_cell = kernel.code_cells(kernel.read(NOTEBOOKS / NOTEBOOK))[0]
        threads = [threading.Thread(target=s.run, args=(nbformat.v4.new_code_cell(setup_cell.source),)) for s in sessions]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for s in sessions:
            s.close()
        steps.done()
        for n in counts:
            steps.step(f"{n} kernel(s) running {NOTEBOOK} at once")
            time.sleep(3)  # the sessions above are gone
            before = set(_kernel_pids())
            sessions = [Session(container, f"llm-math/notebooks/kernel-{i}.ipynb") for i in range(n)]
            pids = [p for p in _kernel_pids() if p not in before]
            start_cpu = _usage(pids)[1]
            results, errors = [None] * n, []

            def work(i):
                try:
                    results[i] = run_notebook(sessions[i])[0]
                except Exception as error:  # reported below
                    errors.append(f"kernel {i}: {error}")

            threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
            started = time.monotonic()
            for t in threads:
                t.start()
            peak, peak_each, cpu = 0, 0, start_cpu
            while any(t.is_alive() for t in threads):
                kids = _children()
                trees = [_tree(p, kids) for p in pids]
                each = [_usage(tree) for tree in trees]
                peak = max(peak, sum(r for r, _ in each))
                peak_each = max([peak_each, *(r for r, _ in each)])
                cpu = max(cpu, sum(c for _, c in each))
                time.sleep(0.2)
            wall = time.monotonic() - started
            idle_rss = sum(_usage(_tree(p, _children()))[0] for p in pids)
            for s in sessions:
                s.close()
            problems = errors + [p for nb in results if nb is not None for p in notebook_failures(nb, NOTEBOOK)]
            reporter.report(f"{n} kernel(s) ran {NOTEBOOK}", problems)
            row = {"kernels": n, "wall_s": wall, "cpu_s": cpu - start_cpu, "peak_rss": peak,
                   "peak_rss_per_kernel": peak_each, "rss_after": idle_rss}
            rows.append(row)
            say(f"    {n} kernel(s): {wall:.1f} s wall, {row['cpu_s']:.1f} CPU s ({row['cpu_s'] / wall:.2f} cores), "
                f"peak {peak / 2**30:.2f} GiB together, {peak_each / 2**30:.2f} GiB the largest kernel, "
                f"{idle_rss / 2**30:.2f} GiB after the notebook")
    finally:
        container.stop()
    out = ROOT / "target" / "image-measure.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    say(f"    written to {out.relative_to(ROOT)}")
    return reporter.finish()

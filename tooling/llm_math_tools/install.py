"""The set-up steps that follow the venv (scripts/setup creates the venv, then calls `setup` here).

Everything lands inside the project, nothing global except Chromium:
  node_modules/        MathJax (offline HTML export) and playwright-core (browser
                       tests), pinned in package.json / package-lock.json
  .tools/evcxr/        evcxr_jupyter, the Rust kernel, pinned, built with --locked from
                       its crates.io source and the project's patch (patched_evcxr.py)
  .venv/share/jupyter/kernels/rust/   the kernel, registered inside the venv,
                       started through scripts/kernel (the project's evcxr configuration)
  .cache/              evcxr's build directories and compilation cache, pre-warmed
  /usr/bin/chromium    Debian's package, pinned; only for the browser tests (`--browser`)

Each step is skipped while its result is there and its inputs are unchanged
(a stamp: the sha256 of the inputs, kept beside the result).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys

from pathlib import Path

from . import FIGURES_CSS, JUPYTER_PATH, KERNEL, ROOT, SHARED_CACHE, VENV, patched_evcxr, warm
from .report import Steps, say

TOOLS = ROOT / ".tools" / "evcxr"
EVCXR = TOOLS / "bin" / "evcxr_jupyter"
KERNEL_DIR = JUPYTER_PATH / "kernels" / KERNEL
# Pinned. If Debian has moved on and this version is gone, apt-get says so:
# pick the new one from `apt-cache policy chromium` and update it here.
CHROMIUM_VERSION = "156.0.8078.79-1~deb12u1"


def digest(*parts):
    """sha256 over files (paths) and strings, in order."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.read_bytes() if hasattr(part, "read_bytes") else str(part).encode())
        h.update(b"\0")
    return h.hexdigest()


def stamped(steps, what, stamp, inputs, action):
    """Runs `action()` unless `stamp` holds the digest of `inputs` from its last successful run."""
    steps.step(what)
    expected = digest(*inputs)
    if stamp.exists() and stamp.read_text() == expected:
        steps.done("already done; inputs unchanged")
        return
    detail = action()
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(expected)
    steps.done(detail or "")


def run(*cmd, **kwargs):
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def npm_packages(steps):
    stamped(steps, "JavaScript packages, pinned (node_modules: MathJax for exported pages, playwright-core for browser tests)",
            ROOT / "node_modules" / ".package-lock.sha256", [ROOT / "package-lock.json"],
            lambda: run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", cwd=ROOT))


def evcxr(steps):
    stamp = TOOLS / ".patched.sha256"
    if not EVCXR.exists():
        stamp.unlink(missing_ok=True)
    stamped(steps, f"Rust kernel evcxr_jupyter {patched_evcxr.VERSION} from crates.io, checksums checked, "
            "with the project's patch (tooling/evcxr; a first build takes several minutes, cargo prints each crate)",
            stamp, [patched_evcxr.PATCH, Path(patched_evcxr.__file__)],
            lambda: patched_evcxr.install(TOOLS))


def kernelspec(steps):
    steps.step(f"Registering the kernel inside the venv ({KERNEL_DIR.relative_to(ROOT)})")
    # evcxr_jupyter writes its kernelspec and resources; the command is then
    # pointed at scripts/kernel so that every kernel gets the project's configuration.
    run(EVCXR, "--install", env={**os.environ, "JUPYTER_PATH": str(JUPYTER_PATH)}, stdout=subprocess.DEVNULL)
    path = KERNEL_DIR / "kernel.json"
    spec = json.loads(path.read_text())
    spec["argv"] = [str(ROOT / "scripts" / "kernel"), str(EVCXR), "--control_file", "{connection_file}"]
    spec["display_name"] = "Rust (llm-math)"
    # Kernels start through the project's provisioner: in JupyterLab it can hand
    # over a spare kernel whose setup cell already ran (llm_math_tools/spare.py);
    # anywhere else it starts them as jupyter_client's LocalProvisioner does.
    spec.setdefault("metadata", {})["kernel_provisioner"] = {"provisioner_name": "llm-math-spare"}
    path.write_text(json.dumps(spec, indent=2))
    steps.done(f"display name {spec['display_name']!r}")


def lab_css(steps):
    """The figure CSS (templates/figures.css) as JupyterLab's custom.css, inside the venv.

    JupyterLab loads <static>/custom/custom.css when started with
    --LabApp.custom_css=True (scripts/lab does); the folder searched is fixed
    (not configurable): the user's config dir first, then jupyter_server's
    static folder, here the venv's copy.
    """
    import jupyter_server  # the venv's: this runs with the venv's Python

    steps.step("JupyterLab's custom.css: figures scale to the width of their cell")
    target = Path(jupyter_server.__file__).parent / "static" / "custom" / "custom.css"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIGURES_CSS, target)
    steps.done(str(target.relative_to(ROOT)))


WARM_LOG = ROOT / ".cache" / "warm-later.log"


def warm_up(steps, later=False):
    """Builds the notebooks' dependencies in the kernel, unless its stamp says they are built.

    With `later` (scripts/lab), only the setup cell most notebooks share is
    warmed now; a background process (`setup` again, logged to
    .cache/warm-later.log) warms the others, polars among them, and writes the
    stamp, so JupyterLab opens minutes sooner on a first run."""
    crate = ROOT / "crates" / "llm-math"
    cache = ROOT / ".cache"
    inputs = [ROOT / "Cargo.lock", crate / "Cargo.toml", ROOT / "notebooks" / "evcxr.toml",
              ROOT / "scripts" / "kernel", KERNEL_DIR / "kernel.json", patched_evcxr.PATCH,
              *sorted(p for p in (crate / "src").rglob("*") if p.is_file()),
              "\n\n".join(sorted(warm.setup_cells()))]
    # A deleted .cache/ takes its stamp with it; a damaged one is cleared here, so both are rebuilt below.
    problems, in_use = warm.check_and_repair(cache)
    if problems:
        more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
        say(f"    the build cache .cache/ is damaged ({problems[0]}{more}): cleared, building it again"
            + (f"; left alone, in use by a running kernel: {', '.join(in_use)}" if in_use else ""))

    stamp = cache / "warm.sha256"
    store = SHARED_CACHE / "evcxr-cache"
    warmed = stamp.exists() and stamp.read_text() == digest(*inputs)
    if not warmed:
        added = warm.share(store, cache / "evcxr")
        if added:
            say(f"    {added} compiled dependencies linked from the build cache other clones share ({store})")
    if later and not warmed:
        steps.step("Pre-warming the setup cell most notebooks share (the others follow in the background)")
        if warm.warm(only=warm.by_use()[:1]) != 0:
            sys.exit("set-up: warming the kernel failed (see above)")
        cache.mkdir(parents=True, exist_ok=True)
        with open(WARM_LOG, "w") as log:
            # Its own session: it goes on after scripts/lab hands over to JupyterLab, and
            # writes the stamp when every setup cell is warm. Nice: a learner's kernel goes first.
            subprocess.Popen(["nice", "-n", "10", str(VENV / "bin" / "python"), "-m", "llm_math_tools", "setup"],
                             cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        steps.done(f"the rest warms in the background, log in {WARM_LOG.relative_to(ROOT)}; "
                   "a notebook opened before it ends builds what it still needs itself")
        return

    def action():
        if warm.warm() != 0:
            sys.exit("set-up: warming the kernel failed (see above)")
        warm.share(cache / "evcxr", store)
        return f"{warm.record(cache)} built files listed in .cache/{warm.MANIFEST}, checked by the next set-up"
    stamped(steps, "Pre-warming: building the notebooks' dependencies in the kernel once (cached in .cache/)",
            stamp, inputs, action)
    if not (cache / warm.MANIFEST).exists():  # warmed by a set-up from before the list existed
        warm.record(cache)


def apt_install(packages, hint="(see above)"):
    """Installs Debian packages (root, or sudo), refreshing the package index only if the first try fails."""
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    install = [*sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        say("    the package index is stale or missing: apt-get update")
        run(*sudo, "apt-get", "update", "-q", env=env, stdout=subprocess.DEVNULL)
        attempt = subprocess.run(install, env=env, capture_output=True, text=True)
        if attempt.returncode != 0:
            say("\n".join((attempt.stdout + attempt.stderr).splitlines()[-20:]))
            sys.exit(f"set-up: could not install {' '.join(packages)} {hint}")


def browser(steps):
    """Debian's Chromium, pinned, for the browser tests (apt-get needs root or sudo the first time)."""
    steps.step(f"Chromium {CHROMIUM_VERSION} for the browser tests")
    installed = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "chromium"], capture_output=True, text=True).stdout
    if installed == CHROMIUM_VERSION:
        steps.done("already installed")
        return
    apt_install([f"chromium={CHROMIUM_VERSION}"], f"(see above; update CHROMIUM_VERSION in "
                "tooling/llm_math_tools/install.py if Debian replaced it)")
    version = subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout.strip()
    steps.done(version)


def setup(with_warm=True, with_browser=False, warm_later=False):
    steps = Steps()
    for tool in ("cargo", "rustc", "flock", "node", "npm"):
        if not shutil.which(tool):
            sys.exit(f"set-up: '{tool}' is not installed; install it and rerun scripts/setup")
    npm_packages(steps)
    evcxr(steps)
    kernelspec(steps)
    lab_css(steps)
    if with_warm:
        warm_up(steps, later=warm_later)
    if with_browser:
        browser(steps)
    say(f"\nSet-up complete. Start JupyterLab with scripts/lab; run the tests with scripts/test. (venv: {VENV.relative_to(ROOT)})")
    return 0

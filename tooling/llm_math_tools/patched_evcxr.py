"""The Rust kernel, evcxr_jupyter, built from its crates.io source with the project's patch.

evcxr 0.22.0 reports a panic or an error returned with `?` only on stderr, with a
backtrace, and says "ok" to Jupyter, so "Run All" runs on past the failure; a
crash or an interrupt loses every variable with the message
"Subprocess terminated with status: signal: 9 (SIGKILL)". Its ZeroMQ library,
zeromq 0.6.0, can hang the kernel for good when a client disconnects while
another connects (JupyterLab does so as a kernel starts). The patch
(tooling/evcxr/evcxr-0.22.0.patch, explained in docs/evcxr-pull-request.md)
changes that. Nothing of evcxr's code is kept in this repository; set-up does:

1. download evcxr_jupyter, evcxr and zeromq (the pinned versions) from
   crates.io into .tools/evcxr-src/, and check each file's sha256 against the
   one pinned here (the same checksums crates.io's index and evcxr_jupyter's
   Cargo.lock give);
2. unpack them side by side in a fresh folder and apply the patch with
   `git apply` (it also points evcxr_jupyter at the patched evcxr and zeromq:
   [patch.crates-io] sections and the matching lines of its Cargo.lock);
3. `cargo install --locked --path` it into .tools/evcxr, with a build folder
   shared by the project's clones on this machine (SHARED_CACHE/evcxr-target),
   so that a changed patch or another clone rebuilds two crates, not two hundred.
"""

import hashlib
import os
import shutil
import subprocess
import tarfile
import urllib.request

from . import ROOT, SHARED_CACHE

VERSION = "0.22.0"
# Version and sha256 of the .crate files, as crates.io's index lists them.
CRATES = {
    "evcxr_jupyter": (VERSION, "3ce0d7b3058f68a9673df4f1266b641942fea0ec131881d095306e509a382764"),
    "evcxr": (VERSION, "ee69caeeefc311959b85962458e370d8eccb165123edbc5270134aaee6d7ed80"),
    "zeromq": ("0.6.0", "efb2c254fd8f366755335c9e43b865f8484fe3bd717d65ffe7c3f28852863030"),
}
PATCH = ROOT / "tooling" / "evcxr" / f"evcxr-{VERSION}.patch"
SRC = ROOT / ".tools" / "evcxr-src"
TARGET = SHARED_CACHE / "evcxr-target"
URL = "https://static.crates.io/crates/{name}/{name}-{version}.crate"


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download(name):
    """The pinned .crate of `name`, downloaded once and checked every time."""
    version, expected = CRATES[name]
    path = SRC / f"{name}-{version}.crate"
    if not path.exists() or sha256(path) != expected:
        SRC.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        with urllib.request.urlopen(URL.format(name=name, version=version), timeout=120) as response:
            partial.write_bytes(response.read())
        partial.replace(path)
    got = sha256(path)
    if got != expected:
        path.unlink()
        raise SystemExit(f"{path.name} from crates.io has sha256 {got}, not the pinned {expected}: "
                         "refusing to build it")
    return path


def unpack_and_patch():
    """A fresh tree with both crates and the patch applied; returns evcxr_jupyter's folder."""
    tree = SRC / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    for name in CRATES:
        with tarfile.open(download(name)) as crate:
            # filter="data" refuses links and paths outside the tree (Python 3.11.4+).
            crate.extractall(tree, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    # Its own git repository, so that `git apply` takes the patch's paths relative to it;
    # GIT_DIR and friends (set when run from a git hook) would point it at the project's.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run(["git", "init", "-q"], cwd=tree, check=True, env=env)
    subprocess.run(["git", "apply", "--whitespace=nowarn", str(PATCH)], cwd=tree, check=True, env=env)
    return tree / f"evcxr_jupyter-{VERSION}"


def install(tools):
    """Builds the patched evcxr_jupyter into `tools` (tools/bin/evcxr_jupyter)."""
    source = unpack_and_patch()
    subprocess.run(["cargo", "install", "--locked", "--force", "--path", str(source),
                    "--root", str(tools), "--target-dir", str(TARGET)], check=True)

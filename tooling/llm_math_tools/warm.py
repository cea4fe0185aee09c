"""Pre-builds the notebooks' dependencies in the real kernel, so nobody waits for them later.

Each distinct setup cell (the first code cell of a notebook) runs once in a
fresh kernel, followed by a cell that stores a variable (the first such cell
pays a one-off cost per kernel). The builds land in evcxr's compilation
cache under .cache/, shared by every later kernel.

After a warm-up, `record` lists the files it built that never change later
(evcxr's cache entries, the dependencies in each kernel build directory) with
their sizes; `damage` compares the cache with that list, so the next set-up
notices a cache that was partly deleted or truncated (an interrupted copy, a
full disk) and `repair` clears it for a fresh warm-up, instead of a kernel
failing later with an error about invalid metadata or a failed copy.
"""

import fcntl
import json
import os
import shutil
import time
from pathlib import Path

import nbformat

from . import KERNEL, kernel
from .report import say
from .rule import notebook_failures


def without_comments(source):
    """A setup cell without its comment lines: comments do not change what the kernel builds,
    so cells differing only in them are one setup (warmed once, served by one spare kernel)."""
    return "\n".join(line for line in source.splitlines() if not line.strip().startswith("//"))


def setup_cells(names=()):
    """Each distinct setup cell, without comments, mapped to the first notebook that has it."""
    cells = {}
    for path in kernel.notebooks(names):
        code = kernel.code_cells(kernel.read(path))
        if code:
            cells.setdefault(without_comments(code[0].source), path.name)
    return cells


def by_use():
    """The distinct setup cells, the one most notebooks share first."""
    uses = {}
    for path in kernel.notebooks():
        code = kernel.code_cells(kernel.read(path))
        if code:
            source = without_comments(code[0].source)
            uses[source] = uses.get(source, 0) + 1
    return sorted(uses, key=lambda source: -uses[source])


def warm(names=(), only=None):
    """Runs each distinct setup cell once in the real kernel (with `only`, those sources); returns the exit status."""
    for source, name in setup_cells(names).items():
        if only is not None and source not in only:
            continue
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": KERNEL, "display_name": "Rust", "language": "rust"}})
        nb.cells = [nbformat.v4.new_code_cell(source), nbformat.v4.new_code_cell("let warm_up = 1 + 1;\nwarm_up")]
        started = time.monotonic()
        what = f"setup cell of {name}"
        kernel.execute(nb, what)
        problems = notebook_failures(nb, what)
        if problems:
            say("\n".join(problems))
            return 1
        say(f"  warmed the {what} in {time.monotonic() - started:.1f} s")
    return 0


MANIFEST = "warm-manifest.json"
# Rebuilt while a kernel runs, so not listed: the cell's own crate and the
# course's crate (a path dependency, rebuilt in place when its source changes),
# and the copy of each compiled cell evcxr loads (libcode_1.so, libcode_2.so, ...).
MUTABLE = ("ctx", "libctx", "llm_math", "libllm_math")
MUTABLE_PREFIXES = ("libcode_",)


def _rebuilt_by_kernels(path):
    stem = path.name.split("-")[0].split(".")[0]
    return stem in MUTABLE or stem.startswith(MUTABLE_PREFIXES)


def built_files(cache):
    """The files under `cache` that a warm-up builds and nothing rewrites afterwards."""
    cache = Path(cache)
    # Not "hits" (rewritten on every use) nor what a kernel is still writing (*.partial).
    files = [p for p in (cache / "evcxr").glob("*/*")
             if p.name != "hits" and not p.name.endswith(".partial") and not p.parent.name.endswith(".partial")]
    files += list((cache / "kernels").glob("*/target/*/debug/deps/*"))
    return sorted(p for p in files if p.is_file() and not _rebuilt_by_kernels(p))


def record(cache):
    """Writes the list of built files and their sizes (after a successful warm-up)."""
    cache = Path(cache)
    sizes = {str(p.relative_to(cache)): p.stat().st_size for p in built_files(cache)}
    (cache / MANIFEST).write_text(json.dumps(sizes, indent=0, sort_keys=True))
    return len(sizes)


def damage(cache):
    """What is wrong with `cache` against its list: missing or resized files (empty: intact)."""
    cache = Path(cache)
    try:
        sizes = json.loads((cache / MANIFEST).read_text())
    except (OSError, ValueError):
        return [f"{MANIFEST} is missing or unreadable"]
    problems = []
    for name, size in sizes.items():
        path = cache / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif path.stat().st_size != size:
            problems.append(f"{name} is {path.stat().st_size} bytes, was {size}")
    return problems


def _link_entry(source, target):
    """Publishes a copy of the cache entry `source` (a folder of files) as `target`, whole or not at all."""
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for file in source.iterdir():
        if file.is_file():
            try:
                os.link(file, partial / file.name)  # nothing rewrites an entry's build products in place
            except OSError:
                shutil.copy2(file, partial / file.name)
    try:
        partial.rename(target)
    except OSError:  # another set-up published it meanwhile
        shutil.rmtree(partial, ignore_errors=True)


def share(source, target):
    """Links each complete entry of evcxr's compilation cache `source` that `target` lacks into `target`.

    Set-up calls it twice: from the store every clone shares (SHARED_CACHE) into
    the project's .cache/evcxr before warming, and back after. Returns how many
    entries it added."""
    source, target = Path(source), Path(target)
    if not source.is_dir():
        return 0
    target.mkdir(parents=True, exist_ok=True)
    added = 0
    for entry in sorted(source.iterdir()):
        complete = entry.is_dir() and ".partial" not in entry.name and (entry / "stderr").is_file()
        if complete and not (target / entry.name).exists():
            _link_entry(entry, target / entry.name)
            added += 1
    return added


def in_use(slot):
    """Whether a running kernel holds this build directory (scripts/kernel's flock)."""
    lock = slot / ".lock"
    if not lock.exists():
        return False
    with open(lock) as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
    return False


def repair(cache):
    """Empties `cache` for a fresh warm-up; build directories of running kernels are left alone.

    Returns the names of the directories left (in use)."""
    cache = Path(cache)
    kept = []
    for entry in cache.iterdir() if cache.exists() else []:
        if entry.name == "kernels" and entry.is_dir():
            for slot in entry.iterdir():
                if slot.is_dir() and in_use(slot):
                    kept.append(str(slot.relative_to(cache)))
                elif slot.is_dir():
                    shutil.rmtree(slot)
                else:
                    slot.unlink()
        elif entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    return kept


def check_and_repair(cache):
    """Clears `cache` when it is damaged; returns (what was wrong, directories left in use)."""
    cache = Path(cache)
    if not (cache / MANIFEST).exists():
        return [], []  # never warmed (or deleted): the warm-up that follows builds it
    problems = damage(cache)
    return problems, (repair(cache) if problems else [])

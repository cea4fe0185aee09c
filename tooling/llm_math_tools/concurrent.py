"""Many kernels at once, as on a classroom machine.

Four notebooks run together, each in its own kernel (its own process here),
twice: first with an empty build cache in a temporary folder
(`LLM_MATH_CACHE_DIR`, so the four kernels compile the dependencies and fill
evcxr's shared compilation cache at the same time), then again together with
that cache now warm. Every run must pass the rule in every cell and show its
expected numbers (notebooks/expected/). A last run of one notebook alone on
the same cache checks the cache was left usable: nothing half-written, no
lock left held. Then the cache is damaged (a built file truncated, another
deleted): the check set-up runs (warm.check_and_repair) must name both and
clear the cache, and the first notebook must then build and run again on it.
The project's own .cache/ is not touched.

After the cold run, every compiled dependency the shared cache holds must be
byte for byte the file each kernel's build directory holds (see
`_differing_builds`), and no dependency, in the cache or in a kernel's
build directory, may name a source file in another kernel's build directory
(see `_foreign_dep_info`).

The notebooks are those without the polars `tables` feature, so a cold build
takes minutes, not a quarter of an hour.
"""

import hashlib
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

import nbformat

from . import expected, kernel, warm
from .report import Reporter, say
from .rule import notebook_failures

NOTEBOOKS = ("01", "02", "04", "05")
# Longer than any of these notebooks takes cold on 2 cores with 4 kernels.
TIME_LIMIT_S = 1500


def _run_one(path, cache_dir):
    """Runs one notebook in a fresh kernel using `cache_dir` as the kernels' cache; returns the executed notebook as JSON."""
    os.environ["LLM_MATH_CACHE_DIR"] = cache_dir
    nb = kernel.read(Path(path))
    kernel.execute(nb, Path(path).name, quiet=True)
    return nbformat.writes(nb)


def _together(paths, cache_dir, what, reporter):
    """Runs `paths` at the same time, one process and kernel each; reports each notebook."""
    started = time.monotonic()
    context = multiprocessing.get_context("spawn")  # a clean interpreter per kernel client
    with context.Pool(len(paths)) as pool:
        pending = [pool.apply_async(_run_one, (str(p), cache_dir)) for p in paths]
        results = []
        for path, job in zip(paths, pending):
            try:
                results.append((path, nbformat.reads(job.get(timeout=TIME_LIMIT_S), as_version=4), None))
            except multiprocessing.TimeoutError:
                results.append((path, None, f"did not finish within {TIME_LIMIT_S} s (a deadlock?)"))
    seconds = time.monotonic() - started
    for path, nb, trouble in results:
        problems = [trouble] if trouble else notebook_failures(nb, path.name) + expected.compare(path, nb)
        reporter.report(f"{what}: {path.name}", problems)
    say(f"    {len(paths)} kernel(s), {what}: {seconds:.0f} s")


def many(names=NOTEBOOKS):
    """The many-kernels test; returns the exit status."""
    paths = kernel.notebooks(names)
    reporter = Reporter()
    if len(paths) < 2:
        reporter.report("many kernels", f"need at least 2 notebooks, found {[p.name for p in paths]}")
        return reporter.finish()
    with tempfile.TemporaryDirectory(prefix="llm-math-many-kernels-") as cache_dir:
        _together(paths, cache_dir, "cold cache", reporter)
        reporter.report("a dependency is the same file in every kernel build directory and in the shared cache",
                        _differing_builds(Path(cache_dir)))
        reporter.report("a dependency names only files of its own kernel, in the shared cache as in each build directory",
                        _foreign_dep_info(Path(cache_dir)))
        _together(paths, cache_dir, "warm cache", reporter)
        _together(paths[:1], cache_dir, "alone afterwards, same cache", reporter)
        held = [p.name for p in (Path(cache_dir) / "kernels").glob("*/") if warm.in_use(p)]
        reporter.report("no kernel build directory left locked", f"still locked: {held}" if held else None)
        _damaged_then_rebuilt(paths[0], cache_dir, reporter)
    return reporter.finish()


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _differing_builds(cache):
    """Compiled dependencies (.rlib, .rmeta, .so) that the shared cache holds and a kernel build
    directory holds differently. Four cold kernels compile the same crates at once, each in its
    own directory, and take one another's results from the cache, so a crate whose output
    depends on the directory it was built in mixes two versions: rustc then fails with E0460
    "found possibly newer version of crate" (serde and thiserror include a file generated under
    the build directory; the patched evcxr remaps that path). Each time it happened only in a
    few runs: this check sees the difference in every run, failing build or not."""
    cached = {}
    for entry in (cache / "evcxr").glob("*/"):
        if entry.name.endswith(".partial"):
            continue
        for artifact in entry.iterdir():
            if artifact.suffix in (".rlib", ".rmeta", ".so"):
                cached.setdefault(artifact.name, _digest(artifact))
    if not cached:
        return ["the shared cache holds no compiled dependency: did the kernels use it?"]
    problems, compared = [], 0
    for built in sorted((cache / "kernels").glob("*/target/*/debug/deps/*")):
        if built.name in cached:
            compared += 1
            if _digest(built) != cached[built.name]:
                problems.append(f"{built.relative_to(cache)} differs from the cache's copy")
    if compared == 0:
        problems.append(f"no kernel build directory holds any of the {len(cached)} cached files")
    else:
        say(f"    {compared} built files compared with the cache's {len(cached)}")
    return problems


def _foreign_dep_info(cache):
    """Dependencies whose dep-info file (the `.d` rustc writes: the files a crate was built from)
    names a file in another kernel's build directory. A crate taken from the shared cache
    arrives with the dep-info of the kernel that compiled it; serde's names the `private.rs`
    its build script wrote there. Cargo then looks for that file at every cell, and once that
    other directory is gone it rebuilds serde and everything above it each time (a trivial
    cell 0.6-0.7 s instead of 0.25 s). The patched evcxr stores the build directory as a
    placeholder and writes the reader's own back."""
    kernels = cache / "kernels"
    slots = sorted(p for p in kernels.glob("*/") if (p / "target").is_dir())
    problems, read = [], 0
    for entry in sorted((cache / "evcxr").glob("*/*.d")):
        read += 1
        if str(kernels) + "/" in entry.read_text(errors="replace"):
            problems.append(f"the cache's {entry.relative_to(cache)} names a kernel build directory")
    for slot in slots:
        others = [str(other / "target") + "/" for other in slots if other != slot]
        for dep_info in sorted(slot.glob("target/*/debug/deps/*.d")):
            read += 1
            text = dep_info.read_text(errors="replace")
            foreign = sorted({other for other in others if other in text})
            if foreign:
                problems.append(f"{dep_info.relative_to(cache)} names files under {foreign}")
    if read == 0:
        problems.append("neither the cache nor a kernel build directory holds a dep-info file")
    else:
        say(f"    {read} dep-info files read (the cache's and {len(slots)} kernel build directories')")
    return problems[:10] + ([f"… and {len(problems) - 10} more"] if len(problems) > 10 else [])


def _damaged_then_rebuilt(path, cache_dir, reporter):
    """Damages the cache as an interrupted copy or a full disk would; set-up's check must notice
    and clear it, and a kernel must then build and run the notebook again."""
    cache = Path(cache_dir)
    warm.record(cache)  # as set-up's warm-up does
    built = warm.built_files(cache)
    largest = max(built, key=lambda p: p.stat().st_size)
    with open(largest, "r+b") as f:
        f.truncate(largest.stat().st_size // 2)
    gone = next(p for p in built if p.suffix == ".rlib" and p != largest)
    gone.unlink()
    problems, in_use = warm.check_and_repair(cache)
    named = [p for p in (largest, gone) if not any(p.name in problem for problem in problems)]
    trouble = []
    if named:
        trouble.append(f"the check did not name {[p.name for p in named]}: {problems}")
    if in_use or warm.built_files(cache):
        trouble.append(f"the cache was not cleared (in use: {in_use})")
    reporter.report("a damaged cache (a file truncated, one deleted) is noticed and cleared", trouble)
    _together([path], cache_dir, "after the damaged cache was cleared: built again", reporter)

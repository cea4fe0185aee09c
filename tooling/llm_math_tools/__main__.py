"""Command line of the tooling: `python -m llm_math_tools COMMAND` with the project's venv Python.

The scripts in scripts/ call these; they are also handy on their own:
  setup [--no-warm] [--browser]     set-up after the venv (scripts/setup runs this)
  test [--no-browser] [--no-image]  every test stage (scripts/test runs this)
  check [NOTEBOOK ...] [--save DIR] the notebook tests in the real kernel
  export [--out DIR] [--executed DIR] [NOTEBOOK ...]
                                    the offline HTML site (scripts/export-html)
  warm [NOTEBOOK ...]               run each distinct setup cell once (fills the build cache)
  judge EXECUTED.ipynb              judge an executed notebook's cells with the rule
  expected [NOTEBOOK ...] [--executed DIR]
                                    rewrite notebooks/expected/ from a run (review the diff)
  perturb [NOTEBOOK ...]            the perturbation test (floats ×1.1 per cell, then all at once)
  many                              many kernels at once: 4 notebooks together, cold then warm cache
  runaway                           failing and runaway cells (panic, ?, interrupt, crash, replay) in the kernel
  image [--no-build] [--measure]    the classroom image: build it from a fresh clone, serve notebook 01
                                    from it (docs/deploy.md); --measure: memory and CPU of 1, 2, 4 kernels
NOTEBOOK selects notebooks whose file name contains it, e.g. 03.
"""

import argparse
import os
import sys
from pathlib import Path

from . import JUPYTER_PATH, ROOT


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m llm_math_tools", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n", 2)[2])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("setup", help="set-up after the venv")
    p.add_argument("--no-warm", action="store_true", help="skip pre-building the notebooks' dependencies in the kernel")
    p.add_argument("--browser", action="store_true", help="also install Chromium for the browser tests")
    p.add_argument("--warm-later", action="store_true",
                   help="warm the most used setup cell now and the others in the background (scripts/lab)")
    p = commands.add_parser("test", help="every test stage")
    p.add_argument("--no-browser", action="store_true", help="stop after the kernel runs (no export, no Chromium)")
    p.add_argument("--no-image", action="store_true", help="skip the classroom image's stage (podman; about 20 min)")
    p = commands.add_parser("check", help="the notebook tests in the real kernel")
    p.add_argument("notebooks", nargs="*")
    p.add_argument("--save", type=Path, help="write the executed notebooks (first run) here")
    p = commands.add_parser("export", help="the offline HTML site")
    p.add_argument("notebooks", nargs="*")
    p.add_argument("--out", type=Path, default=ROOT / "site", help="output folder (default: site/)")
    p.add_argument("--executed", type=Path, help="take the executed notebooks from this folder instead of running them")
    p = commands.add_parser("warm", help="run each distinct setup cell once")
    p.add_argument("notebooks", nargs="*")
    p = commands.add_parser("judge", help="judge an executed notebook with the rule")
    p.add_argument("notebook", type=Path)
    p = commands.add_parser("expected", help="rewrite the numbers each notebook is expected to show")
    p.add_argument("notebooks", nargs="*")
    p.add_argument("--executed", type=Path, help="take the executed notebooks from this folder instead of running them")
    p = commands.add_parser("perturb", help="the perturbation test")
    p.add_argument("notebooks", nargs="*")
    commands.add_parser("many", help="many kernels at once, cold then warm cache")
    commands.add_parser("runaway", help="failing and runaway cells in the real kernel")
    p = commands.add_parser("image", help="the classroom image: built, run, one notebook served from it")
    p.add_argument("--no-build", action="store_true", help="test the image already built (localhost/llm-math:test)")
    p.add_argument("--measure", action="store_true",
                   help="instead: memory and CPU of 1, 2 and 4 kernels running notebook 01 at once in the image")
    args = parser.parse_args(argv)

    # The project's kernel, registered inside the venv, for nbclient and every child process.
    os.environ["JUPYTER_PATH"] = str(JUPYTER_PATH)
    # Imported here, not above: set-up should not wait for nbconvert to load.
    if args.command == "setup":
        from .install import setup
        return setup(with_warm=not args.no_warm, with_browser=args.browser, warm_later=args.warm_later)
    if args.command == "test":
        from .suite import test
        return test(browser=not args.no_browser, with_image=not args.no_image)
    if args.command == "check":
        from .checks import check
        return check(args.notebooks, save_dir=args.save)
    if args.command == "export":
        from .export import export
        return export(args.out, args.notebooks, executed=args.executed)
    if args.command == "expected":
        from .expected import update
        return update(args.notebooks, executed=args.executed)
    if args.command == "perturb":
        from .perturb import perturb
        return perturb(args.notebooks)
    if args.command == "many":
        from .concurrent import many
        return many()
    if args.command == "runaway":
        from .runaway import runaway
        return runaway()
    if args.command == "image":
        from . import image
        return image.measure() if args.measure else image.test(build=not args.no_build)
    if args.command == "warm":
        from .warm import warm
        return warm(args.notebooks)
    from .checks import judge
    return judge(args.notebook)


sys.exit(main(sys.argv[1:]))

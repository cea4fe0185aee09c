"""How the tooling talks while it works: a step timer and a test reporter.

`Steps` prints "==> [elapsed] what" before each long step and how long the
step took after it, so a build that runs for minutes never looks hung.
`Reporter` prints one "test NAME ... ok/FAILED" line per check, the reasons
under a failure, and at the end the failures again with their first reasons
and "N passed, N failed", as cargo test does, so the last lines of a long log
say what went wrong (the browser tests' JavaScript has the same reporter, in
tests/browser/chromium.mjs).
"""

import os
import time


def say(message):
    print(message, flush=True)


class Steps:
    """Prints each step with the time since the run began, and its duration.

    The run began when the entry point started (scripts/ export
    LLM_MATH_STARTED, seconds since the epoch), so the clock goes on across
    scripts/test → scripts/setup → Python.
    """

    def __init__(self):
        self.started = float(os.environ.get("LLM_MATH_STARTED") or time.time())
        self.step_started = None

    def step(self, what):
        self.step_started = time.monotonic()
        say(f"\n==> [{time.time() - self.started:.0f}s] {what}")

    def done(self, detail=""):
        seconds = time.monotonic() - self.step_started
        say(f"    done in {seconds:.0f}s{f' ({detail})' if detail else ''}")


# Lines of each failure's reasons repeated in the summary.
SUMMARY_LINES = 12


class Reporter:
    """Collects named checks and prints them as cargo test does."""

    def __init__(self):
        self.results = []
        self.failures = []  # (name, problems)

    def report(self, name, problems):
        """`problems`: None or an empty list for a pass; a string or a list of strings for a failure."""
        if isinstance(problems, str):
            problems = [problems]
        ok = not problems
        self.results.append(ok)
        if not ok:
            self.failures.append((name, problems))
        say(f"test {name} ... {'ok' if ok else 'FAILED'}")
        for problem in problems or []:
            say("    " + problem.replace("\n", "\n    "))
        return ok

    def finish(self):
        """Prints the summary; returns the exit status (1 if anything failed)."""
        failed = self.results.count(False)
        if self.failures:
            say("\nfailures:")
            for name, problems in self.failures:
                say(f"    {name}")
                lines = "\n".join(problems).splitlines()
                for line in lines[:SUMMARY_LINES]:
                    say(f"        {line}")
                if len(lines) > SUMMARY_LINES:
                    say(f"        ... ({len(lines) - SUMMARY_LINES} more lines above)")
        say(f"\n{len(self.results) - failed} passed, {failed} failed")
        return 1 if failed else 0

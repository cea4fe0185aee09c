"""scripts/setup stops at once, with a message that says what to do, when Rust cannot run."""

import os
import subprocess
import tempfile
import unittest
from pathlib import Path

SETUP = Path(__file__).resolve().parents[2] / "scripts" / "setup"


class BrokenToolchain(unittest.TestCase):
    def run_setup_with(self, cargo_script):
        with tempfile.TemporaryDirectory() as bin_dir:
            cargo = Path(bin_dir) / "cargo"
            cargo.write_text(cargo_script)
            cargo.chmod(0o755)
            env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
            return subprocess.run(["bash", str(SETUP), "--no-warm"], env=env, capture_output=True, text=True, timeout=60)

    def test_rustup_without_a_default_toolchain_stops_setup_with_the_fix(self):
        done = self.run_setup_with("#!/bin/sh\necho 'error: rustup could not choose a version of cargo to run' >&2\nexit 1\n")
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn("'cargo' is installed but does not run", done.stderr)
        self.assertIn("rustup could not choose", done.stderr)
        self.assertIn("rustup default stable", done.stderr)
        self.assertNotIn("Python venv", done.stdout)  # stopped before any later step


if __name__ == "__main__":
    unittest.main()

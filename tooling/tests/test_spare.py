"""When JupyterLab's spare kernel is handed over (llm_math_tools.spare.Pool.take) and when a
notebook gets a kernel of its own instead."""

import asyncio
import json
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from llm_math_tools import spare

SETUP = ':dep llm-math = { path = "../crates/llm-math" }\nuse llm_math::prelude::*;'


class Process:
    def __init__(self, alive=True):
        self.pid, self.alive = 4242, alive

    def poll(self):
        return None if self.alive else 0


def notebook(folder, name, first_cell):
    path = Path(folder) / name
    cells = [{"cell_type": "markdown", "source": "# A title", "metadata": {}}]
    if first_cell is not None:
        cells.append({"cell_type": "code", "source": first_cell.splitlines(keepends=True), "metadata": {},
                      "outputs": [], "execution_count": None})
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return str(path)


class Take(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = str(Path(self.tmp.name).resolve())
        self.pool = spare.Pool()
        self.pool.enabled, self.pool.setups, self.pool.log = True, [SETUP], mock.Mock()
        self.pool.refill_delay = 0
        self.started = []

        async def start(setup):  # stands in for starting a real kernel
            self.started.append(setup)
            self.pool.spares[setup] = "a new spare"

        self.pool._start = start

    def tearDown(self):
        self.tmp.cleanup()

    def offer(self, process=None, failed=None):
        offered = spare.Spare(process or Process(), "/nonexistent.json", {"key": b"k"}, self.folder, SETUP)
        offered.failed = failed
        self.pool.spares = {SETUP: offered}
        return offered

    def take(self, path, cwd=None):
        async def run():
            taken = self.pool.take(cwd or self.folder, path)
            await asyncio.sleep(0)  # lets the refill task run
            return taken

        return asyncio.run(run())

    def test_a_notebook_with_the_shared_setup_cell_gets_the_spare_and_a_new_one_is_started(self):
        offered = self.offer()
        path = notebook(self.folder, "01.ipynb", "// Load the course's crate\n" + SETUP)  # comments aside
        self.assertIs(self.take(path), offered)
        self.assertEqual(self.pool.spares, {SETUP: "a new spare"})  # the next one, started by refill
        self.assertEqual((self.pool.handed_over, self.started), (1, [SETUP]))

    def test_other_setup_cells_other_folders_and_unusable_spares_start_their_own_kernel(self):
        tables = SETUP.replace('"../crates/llm-math" }', '"../crates/llm-math", features = ["tables"] }')
        cases = {
            "another setup cell": (notebook(self.folder, "07.ipynb", tables), None, {}),
            "no code cell": (notebook(self.folder, "empty.ipynb", None), None, {}),
            "no such file": (str(Path(self.folder) / "missing.ipynb"), None, {}),
            "another folder": (notebook(self.folder, "01.ipynb", SETUP), str(Path(self.folder).parent), {}),
            "a spare that failed": (notebook(self.folder, "01.ipynb", SETUP), None, {"failed": "RuntimeError: x"}),
            "a spare that exited": (notebook(self.folder, "01.ipynb", SETUP), None, {"process": Process(alive=False)}),
        }
        for what, (path, cwd, spare_state) in cases.items():
            with self.subTest(what):
                offered = self.offer(**spare_state)
                self.assertIsNone(self.take(path, cwd))
                self.assertIs(self.pool.spares[SETUP], offered)
        self.assertEqual((self.pool.handed_over, self.started), (0, []))

    def test_each_setup_cell_has_its_own_spare(self):
        tables = SETUP.replace('"../crates/llm-math" }', '"../crates/llm-math", features = ["tables"] }')
        plain = self.offer()
        with_tables = spare.Spare(Process(), "/nonexistent.json", {"key": b"k"}, self.folder, tables)
        self.pool.spares[tables], self.pool.setups = with_tables, [SETUP, tables]
        self.assertIs(self.take(notebook(self.folder, "03.ipynb", tables)), with_tables)
        self.assertIs(self.take(notebook(self.folder, "01.ipynb", SETUP)), plain)

    def test_no_spare_at_all(self):
        self.assertIsNone(self.take(notebook(self.folder, "01.ipynb", SETUP)))


class SetupOfTheCourse(unittest.TestCase):
    def test_the_spare_runs_the_setup_cell_most_notebooks_share(self):
        from llm_math_tools import kernel, warm

        sources = [spare.setup_of(path) for path in kernel.notebooks()]
        shared = warm.by_use()[0]
        self.assertGreater(sources.count(shared), len(sources) / 2)
        self.assertIn(":dep llm-math", shared)


if __name__ == "__main__":
    unittest.main()

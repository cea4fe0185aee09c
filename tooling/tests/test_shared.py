"""The build caches clones share: evcxr's compiled dependencies linked between a clone and the store
(llm_math_tools.warm.share), and how many kernels the tests run side by side (kernel.workers)."""

import os
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from llm_math_tools import kernel, warm


def entry(root, key, files=("libx.rlib", "stderr")):
    folder = root / key
    folder.mkdir(parents=True)
    for name in files:
        (folder / name).write_text(f"{key}/{name}")
    return folder


class Share(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.store, self.clone = Path(self.tmp.name) / "store", Path(self.tmp.name) / "clone" / "evcxr"

    def tearDown(self):
        self.tmp.cleanup()

    def test_complete_entries_are_linked_and_partial_or_unfinished_ones_are_not(self):
        entry(self.store, "111")
        entry(self.store, "222.4242.partial")          # another process still filling it
        entry(self.store, "333", files=("libx.rlib",))  # no stderr: not a whole entry
        self.assertEqual(warm.share(self.store, self.clone), 1)
        self.assertEqual(sorted(p.name for p in self.clone.iterdir()), ["111"])
        linked = self.clone / "111" / "libx.rlib"
        self.assertEqual(linked.read_text(), "111/libx.rlib")
        self.assertEqual(linked.stat().st_ino, (self.store / "111" / "libx.rlib").stat().st_ino)  # a link, not a copy
        self.assertEqual([p.name for p in self.clone.parent.rglob("*partial*")], [])

    def test_an_entry_already_there_is_left_alone_and_a_missing_store_adds_nothing(self):
        entry(self.store, "111")
        own = entry(self.clone, "111", files=("libx.rlib", "stderr", "hits"))
        self.assertEqual(warm.share(self.store, self.clone), 0)
        self.assertEqual((own / "libx.rlib").read_text(), "111/libx.rlib")
        self.assertTrue((own / "hits").exists())
        self.assertEqual(warm.share(Path(self.tmp.name) / "nowhere", self.clone), 0)

    def test_back_to_the_store(self):
        entry(self.clone, "444")
        self.assertEqual(warm.share(self.clone, self.store), 1)
        self.assertEqual((self.store / "444" / "stderr").read_text(), "444/stderr")


class Workers(unittest.TestCase):
    def test_one_kernel_per_core_unless_told(self):
        with mock.patch.dict(os.environ, {"LLM_MATH_TEST_WORKERS": ""}), mock.patch("os.cpu_count", return_value=2):
            self.assertEqual(kernel.workers(), 2)
        with mock.patch.dict(os.environ, {"LLM_MATH_TEST_WORKERS": "1"}):
            self.assertEqual(kernel.workers(), 1)

    def test_in_parallel_keeps_the_order_of_the_jobs(self):
        with mock.patch.dict(os.environ, {"LLM_MATH_TEST_WORKERS": "1"}):
            self.assertEqual(list(kernel.in_parallel(pow, [(2, 3), (3, 2), (5, 1)])), [8, 9, 5])
        with mock.patch.dict(os.environ, {"LLM_MATH_TEST_WORKERS": "2"}):
            self.assertEqual(list(kernel.in_parallel(pow, [(2, 3), (3, 2), (5, 1)])), [8, 9, 5])


if __name__ == "__main__":
    unittest.main()

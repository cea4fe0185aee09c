"""The many-kernels stage's comparison of the shared cache with each kernel's build directory,
and its check that no dependency names another kernel's files."""

import tempfile
import unittest
from pathlib import Path

from llm_math_tools.concurrent import _differing_builds, _foreign_dep_info


def layout(root, slot_files):
    """A cache entry holding serde's rlib and rmeta, and kernel build directories holding `slot_files`."""
    entry = root / "evcxr" / "1234"
    entry.mkdir(parents=True)
    (entry / "libserde-abc.rlib").write_bytes(b"serde as built in slot 0")
    (entry / "libserde-abc.rmeta").write_bytes(b"meta 0")
    (entry / "libserde-abc.d").write_text("/cache/kernels/0/target/.../out/private.rs")
    (entry / "stderr").write_text("{}")
    partial = root / "evcxr" / "5678.99.partial"
    partial.mkdir()
    (partial / "libserde-abc.rlib").write_bytes(b"half written")
    for slot, files in slot_files.items():
        deps = root / "kernels" / str(slot) / "target" / "x86_64-unknown-linux-gnu" / "debug" / "deps"
        deps.mkdir(parents=True)
        for name, data in files.items():
            (deps / name).write_bytes(data)


class DifferingBuilds(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_the_same_bytes_everywhere_pass_and_dep_info_with_paths_is_not_compared(self):
        same = {"libserde-abc.rlib": b"serde as built in slot 0", "libserde-abc.rmeta": b"meta 0",
                "libserde-abc.d": b"/cache/kernels/1/target/.../out/private.rs", "libctx.so": b"cell"}
        layout(self.root, {0: same, 1: same})
        self.assertEqual(_differing_builds(self.root), [])

    def test_a_crate_built_differently_in_one_slot_is_named(self):
        layout(self.root, {0: {"libserde-abc.rlib": b"serde as built in slot 0"},
                           1: {"libserde-abc.rlib": b"serde as built in slot 1", "libserde-abc.rmeta": b"meta 1"}})
        problems = _differing_builds(self.root)
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("kernels/1/target/x86_64-unknown-linux-gnu/debug/deps/libserde-abc.rlib differs", problems[0])
        self.assertIn("libserde-abc.rmeta differs", problems[1])

    def test_nothing_to_compare_is_a_failure_not_a_pass(self):
        layout(self.root, {0: {"libother-1.rlib": b"x"}})
        self.assertIn("no kernel build directory holds any", _differing_builds(self.root)[0])
        empty = self.root / "empty"
        (empty / "evcxr").mkdir(parents=True)
        self.assertIn("holds no compiled dependency", _differing_builds(empty)[0])


def dep_info(root, where, text):
    path = root / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


SERDE = ("{t}/x86_64-unknown-linux-gnu/debug/deps/serde-abc.d: /registry/serde/src/lib.rs "
         "{t}/x86_64-unknown-linux-gnu/debug/build/serde-123/out/private.rs\n")


class ForeignDepInfo(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def slot(self, n):
        return f"kernels/{n}/target"

    def test_the_placeholder_in_the_cache_and_each_slot_naming_its_own_files_pass(self):
        dep_info(self.root, "evcxr/1234/serde-abc.d", SERDE.format(t="<target_dir>"))
        for n in (0, 1):
            t = str(self.root / self.slot(n))
            dep_info(self.root, f"{self.slot(n)}/x86_64-unknown-linux-gnu/debug/deps/serde-abc.d", SERDE.format(t=t))
        self.assertEqual(_foreign_dep_info(self.root), [])

    def test_a_slot_naming_another_slots_out_dir_and_a_cached_absolute_path_are_named(self):
        t0 = str(self.root / self.slot(0))
        dep_info(self.root, "evcxr/1234/serde-abc.d", SERDE.format(t=t0))
        dep_info(self.root, f"{self.slot(0)}/x86_64-unknown-linux-gnu/debug/deps/serde-abc.d", SERDE.format(t=t0))
        dep_info(self.root, f"{self.slot(1)}/x86_64-unknown-linux-gnu/debug/deps/serde-abc.d", SERDE.format(t=t0))
        problems = _foreign_dep_info(self.root)
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("the cache's evcxr/1234/serde-abc.d names a kernel build directory", problems[0])
        self.assertIn("kernels/1/target/x86_64-unknown-linux-gnu/debug/deps/serde-abc.d names files under", problems[1])

    def test_no_dep_info_anywhere_is_a_failure_not_a_pass(self):
        (self.root / "evcxr").mkdir()
        self.assertIn("neither the cache nor", _foreign_dep_info(self.root)[0])


if __name__ == "__main__":
    unittest.main()

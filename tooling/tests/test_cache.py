"""A damaged build cache is noticed and cleared (llm_math_tools.warm: record, damage, repair)."""

import fcntl
import tempfile
import unittest
from pathlib import Path

from llm_math_tools import warm


def fake_cache(root):
    """A cache laid out as the kernels leave it: evcxr entries and one kernel build directory."""
    entry = root / "evcxr" / "1234"
    entry.mkdir(parents=True)
    (entry / "libndarray-abc.rlib").write_bytes(b"!<arch>\n" + b"x" * 100)
    (entry / "stderr").write_text('{"artifact":"libndarray-abc.rlib"}\n')
    (entry / "hits").write_text("1")
    deps = root / "kernels" / "0" / "target" / "x86_64-unknown-linux-gnu" / "debug" / "deps"
    deps.mkdir(parents=True)
    (deps / "libstatrs-def.rlib").write_bytes(b"y" * 50)
    (deps / "libctx-111.so").write_bytes(b"cell")
    (deps / "libcode_3.so").write_bytes(b"the third cell run")
    (deps / "libllm_math-222.rlib").write_bytes(b"crate")
    (root / "kernels" / "0" / ".lock").write_text("")
    (root / "warm.sha256").write_text("stamp")
    return entry, deps


class Cache(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        self.entry, self.deps = fake_cache(self.root)

    def tearDown(self):
        self.tmp.cleanup()

    def test_an_intact_cache_has_no_damage_and_files_rebuilt_in_use_are_not_listed(self):
        self.assertEqual(warm.record(self.root), 3)  # the two rlibs and stderr; not hits, the cells or the crate
        (self.deps / "libctx-111.so").write_bytes(b"another cell, another size")
        # The next session's third cell, and a first one it added: not damage (each used to
        # make set-up clear the whole cache after any session in JupyterLab).
        (self.deps / "libcode_3.so").write_bytes(b"another session's third cell")
        (self.deps / "libcode_1.so").write_bytes(b"first")
        (self.deps / "libllm_math-222.rlib").write_bytes(b"the crate, edited")
        (self.entry / "hits").write_text("12")
        self.assertEqual(warm.damage(self.root), [])
        self.assertEqual(warm.check_and_repair(self.root), ([], []))
        self.assertTrue((self.root / "warm.sha256").exists())

    def test_what_a_kernel_is_still_writing_is_not_listed(self):
        # The patched evcxr fills a cache entry in "KEY.PID.partial" and renames it into place;
        # a hit counter goes through "hits.PID.partial".
        partial = self.root / "evcxr" / "5678.4242.partial"
        partial.mkdir()
        (partial / "libserde-abc.rlib").write_bytes(b"half")
        (self.entry / "hits.4242.partial").write_text("2")
        listed = [p.name for p in warm.built_files(self.root)]
        self.assertEqual(sorted(listed), ["libndarray-abc.rlib", "libstatrs-def.rlib", "stderr"])

    def test_a_truncated_or_deleted_file_is_damage_and_repair_clears_the_cache(self):
        warm.record(self.root)
        (self.entry / "libndarray-abc.rlib").write_bytes(b"!<arch>\n")
        (self.deps / "libstatrs-def.rlib").unlink()
        problems = warm.damage(self.root)
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("libndarray-abc.rlib is 8 bytes, was 108", " ".join(problems))
        self.assertIn("libstatrs-def.rlib is missing", " ".join(problems))
        found, in_use = warm.check_and_repair(self.root)
        self.assertEqual((len(found), in_use), (2, []))
        self.assertEqual(list(self.root.iterdir()), [self.root / "kernels"])
        self.assertEqual(list((self.root / "kernels").iterdir()), [])  # the stamp went too: set-up warms again

    def test_repair_leaves_the_build_directory_of_a_running_kernel(self):
        warm.record(self.root)
        (self.entry / "libndarray-abc.rlib").unlink()
        with open(self.root / "kernels" / "0" / ".lock") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # as scripts/kernel holds it
            found, in_use = warm.check_and_repair(self.root)
        self.assertEqual(in_use, ["kernels/0"])
        self.assertFalse((self.root / "evcxr").exists())
        self.assertTrue(self.deps.exists())

    def test_a_cache_never_warmed_or_deleted_is_left_to_the_warm_up(self):
        self.assertEqual(warm.check_and_repair(self.root / "nothing-here"), ([], []))
        self.assertEqual(warm.check_and_repair(self.root), ([], []))  # no list yet: never warmed

    def test_an_unreadable_list_is_damage(self):
        (self.root / warm.MANIFEST).write_text("{not json")
        self.assertEqual(warm.damage(self.root), [f"{warm.MANIFEST} is missing or unreadable"])


if __name__ == "__main__":
    unittest.main()

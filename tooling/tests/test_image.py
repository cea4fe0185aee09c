"""The image stage's check that a user's first kernel compiled no dependency, and scripts/kernel's
links to the image's compilation cache (LLM_MATH_BASE_CACHE) that the check relies on."""

import os
import subprocess
import tempfile
import unittest
from pathlib import Path
from types import SimpleNamespace

from llm_math_tools import ROOT
from llm_math_tools.image import (build_command, compiled_crates, dependencies_compiled, linked_entries,
                                  writes_to_the_course)


def entry(folder, key, crate):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / key).mkdir()
    (folder / key / "meta").write_text(f"--crate-name\n{crate}\n--edition=2021\n")
    (folder / key / "stderr").write_text("")


class CompiledCrates(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        root = Path(self.tmp.name)
        self.image_cache = root / "image" / "evcxr"
        entry(self.image_cache, "111", "ndarray")
        entry(self.image_cache, "222", "serde")
        self.home = root / "home"
        self.user_cache = self.home / ".cache" / "llm-math-course" / "evcxr"
        self.user_cache.mkdir(parents=True)
        for key in ("111", "222"):
            (self.user_cache / key).symlink_to(self.image_cache / key)
        self.container = SimpleNamespace(home=self.home)

    def tearDown(self):
        self.tmp.cleanup()

    def test_links_to_the_image_are_not_compiled_crates(self):
        self.assertEqual(compiled_crates(self.container), [])
        self.assertEqual(linked_entries(self.container), 2)

    def test_a_dependency_compiled_in_the_home_is_named(self):
        entry(self.user_cache, "333", "hashbrown")
        self.assertEqual(compiled_crates(self.container), ["hashbrown"])
        self.assertEqual(dependencies_compiled(compiled_crates(self.container)), ["hashbrown"])

    def test_the_course_crate_and_build_script_probes_are_not_dependencies(self):
        entry(self.user_cache, "444", "llm_math")
        entry(self.user_cache, "555", "autocfg_60d31ed5872211db_0")
        entry(self.user_cache, "666", "serde_json")
        self.assertEqual(dependencies_compiled(compiled_crates(self.container)), ["serde_json"])

    def test_an_empty_home_has_nothing(self):
        empty = SimpleNamespace(home=Path(self.tmp.name) / "nobody")
        self.assertEqual((compiled_crates(empty), linked_entries(empty)), ([], 0))


class KernelLinksTheBaseCache(unittest.TestCase):
    """scripts/kernel with LLM_MATH_BASE_CACHE links each entry its own cache lacks (running `true` as the kernel)."""

    def test_links_missing_entries_and_keeps_its_own(self):
        with tempfile.TemporaryDirectory() as tmp:
            base, cache = Path(tmp) / "base", Path(tmp) / "cache"
            entry(base, "111", "ndarray")
            entry(base, "222", "serde")
            (base / "333.42.partial").mkdir()
            entry(cache / "evcxr", "222", "serde built here")
            env = {**os.environ, "LLM_MATH_CACHE_DIR": str(cache), "LLM_MATH_BASE_CACHE": str(base)}
            subprocess.run([str(ROOT / "scripts" / "kernel"), "true"], env=env, check=True)
            own = cache / "evcxr"
            self.assertTrue((own / "111").is_symlink())
            self.assertEqual((own / "111").resolve(), (base / "111").resolve())
            self.assertFalse((own / "222").is_symlink(), "an entry of its own is kept")
            self.assertFalse((own / "333.42.partial").exists(), "a half-written entry is not linked")

    def test_without_it_nothing_is_linked(self):
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp) / "cache"
            env = {k: v for k, v in os.environ.items() if k != "LLM_MATH_BASE_CACHE"}
            subprocess.run([str(ROOT / "scripts" / "kernel"), "true"], env={**env, "LLM_MATH_CACHE_DIR": str(cache)},
                           check=True)
            self.assertFalse((cache / "evcxr").exists())


class DeployRecipe(unittest.TestCase):
    """docs/deploy.md's Zero to JupyterHub config.yaml parses and agrees with the image."""

    def setUp(self):
        import re

        import yaml

        text = (ROOT / "docs" / "deploy.md").read_text()
        blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
        self.assertEqual(len(blocks), 1, "one config.yaml in docs/deploy.md")
        self.config = yaml.safe_load(blocks[0])
        self.dockerfile = (ROOT / "Dockerfile").read_text()

    def test_the_user_and_command_are_the_images(self):
        user = self.config["singleuser"]
        self.assertIn(f"ARG NB_UID={user['uid']}", self.dockerfile)
        self.assertEqual(user["cmd"], "jupyterhub-singleuser")
        self.assertIn("jupyterhub==", (ROOT / "tooling" / "requirements-hub.txt").read_text())

    def test_the_default_url_names_a_notebook_of_the_course(self):
        url = self.config["singleuser"]["defaultUrl"]
        prefix = "/lab/tree/llm-math/notebooks/"
        self.assertTrue(url.startswith(prefix), url)
        self.assertTrue((ROOT / "notebooks" / url[len(prefix):]).is_file(), url)

    def test_resources_are_set(self):
        user = self.config["singleuser"]
        self.assertLessEqual(float(user["cpu"]["guarantee"]), float(user["cpu"]["limit"]))
        self.assertTrue(user["memory"]["guarantee"] and user["memory"]["limit"])
        self.assertTrue(self.config["cull"]["enabled"])


class WritesToTheCourse(unittest.TestCase):
    def test_cargo_bookkeeping_and_the_home_are_allowed(self):
        lines = ["C /opt/cargo", "A /opt/cargo/.global-cache", "C /opt/cargo/.package-cache", "C /tmp",
                 "A /tmp/x", "C /etc/hosts"]
        self.assertEqual(writes_to_the_course(lines), [])

    def test_a_hit_counter_in_the_image_cache_is_named(self):
        lines = ["C /opt/llm-math/.cache/evcxr/123/hits", "A /opt/cargo/registry/index/x", "C /opt/cargo"]
        self.assertEqual(writes_to_the_course(lines),
                         ["/opt/llm-math/.cache/evcxr/123/hits", "/opt/cargo/registry/index/x"])


class BuildCommand(unittest.TestCase):
    def test_builds_the_dockerfile_with_the_debian_base(self):
        cmd = build_command("/ctx", tag="t", base="b")
        self.assertEqual(cmd[:2], ["podman", "build"])
        self.assertEqual(cmd[-5:], ["-t", "t", "-f", "Dockerfile", "/ctx"])
        self.assertIn("BASE=b", cmd)
        self.assertIn("runc", cmd)


if __name__ == "__main__":
    unittest.main()

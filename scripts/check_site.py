"""Check an exported site (scripts/export-html) without a browser.

  check_site.py SITE NOTEBOOK_NAME...

For every notebook: its page exists and is linked from index.html; it shows
every SVG figure and HTML table of the executed notebook saved beside it
(site/notebooks/), and no error or stderr output; and no page loads a script, stylesheet or
image from off the machine (http:, https:, protocol-relative //).
Prints one line per check and "N passed, N failed"; exits 1 on any failure.
"""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat


class Page(HTMLParser):
    """The parts of a page the checks need."""

    def __init__(self):
        super().__init__()
        self.resources, self.links, self.svg_images, self.error_outputs, self.tables = [], [], 0, 0, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "video", "audio") and a.get("src"):
            self.resources.append((tag, a["src"]))
        if tag == "link" and a.get("href"):
            self.resources.append((tag, a["href"]))
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img" and (a.get("src") or "").startswith("data:image/svg+xml"):
            self.svg_images += 1
        if tag == "table":
            self.tables += 1
        if a.get("data-mime-type") == "application/vnd.jupyter.stderr":
            self.error_outputs += 1


def off_machine(url):
    return re.match(r"^(https?:)?//", url.strip(), re.IGNORECASE) is not None


def svg_outputs(nb):
    return sum("image/svg+xml" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def html_tables(nb):
    """Outputs that are HTML tables (the crate's polars tables)."""
    return sum(
        "<table" in "".join(o.get("data", {}).get("text/html", ""))
        for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )


def check(site, names):
    results = []

    def report(name, problem):
        results.append(problem is None)
        print(f"test {name} ... {'ok' if problem is None else 'FAILED'}")
        if problem:
            print(f"    {problem}")

    index_path = site / "index.html"
    index = Page()
    if index_path.exists():
        index.feed(index_path.read_text(encoding="utf-8"))
    report("site index.html", None if index_path.exists() else f"{index_path} is missing")
    for page_path in sorted(site.glob("*.html")):
        page = Page()
        page.feed(page_path.read_text(encoding="utf-8"))
        remote = [f"<{tag}> {url[:80]}" for tag, url in page.resources if off_machine(url)]
        report(f"site offline {page_path.name}", f"loads from the network: {remote}" if remote else None)
    for name in names:
        stem = Path(name).stem
        page_path, nb_path = site / f"{stem}.html", site / "notebooks" / f"{stem}.ipynb"
        if not page_path.exists() or not nb_path.exists():
            report(f"site page {stem}", f"missing {page_path if not page_path.exists() else nb_path}")
            continue
        page = Page()
        page.feed(page_path.read_text(encoding="utf-8"))
        problems = []
        if f"{stem}.html" not in index.links:
            problems.append("not linked from index.html")
        executed = nbformat.read(nb_path, as_version=4)
        expected, tables = svg_outputs(executed), html_tables(executed)
        if page.tables < tables:
            problems.append(f"{page.tables} tables on the page, {tables} table outputs in the executed notebook")
        if expected == 0:
            problems.append("the executed notebook has no SVG figure")
        if page.svg_images != expected:
            problems.append(f"{page.svg_images} SVG images on the page, {expected} in the executed notebook")
        if page.error_outputs:
            problems.append(f"{page.error_outputs} error/stderr output(s) on the page")
        report(f"site page {stem} ({expected} figures, {tables} tables)", "; ".join(problems) or None)
    failed = results.count(False)
    print(f"{results.count(True)} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(check(Path(sys.argv[1]), sys.argv[2:]))

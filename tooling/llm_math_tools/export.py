"""The offline HTML site of the executed notebooks (scripts/export-html).

The site gets index.html, one page per notebook linked to the index and to its
neighbours (with the executed .ipynb beside it), and MathJax from the
project's node_modules, so the pages load nothing from the network. It is
written to a temporary folder next to its destination and moved into place
only when every notebook passed the rule.

The notebooks are executed in the real kernel, or taken already executed
from a folder (`executed`): the test suite passes the notebooks its kernel
runs produced, so CI does not execute them again just to export them.
"""

import html
import re
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from . import FIGURES_CSS, ROOT, TEMPLATES, kernel
from .report import say
from .rule import notebook_failures

MATHJAX = ROOT / "node_modules" / "mathjax" / "es5"
# What the pages load: the combined TeX-to-HTML component and its fonts.
MATHJAX_FILES = ["tex-chtml-full.js", "output/chtml/fonts/woff-v2"]


def title_and_summary(nb):
    """The first markdown heading, and the first sentence of the text after it."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.strip().splitlines()
        if not lines or not lines[0].startswith("# "):
            continue
        title = lines[0][2:].strip()
        text = " ".join(line.strip() for line in lines[1:] if line.strip())
        # Plain text for the index: links keep their words, emphasis and code marks go.
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
        text = re.sub(r"[*`]+", "", text)
        text = re.sub(r"(?<!\w)_([^_]+)_(?!\w)", r"\1", text)  # _emphasis_, but d_model stays
        match = re.match(r"(.+?[.!?])(\s|$)", text)
        return title, (match.group(1) if match else text)
    return None, ""


def nav(pages, i):
    """Links to the index and to the previous and next notebook."""
    def link(j, arrow_first):
        if j < 0 or j >= len(pages):
            return '<span class="placeholder">·</span>'
        name, title = pages[j]["html"], html.escape(pages[j]["title"])
        return f'<a href="{name}">← {title}</a>' if arrow_first else f'<a href="{name}">{title} →</a>'
    return (
        '<nav class="llm-math-nav">'
        f"{link(i - 1, True)}"
        f'<span><a href="index.html">All notebooks</a> · <a href="notebooks/{pages[i]["html"][:-5]}.ipynb" download>this notebook (.ipynb)</a></span>'
        f"{link(i + 1, False)}"
        "</nav>"
    )


INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>llm-math: the notebooks</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 820px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.5; }}
h1 {{ font-size: 1.8em; margin-bottom: 0.2em; }}
ol {{ padding-left: 1.4em; }}
li {{ margin: 0.9em 0; }}
li a {{ font-size: 1.15em; font-weight: 600; color: #1a5fb4; text-decoration: none; }}
li a:hover {{ text-decoration: underline; }}
li p {{ margin: 0.2em 0 0; }}
footer {{ margin-top: 2em; color: #666; font-size: 0.9em; }}
</style>
</head>
<body>
<h1>llm-math</h1>
<p>Executable Rust notebooks on the maths behind large language models, exported with their outputs.</p>
<ol>
{items}
</ol>
<footer>Executed in the evcxr Rust kernel and exported by scripts/export-html.</footer>
</body>
</html>
"""


def write_site(out, pages, notebooks):
    exporter = HTMLExporter(
        template_name="llm-math",
        extra_template_basedirs=[str(TEMPLATES)],
        mathjax_url="mathjax/tex-chtml-full.js",  # relative: the copy inside the site
    )
    for i, (page, nb) in enumerate(zip(pages, notebooks)):
        body, _ = exporter.from_notebook_node(
            nb, resources={"llm_math_nav": nav(pages, i), "llm_math_css": FIGURES_CSS.read_text(encoding="utf-8")}
        )
        (out / page["html"]).write_text(body, encoding="utf-8")
        # The executed notebook too: readers can download it, and the site check
        # compares its outputs with what the page shows.
        (out / "notebooks").mkdir(exist_ok=True)
        nbformat.write(nb, out / "notebooks" / (Path(page["html"]).stem + ".ipynb"))
    items = "\n".join(
        f'<li><a href="{p["html"]}">{html.escape(p["title"])}</a><p>{html.escape(p["summary"])}</p></li>'
        for p in pages
    )
    (out / "index.html").write_text(INDEX.format(items=items), encoding="utf-8")
    for rel in MATHJAX_FILES:
        src, dst = MATHJAX / rel, out / "mathjax" / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)


def export(out, names=(), executed=None):
    """Writes the site to `out`; returns the exit status. `executed`: a folder of executed notebooks to use."""
    out = Path(out).resolve()
    paths = kernel.notebooks(names)
    if not paths:
        say(f"export-html: no notebook matches {list(names)}")
        return 2
    if not (MATHJAX / MATHJAX_FILES[0]).exists():
        say(f"export-html: MathJax is missing at {MATHJAX}; run scripts/setup")
        return 2

    pages, notebooks, started_all = [], [], time.monotonic()
    for path in paths:
        started = time.monotonic()
        if executed:
            nb = kernel.read(Path(executed) / path.name)
        else:
            say(f"==> executing {path.name}")
            nb = kernel.execute(kernel.read(path), path.name)
        problems = notebook_failures(nb, path.name)
        if problems:
            say("\n".join(problems))
            say(f"export-html: {path.name} failed; nothing was written to {out}")
            return 1
        title, summary = title_and_summary(nb)
        pages.append({"html": path.stem + ".html", "title": title or path.stem, "summary": summary})
        notebooks.append(nb)
        if not executed:
            say(f"    {path.name}: executed in {time.monotonic() - started:.1f} s")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        write_site(tmp, pages, notebooks)
        old = out.with_name(f".{out.name}-old")
        if out.exists():
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
        tmp.chmod(0o755)  # mkdtemp makes it private; a site is for reading
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    say(f"==> wrote {len(pages)} notebook page(s) and index.html to {out} in {time.monotonic() - started_all:.0f} s")
    return 0

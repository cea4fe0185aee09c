// Checks an exported site (scripts/export-html) the way a reader meets it:
// every page opened in headless Chromium from file://, with every request
// that is not a local file refused and reported. Saves a full-page
// screenshot of each page for a person to look at.
//
// For the site: index.html exists and links every notebook's page.
// For every page: no script, stylesheet, image or frame points off the
// machine, no script error, no request tried to leave.
// For every notebook page, against the executed notebook saved beside it
// (SITE/notebooks/NAME.ipynb): as many SVG figures and at least as many HTML
// tables as its outputs hold, no error or stderr output; MathJax typeset the
// equations (no raw TeX left); every figure has a size, keeps its aspect
// ratio and fits inside its cell (no horizontal scrolling; shown narrower
// than drawn only if its SVG can scale, i.e. has a viewBox, else it is cut off).
//
//   node tests/browser/site.mjs SITE_DIR SCREENSHOT_DIR [NOTEBOOK.ipynb ...]
// Without notebook names, every notebook in the project's notebooks/ must have a page.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launch, reporter } from './chromium.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [siteArg, shotsArg, ...names] = process.argv.slice(2);
if (!siteArg || !shotsArg) {
  console.error('usage: node tests/browser/site.mjs SITE_DIR SCREENSHOT_DIR [NOTEBOOK.ipynb ...]');
  process.exit(2);
}
const [site, shots] = [siteArg, shotsArg].map((p) => path.resolve(p));
const notebooks = (names.length ? names : readdirSync(path.join(root, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort())
  .map((name) => path.basename(name, '.ipynb'));
mkdirSync(shots, { recursive: true });
const { test, finish } = reporter();

/** What the executed notebook holds: SVG figures, HTML tables, exercise solutions. */
function expected(stem) {
  const nb = JSON.parse(readFileSync(path.join(site, 'notebooks', `${stem}.ipynb`), 'utf8'));
  const code = nb.cells.filter((c) => c.cell_type === 'code');
  const outputs = code.flatMap((c) => c.outputs);
  const html = (o) => [o.data?.['text/html'] ?? ''].flat().join('');
  return {
    figures: outputs.filter((o) => o.data?.['image/svg+xml']).length,
    tables: outputs.filter((o) => html(o).includes('<table')).length,
    solutions: code.filter((c) => (c.metadata?.tags ?? []).includes('solution')).length,
  };
}

// Runs inside the page: everything the checks need, read off the live DOM.
const inspect = () => {
  const offMachine = (url) => /^(https?:)?\/\//i.test((url ?? '').trim());
  const resources = [...document.querySelectorAll('script[src], img[src], iframe[src], source[src], video[src], audio[src]')]
    .map((el) => [el.tagName.toLowerCase(), el.getAttribute('src')])
    .concat([...document.querySelectorAll('link[href]')].map((el) => ['link', el.getAttribute('href')]));
  const figures = [...document.querySelectorAll('img[src^="data:image/svg+xml"]')].map((img) => {
    const shown = img.getBoundingClientRect();
    const cell = (img.closest('.jp-OutputArea-output') ?? img.parentElement).getBoundingClientRect();
    const data = img.getAttribute('src').split(',').slice(1).join(',');
    const svg = img.getAttribute('src').includes(';base64,') ? atob(data) : decodeURIComponent(data);
    return {
      // Without a viewBox an SVG does not scale: shown narrower than drawn, its right side is cut off.
      scalable: /<svg\b[^>]*\sviewBox=/.test(svg),
      natural: [img.naturalWidth, img.naturalHeight],
      shown: [shown.width, shown.height],
      overflow: Math.max(0, shown.right - cell.right, cell.left - shown.left),
    };
  });
  return {
    offMachine: resources.filter(([, url]) => offMachine(url)).map(([tag, url]) => `<${tag}> ${url.slice(0, 80)}`),
    links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
    equations: document.querySelectorAll('mjx-container').length,
    rawTex: [...document.querySelectorAll('.jp-MarkdownOutput')].filter((el) => /\$\$|\\frac|\\sum/.test(el.innerText)).length,
    stderr: document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]').length,
    tables: [...document.querySelectorAll('.jp-OutputArea-output table')].map((t) => [t.rows.length, t.getBoundingClientRect().width]),
    scrolling: [...document.querySelectorAll('.jp-OutputArea-output')].filter((el) => el.scrollWidth > el.clientWidth + 1).length,
    // A solution's code sits closed behind <details>: none of it is visible until opened.
    solutions: [...document.querySelectorAll('details.llm-math-solution')].map((d) => ({
      open: d.open,
      // checkVisibility: a closed <details> hides its content with content-visibility, which
      // getBoundingClientRect does not see.
      codeVisible: [...d.querySelectorAll('.jp-InputArea-editor')].some((el) => el.checkVisibility()),
    })),
    figures,
  };
};

/** The problems a notebook page shows, against its executed notebook. */
function notebookProblems(found, want) {
  const problems = [];
  if (found.equations === 0) problems.push('no typeset equation (mjx-container) on the page');
  if (found.rawTex) problems.push(`${found.rawTex} markdown cell(s) still show raw TeX`);
  if (want.figures === 0) problems.push('the executed notebook has no SVG figure');
  if (found.figures.length !== want.figures) problems.push(`${found.figures.length} SVG figures on the page, ${want.figures} in the executed notebook`);
  if (found.tables.length < want.tables) problems.push(`${found.tables.length} tables on the page, ${want.tables} table outputs in the executed notebook`);
  if (found.stderr) problems.push(`${found.stderr} error/stderr output(s) on the page`);
  const empty = found.figures.filter(({ natural: [w, h], shown: [sw] }) => !(w > 0 && h > 0 && sw > 0));
  if (empty.length) problems.push(`${empty.length} figure(s) with zero size`);
  const wide = found.figures.filter((f) => f.overflow > 1);
  if (wide.length) problems.push(`${wide.length} figure(s) wider than their cell (by up to ${Math.max(...wide.map((f) => f.overflow)).toFixed(0)} px)`);
  const cut = found.figures.filter((f) => !f.scalable && f.shown[0] < f.natural[0] - 1);
  if (cut.length) problems.push(`${cut.length} figure(s) shown narrower than drawn without a viewBox: their right side is cut off`);
  const squashed = found.figures.filter(({ natural: [w, h], shown: [sw, sh] }) => w > 0 && sh > 0 && Math.abs(w / h - sw / sh) > 0.02 * (w / h));
  if (squashed.length) problems.push(`${squashed.length} figure(s) shown with another aspect ratio than drawn`);
  if (found.scrolling) problems.push(`${found.scrolling} output(s) scroll sideways: wider than their cell`);
  const flat = found.tables.filter(([rows, width]) => !(rows > 1 && width > 0));
  if (flat.length) problems.push(`${flat.length} table(s) without rows or width`);
  if (found.solutions.length !== want.solutions) problems.push(`${found.solutions.length} closed solution(s) on the page, ${want.solutions} solution cell(s) in the executed notebook`);
  const shown = found.solutions.filter((d) => d.open || d.codeVisible);
  if (shown.length) problems.push(`${shown.length} solution(s) shown open: their code should wait behind <details>`);
  return problems;
}

const browser = await launch();
const blocked = [];
// Only the site's own files may load: anything else is recorded and refused.
await browser.context.route('**/*', (route) => {
  const url = route.request().url();
  if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
  blocked.push(url);
  return route.abort();
});

let indexLinks = [];
const pages = ['index.html', ...notebooks.map((stem) => `${stem}.html`)];
for (const name of pages) {
  const stem = name.replace(/\.html$/, '');
  const isNotebook = name !== 'index.html';
  await test(`site ${name}`, async () => {
    if (!existsSync(path.join(site, name))) throw new Error(`${path.join(site, name)} is missing`);
    if (isNotebook && !existsSync(path.join(site, 'notebooks', `${stem}.ipynb`))) throw new Error(`the executed notebook notebooks/${stem}.ipynb is missing beside the page`);
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const before = blocked.length;
    await page.goto(pathToFileURL(path.join(site, name)).href, { waitUntil: 'load' });
    if (isNotebook) {
      // MathJax 3 resolves MathJax.startup.promise once the first typeset is done.
      try {
        await page.waitForFunction(() => window.MathJax?.startup?.promise, null, { timeout: 30000 });
        await page.evaluate(() => window.MathJax.startup.promise);
      } catch {
        const refused = blocked.slice(before);
        throw new Error(`MathJax did not load or typeset within 30 s${refused.length ? `; refused requests: ${refused.join(', ')}` : ''}`);
      }
    }
    const found = await page.evaluate(inspect);
    await page.screenshot({ path: path.join(shots, `${stem}.png`), fullPage: true });
    await page.close();
    const problems = [];
    if (found.offMachine.length) problems.push(`points off the machine: ${found.offMachine.join(', ')}`);
    if (blocked.length > before) problems.push(`tried to load from the network: ${blocked.slice(before).join(', ')}`);
    if (errors.length) problems.push(`script errors: ${errors.join('; ')}`);
    if (isNotebook) {
      if (!indexLinks.includes(name)) problems.push('not linked from index.html');
      problems.push(...notebookProblems(found, expected(stem)));
    } else {
      indexLinks = found.links;
    }
    if (problems.length) throw new Error(problems.join('\n'));
    if (isNotebook) console.log(`    ${found.equations} equations typeset, ${found.figures.length} figures drawn (all inside their cells), ${found.tables.length} tables`);
  });
}
await browser.close();
console.log(`screenshots in ${shots}`);
process.exit(finish());

// Opens every page of an exported site (scripts/export-html) in headless
// Chromium with the network blocked, and checks what a reader would see:
// equations typeset by MathJax, figures with a real size, no request that
// tried to leave the machine. Saves a full-page screenshot of each page.
//
//   node tests/browser/site.mjs SITE_DIR SCREENSHOT_DIR
import { readdirSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch, reporter } from './chromium.mjs';

const [site, shots] = process.argv.slice(2).map((p) => path.resolve(p));
if (!site || !shots) {
  console.error('usage: node tests/browser/site.mjs SITE_DIR SCREENSHOT_DIR');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const pages = readdirSync(site).filter((f) => f.endsWith('.html')).sort();
const { test, finish } = reporter();
const browser = await launch();
const blocked = [];
// Only the site's own files may load: anything else is recorded and refused.
await browser.context.route('**/*', (route) => {
  const url = route.request().url();
  if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
  blocked.push(url);
  return route.abort();
});

for (const name of pages) {
  await test(`browser ${name}`, async () => {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const before = blocked.length;
    await page.goto(pathToFileURL(path.join(site, name)).href, { waitUntil: 'load' });
    const isNotebook = name !== 'index.html';
    if (isNotebook) {
      // MathJax 3 resolves MathJax.startup.promise once the first typeset is done.
      try {
        await page.waitForFunction(() => window.MathJax?.startup?.promise, null, { timeout: 30000 });
        await page.evaluate(() => window.MathJax.startup.promise);
      } catch (e) {
        const refused = blocked.slice(before);
        throw new Error(`MathJax did not load or typeset within 30 s${refused.length ? `; refused requests: ${refused.join(', ')}` : ''}`);
      }
    }
    const found = await page.evaluate(() => ({
      equations: document.querySelectorAll('mjx-container').length,
      unrendered: [...document.querySelectorAll('.jp-MarkdownOutput')].filter((el) => /\$\$|\\frac|\\sum/.test(el.innerText)).length,
      tables: [...document.querySelectorAll('.jp-OutputArea-output table')].map((t) => [t.rows.length, t.getBoundingClientRect().width]),
      figures: [...document.querySelectorAll('img[src^="data:image/svg+xml"]')].map((img) => [img.naturalWidth, img.naturalHeight, img.getBoundingClientRect().width]),
    }));
    await page.screenshot({ path: path.join(shots, name.replace(/\.html$/, '.png')), fullPage: true });
    await page.close();
    const problems = [];
    if (blocked.length > before) problems.push(`tried to load from the network: ${blocked.slice(before).join(', ')}`);
    if (errors.length) problems.push(`script errors: ${errors.join('; ')}`);
    if (isNotebook) {
      if (found.equations === 0) problems.push('no typeset equation (mjx-container) on the page');
      if (found.unrendered) problems.push(`${found.unrendered} markdown cell(s) still show raw TeX`);
      if (found.figures.length === 0) problems.push('no SVG figure on the page');
      const empty = found.figures.filter(([w, h, shown]) => !(w > 0 && h > 0 && shown > 0));
      if (empty.length) problems.push(`${empty.length} figure(s) with zero size`);
      const flat = found.tables.filter(([rows, width]) => !(rows > 1 && width > 0));
      if (flat.length) problems.push(`${flat.length} table(s) without rows or width`);
    }
    if (problems.length) throw new Error(problems.join('\n'));
    if (isNotebook) console.log(`    ${found.equations} equations typeset, ${found.figures.length} figures drawn, ${found.tables.length} tables`);
  });
}
await browser.close();
console.log(`screenshots in ${shots}`);
process.exit(finish());

// JupyterLab in a real browser, the way a learner uses it: start it with
// scripts/lab, open notebook 01 in headless Chromium, run all cells, check an
// output and a figure, then change a number in one cell, rerun it and the
// cells below, and check that the output and the figure below it changed.
// The notebook is opened once scripts/lab's spare kernel is ready, and must
// get it (llm_math_tools/spare.py): its setup cell already ran there, yet the
// notebook's first cell is still numbered [1] and every output is judged as usual.
//
//   node tests/browser/lab.mjs
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, reporter } from './chromium.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NOTEBOOK = '01-linear-algebra.ipynb';
// Code cells of notebook 01, by cell id: the dot product (shows 32.0), the
// first figure, and the rotation cell whose angle we edit, followed by the
// figure drawn from its result.
const DOT_ID = 'cell-06', FIRST_FIGURE_ID = 'cell-04', ROTATION_ID = 'cell-21', ROTATION_FIGURE_ID = 'cell-22';
const RUN_TIMEOUT_MS = 10 * 60_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// --- in-page helpers (run inside JupyterLab via page.evaluate) -------------

/** The open notebook's code cells: execution count, prompt, outputs. */
const codeCells = () => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets
    .map((cell, index) => ({ cell, index }))
    .filter(({ cell }) => cell.model.type === 'code')
    .map(({ cell, index }) => ({
      index,
      id: cell.model.id,
      count: cell.model.executionCount,
      busy: (cell.promptNode?.textContent ?? '').includes('*'),
      source: cell.model.sharedModel.getSource(),
      metadata: cell.model.sharedModel.getMetadata(),
      outputs: cell.model.outputs.toJSON(),
    }));
};

/** Done when the kernel is idle and no code cell is queued or running. */
async function finished(page, minimumCounts) {
  return page.evaluate((minimum) => {
    const panel = window.jupyterapp.shell.currentWidget;
    const status = panel.sessionContext.session?.kernel?.status;
    const cells = panel.content.widgets.filter((c) => c.model.type === 'code');
    const running = cells.some((c) => (c.promptNode?.textContent ?? '').includes('*'));
    const counted = cells.every((c, i) => c.model.executionCount !== null && c.model.executionCount > (minimum?.[i] ?? 0));
    return status === 'idle' && !running && counted;
  }, minimumCounts);
}

const text = (outputs) => outputs.map((o) => (o.data?.['text/plain'] ?? o.text ?? '')).flat().join('');
const svg = (outputs) => outputs.map((o) => o.data?.['image/svg+xml']).find(Boolean);
/** Failed cells, judged by the project's one rule (python -m llm_math_tools judge). */
function problems(cells) {
  const notebook = {
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: 'rust', display_name: 'Rust', language: 'rust' } },
    cells: cells.map((c) => ({ cell_type: 'code', id: `cell-${c.index}`, execution_count: c.count, metadata: c.metadata, source: c.source, outputs: c.outputs })),
  };
  const file = path.join(settings, 'executed-in-lab.ipynb');
  writeFileSync(file, JSON.stringify(notebook));
  const judged = spawnSync(path.join(root, '.venv/bin/python'), ['-m', 'llm_math_tools', 'judge', file], { encoding: 'utf8' });
  return judged.status === 0 ? [] : [`${judged.stdout}${judged.stderr}`.trim() || `the judge exited with ${judged.status}`];
}

// --- the test ----------------------------------------------------------------

mkdirSync(path.join(root, 'site-screens'), { recursive: true });
const { test, finish } = reporter();
const port = await freePort();
// Fresh JupyterLab settings for the test: autosave off (the edited notebook
// must never be written back into notebooks/), no news prompt, and no
// workspace state left behind in the user's ~/.jupyter.
const settings = mkdtempSync(path.join(tmpdir(), 'llm-math-lab-settings-'));
const setting = (plugin, file, value) => {
  mkdirSync(path.join(settings, plugin), { recursive: true });
  writeFileSync(path.join(settings, plugin, file), JSON.stringify(value));
};
setting('@jupyterlab/docmanager-extension', 'plugin.jupyterlab-settings', { autosave: false });
setting('@jupyterlab/apputils-extension', 'notification.jupyterlab-settings', { fetchNews: 'false' });
const notebookPath = path.join(root, 'notebooks', NOTEBOOK);
const committed = readFileSync(notebookPath, 'utf8');
const lab = spawn(path.join(root, 'scripts/lab'), ['--port', String(port), '--no-browser', '--LabApp.expose_app_in_browser=True'], {
  env: { ...process.env, JUPYTERLAB_SETTINGS_DIR: settings, JUPYTERLAB_WORKSPACES_DIR: path.join(settings, 'workspaces') },
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true, // its own process group: stopping it stops JupyterLab and its kernels
});
let log = '';
lab.stdout.on('data', (d) => (log += d));
lab.stderr.on('data', (d) => (log += d));
const stopLab = () => {
  try {
    process.kill(-lab.pid, 'SIGTERM');
  } catch {}
};
process.on('exit', stopLab);

let browser;
try {
  // scripts/lab runs set-up, then prints the address with its token.
  const [, token] = await waitFor('scripts/lab to print its address',
    () => log.match(/http:\/\/127\.0\.0\.1:\d+\/lab\?token=([0-9a-f]+)/), 15 * 60_000);
  await waitFor('JupyterLab to answer', async () => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/api/status?token=${token}`)).ok;
    } catch {
      return false;
    }
  }, 120_000);
  console.log(`    JupyterLab is up on port ${port}`);
  browser = await launch();
  const page = await browser.context.newPage();
  page.setDefaultTimeout(120_000);

  await test(`lab open ${NOTEBOOK}`, async () => {
    await waitFor('the spare kernel to be ready', () => /llm-math: spare kernel ready/.test(log), 15 * 60_000);
    await page.goto(`http://127.0.0.1:${port}/lab/tree/${NOTEBOOK}?token=${token}`);
    await page.waitForFunction((name) => window.jupyterapp?.shell?.currentWidget?.context?.path?.endsWith(name), NOTEBOOK);
    await page.evaluate(async () => {
      const panel = window.jupyterapp.shell.currentWidget;
      await panel.context.ready;
      await panel.sessionContext.ready;
    });
    const kernel = await page.evaluate(() => window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayName);
    if (!/Rust/.test(kernel)) throw new Error(`the notebook opened with kernel "${kernel}", not the project's Rust kernel`);
    await waitFor(`${NOTEBOOK} to get the spare kernel`, () => log.includes(`${NOTEBOOK} attached to the spare kernel`), 30_000);
    console.log(`    kernel: ${kernel}, the spare one (${log.match(/spare kernel ready in [^)]*\)/)[0]})`);
  });

  let before;
  // 1-based positions among the code cells, found from the ids once the notebook has run.
  let DOT_CELL, FIRST_FIGURE_CELL, ROTATION_CELL, ROTATION_FIGURE_CELL;
  await test('lab run all cells', async () => {
    const started = Date.now();
    await page.evaluate(() => window.jupyterapp.commands.execute('notebook:run-all-cells'));
    await waitFor('every cell to finish', () => finished(page, null), RUN_TIMEOUT_MS);
    before = await page.evaluate(codeCells);
    const ids = before.map((c) => c.id);
    [DOT_CELL, FIRST_FIGURE_CELL, ROTATION_CELL, ROTATION_FIGURE_CELL] = [DOT_ID, FIRST_FIGURE_ID, ROTATION_ID, ROTATION_FIGURE_ID]
      .map((id) => ids.indexOf(id) + 1);
    const lost = [DOT_ID, FIRST_FIGURE_ID, ROTATION_ID, ROTATION_FIGURE_ID].filter((id) => !ids.includes(id));
    if (lost.length) throw new Error(`cells ${lost} are no longer in ${NOTEBOOK}; update this test`);
    const errors = problems(before);
    if (errors.length) throw new Error(errors.join('\n'));
    const counts = before.map((c) => c.count);
    if (counts.some((count, i) => count !== i + 1)) throw new Error(`execution counts are ${counts.slice(0, 5)}…, not 1, 2, 3, …`);
    const dot = text(before[DOT_CELL - 1].outputs).trim();
    if (!dot.includes('32.0')) throw new Error(`the dot-product cell shows "${dot}", expected 32.0`);
    if (!svg(before[FIRST_FIGURE_CELL - 1].outputs)) throw new Error('the first figure cell has no image/svg+xml output');
    // The figure is on screen as an image with a real size.
    const shown = await page.evaluate((index) => {
      const cell = window.jupyterapp.shell.currentWidget.content.widgets[index];
      cell.node.scrollIntoView();
      const img = cell.node.querySelector('.jp-OutputArea-output img, .jp-OutputArea-output svg');
      return img ? img.getBoundingClientRect().width : 0;
    }, before[FIRST_FIGURE_CELL - 1].index);
    if (!(shown > 0)) throw new Error('the first figure is not displayed');
    // Figures scale to their cell (the project's custom.css, loaded by scripts/lab) and none runs past it.
    const fit = await page.evaluate(() => [...document.querySelectorAll('.jp-OutputArea-output img')].map((img) => {
      const cell = img.closest('.jp-OutputArea-output').getBoundingClientRect();
      return { maxWidth: getComputedStyle(img).maxWidth, overflow: img.getBoundingClientRect().right - cell.right };
    }));
    const unscaled = fit.filter((f) => f.maxWidth !== '100%').length;
    if (!fit.length || unscaled) throw new Error(`${unscaled} of ${fit.length} figures do not scale to their cell (custom.css not loaded?)`);
    if (fit.some((f) => f.overflow > 1)) throw new Error('a figure runs past its cell');
    console.log(`    ${before.length} code cells ran in ${((Date.now() - started) / 1000).toFixed(0)} s; dot product 32.0; figure ${shown.toFixed(0)} px wide; ${fit.length} figures fit their cells`);
    await page.screenshot({ path: path.join(root, 'site-screens', 'lab-run-all.png') });
  });

  await test('lab edit a number, rerun it and the cells below', async () => {
    if (!before) throw new Error('skipped: run-all failed');
    const rotation = before[ROTATION_CELL - 1];
    if (!text(rotation.outputs).includes('1.7321')) throw new Error(`unexpected rotation output before the edit: ${text(rotation.outputs)}`);
    const edited = await page.evaluate((index) => {
      const panel = window.jupyterapp.shell.currentWidget;
      const cell = panel.content.widgets[index];
      const source = cell.model.sharedModel.getSource();
      const angle = 'let degrees: f64 = 60.0;';
      if (!source.includes(angle)) return false;
      cell.model.sharedModel.setSource(source.replace(angle, 'let degrees: f64 = 90.0;')); // rotate by 90° instead of 60°
      panel.content.activeCellIndex = index;
      return true;
    }, rotation.index);
    if (!edited) throw new Error('the rotation cell no longer sets `let degrees: f64 = 60.0;`; update this test');
    await page.evaluate(() => window.jupyterapp.commands.execute('notebook:run-all-below'));
    const counts = before.map((c, i) => (i >= ROTATION_CELL - 1 ? c.count : -1));
    await waitFor('the edited cell and the cells below to finish', () => finished(page, counts), RUN_TIMEOUT_MS);
    const after = await page.evaluate(codeCells);
    const errors = problems(after);
    if (errors.length) throw new Error(errors.join('\n'));
    const rotated = text(after[ROTATION_CELL - 1].outputs);
    // Y = X·R by 90°: the first row (2, 0) becomes (0, 2); the rounding noise
    // (1.2e-16) shows as 0.0 at the array's precision.
    if (rotated.includes('1.7321') || !/^\[\[\s*0\.0+,\s+2\.0+\]/.test(rotated)) {
      throw new Error(`the rotation output did not change to a 90° turn: ${rotated}`);
    }
    if (svg(after[ROTATION_FIGURE_CELL - 1].outputs) === svg(before[ROTATION_FIGURE_CELL - 1].outputs)) {
      throw new Error('the figure below the edited cell did not change');
    }
    if (after[DOT_CELL - 1].count !== before[DOT_CELL - 1].count) throw new Error('a cell above the edited one was rerun');
    console.log(`    rotation now ${rotated.split('\n')[0].slice(0, 60)}…; the figure below changed`);
    await page.evaluate((index) => window.jupyterapp.shell.currentWidget.content.widgets[index].node.scrollIntoView(), rotation.index);
    await page.screenshot({ path: path.join(root, 'site-screens', 'lab-after-edit.png') });
  });
} catch (e) {
  await test('lab start', async () => {
    throw new Error(`${e.message}\n--- scripts/lab said ---\n${log.slice(-3000)}`);
  });
} finally {
  if (browser) await browser.close();
  stopLab();
  rmSync(settings, { recursive: true, force: true });
}
await test('lab left the notebook file untouched', async () => {
  if (readFileSync(notebookPath, 'utf8') !== committed) {
    writeFileSync(notebookPath, committed);
    throw new Error(`${NOTEBOOK} was saved during the test (restored it)`);
  }
});
process.exit(finish());

// How the browser tests start Debian's Chromium: headless, with a fresh
// profile, and with the flags that keep it from calling home (this machine
// has no network, and Chromium would otherwise retry many connections).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.LLM_MATH_CHROMIUM ?? '/usr/bin/chromium';
export const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic',
];

/** A persistent context on a new, empty --user-data-dir; close() removes it. */
export async function launch() {
  const profile = mkdtempSync(path.join(tmpdir(), 'llm-math-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Lines of each failure's message repeated in the summary (as the Python reporter does). */
const SUMMARY_LINES = 12;

/**
 * Prints "test NAME ... ok/FAILED" and keeps count, like the other test stages; at the end the
 * failures again, first lines of each, so the tail of a long log says what went wrong.
 */
export function reporter() {
  const results = [];
  const failures = [];
  return {
    async test(name, body) {
      try {
        await body();
        results.push(true);
        console.log(`test ${name} ... ok`);
      } catch (e) {
        const lines = String(e?.message ?? e).split('\n');
        results.push(false);
        failures.push({ name, lines });
        console.log(`test ${name} ... FAILED\n    ${lines.join('\n    ')}`);
      }
    },
    finish() {
      const failed = results.filter((r) => !r).length;
      if (failures.length) {
        console.log('\nfailures:');
        for (const { name, lines } of failures) {
          console.log(`    ${name}`);
          for (const line of lines.slice(0, SUMMARY_LINES)) console.log(`        ${line}`);
          if (lines.length > SUMMARY_LINES) console.log(`        ... (${lines.length - SUMMARY_LINES} more lines above)`);
        }
      }
      console.log(`${results.length - failed} passed, ${failed} failed`);
      return failed ? 1 : 0;
    },
  };
}

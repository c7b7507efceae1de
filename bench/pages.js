// What the web pages weigh and how fast they paint: each page's HTML, scripts and styles as the
// server sends them, gzipped, and the first contentful paint of each in Debian's Chromium
// (playwright-core) against a server process on loopback, the median of a few cold loads.
//
// Usage: node bench/pages.js [--loads 5]   (npm run bench:pages builds first)

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values } = parseArgs({ options: { loads: { type: 'string', default: '5' } } });
const loads = Number(values.loads);
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const directory = await mkdtemp(join(tmpdir(), 'openixn-pages-'));
const server = spawn(process.execPath, [main, 'serve', '--port', '0', '--store', `sqlite:${join(directory, 'openixn.db')}`], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve) => {
  let output = '';
  server.stdout.on('data', (chunk) => {
    output += chunk;
    const match = /"port":(\d+)/.exec(output);
    if (match) resolve(Number(match[1]));
  });
});
const base = `http://127.0.0.1:${port}`;
const browser = await chromium.launch({ executablePath: process.env.OPENIXN_CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const results = {};
for (const [name, path] of [['dashboard', '/'], ['agent', '/agent']]) {
  // The weight: the page and every script and style it loads, as bytes and gzipped.
  const page = await browser.newPage();
  const responses = [];
  page.on('response', (response) => responses.push(response));
  await page.goto(`${base}${path}`, { waitUntil: 'networkidle' });
  let bytes = 0;
  let gzipped = 0;
  for (const response of responses) {
    if (!/\.(js|css)$|\/$|\/agent$/.test(new URL(response.url()).pathname)) continue;
    const body = await response.body();
    bytes += body.length;
    gzipped += gzipSync(body, { level: 9 }).length;
  }
  await page.close();
  const paints = [];
  for (let load = 0; load < loads; load++) {
    const context = await browser.newContext();
    const fresh = await context.newPage();
    await fresh.goto(`${base}${path}`, { waitUntil: 'networkidle' });
    paints.push(await fresh.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null));
    await context.close();
  }
  paints.sort((a, b) => a - b);
  results[name] = { bytes, gzippedBytes: gzipped, firstContentfulPaintMs: Math.round(paints[Math.floor(paints.length / 2)] ?? -1), loads };
}
await browser.close();
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
await rm(directory, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ benchmark: 'pages', date: new Date().toISOString(), ...results })}\n`);

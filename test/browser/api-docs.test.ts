// The browsable REST reference at /api/docs (Swagger UI), in real Chromium: it renders every route
// under a policy as strict as the pages' own, and asks no host but the server (Swagger UI's
// default sends the document's address to a public validator).

import { afterEach, expect, test } from 'vitest';
import { openPage, useBrowser } from '../support/browser.js';
import { httpBase, startTestServer, type TestServer } from '../support/server.js';

const browser = useBrowser();
const servers: TestServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.dispose();
});

test('renders every route under a strict Content-Security-Policy and asks no other host', async () => {
  const server = await startTestServer({ queues: { backlog: { routing: 'none' } } });
  servers.push(server);
  const base = httpBase(server.url);
  const response = await fetch(`${base}/api/docs/static/index.html`);
  await response.body?.cancel();
  const policy = response.headers.get('content-security-policy') ?? '';
  expect(policy).toContain("default-src 'none'");
  expect(policy).not.toMatch(/https:|validator|unsafe|upgrade/);

  const requested: string[] = [];
  const { page, errors } = await openPage(browser(), `${base}/api/docs`);
  page.on('request', (request) => requested.push(request.url()));
  await page.getByText('/api/v1/interactions', { exact: false }).first().waitFor();
  await page.reload();
  await page.getByText('/api/v1/queues', { exact: false }).first().waitFor();
  // Give a validator badge time to ask its host, were it there.
  await page.waitForTimeout(500);
  expect(errors).toEqual([]);
  expect(requested.filter((url) => !url.startsWith(base) && !url.startsWith('data:'))).toEqual([]);
  await page.context().close();
});

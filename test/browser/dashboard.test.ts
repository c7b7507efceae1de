// The supervisor dashboard in real Chromium: its numbers agree with the server's REST counts and
// with /metrics as work comes and goes; agents, the live feed and its filter; an interaction's
// history found by id and by externalId; axe-core; and a screenshot of it working, for the docs.

/// <reference lib="dom" />

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { TestClient } from '../support/client.js';
import { openPage, seriousAccessibilityViolations, useBrowser } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

const config: ConfigInput = {
  timeouts: { deliveringTimeout: 60, handlingTimeout: 600 },
  mediaTypes: { email: { capacity: 2 }, chat: { capacity: 1 } },
  queues: { inbound: { routing: 'builtin' }, backlog: { routing: 'none' } },
  workbins: { drafts: { owner: 'agent' } },
};
const screenshots = resolve(import.meta.dirname, '../../docs/screenshots');

const browser = useBrowser();
const servers: TestServer[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.terminate();
  for (const server of servers.splice(0)) await server.dispose();
});

async function client(url: string, clientType: string, clientName: string): Promise<TestClient> {
  const opened = await TestClient.register(url, clientType, clientName);
  clients.push(opened);
  return opened;
}

/** The number in a queue's row, for the column named. */
async function cell(page: import('playwright-core').Page, queue: string, column: string): Promise<string> {
  const headers = await page.getByRole('table').first().locator('thead th').allTextContents();
  const row = page.getByRole('row', { name: new RegExp(`^${queue} `) });
  return (await row.locator('th, td').nth(headers.indexOf(column)).textContent()) ?? '';
}

async function metric(base: string, name: string, queue: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{queue="${queue}"}`));
  return Number(line?.split(' ').at(-1));
}

describe('the dashboard', () => {
  test('counts agree with the server and with /metrics as work arrives, is taken and ends', { timeout: 60_000 }, async () => {
    const server = await startTestServer(config);
    servers.push(server);
    const base = server.url.replace('ws://', 'http://').replace('/ws', '');
    const media = await client(server.url, 'MediaServer', 'gateway');
    const { page, errors } = await openPage(browser(), `${base}/`);
    await page.getByRole('heading', { name: 'Queues' }).waitFor();
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) ids.push((await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: { subject: `Case ${index}` }, externalId: `case-${index}` })).interactionId as string);
    await expect.poll(() => cell(page, 'backlog', 'Waiting'), { timeout: 10_000 }).toBe('3');
    expect(await metric(base, 'openixn_queue_waiting_interactions', 'backlog')).toBe(3);
    const agent = await client(server.url, 'AgentApplication', 'desk');
    await agent.request({ message: 'RequestAgentLogin', agentId: 'agent-7', placeId: 'place-7', media: { email: 'ready' } });
    await agent.request({ message: 'RequestPull', queue: 'backlog', interactionIds: [ids[0]] });
    await expect.poll(() => cell(page, 'backlog', 'Waiting'), { timeout: 10_000 }).toBe('2');
    await expect.poll(() => cell(page, 'backlog', 'Handling'), { timeout: 10_000 }).toBe('1');
    expect(await metric(base, 'openixn_queue_waiting_interactions', 'backlog')).toBe(2);
    // The agent, its state and its work.
    const agentRow = page.getByRole('row', { name: /^agent-7 / });
    await expect.poll(async () => agentRow.textContent(), { timeout: 10_000 }).toContain(ids[0]);
    expect(await agentRow.textContent()).toContain('email ready 1/2');
    // Answered at once from the queue: 100 % within 20 s. A stop while waiting is an abandonment.
    await media.request({ message: 'RequestStopProcessing', interactionId: ids[1] });
    await expect.poll(() => cell(page, 'backlog', 'Service level'), { timeout: 10_000 }).toBe('100 %');
    await expect.poll(() => cell(page, 'backlog', 'Abandoned'), { timeout: 10_000 }).toBe('50 %');
    // The feed, filtered.
    await page.getByRole('combobox', { name: 'Event', exact: true }).selectOption('EventPartyAdded');
    await expect.poll(() => page.getByRole('list', { name: 'Recent events' }).getByRole('listitem').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  test('finds an interaction\'s history by id and by externalId, and passes axe-core', async () => {
    const server = await startTestServer(config);
    servers.push(server);
    const base = server.url.replace('ws://', 'http://').replace('/ws', '');
    const media = await client(server.url, 'MediaServer', 'gateway');
    const { interactionId } = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', externalId: 'mail-42' });
    await media.request({ message: 'RequestChangeProperties', interactionId, changedProperties: { priorityCustomer: true } });
    await media.request({ message: 'RequestStopProcessing', interactionId, reason: 'Spam' });
    const { page, errors } = await openPage(browser(), `${base}/`);
    await page.getByLabel('Interaction id').fill(interactionId as string);
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    const table = page.getByRole('table', { name: `Interaction ${interactionId as string} (stopped)` });
    await table.waitFor();
    expect(await table.locator('tbody tr td:nth-child(3)').allTextContents()).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue', 'EventPropertiesChanged', 'EventProcessingStopped']);
    await page.getByLabel('Media server').fill('gateway');
    await page.getByLabel('externalId', { exact: true }).fill('mail-42');
    await page.getByRole('button', { name: 'Find by externalId' }).click();
    await table.waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  test('a screenshot of the dashboard at work, for the docs', async () => {
    const server = await startTestServer(config);
    servers.push(server);
    const base = server.url.replace('ws://', 'http://').replace('/ws', '');
    const media = await client(server.url, 'MediaServer', 'gateway');
    const { page } = await openPage(browser(), `${base}/`);
    for (const [agentId, mediaState] of [['agent-7', 'ready'], ['agent-8', 'ready'], ['agent-9', 'notReady']] as const) {
      const desk = await client(server.url, 'AgentApplication', `desk-${agentId}`);
      await desk.request({ message: 'RequestAgentLogin', agentId, placeId: `place-${agentId}`, media: { email: mediaState, chat: 'ready' } });
      desk.socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as { message: string; ticketId?: number; interaction?: { interactionId: string } };
        if (message.message === 'EventInvite') desk.send({ message: 'RequestAccept', ticketId: message.ticketId, interactionId: message.interaction!.interactionId });
      });
    }
    for (let index = 0; index < 12; index++) {
      await media.request({ message: 'RequestSubmit', queue: index % 3 === 0 ? 'backlog' : 'inbound', mediaType: index % 2 === 0 ? 'email' : 'chat', userData: { subject: `Case ${index}` } });
      await new Promise((done) => setTimeout(done, 150));
    }
    await expect.poll(() => cell(page, 'backlog', 'Waiting'), { timeout: 10_000 }).toBe('4');
    await new Promise((done) => setTimeout(done, 2500));
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: resolve(screenshots, 'dashboard.png'), fullPage: true });
  });
});

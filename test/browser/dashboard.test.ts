// The supervisor dashboard in real Chromium: its numbers agree with the server's REST counts and
// with /metrics as work comes and goes; agents, the live feed and its filter; an interaction's
// history found by id and by externalId; a supervisor's actions (SPEC 9.3) and what the agent's
// desktop shows of them; axe-core; and a screenshot of it working, for the docs.

/// <reference lib="dom" />

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { authConfig, newApiKey } from '../support/auth.js';
import { TestClient } from '../support/client.js';
import { openPage, seriousAccessibilityViolations, useBrowser } from '../support/browser.js';
import { httpBase, startTestServer, type TestServer } from '../support/server.js';

const config: ConfigInput = {
  timeouts: { deliveringTimeout: 60, handlingTimeout: 600 },
  mediaTypes: { email: { capacity: 2 }, chat: { capacity: 1 } },
  queues: { inbound: { routing: 'builtin' }, backlog: { routing: 'none' }, escalations: { routing: 'none' } },
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

/** An agent's desktop in a page of its own (its own browser context), signed in. */
async function desktop(base: string, agentId: string): Promise<import('playwright-core').Page> {
  const { page } = await openPage(browser(), `${base}/agent`);
  await page.getByLabel('Agent id').fill(agentId);
  await page.getByLabel('Place').fill(`place-${agentId}`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  return page;
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
    const base = httpBase(server.url);
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
    const base = httpBase(server.url);
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

  test('a supervisor moves and stops waiting work, forces an agent not ready and logs one out, and the desktops show it', { timeout: 90_000 }, async () => {
    const server = await startTestServer(config);
    servers.push(server);
    const base = httpBase(server.url);
    const media = await client(server.url, 'MediaServer', 'gateway');
    const ids: string[] = [];
    for (const subject of ['Move me', 'Stop me']) ids.push((await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: { subject } })).interactionId as string);
    const first = await desktop(base, 'agent-21');
    await first.getByRole('button', { name: 'Ready for email' }).click();
    await first.getByRole('button', { name: 'Not ready for email' }).waitFor();
    const second = await desktop(base, 'agent-22');
    const { page, errors } = await openPage(browser(), `${base}/`);
    await page.getByRole('button', { name: 'Show waiting in backlog' }).click();
    const waiting = page.getByRole('table', { name: 'Waiting in backlog' });
    await waiting.getByRole('row', { name: new RegExp(`^${ids[1]} `) }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    // Move the first to another queue: the page's counts and the server agree.
    await page.getByLabel(`Queue to move ${ids[0]} to`).selectOption('escalations');
    await page.getByRole('button', { name: `Move to queue: ${ids[0]}` }).click();
    await page.getByRole('status').filter({ hasText: `Moved ${ids[0]} to queue escalations.` }).waitFor();
    await expect.poll(() => cell(page, 'escalations', 'Waiting'), { timeout: 10_000 }).toBe('1');
    expect(await cell(page, 'backlog', 'Waiting')).toBe('1');
    expect((await media.request({ message: 'RequestGetInteractionProperties', interactionId: ids[0] })).interaction).toMatchObject({ queue: 'escalations', state: 'queued' });
    expect(await metric(base, 'openixn_queue_waiting_interactions', 'escalations')).toBe(1);
    // Stop the second with a reason, from the keyboard.
    await page.getByLabel(`Reason to stop ${ids[1]}`).fill('Duplicate');
    await page.getByRole('button', { name: `Stop: ${ids[1]}` }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: `Stopped ${ids[1]} (Duplicate).` }).waitFor();
    await expect.poll(() => cell(page, 'backlog', 'Waiting'), { timeout: 10_000 }).toBe('0');
    await waiting.getByText('Nothing waiting.').waitFor();
    expect((await media.request({ message: 'RequestGetInteractionProperties', interactionId: ids[1] })).errorCode).toBe('InvalidState');
    expect(await metric(base, 'openixn_queue_waiting_interactions', 'backlog')).toBe(0);
    // Force agent-21 not ready for email: its desktop and the dashboard's row both say so.
    const row = page.getByRole('row', { name: /^agent-21 / });
    await row.waitFor();
    await page.getByLabel('Media type to force agent-21 not ready for').selectOption('email');
    await page.getByLabel('Reason for agent-21').fill('Coaching');
    await page.getByRole('button', { name: 'Force not ready: agent-21' }).click();
    await page.getByRole('status').filter({ hasText: 'agent-21 is not ready for email (Coaching).' }).waitFor();
    await first.getByText('email: not ready (Coaching)').waitFor();
    await first.getByRole('button', { name: 'Ready for email' }).waitFor();
    await expect.poll(async () => row.textContent(), { timeout: 10_000 }).toContain('email not ready (Coaching)');
    // Force agent-22 to log out: its desktop is back at the sign-in form, saying who did it.
    await page.getByRole('button', { name: 'Force logout: agent-22' }).click();
    await page.getByRole('status').filter({ hasText: 'agent-22 was logged out.' }).waitFor();
    await second.getByRole('alert').filter({ hasText: /logged you out/ }).waitFor();
    await second.getByRole('button', { name: 'Sign in' }).waitFor();
    await expect.poll(() => page.getByRole('row', { name: /^agent-22 / }).count(), { timeout: 10_000 }).toBe(0);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    expect(await seriousAccessibilityViolations(second)).toEqual([]);
    expect(errors).toEqual([]);
  });

  test('acts on an interaction found by id: refused while an invite is out, then stopped from the agent\'s hands', { timeout: 60_000 }, async () => {
    const server = await startTestServer(config);
    servers.push(server);
    const base = httpBase(server.url);
    const media = await client(server.url, 'MediaServer', 'gateway');
    const desk = await desktop(base, 'agent-23');
    await desk.getByRole('button', { name: 'Ready for email' }).click();
    await desk.getByRole('button', { name: 'Not ready for email' }).waitFor();
    const { interactionId } = await media.request({ message: 'RequestSubmit', queue: 'inbound', mediaType: 'email', userData: { subject: 'Escalate' } });
    const id = interactionId as string;
    await desk.getByRole('button', { name: 'Accept' }).waitFor();
    const { page, errors } = await openPage(browser(), `${base}/`);
    await page.getByLabel('Interaction id').fill(id);
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await page.getByRole('table', { name: `Interaction ${id} (live)` }).waitFor();
    await page.getByRole('button', { name: `Stop: ${id}` }).click();
    await page.getByRole('alert').filter({ hasText: /^Stop failed: .*\(InvalidState\)$/ }).waitFor();
    expect((await media.request({ message: 'RequestGetInteractionProperties', interactionId: id })).interaction).toMatchObject({ state: 'invited' });
    await desk.getByRole('button', { name: 'Accept' }).click();
    await desk.getByRole('article', { name: `Interaction ${id}` }).waitFor();
    await page.getByLabel(`Reason to stop ${id}`).fill('Escalated by phone');
    await page.getByRole('button', { name: `Stop: ${id}` }).click();
    await page.getByRole('status').filter({ hasText: `Stopped ${id} (Escalated by phone).` }).waitFor();
    await desk.getByText('Nothing in hand.').waitFor();
    await desk.getByRole('status').filter({ hasText: 'was taken back (Stopped)' }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  test('with auth on, a supervisor key signs in by its client name and acts; a reporting key only watches', { timeout: 60_000 }, async () => {
    const keys = { lead: newApiKey('Supervisor', 'floor-lead'), wallboard: newApiKey('ReportingEngine', 'wallboard'), gateway: newApiKey('MediaServer', 'gateway', 'all') };
    const server = await startTestServer({ ...config, auth: authConfig(Object.values(keys)) });
    servers.push(server);
    const base = httpBase(server.url);
    const media = await TestClient.register(server.url, 'MediaServer', 'gateway', { token: keys.gateway.key });
    clients.push(media);
    const { interactionId } = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: { subject: 'Spam' } });
    const id = interactionId as string;
    const signIn = async (clientName: string, key: string) => {
      const { page, errors } = await openPage(browser(), `${base}/`);
      await page.getByLabel('Client name').fill(clientName);
      await page.getByLabel('Token or API key').fill(key);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Queues' }).waitFor();
      await page.getByRole('button', { name: 'Show waiting in backlog' }).click();
      await page.getByRole('table', { name: 'Waiting in backlog' }).getByRole('row', { name: new RegExp(`^${id} `) }).waitFor();
      return { page, errors };
    };
    const watcher = await signIn('wallboard', keys.wallboard.key);
    await watcher.page.getByText('These credentials are not a supervisor\'s').waitFor();
    expect(await watcher.page.getByRole('button', { name: /^(Stop|Move to queue|Force)/ }).count()).toBe(0);
    const lead = await signIn('floor-lead', keys.lead.key);
    await lead.page.getByRole('button', { name: `Stop: ${id}` }).click();
    await lead.page.getByRole('status').filter({ hasText: `Stopped ${id}.` }).waitFor();
    expect((await media.request({ message: 'RequestGetInteractionProperties', interactionId: id })).errorCode).toBe('InvalidState');
    // The supervisor's stream is live: the stop reaches its feed.
    await lead.page.getByRole('list', { name: 'Recent events' }).getByText('EventProcessingStopped').waitFor();
    // The page's first read of /layout, without credentials, is how it learns that auth is on: a 401 by design.
    for (const { errors } of [watcher, lead]) expect(errors.filter((error) => !error.includes('status of 401 (Unauthorized)'))).toEqual([]);
  });

  test('a screenshot of the dashboard at work, for the docs', async () => {
    const server = await startTestServer(config);
    servers.push(server);
    const base = httpBase(server.url);
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

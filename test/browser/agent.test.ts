// The agent desktop in real Chromium, driven as a person would: by role and accessible name. An
// agent signs in, goes ready, accepts an invite, works and stops it; pulls from a queue (the next
// one, and one chosen from the list) and from a workbin; user data with markup shows as text; the
// desktop survives a kill -9 of the server; the page passes axe-core; the keyboard reaches it all.
// Transfers and conferences between two desktops, each in a browser context of its own.

/// <reference lib="dom" />

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import type { ConfigInput } from '../../src/config/config.js';
import { TestClient } from '../support/client.js';
import { openPage, seriousAccessibilityViolations, useBrowser } from '../support/browser.js';
import { httpBase, startTestServer, useChildServers, startChildServer, type TestServer } from '../support/server.js';

const config: ConfigInput = {
  timeouts: { deliveringTimeout: 60, handlingTimeout: 600 },
  mediaTypes: { email: { capacity: 2 }, chat: { capacity: 1 } },
  queues: { inbound: { routing: 'builtin' }, backlog: { routing: 'none' } },
  workbins: { drafts: { owner: 'agent' } },
};
export const screenshots = resolve(import.meta.dirname, '../../docs/screenshots');

const browser = useBrowser();
const servers: TestServer[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.terminate();
  for (const server of servers.splice(0)) await server.dispose();
});

async function server(): Promise<TestServer> {
  const started = await startTestServer(config);
  servers.push(started);
  return started;
}

function base(url: string): string {
  return httpBase(url);
}

async function gateway(url: string): Promise<TestClient> {
  const media = await TestClient.register(url, 'MediaServer', 'gateway');
  clients.push(media);
  return media;
}

async function signIn(page: Page, agentId: string): Promise<void> {
  await page.getByLabel('Agent id').fill(agentId);
  await page.getByLabel('Place').fill(`place-${agentId}`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

describe('the agent desktop', () => {
  test('signs in, goes ready, accepts an invite with its countdown, saves a disposition and stops it', async () => {
    const started = await server();
    const media = await gateway(started.url);
    const { page, errors } = await openPage(browser(), `${base(started.url)}/agent`);
    await signIn(page, 'agent-7');
    await page.getByRole('button', { name: 'Ready for email' }).click();
    await page.getByRole('button', { name: 'Not ready for email' }).waitFor();
    const { interactionId } = await media.request({ message: 'RequestSubmit', queue: 'inbound', mediaType: 'email', userData: { subject: 'Where is my order?', customer: 'Ada' } });
    const invite = page.getByRole('listitem', { name: 'Invite: email, Where is my order?' });
    await invite.waitFor();
    expect(await invite.getByRole('timer').textContent()).toMatch(/^\d+ s left$/);
    // Large enough for a finger (44 px) and well apart, so that a slip does not reject it.
    const accept = (await invite.getByRole('button', { name: 'Accept' }).boundingBox())!;
    const reject = (await invite.getByRole('button', { name: 'Reject' }).boundingBox())!;
    expect(Math.min(accept.height, reject.height)).toBeGreaterThanOrEqual(44);
    expect(reject.x - (accept.x + accept.width)).toBeGreaterThanOrEqual(16);
    await invite.getByRole('button', { name: 'Accept' }).click();
    const details = page.getByRole('article', { name: `Interaction ${interactionId}` });
    await details.waitFor();
    expect(await details.getByRole('row', { name: 'customer Ada' }).count()).toBe(1);
    await details.getByLabel('Disposition').fill('Refund issued');
    await details.getByRole('button', { name: 'Save disposition' }).click();
    await expect.poll(async () => (await media.request({ message: 'RequestGetInteractionProperties', interactionId })).interaction).toMatchObject({ userData: { disposition: 'Refund issued' }, state: 'handling', assignedTo: 'agent-7' });
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: resolve(screenshots, 'agent-desktop.png'), fullPage: true });
    await details.getByRole('button', { name: 'Stop' }).click();
    await page.getByText('Nothing in hand.').waitFor();
    expect((await media.request({ message: 'RequestGetInteractionProperties', interactionId })).errorCode).toBe('InvalidState');
    expect(errors).toEqual([]);
  });

  test('pulls from a queue (the next one, and one chosen from the list) and from a workbin whose content updates live', async () => {
    const started = await server();
    const media = await gateway(started.url);
    const ids: string[] = [];
    for (const subject of ['First', 'Second', 'Third']) ids.push((await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: { subject } })).interactionId as string);
    const { page, errors } = await openPage(browser(), `${base(started.url)}/agent`);
    await signIn(page, 'agent-8');
    await page.getByLabel('From queue').selectOption('backlog');
    await page.getByRole('button', { name: 'Show waiting' }).click();
    await page.getByRole('button', { name: 'Pull Third' }).click();
    await page.getByRole('article', { name: `Interaction ${ids[2]}` }).waitFor();
    await page.getByRole('button', { name: 'Pull next' }).click();
    await page.getByRole('button', { name: 'email: First' }).waitFor();
    // File First into the drafts workbin, open the workbin, and pull it back from there.
    await page.getByRole('button', { name: 'email: First' }).click();
    const first = page.getByRole('article', { name: `Interaction ${ids[0]}` });
    await first.getByLabel('Workbin').selectOption('drafts');
    await first.getByRole('button', { name: 'Place in workbin' }).click();
    await page.getByRole('button', { name: 'Open workbin' }).click();
    await page.getByRole('button', { name: 'Pull First' }).waitFor();
    // Live: another desktop of the same agent files Third; this one's workbin shows it at once.
    const other = await TestClient.register(started.url, 'AgentApplication', 'phone');
    clients.push(other);
    await other.request({ message: 'RequestAgentLogin', agentId: 'agent-8', placeId: 'place-agent-8' });
    await other.request({ message: 'RequestPlaceInWorkbin', interactionId: ids[2], workbin: { name: 'drafts' } });
    await page.getByRole('button', { name: 'Pull Third' }).waitFor();
    await page.getByRole('button', { name: 'Pull First' }).click();
    await page.getByRole('button', { name: 'email: First' }).waitFor();
    expect((await media.request({ message: 'RequestGetInteractionProperties', interactionId: ids[0] })).interaction).toMatchObject({ state: 'handling', assignedTo: 'agent-8' });
    expect(errors).toEqual([]);
  });

  test('user data with markup shows as text, and an e-mail\'s HTML body is sanitised', async () => {
    const started = await server();
    const media = await gateway(started.url);
    const hostile = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">';
    const { interactionId } = await media.request({
      message: 'RequestSubmit', queue: 'backlog', mediaType: 'email',
      userData: {
        subject: hostile, note: '<b onmouseover="window.pwned = 3">hi</b>',
        bodyHtml: `<p>Dear team,</p>${hostile}<a href="javascript:window.pwned=4">click</a>`
          + '<a id="pull-title" href="https://example.invalid/login">Re-enter your password</a><form><button>Accept</button><input name="password"></form><style>main{display:none}</style>',
      },
    });
    const { page, errors } = await openPage(browser(), `${base(started.url)}/agent`);
    await signIn(page, 'agent-9');
    await page.getByLabel('From queue').selectOption('backlog');
    await page.getByRole('button', { name: 'Pull next' }).click();
    const details = page.getByRole('article', { name: `Interaction ${interactionId}` });
    await details.waitFor();
    // The subject is its characters, markup and all, in the heading.
    expect(await details.getByRole('heading').textContent()).toBe(hostile);
    expect(await details.getByRole('row', { name: /^note / }).textContent()).toContain('<b onmouseover=');
    const body = details.getByLabel('E-mail body');
    expect(await body.textContent()).toContain('Dear team,');
    expect(await body.locator('script, [onerror], [onmouseover], a[href^="javascript"]').count()).toBe(0);
    // The desktop's own ids stay its own (the Pull work section keeps its name), no control or style
    // sheet of the e-mail's passes for the desktop's, and a link opens in a tab of its own.
    expect(await page.locator('[id="pull-title"]').count()).toBe(1);
    expect(await page.getByRole('region', { name: 'Pull work' }).count()).toBe(1);
    expect(await body.locator('form, button, input, style').count()).toBe(0);
    expect(await body.getByRole('link', { name: 'Re-enter your password' }).evaluate((link) => [link.getAttribute('target'), link.getAttribute('rel')])).toEqual(['_blank', 'noopener noreferrer']);
    await body.getByText('click').click().catch(() => undefined);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    // What the sanitiser left (an image of the e-mail, here a missing one) may fail to load, and the
    // CSP reports what it refused: neither is the page's own failure.
    expect(errors.filter((error) => !error.includes('Content Security Policy') && !error.startsWith('Failed to load resource'))).toEqual([]);
  });

  test('passes axe-core with no serious violation, and the keyboard reaches Accept', async () => {
    const started = await server();
    const media = await gateway(started.url);
    const { page } = await openPage(browser(), `${base(started.url)}/agent`);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await signIn(page, 'agent-10');
    await page.getByRole('button', { name: 'Ready for email' }).click();
    await media.request({ message: 'RequestSubmit', queue: 'inbound', mediaType: 'email', userData: { subject: 'Keyboard' } });
    await page.getByRole('button', { name: 'Accept' }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    // From the top of the page, Tab reaches Accept, and Enter presses it.
    await page.locator('body').focus();
    for (let presses = 0; presses < 30; presses++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement?.textContent) === 'Accept') break;
    }
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Accept');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'email: Keyboard' }).waitFor();
  });
});

describe('transfer and conference between two desktops', () => {
  /** Agent `from` holds a pulled e-mail; agent `to` is signed in elsewhere, ready for email. */
  async function twoDesktops(from: string, to: string): Promise<{ first: Page; second: Page; interactionId: string; media: TestClient }> {
    const started = await server();
    const media = await gateway(started.url);
    const { interactionId } = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: { subject: 'Hand me on' } });
    const { page: first } = await openPage(browser(), `${base(started.url)}/agent`);
    await signIn(first, from);
    await first.getByLabel('From queue').selectOption('backlog');
    await first.getByRole('button', { name: 'Pull next' }).click();
    await first.getByRole('article', { name: `Interaction ${interactionId as string}` }).waitFor();
    const { page: second } = await openPage(browser(), `${base(started.url)}/agent`);
    await signIn(second, to);
    await second.getByRole('button', { name: 'Ready for email' }).click();
    await second.getByRole('button', { name: 'Not ready for email' }).waitFor();
    return { first, second, interactionId: interactionId as string, media };
  }

  test('an agent transfers an interaction; the other sees a transfer invite, accepts, and it leaves the first desktop', { timeout: 60_000 }, async () => {
    const { first, second, interactionId, media } = await twoDesktops('agent-30', 'agent-31');
    const details = first.getByRole('article', { name: `Interaction ${interactionId}` });
    // Nothing to transfer to yet: the buttons wait for a target.
    expect(await details.getByRole('button', { name: 'Transfer', exact: true }).isDisabled()).toBe(true);
    expect(await details.getByRole('button', { name: 'Conference' }).isDisabled()).toBe(true);
    await details.getByLabel('Target agent').fill('agent-31');
    await details.getByRole('button', { name: 'Transfer', exact: true }).click();
    await details.getByText('Transfer to agent-31 pending…').waitFor();
    await details.getByRole('button', { name: 'Cancel transfer' }).waitFor();
    const invite = second.getByRole('listitem', { name: 'Invite: email, Hand me on' });
    await invite.getByText('Transfer from agent-30').waitFor();
    expect(await seriousAccessibilityViolations(first)).toEqual([]);
    expect(await seriousAccessibilityViolations(second)).toEqual([]);
    // The first agent keeps it while the invite is out.
    expect((await media.request({ message: 'RequestGetInteractionProperties', interactionId })).interaction).toMatchObject({ assignedTo: 'agent-30' });
    await invite.getByRole('button', { name: 'Accept' }).click();
    await second.getByRole('article', { name: `Interaction ${interactionId}` }).waitFor();
    await first.getByText('Nothing in hand.').waitFor();
    await first.getByRole('status').filter({ hasText: `Interaction ${interactionId} was transferred.` }).waitFor();
    expect((await media.request({ message: 'RequestGetInteractionProperties', interactionId })).interaction).toMatchObject({ state: 'handling', assignedTo: 'agent-31' });
  });

  test('a cancelled transfer withdraws the invite; a rejected one shows the failure and the interaction stays', { timeout: 60_000 }, async () => {
    const { first, second, interactionId, media } = await twoDesktops('agent-32', 'agent-33');
    const details = first.getByRole('article', { name: `Interaction ${interactionId}` });
    // A transfer the server refuses at once says why where the agent can see it, not only to a screen reader.
    await details.getByLabel('Target agent').fill('nobody');
    await details.getByRole('button', { name: 'Transfer', exact: true }).click();
    const refusal = first.getByRole('status').filter({ hasText: 'Transfer: Agent "nobody" is not logged in.' });
    await refusal.waitFor();
    expect(await refusal.isVisible()).toBe(true);
    expect((await refusal.boundingBox())!.x).toBeGreaterThanOrEqual(0);
    await details.getByLabel('Target agent').fill('agent-33');
    await details.getByRole('button', { name: 'Transfer', exact: true }).click();
    const invite = second.getByRole('listitem', { name: 'Invite: email, Hand me on' });
    await invite.waitFor();
    await details.getByRole('button', { name: 'Cancel transfer' }).click();
    await second.getByText('No invite.').waitFor();
    // Again, from the keyboard: Enter in the target field submits the transfer.
    await details.getByLabel('Target agent').fill('agent-33');
    await details.getByLabel('Target agent').press('Enter');
    await invite.getByText('Transfer from agent-32').waitFor();
    await invite.getByRole('button', { name: 'Reject' }).click();
    await details.getByRole('alert').filter({ hasText: 'Transfer to agent-33 failed: Rejected' }).waitFor();
    expect(await seriousAccessibilityViolations(first)).toEqual([]);
    expect((await media.request({ message: 'RequestGetInteractionProperties', interactionId })).interaction).toMatchObject({ state: 'handling', assignedTo: 'agent-32' });
  });

  test('a conference: the other agent joins as a participant, both see the parties, and it leaves again', { timeout: 60_000 }, async () => {
    const { first, second, interactionId } = await twoDesktops('agent-34', 'agent-35');
    const details = first.getByRole('article', { name: `Interaction ${interactionId}` });
    await details.getByLabel('Target agent').fill('agent-35');
    await details.getByRole('button', { name: 'Conference' }).click();
    const invite = second.getByRole('listitem', { name: 'Invite: email, Hand me on' });
    await invite.getByText('Conference from agent-34').waitFor();
    await invite.getByRole('button', { name: 'Accept' }).click();
    const joined = second.getByRole('article', { name: `Interaction ${interactionId}` });
    await joined.getByText('Parties: agent-34 (owner), agent-35 (participant)').waitFor();
    await details.getByText('Parties: agent-34 (owner), agent-35 (participant)').waitFor();
    await joined.getByRole('button', { name: 'Leave' }).click();
    await second.getByText('Nothing in hand.').waitFor();
    await first.getByRole('status').filter({ hasText: `agent-35 left interaction ${interactionId}.` }).waitFor();
    expect(await details.getByText(/^Parties:/).count()).toBe(0);
  });
});

describe('the agent desktop through a kill -9 of the server', () => {
  const children = useChildServers();

  test('shows a banner while the server is away, and has the agent\'s work back after it returns', { timeout: 60_000 }, async () => {
    let child = await children.start(config);
    const media = await TestClient.register(child.url, 'MediaServer', 'gateway');
    const { interactionId } = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: { subject: 'Survivor' } });
    media.socket.terminate();
    const { page } = await openPage(browser(), `http://127.0.0.1:${child.port}/agent`);
    await signIn(page, 'agent-11');
    await page.getByLabel('From queue').selectOption('backlog');
    await page.getByRole('button', { name: 'Pull next' }).click();
    await page.getByRole('button', { name: 'email: Survivor' }).waitFor();
    child.process.kill('SIGKILL');
    await child.exited;
    await page.getByRole('alert').filter({ hasText: 'Connection lost' }).waitFor();
    child = await startChildServer(config, children.store(), child.port);
    await page.getByRole('alert').filter({ hasText: 'Connection lost' }).waitFor({ state: 'detached', timeout: 20_000 });
    await page.getByRole('button', { name: 'email: Survivor' }).waitFor();
    await page.getByRole('article', { name: `Interaction ${interactionId}` }).getByRole('button', { name: 'Stop' }).click();
    await page.getByText('Nothing in hand.').waitFor();
    child.process.kill('SIGKILL');
  });
});

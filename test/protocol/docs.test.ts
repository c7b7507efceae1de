// The protocol's reference, docs/protocol.md, kept in step with the code (STYLE section 5): it has
// a section for exactly the requests, client events and reporting events the schemas define, and
// tables of exactly the error codes, close codes and field bounds the server uses.

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { errorCodes } from '../../src/core/errors.js';
import { clientEvents, fieldBounds, reportingEvents, requests } from '../../src/protocol/messages.js';
import { closeCodes } from '../../src/transport/limits.js';

const text = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

interface Section {
  title: string;
  level: number;
  body: string[];
}

/** The document's headings and the lines under each, outside code fences. */
function sections(): Section[] {
  const found: Section[] = [];
  let inFence = false;
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^(#{2,3})\s+(.*)$/.exec(line);
    if (heading) found.push({ title: heading[2]!, level: heading[1]!.length, body: [] });
    else found.at(-1)?.body.push(line);
  }
  return found;
}

/** The `###` headings under one `##` section. */
function subsections(title: string): string[] {
  const all = sections();
  const start = all.findIndex((section) => section.level === 2 && section.title === title);
  expect(start, `a "## ${title}" section`).toBeGreaterThanOrEqual(0);
  const names: string[] = [];
  for (const section of all.slice(start + 1)) {
    if (section.level === 2) break;
    names.push(section.title);
  }
  return names;
}

/** The first column of the table in a `##` section, backticks removed. */
function firstColumn(title: string): string[] {
  const section = sections().find((candidate) => candidate.level === 2 && candidate.title === title);
  expect(section, `a "## ${title}" section`).toBeDefined();
  const rows = section!.body.filter((line) => /^\|/.test(line) && !/^\|[\s:|-]+\|$/.test(line)).slice(1);
  return rows.map((row) => row.split('|')[1]!.trim().replaceAll('`', ''));
}

describe('docs/protocol.md', () => {
  test('has a section for every request, and for nothing else', () => {
    expect(subsections('Requests').sort()).toEqual(Object.keys(requests).sort());
  });

  test('has a section for every event a client may be sent, and for nothing else', () => {
    expect(subsections('Events to clients').sort()).toEqual(Object.keys(clientEvents).sort());
  });

  test('has a section for every reporting event, and for nothing else', () => {
    expect(subsections('Reporting events').sort()).toEqual(Object.keys(reportingEvents).sort());
  });

  test('lists exactly the error codes the server defines', () => {
    expect(firstColumn('Error codes').sort()).toEqual(Object.keys(errorCodes).sort());
  });

  test('lists exactly the close codes the server uses', () => {
    expect(firstColumn('Close codes').map(Number).sort()).toEqual(Object.values(closeCodes).sort());
  });

  test('lists every field bound with its value', () => {
    const section = sections().find((candidate) => candidate.title === 'Bounds')!;
    const rows = section.body.filter((line) => /^\| `/.test(line)).map((line) => line.split('|').map((cell) => cell.trim()));
    expect(Object.fromEntries(rows.map((cells) => [cells[1]!.replaceAll('`', ''), Number(cells[2])]))).toEqual(fieldBounds);
  });
});

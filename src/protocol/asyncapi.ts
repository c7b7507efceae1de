// The AsyncAPI 3.0 document of the WebSocket protocol, built from the message schemas and their
// examples: one channel (/ws), every request as a message the server receives, every event as a
// message it sends. Served at /asyncapi.json and written to docs/asyncapi.json.

import { errorCodes } from '../core/errors.js';
import { clientEventExamples, reportingEventExamples, requestExamples } from './examples.js';
import { clientEvents, reportingEvents, requests } from './messages.js';

type Messages = Record<string, { name: string; title: string; summary: string; contentType: string; payload: unknown; examples: { name: string; payload: unknown }[] }>;

/** A schema as plain JSON (TypeBox keeps its own marks in symbol keys, which JSON leaves out). */
function plain(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema)) as unknown;
}

function messages(prefix: string, schemas: Record<string, unknown>, examples: Record<string, Record<string, unknown>>, summary: (name: string) => string): Messages {
  const built: Messages = {};
  for (const [name, schema] of Object.entries(schemas)) {
    built[`${prefix}${name}`] = {
      name,
      title: name,
      summary: summary(name),
      contentType: 'application/json',
      payload: plain(schema),
      examples: [{ name: 'example', payload: examples[name] }],
    };
  }
  return built;
}

/** Reporting events share some names with events to clients (EventRevoked, EventPropertiesChanged): theirs are keyed `Reporting.Name`. */
export const reportingMessagePrefix = 'Reporting.';

export function asyncApiDocument(version: string): Record<string, unknown> {
  const received = messages('', requests, requestExamples, (name) => `A client's ${name}; see docs/protocol.md.`);
  const answered = messages('', clientEvents, clientEventExamples, (name) => `${name}, to the client that asked or to the parties of an interaction.`);
  const reported = messages(reportingMessagePrefix, reportingEvents, reportingEventExamples, (name) => `${name}, to every reporting client, with a gap-free seq.`);
  const reference = (key: string) => ({ $ref: `#/channels/protocol/messages/${key.replaceAll('/', '~1')}` });
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'openixn WebSocket protocol',
      version,
      description: 'Text frames with one JSON object each. Every request carries "message" and a client-chosen integer "referenceId"; ' +
        'its answer (EventAck, EventError or a named event) carries the same referenceId. The first request is RequestRegisterClient. ' +
        `Error codes: ${Object.keys(errorCodes).join(', ')}.`,
      license: { name: 'Apache-2.0' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: { host: '127.0.0.1:7120', protocol: 'ws', description: 'The default address; wss when the server has server.tls.' },
    },
    channels: {
      protocol: {
        address: '/ws',
        description: 'The one WebSocket endpoint.',
        messages: Object.fromEntries(Object.keys({ ...received, ...answered, ...reported }).map((key) => [key, { $ref: `#/components/messages/${key}` }])),
      },
    },
    operations: {
      receiveRequests: {
        action: 'receive',
        channel: { $ref: '#/channels/protocol' },
        summary: 'The requests a client sends.',
        messages: Object.keys(received).map(reference),
      },
      sendEvents: {
        action: 'send',
        channel: { $ref: '#/channels/protocol' },
        summary: 'Answers and events to one client or to the parties of an interaction.',
        messages: Object.keys(answered).map(reference),
      },
      sendReportingEvents: {
        action: 'send',
        channel: { $ref: '#/channels/protocol' },
        summary: 'The reporting stream, after RequestStartReporting.',
        messages: Object.keys(reported).map(reference),
      },
    },
    components: { messages: { ...received, ...answered, ...reported } },
  };
}

// The REST API under /api/v1, on the server's own port and with its authentication: submit, read,
// stop and change interactions; queues with their live counts and their interactions a page at a
// time; workbins; agents with their load; and the reporting log a page at a time. A route that acts
// on an interaction is the protocol request of the same name, carried out by the core for the
// caller exactly as if it had sent it over the WebSocket, so one role table decides both; the
// read-only views have their own small table (access.ts). Every route has a TypeBox schema, from
// which the OpenAPI document is generated (documents.ts).

import { Transform, type Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import Type, { type Static, type TObject, type TProperties, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { AgentOverview, QueueOverview } from '../core/core.js';
import type { ClientGrants, ClientType, OutgoingMessage } from '../core/types.js';
import type { QueueKey } from '../core/ordered-queue.js';
import { interactionIdPattern } from '../core/interaction.js';
import type { Routing } from '../core/config.js';
import { compileCheck, parseJson, type Request } from '../protocol/codec.js';
import { FromSeq, InteractionOnWire, RequestChangeProperties, RequestStopProcessing, RequestSubmit, fieldBounds, WorkbinRef } from '../protocol/messages.js';
import type { StoredEvent } from '../store/store.js';
import { mayRead, type View } from './access.js';
import { ErrorBody, sendError, sendRateLimited, type ApiError } from './errors.js';
import { ApiRateLimiter, type ApiRates } from './rate.js';

/** The header of a standby's 503 that carries the primary's advertised URL (server.advertisedUrl). */
export const primaryHeader = 'openixn-primary';

/** Who is asking: the client a credential names, or (authentication off) a trusted caller. */
export interface ApiCaller {
  clientType: ClientType;
  clientName: string;
  grants: ClientGrants;
  /** What the rate limiter counts by: the credential's subject, or the remote address. */
  key: string;
  /** Authentication is off: every view is open, and interactions are acted on as a media server of scope all. */
  trusted: boolean;
}

/** What the API needs of the server. */
export interface ApiBackend {
  /** The caller of a request from its Authorization header, or an error (Unauthorized). */
  identify(authorization: string | undefined, address: string): Promise<ApiCaller | ApiError>;
  /** Whether a browser page on this Origin may call (as for the WebSocket). */
  originAllowed(origin: string | undefined, host: string | undefined): boolean;
  /** Carries out a protocol request for the caller and resolves with its answer (EventAck, EventError or a named event). */
  execute(caller: ApiCaller, request: Request): Promise<OutgoingMessage>;
  /**
   * A refusal to give every request while the server cannot serve (the database is away, or it is
   * a standby, which names the primary's advertised URL when known), or null.
   */
  unavailable(): (ApiError & { primaryUrl?: string | null }) | null;
  queues(): ReadonlyMap<string, { routing: Routing; pullable: boolean }>;
  /** What the pages need to draw their controls: queues, media types with their settings, workbins. */
  layout(): Static<typeof Layout>;
  queueOverview(): QueueOverview[];
  queuePage(queue: string, after: QueueKey | null, count: number): { interactions: Record<string, unknown>[]; last: QueueKey | null };
  agentOverview(): AgentOverview[];
  /** Committed reporting events from fromSeq, at most `limit`, and the last committed seq. */
  readEvents(fromSeq: number, limit: number): Promise<{ events: StoredEvent[]; lastSeq: number }>;
  /**
   * The reporting events about one interaction, from its submit (or fromSeq) on, as far as one
   * bounded scan of the log reaches; null for an id never stored.
   */
  history(interactionId: string, fromSeq: number | undefined): Promise<{ events: StoredEvent[]; nextSeq: number; complete: boolean } | null>;
  /** The interaction a media server submitted with this externalId. */
  findByExternalId(clientName: string, externalId: string): Promise<string | null>;
  now(): number;
}

export interface ApiOptions {
  maxBodyBytes: number;
  rates: Omit<ApiRates, 'largestBodyBytes'>;
}

export const apiPrefix = '/api/v1';

/** Pages of queues, workbins and the log hold at most this many entries. */
const pageSizeMax = 1000;
const pageSizeDefault = 100;

const closed = { additionalProperties: false } as const;

/** A request's schema as a body: its attributes without `message`, `referenceId` and those the path names. */
function bodyOf<Properties extends TProperties, InPath extends string = never>(schema: TObject<Properties>, description: string, inPath: readonly InPath[] = []) {
  const properties: Record<string, TSchema> = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    if (name !== 'message' && name !== 'referenceId' && !(inPath as readonly string[]).includes(name)) properties[name] = property;
  }
  return Type.Object(properties, { ...closed, description }) as unknown as TObject<Omit<Properties, 'message' | 'referenceId' | InPath>>;
}

const SubmitBody = bodyOf(RequestSubmit, 'RequestSubmit\'s attributes');
const StopBody = bodyOf(RequestStopProcessing, 'RequestStopProcessing\'s attributes but the interactionId (in the path); the body may be left out', ['interactionId']);
const PropertiesBody = bodyOf(RequestChangeProperties, 'RequestChangeProperties\'s attributes but the interactionId (in the path)', ['interactionId']);
// An id in a path is checked for its form: anything else is a mistake to point out, not an
// interaction to look for (and a control character in it is not echoed back in the answer).
const InteractionParams = Type.Object({ interactionId: Type.String({ pattern: interactionIdPattern, description: 'an interaction id: 16 characters, each 0-9 or a-z' }) }, closed);
const QueueParams = Type.Object({ queue: Type.String({ minLength: 1, maxLength: fieldBounds.maxNameLength }) }, closed);
const WorkbinParams = Type.Object({ workbin: WorkbinRef.properties.name, ownerId: WorkbinRef.properties.name }, closed);
const PageQuery = Type.Object({
  after: Type.Optional(Type.String({ maxLength: 200, description: 'the `next` of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: pageSizeMax, default: pageSizeDefault })),
}, closed);
const EventsQuery = Type.Object({
  fromSeq: Type.Integer({ ...FromSeq, description: 'the first seq wanted (inclusive)' }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: pageSizeMax, default: pageSizeDefault })),
}, closed);
const ExternalIdQuery = Type.Object({ clientName: RequestSubmit.properties.queue, externalId: RequestSubmit.properties.queue }, closed);
const HistoryQuery = Type.Object({ fromSeq: Type.Optional(Type.Integer({ ...FromSeq, description: 'where the previous answer stopped (its nextSeq)' })) }, closed);
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ ...RequestSubmit.properties.externalId, description: 'taken as the externalId: the same key from the same client submits once' })),
});

const Page = Type.Object({
  interactions: Type.Array(InteractionOnWire),
  next: Type.Union([Type.String(), Type.Null()], { description: 'pass as `after` for the next page; null at the end' }),
});
const QueueRow = Type.Object({
  queue: Type.String(),
  mode: Type.Enum(['builtin', 'external', 'none'], { description: 'how the queue is routed' }),
  pullable: Type.Boolean(),
  waiting: Type.Integer({ description: 'in the queue: queued, routing or invited' }),
  queued: Type.Integer({ description: 'waiting, offered to no router' }),
  routing: Type.Integer({ description: 'held by a router' }),
  invited: Type.Integer({ description: 'an invite is out' }),
  handling: Type.Integer({ description: 'taken from this queue and handled by an agent now' }),
  oldestWaitingSeconds: Type.Union([Type.Number(), Type.Null()], { description: 'how long the longest-waiting one has been in the queue' }),
});
const AgentRow = Type.Object({
  agentId: Type.String(),
  placeId: Type.String(),
  media: Type.Record(Type.String(), Type.Object({ ready: Type.Boolean(), reason: Type.Union([Type.String(), Type.Null()]), load: Type.Integer(), capacity: Type.Integer() })),
});

export const Layout = Type.Object({
  version: Type.String(),
  queues: Type.Array(Type.Object({ queue: Type.String(), mode: Type.Enum(['builtin', 'external', 'none']), pullable: Type.Boolean() })),
  mediaTypes: Type.Array(Type.Object({ mediaType: Type.String(), capacity: Type.Integer(), deliveringTimeoutSeconds: Type.Number(), handlingTimeoutSeconds: Type.Number() }), { description: 'the media types the config names; others have the defaults' }),
  defaults: Type.Object({ capacity: Type.Integer(), deliveringTimeoutSeconds: Type.Number(), handlingTimeoutSeconds: Type.Number() }),
  workbins: Type.Array(Type.Object({ workbin: Type.String(), owner: Type.Enum(['agent', 'place', 'agentGroup', 'placeGroup']) })),
});

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 413: ErrorBody, 429: ErrorBody, 500: ErrorBody, 503: ErrorBody };
const security = [{ bearer: [] }];

export function registerApi(http: FastifyInstance, backend: ApiBackend, options: ApiOptions): void {
  const rates = new ApiRateLimiter({ ...options.rates, largestBodyBytes: options.maxBodyBytes });
  const bodyTooLarge: ApiError = { errorCode: 'LimitExceeded', errorDescription: `The body is larger than ${options.maxBodyBytes} bytes (limits.maxMessageBytes).` };
  void http.register(async (api) => {
    // The protocol's own JSON reading (it refuses unpaired surrogates, which PostgreSQL cannot
    // store) and its own checks (bounded in cost, one sentence for the first problem).
    // JSON only: a browser page on another site may send a form or text/plain without asking first.
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: options.maxBodyBytes }, (_request, text, done) => {
      const json = parseJson(text as string);
      if (!json.ok) return done(Object.assign(new Error(`The body ${json.problem}.`), { statusCode: 400, code: 'OPENIXN_BAD_JSON' }));
      if (json.loneSurrogate) return done(Object.assign(new Error('The body holds text that is not valid Unicode: an unpaired surrogate escape such as "\\ud800".'), { statusCode: 400, code: 'OPENIXN_BAD_JSON' }));
      done(null, json.value);
    });
    api.setValidatorCompiler(({ schema, httpPart }) => {
      const check = compileCheck(schema as TSchema);
      const what = httpPart === 'body' ? 'the body' : httpPart === 'params' ? 'the path' : `the ${httpPart ?? 'request'}`;
      return (value: unknown) => {
        // A body left out is an empty one: a schema that needs nothing (a stop) takes it.
        const converted = httpPart === 'body' ? (value ?? {}) : Value.Convert(schema as TSchema, Value.Default(schema as TSchema, value));
        const refusal = check(converted, what);
        return refusal === null ? { value: converted } : { error: new Error(refusal.charAt(0).toUpperCase() + refusal.slice(1)) };
      };
    });
    api.setErrorHandler((error: Error & { statusCode?: number; code?: string; validation?: unknown }, _request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, bodyTooLarge);
      // Refused mid-body: the rest is not read (the connection closes after the answer).
      if (error.code === 'OPENIXN_RATE') return sendRateLimited(reply.header('connection', 'close'), error.message);
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(reply, { errorCode: 'InvalidRequest', errorDescription: 'Send the body as application/json.' }, 415);
      if ((error.statusCode ?? 500) < 500) return sendError(reply, { errorCode: 'InvalidRequest', errorDescription: error.message });
      reply.log.error({ err: error }, 'a REST request failed');
      return sendError(reply, { errorCode: 'Internal', errorDescription: 'The server hit an internal error; retry shortly.' });
    });

    /** Every route's first step: the Origin, the server's state, the caller's credential and rate. */
    api.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!backend.originAllowed(request.headers.origin, request.headers.host)) {
        return sendError(reply, { errorCode: 'Forbidden', errorDescription: 'Pages on this origin may not use this server (server.allowedOrigins).' });
      }
      const unavailable = backend.unavailable();
      if (unavailable !== null) {
        // A standby names the primary in a header too, so that a client can follow it without reading the text.
        if (typeof unavailable.primaryUrl === 'string') reply.header(primaryHeader, unavailable.primaryUrl);
        return sendError(reply, unavailable, 503);
      }
      const caller = await backend.identify(request.headers.authorization, request.socket.remoteAddress ?? '');
      if ('errorCode' in caller) return sendError(reply.header('www-authenticate', 'Bearer'), caller);
      // A declared body over the bound is 413 whatever the rate: charged to the byte bucket, one
      // larger than the bucket holds was answered 429 every time, a rate its sender waited out for ever.
      // It counts as a request, and its bytes are never read (the connection closes after the answer).
      const length = Number(request.headers['content-length'] ?? 0);
      const tooLarge = length > options.maxBodyBytes;
      const over = rates.take(caller, tooLarge ? 0 : length, backend.now());
      if (over !== null) return sendRateLimited(reply, over);
      if (tooLarge) return sendError(reply.header('connection', 'close'), bodyTooLarge);
      request.caller = caller;
    });

    // A chunked body has no Content-Length for onRequest to charge: its chunks are charged as they
    // arrive. Charged once whole, as many as the caller had connections were held in memory at
    // once, up to limits.maxMessageBytes each, whatever its byte rate.
    api.addHook('preParsing', async (request: FastifyRequest, _reply: FastifyReply, payload: RequestPayload) => {
      const caller = request.caller;
      if (caller === undefined || request.headers['transfer-encoding'] === undefined) return payload;
      // Charged up to the bound only: past it the body is 413 (Fastify's bodyLimit), not a rate to wait out.
      let received = 0;
      const charged = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          const bytes = Math.max(0, Math.min(chunk.length, options.maxBodyBytes - received));
          received += chunk.length;
          const over = bytes === 0 ? null : rates.takeBody(caller, bytes, backend.now());
          callback(over === null ? null : Object.assign(new Error(over), { statusCode: 429, code: 'OPENIXN_RATE' }), chunk);
        },
      });
      payload.on('error', (error) => charged.destroy(error));
      return payload.pipe(charged);
    });

    /** Runs a protocol request for the caller; an EventError becomes the error answer. */
    const execute = async (request: FastifyRequest, reply: FastifyReply, protocolRequest: Request): Promise<OutgoingMessage | null> => {
      const caller = request.caller!;
      if (caller.clientType === 'RoutingEngine') {
        // A router holds interactions over its connection; one per HTTP request would join and leave the round-robin.
        sendError(reply, { errorCode: 'Forbidden', errorDescription: 'A RoutingEngine acts on interactions over the WebSocket, where it holds them.' });
        return null;
      }
      const answer = await backend.execute(caller, protocolRequest);
      if (answer.message === 'EventError') {
        sendError(reply, { errorCode: answer.errorCode as ApiError['errorCode'], errorDescription: answer.errorDescription as string }, (answer.errorDescription as string).startsWith('The database is unavailable') ? 503 : undefined);
        return null;
      }
      return answer;
    };

    const refuseView = (request: FastifyRequest, reply: FastifyReply, view: View, queuePullable = false): boolean => {
      const caller = request.caller!;
      if (caller.trusted || mayRead(caller, view, queuePullable)) return false;
      sendError(reply, { errorCode: 'Forbidden', errorDescription: `A client of type ${caller.clientType}${caller.clientType === 'MediaServer' ? ` with media scope "${caller.grants.mediaScope}"` : ''} may not read ${viewNames[view]}.` });
      return true;
    };

    api.post('/interactions', {
      schema: {
        summary: 'Submit an interaction (RequestSubmit)', tags: ['interactions'], security,
        description: 'Media servers. Answers once the interaction is durable. An Idempotency-Key header is taken as the externalId: the same key from the same client name returns the same interaction and creates nothing, also after a restart.',
        body: SubmitBody, headers: IdempotencyHeaders,
        response: { 201: Type.Object({ interactionId: Type.String() }), ...errors },
      },
    }, async (request, reply) => {
      const body = request.body as Static<typeof SubmitBody>;
      const key = (request.headers as Static<typeof IdempotencyHeaders>)['idempotency-key'];
      if (key !== undefined && body.externalId !== undefined && key !== body.externalId) {
        return sendError(reply, { errorCode: 'InvalidRequest', errorDescription: 'The Idempotency-Key header and the body\'s externalId differ; send one of them.' });
      }
      const answer = await execute(request, reply, { message: 'RequestSubmit', referenceId: 0, ...body, ...(key !== undefined ? { externalId: key } : {}) });
      if (answer === null) return reply;
      return reply.code(201).send({ interactionId: answer.interactionId });
    });

    api.get('/interactions', {
      schema: {
        summary: 'Find an interaction by the externalId a media server gave it', tags: ['interactions'], security,
        description: 'An externalId is unique per media server client name, so both are given. Stopped interactions are found too. Readers of the reporting log may ask.',
        querystring: ExternalIdQuery, response: { 200: Type.Object({ interactionId: Type.String() }), ...errors },
      },
    }, async (request, reply) => {
      if (refuseView(request, reply, 'reportingEvents')) return reply;
      const { clientName, externalId } = request.query as Static<typeof ExternalIdQuery>;
      const interactionId = await backend.findByExternalId(clientName, externalId);
      if (interactionId === null) return sendError(reply, { errorCode: 'UnknownInteraction', errorDescription: `Media server "${clientName}" submitted nothing with externalId "${externalId}".` });
      return reply.send({ interactionId });
    });

    api.get('/interactions/:interactionId/history', {
      schema: {
        summary: 'What happened to an interaction: its events from the reporting log', tags: ['reporting'], security,
        description: 'From its submit on, as far as one scan of the log reaches (about 20,000 events or 8 MB of the log, or about a megabyte of the interaction\'s own, as a page of the log holds). `complete`: the scan reached its EventProcessingStopped, or the end of the log (an interaction still live); otherwise ask again from `nextSeq`. Readers of the reporting log may ask.',
        params: InteractionParams, querystring: HistoryQuery,
        response: { 200: Type.Object({ events: Type.Array(Type.Object({ seq: Type.Integer(), message: Type.String() }, { additionalProperties: true })), nextSeq: Type.Integer(), complete: Type.Boolean() }), ...errors },
      },
    }, async (request, reply) => {
      if (refuseView(request, reply, 'reportingEvents')) return reply;
      const { interactionId } = request.params as Static<typeof InteractionParams>;
      const { fromSeq } = request.query as Static<typeof HistoryQuery>;
      const history = await backend.history(interactionId, fromSeq);
      if (history === null) return sendError(reply, { errorCode: 'UnknownInteraction', errorDescription: `There is no interaction with id "${interactionId}".` });
      return reply.type('application/json; charset=utf-8').serializer((payload) => payload as string)
        .send(`{"events":[${history.events.map((event) => event.text).join(',')}],"nextSeq":${history.nextSeq},"complete":${history.complete}}`);
    });

    api.get('/interactions/:interactionId', {
      schema: {
        summary: 'Read an interaction (RequestGetInteractionProperties)', tags: ['interactions'], security,
        params: InteractionParams, response: { 200: Type.Object({ interaction: InteractionOnWire }), ...errors },
      },
    }, async (request, reply) => {
      const { interactionId } = request.params as Static<typeof InteractionParams>;
      const answer = await execute(request, reply, { message: 'RequestGetInteractionProperties', referenceId: 0, interactionId });
      return answer === null ? reply : reply.send({ interaction: answer.interaction });
    });

    api.post('/interactions/:interactionId/stop', {
      schema: {
        summary: 'Stop processing an interaction (RequestStopProcessing)', tags: ['interactions'], security,
        params: InteractionParams, body: StopBody, response: { 204: Type.Null(), ...errors },
      },
    }, async (request, reply) => {
      const { interactionId } = request.params as Static<typeof InteractionParams>;
      const body = (request.body ?? {}) as Static<typeof StopBody>;
      const answer = await execute(request, reply, { message: 'RequestStopProcessing', referenceId: 0, ...body, interactionId });
      return answer === null ? reply : reply.code(204).send();
    });

    api.patch('/interactions/:interactionId/properties', {
      schema: {
        summary: 'Change an interaction\'s properties (RequestChangeProperties)', tags: ['interactions'], security,
        params: InteractionParams, body: PropertiesBody, response: { 204: Type.Null(), ...errors },
      },
    }, async (request, reply) => {
      const { interactionId } = request.params as Static<typeof InteractionParams>;
      const body = request.body as Static<typeof PropertiesBody>;
      const answer = await execute(request, reply, { message: 'RequestChangeProperties', referenceId: 0, ...body, interactionId });
      return answer === null ? reply : reply.code(204).send();
    });

    api.get('/layout', {
      schema: {
        summary: 'The queues, media types and workbins the config names', tags: ['queues'], security,
        description: 'For clients that draw controls for them (the agent desktop, the dashboard). Every authenticated client may read it.',
        response: { 200: Layout, ...errors },
      },
    }, async (_request, reply) => reply.send(backend.layout()));

    api.get('/queues', {
      schema: {
        summary: 'Every queue with its live counts', tags: ['queues'], security,
        description: 'Counts every live interaction (its cost grows with them): for a dashboard, not for a loop.',
        response: { 200: Type.Object({ queues: Type.Array(QueueRow) }), ...errors },
      },
    }, async (request, reply) => {
      if (refuseView(request, reply, 'queues')) return reply;
      const now = backend.now();
      const settings = backend.queues();
      return reply.send({
        queues: backend.queueOverview().map((overview) => ({
          queue: overview.queue,
          mode: settings.get(overview.queue)?.routing ?? 'none',
          pullable: settings.get(overview.queue)?.pullable ?? true,
          waiting: overview.queued + overview.routing + overview.invited,
          queued: overview.queued,
          routing: overview.routing,
          invited: overview.invited,
          handling: overview.handling,
          oldestWaitingSeconds: overview.oldestEnteredAt === null ? null : Math.max(0, now - overview.oldestEnteredAt) / 1000,
        })),
      });
    });

    api.get('/queues/:queue/interactions', {
      schema: {
        summary: 'A page of a queue\'s waiting interactions, in queue order', tags: ['queues'], security,
        description: 'Pages hold still while interactions come and go: each page starts after the last one of the page before.',
        params: QueueParams, querystring: PageQuery, response: { 200: Page, ...errors },
      },
    }, async (request, reply) => {
      const { queue } = request.params as Static<typeof QueueParams>;
      const query = request.query as Static<typeof PageQuery>;
      const settings = backend.queues().get(queue);
      if (settings === undefined) return sendError(reply, { errorCode: 'UnknownQueue', errorDescription: `There is no queue named "${queue}".` });
      if (refuseView(request, reply, 'queueInteractions', settings.pullable)) return reply;
      const after = query.after === undefined ? null : readCursor(query.after);
      if (after === undefined) return sendError(reply, { errorCode: 'InvalidRequest', errorDescription: '"after" is not a cursor this server gave.' });
      const page = backend.queuePage(queue, after, query.limit ?? pageSizeDefault);
      return reply.send({ interactions: page.interactions, next: page.interactions.length < (query.limit ?? pageSizeDefault) || page.last === null ? null : writeCursor(page.last) });
    });

    api.get('/workbins/:workbin/:ownerId/interactions', {
      schema: {
        summary: 'A page of a workbin\'s interactions (RequestGetWorkbinContent)', tags: ['workbins'], security,
        description: 'Workbins are small: `after` is the id of the last interaction of the page before.',
        params: WorkbinParams, querystring: PageQuery, response: { 200: Page, ...errors },
      },
    }, async (request, reply) => {
      const { workbin, ownerId } = request.params as Static<typeof WorkbinParams>;
      const query = request.query as Static<typeof PageQuery>;
      const answer = await execute(request, reply, { message: 'RequestGetWorkbinContent', referenceId: 0, workbin: { name: workbin, ownerId } });
      if (answer === null) return reply;
      const all = answer.interactions as { interactionId: string }[];
      const start = query.after === undefined ? 0 : all.findIndex((interaction) => interaction.interactionId === query.after) + 1;
      const limit = query.limit ?? pageSizeDefault;
      const page = all.slice(start, start + limit);
      return reply.send({ interactions: page, next: start + limit < all.length ? page.at(-1)!.interactionId : null });
    });

    api.get('/agents', {
      schema: {
        summary: 'The logged-in agents: per media type, readiness, load and capacity', tags: ['agents'], security,
        response: { 200: Type.Object({ agents: Type.Array(AgentRow) }), ...errors },
      },
    }, async (request, reply) => {
      if (refuseView(request, reply, 'agents')) return reply;
      return reply.send({ agents: backend.agentOverview() });
    });

    api.get('/reporting/events', {
      schema: {
        summary: 'A page of the reporting log from a seq', tags: ['reporting'], security,
        description: 'Each event exactly as a reporting client receives it. Ask again from `nextSeq` for more; at the end of the log the page is empty.',
        querystring: EventsQuery,
        response: { 200: Type.Object({ events: Type.Array(Type.Object({ seq: Type.Integer(), message: Type.String() }, { additionalProperties: true })), nextSeq: Type.Integer(), lastSeq: Type.Integer() }), ...errors },
      },
    }, async (request, reply) => {
      if (refuseView(request, reply, 'reportingEvents')) return reply;
      const query = request.query as Static<typeof EventsQuery>;
      const { events, lastSeq } = await backend.readEvents(query.fromSeq, query.limit ?? pageSizeDefault);
      const nextSeq = events.length === 0 ? Math.max(query.fromSeq, 1) : events.at(-1)!.seq + 1;
      // The stored texts as they are: each event exactly as clients received it, not encoded again.
      return reply.type('application/json; charset=utf-8').serializer((payload) => payload as string)
        .send(`{"events":[${events.map((event) => event.text).join(',')}],"nextSeq":${nextSeq},"lastSeq":${lastSeq}}`);
    });

    // In the API's own error shape, not Fastify's ({message, error, statusCode}).
    api.setNotFoundHandler((request, reply) => {
      sendError(reply, { errorCode: 'InvalidRequest', errorDescription: `There is no ${request.method} ${request.url.split('?')[0]!.slice(0, 200)} in this API; GET /openapi.json lists every route.` }, 404);
    });
  }, { prefix: apiPrefix });
}

/**
 * The longest value a path parameter may have, decoded (Fastify's maxParamLength, 100 by default):
 * as long as the longest name a queue or workbin may have, so that every name can be named in a path.
 */
export const maxPathParamLength = fieldBounds.maxNameLength;

/**
 * Fastify's own refusals, made before any route is chosen (its frameworkErrors option): a path that
 * is not valid percent-encoding, or with a parameter over maxPathParamLength. Under /api/v1 they
 * are answered in the API's shape; elsewhere in plain words, without Fastify's internal codes.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? `a part of the path is longer than ${maxPathParamLength} characters, the longest an id or name may be`
    : 'the path is not valid percent-encoding';
  const path = request.url.split('?')[0]!;
  if (path === apiPrefix || path.startsWith(`${apiPrefix}/`)) {
    return sendError(reply, { errorCode: 'InvalidRequest', errorDescription: `The request cannot be read: ${problem}.` });
  }
  return reply.code(400).type('text/plain; charset=utf-8').send(`Bad request: ${problem}.\n`);
}

/**
 * A request Node's HTTP parser cannot read at all (a malformed request line or header, headers
 * over the parser's bound, a request that never ended): no path is known, so every one is
 * answered in the API's shape, never Fastify's, and the connection closes.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, problem] = error.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'Request Header Fields Too Large', 'its headers are larger than the server reads']
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'it did not arrive in time']
      : [400, 'Bad Request', 'it is not HTTP this server can read'];
  const body = JSON.stringify({ errorCode: 'InvalidRequest', errorDescription: `The request cannot be read: ${problem}.` });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

const viewNames: Record<View, string> = {
  queues: 'the queues',
  queueInteractions: 'this queue\'s interactions',
  agents: 'the agents',
  reportingEvents: 'the reporting log',
};

/** A page's cursor: the queue key of its last interaction, opaque to clients. */
function writeCursor(key: QueueKey): string {
  return Buffer.from(`${key.priority}.${key.enteredAt}.${key.entryOrder}`).toString('base64url');
}

/** The key in a cursor; undefined when it is not one this server wrote. */
function readCursor(cursor: string): QueueKey | undefined {
  const parts = Buffer.from(cursor, 'base64url').toString('latin1').split('.').map(Number);
  if (parts.length !== 3 || !parts.every(Number.isSafeInteger)) return undefined;
  return { priority: parts[0]!, enteredAt: parts[1]!, entryOrder: parts[2]! };
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: ApiCaller;
  }
}

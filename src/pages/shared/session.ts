// What both pages share about the server: the credential the person signed in with (kept for the
// tab's life in sessionStorage, never in a URL), REST calls with it, the WebSocket's address, and
// the layout (queues, media types, workbins) the controls are drawn from.

import { signal } from '@preact/signals';

const tokenKey = 'openixn.token';

/** The token or API key the person signed in with; null when the server needs none (or none yet). */
export const token = signal<string | null>(sessionStorage.getItem(tokenKey));

export function setToken(value: string | null): void {
  token.value = value;
  if (value === null) sessionStorage.removeItem(tokenKey);
  else sessionStorage.setItem(tokenKey, value);
}

/** An answer of the REST API that is not a success: the protocol's error code and its sentence. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly errorCode: string, description: string) {
    super(description);
  }
}

/** A REST call to this server with the signed-in credential; resolves with the JSON answer. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (token.value !== null) headers.authorization = `Bearer ${token.value}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`/api/v1${path}`, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  const text = await response.text();
  const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  if (!response.ok) throw new ApiError(response.status, String(body.errorCode ?? 'Internal'), String(body.errorDescription ?? response.statusText));
  return body as T;
}

/** The WebSocket of the server that served the page. */
export function webSocketUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

export interface Layout {
  version: string;
  queues: { queue: string; mode: 'builtin' | 'external' | 'none'; pullable: boolean }[];
  mediaTypes: { mediaType: string; capacity: number; deliveringTimeoutSeconds: number; handlingTimeoutSeconds: number }[];
  defaults: { capacity: number; deliveringTimeoutSeconds: number; handlingTimeoutSeconds: number };
  workbins: { workbin: string; owner: 'agent' | 'place' | 'agentGroup' | 'placeGroup' }[];
}

/** The layout, or 'credentials' when the server wants (other) credentials first. */
export async function fetchLayout(): Promise<Layout | 'credentials'> {
  try {
    return await api<Layout>('/layout');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return 'credentials';
    throw error;
  }
}

/** The delivering timeout of a media type, in seconds. */
export function deliveringTimeoutSeconds(layout: Layout, mediaType: string): number {
  return layout.mediaTypes.find((entry) => entry.mediaType === mediaType)?.deliveringTimeoutSeconds ?? layout.defaults.deliveringTimeoutSeconds;
}

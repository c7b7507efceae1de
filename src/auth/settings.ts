// Authentication settings, resolved from the config file's `auth` section: signed tokens (JWT)
// and static API keys. Key material is loaded from files when the server starts (authenticator.ts).

import { createHash } from 'node:crypto';
import type { ClientType, MediaScope } from '../core/types.js';

/** How an API key is kept and looked up: the hex SHA-256 of the key as the client sends it. */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Where each part of a client's identity is read from in a token's claims. */
export interface ClaimNames {
  clientType: string;
  agentId: string;
  clientName: string;
  mediaScope: string;
  /** The place, or places, an agent may log in at: a string or an array of strings. */
  placeId: string;
}

export interface JwtSettings {
  /** An HS256/384/512 secret given in the config, or null. */
  secret: string | null;
  /** Absolute paths; null when not configured. */
  secretFile: string | null;
  publicKeyFile: string | null;
  jwksFile: string | null;
  /** The algorithms accepted; null: HS256 with a secret, RS256 and ES256 with a public key or JWKS. */
  algorithms: readonly string[] | null;
  issuer: string | null;
  audience: string | null;
  /** Leeway for exp and nbf, in seconds, for clocks that disagree a little. */
  clockToleranceSeconds: number;
  claims: ClaimNames;
}

export interface ApiKeySettings {
  /** The SHA-256 of the key, lowercase hex: the config need not hold the key itself. */
  sha256: string;
  clientType: Exclude<ClientType, 'AgentApplication'>;
  /** The key is for this client name only. */
  clientName: string;
  /** For a MediaServer; null takes auth.mediaServerScope. */
  mediaScope: MediaScope | null;
}

export interface AuthSettings {
  jwt: JwtSettings | null;
  apiKeys: readonly ApiKeySettings[];
  /** What an authenticated media server may act on unless its key or token says otherwise. */
  mediaServerScope: MediaScope;
}

export const defaultClaimNames: ClaimNames = { clientType: 'clientType', agentId: 'agentId', clientName: 'clientName', mediaScope: 'mediaScope', placeId: 'placeId' };

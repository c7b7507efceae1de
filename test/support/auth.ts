// Credentials for the authentication tests: an HS256 secret, RS256 and ES256 key pairs written as
// a PEM public key and a JWKS file, API keys, and tokens signed with jose exactly as an identity
// provider would sign them.

import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { ConfigInput } from '../../src/config/config.js';

export const testSecret = 'a-test-secret-of-more-than-thirty-two-bytes-0123456789';
const secretKey = new TextEncoder().encode(testSecret);

export interface ApiKey {
  key: string;
  clientType: 'MediaServer' | 'RoutingEngine' | 'ReportingEngine' | 'Supervisor';
  clientName: string;
  mediaScope?: 'submitted' | 'all';
}

export function newApiKey(clientType: ApiKey['clientType'], clientName: string, mediaScope?: ApiKey['mediaScope']): ApiKey {
  return { key: randomBytes(32).toString('hex'), clientType, clientName, ...(mediaScope !== undefined ? { mediaScope } : {}) };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface SignOptions {
  /** Seconds from now; negative for a token that has expired. Default one hour. */
  expiresIn?: number;
  /** Leave out exp altogether. */
  noExpiry?: boolean;
  algorithm?: string;
  key?: CryptoKey | Uint8Array;
  kid?: string;
  issuer?: string;
  audience?: string;
  notBefore?: number;
}

/** A token signed with the test secret (HS256) unless another key is given. */
export async function signToken(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: options.algorithm ?? 'HS256', ...(options.kid !== undefined ? { kid: options.kid } : {}) }).setIssuedAt(now);
  if (options.noExpiry !== true) jwt = jwt.setExpirationTime(now + (options.expiresIn ?? 3600));
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
  if (options.notBefore !== undefined) jwt = jwt.setNotBefore(now + options.notBefore);
  return jwt.sign(options.key ?? secretKey);
}

/**
 * A desktop's token for one agent. With authentication on an agent may sit only where its token
 * (or the config) says: by default the token allows the places the tests give agent-N, `place-N`
 * and `place-agent-N`; `places: null` leaves the claim out.
 */
export function agentToken(agentId: string, options: SignOptions & { places?: string | string[] | null } = {}): Promise<string> {
  const places = options.places === undefined ? [agentId.replace(/^agent-/, 'place-'), `place-${agentId}`] : options.places;
  return signToken({ clientType: 'AgentApplication', agentId, sub: `user-${agentId}`, ...(places !== null ? { placeId: places } : {}) }, options);
}

export interface KeyPairs {
  rsa: { privateKey: CryptoKey; publicKeyFile: string };
  ec: { privateKey: CryptoKey; kid: string };
  jwksFile: string;
}

/** An RS256 pair whose public key is a PEM file, and an ES256 pair published in a JWKS file. */
export async function writeKeyPairs(directory: string): Promise<KeyPairs> {
  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  const publicKeyFile = join(directory, 'jwt-public.pem');
  writeFileSync(publicKeyFile, await exportSPKI(rsa.publicKey));
  const jwk = { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' };
  const jwksFile = join(directory, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
  return { rsa: { privateKey: rsa.privateKey, publicKeyFile }, ec: { privateKey: ec.privateKey, kid: 'ec-1' }, jwksFile };
}

/** The auth section for a test server: the test secret, and the API keys given (by hash, as a deployment would). */
export function authConfig(apiKeys: ApiKey[], extra: Partial<NonNullable<ConfigInput['auth']>> = {}): NonNullable<ConfigInput['auth']> {
  return {
    jwt: { secret: testSecret },
    apiKeys: apiKeys.map((entry) => ({ sha256: sha256(entry.key), clientType: entry.clientType, clientName: entry.clientName, ...(entry.mediaScope !== undefined ? { mediaScope: entry.mediaScope } : {}) })),
    ...extra,
  };
}

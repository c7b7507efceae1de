// Authentication of RequestRegisterClient's `token`: a static API key from the config, or a
// signed token (JWT, verified with jose against a secret, a public key or a JWKS file). It
// answers who the client is allowed to be: the client type and name the credentials are for,
// the agent an agent token binds, and a media server's scope. The core enforces the grants.

import { readFileSync } from 'node:fs';
import { createLocalJWKSet, errors, importSPKI, jwtVerify, type CryptoKey, type JSONWebKeySet, type JWSHeaderParameters, type JWTPayload, type FlattenedJWSInput } from 'jose';
import { clientTypes, type ClientGrants, type ClientType, type MediaScope } from '../core/types.js';
import { apiKeyHash, type ApiKeySettings, type AuthSettings, type JwtSettings } from './settings.js';

export type AuthOutcome =
  | { ok: true; grants: ClientGrants; /** Who the credentials name, for the log. */ subject: string }
  | { ok: false; errorCode: 'Unauthorized' | 'Forbidden'; errorDescription: string };

/** Who a credential alone says its bearer is: for HTTP requests, which name no client type or name of their own. */
export type Identity =
  | { ok: true; clientType: ClientType; clientName: string; grants: ClientGrants; subject: string }
  | { ok: false; errorCode: 'Unauthorized'; errorDescription: string };

/** The client name of a token that names none, over HTTP. */
const unnamedHttpClient = 'http';

/** RFC 7518 section 3.2: an HMAC key at least as long as the hash; shorter ones can be guessed. */
const minimumSecretBytes = 32;
const asymmetricDefaults = ['RS256', 'ES256'];
const asymmetricAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey | Uint8Array> | CryptoKey | Uint8Array;

export class Authenticator {
  private readonly apiKeys: ReadonlyMap<string, ApiKeySettings>;
  private readonly jwt: { settings: JwtSettings; algorithms: string[]; key: KeyResolver } | null;
  private readonly mediaServerScope: MediaScope;

  private constructor(settings: AuthSettings, jwt: Authenticator['jwt']) {
    this.apiKeys = new Map(settings.apiKeys.map((key) => [key.sha256, key]));
    this.jwt = jwt;
    this.mediaServerScope = settings.mediaServerScope;
  }

  /** Loads the key material the settings name; a missing or unusable key stops the start with a clear error. */
  static async create(settings: AuthSettings): Promise<Authenticator> {
    return new Authenticator(settings, settings.jwt === null ? null : await loadJwtKeys(settings.jwt));
  }

  /** What the token allows a client registering with this type and name at `nowMs` (exp, nbf); never rejects. */
  async authenticate(token: string | undefined, clientType: ClientType, clientName: string, nowMs = Date.now()): Promise<AuthOutcome> {
    if (token === undefined || token === '') {
      return unauthorized('RequestRegisterClient needs a token: authentication is on. Send an API key or a signed token (JWT) in "token".');
    }
    // An API key is looked up by its hash, so the lookup's timing says nothing about the key.
    const apiKey = this.apiKeys.get(apiKeyHash(token));
    if (apiKey !== undefined) return this.fromApiKey(apiKey, clientType, clientName);
    if (this.jwt === null) return unauthorized('The token is not an API key this server knows.');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwt.key, {
        algorithms: this.jwt.algorithms,
        requiredClaims: ['exp'],
        currentDate: new Date(nowMs),
        clockTolerance: this.jwt.settings.clockToleranceSeconds,
        ...(this.jwt.settings.issuer !== null ? { issuer: this.jwt.settings.issuer } : {}),
        ...(this.jwt.settings.audience !== null ? { audience: this.jwt.settings.audience } : {}),
      }));
    } catch (error) {
      return unauthorized(describeTokenError(error, this.apiKeys.size > 0));
    }
    return this.fromClaims(payload, this.jwt.settings, clientType, clientName);
  }

  /**
   * The client a credential is for, without a registration to compare it with (the REST API): an
   * API key's type and name, or a token's claims (a token without a clientName claim is named
   * "http"). The grants are those the same credential gets at registration.
   */
  async identify(token: string | undefined, nowMs = Date.now()): Promise<Identity> {
    if (token === undefined || token === '') return { ok: false, errorCode: 'Unauthorized', errorDescription: 'This request needs credentials: authentication is on. Send "Authorization: Bearer" with an API key or a signed token (JWT).' };
    const apiKey = this.apiKeys.get(apiKeyHash(token));
    let clientType: ClientType;
    let clientName: string;
    if (apiKey !== undefined) {
      ({ clientType, clientName } = apiKey);
    } else {
      const claims = this.jwt === null ? null : peekClaims(token);
      const claimedType = claims?.[this.jwt!.settings.claims.clientType];
      const claimedName = claims?.[this.jwt!.settings.claims.clientName];
      clientType = typeof claimedType === 'string' && (clientTypes as readonly string[]).includes(claimedType) ? (claimedType as ClientType) : 'ReportingEngine';
      clientName = typeof claimedName === 'string' && claimedName !== '' ? claimedName : unnamedHttpClient;
    }
    // The same checks as a registration with those claims: the signature, expiry and every claim.
    const outcome = await this.authenticate(token, clientType, clientName, nowMs);
    if (!outcome.ok) return { ok: false, errorCode: 'Unauthorized', errorDescription: outcome.errorDescription };
    return { ok: true, clientType, clientName, grants: outcome.grants, subject: outcome.subject };
  }

  private fromApiKey(key: ApiKeySettings, clientType: ClientType, clientName: string): AuthOutcome {
    if (key.clientType !== clientType) return forbidden(`This API key is for a ${key.clientType}; it may not register as a ${clientType}.`);
    if (key.clientName !== clientName) return forbidden(`This API key is for client "${key.clientName}"; it may not register as "${clientName}".`);
    return { ok: true, grants: { agentId: null, mediaScope: key.mediaScope ?? this.mediaServerScope, places: new Set(), inProcess: false }, subject: `api-key:${key.clientName}` };
  }

  private fromClaims(payload: JWTPayload, settings: JwtSettings, clientType: ClientType, clientName: string): AuthOutcome {
    const claims = settings.claims;
    const claimedType = payload[claims.clientType];
    if (typeof claimedType !== 'string' || !(clientTypes as readonly string[]).includes(claimedType)) {
      return unauthorized(`The token does not say which client type it is for (claim "${claims.clientType}": one of ${clientTypes.join(', ')}).`);
    }
    if (claimedType !== clientType) return forbidden(`The token is for a ${claimedType}; it may not register as a ${clientType}.`);
    const claimedName = payload[claims.clientName];
    if (claimedName !== undefined && typeof claimedName !== 'string') return unauthorized(`The token's "${claims.clientName}" claim is not a string.`);
    if (claimedName !== undefined && claimedName !== clientName) return forbidden(`The token is for client "${claimedName}"; it may not register as "${clientName}".`);
    // A media server's clientName keys its externalIds and, with scope "submitted", what it may touch.
    if (clientType === 'MediaServer' && claimedName === undefined) {
      return unauthorized(`A MediaServer token must name the client it is for (claim "${claims.clientName}").`);
    }
    const agentId = payload[claims.agentId];
    if (clientType === 'AgentApplication' && (typeof agentId !== 'string' || agentId === '')) {
      return unauthorized(`An AgentApplication token must name the one agent it is for (claim "${claims.agentId}").`);
    }
    const mediaScope = payload[claims.mediaScope];
    if (mediaScope !== undefined && mediaScope !== 'submitted' && mediaScope !== 'all') {
      return unauthorized(`The token's "${claims.mediaScope}" claim must be "submitted" or "all".`);
    }
    const places = placesOf(payload[claims.placeId]);
    if (places === null) return unauthorized(`The token's "${claims.placeId}" claim must be a place id or a list of at most ${maxPlacesPerToken} place ids.`);
    return {
      ok: true,
      grants: { agentId: clientType === 'AgentApplication' ? (agentId as string) : null, mediaScope: mediaScope ?? this.mediaServerScope, places, inProcess: false },
      subject: typeof payload.sub === 'string' ? payload.sub : clientName,
    };
  }
}

/** A token names an agent's places one by one; more than this is not a list of desks but a mistake. */
const maxPlacesPerToken = 1000;

/** The places a token's claim allows: none when it has no such claim; null when the claim is malformed. */
function placesOf(claim: unknown): ReadonlySet<string> | null {
  if (claim === undefined) return new Set();
  const list = typeof claim === 'string' ? [claim] : claim;
  if (!Array.isArray(list) || list.length > maxPlacesPerToken || !list.every((place) => typeof place === 'string' && place !== '')) return null;
  return new Set(list as string[]);
}

/**
 * A token's claims, read without verifying it: only to learn which client type and name to verify
 * it for, which authenticate() then does in full. Null when it is not a JWT at all.
 */
function peekClaims(token: string): Record<string, unknown> | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function unauthorized(errorDescription: string): AuthOutcome {
  return { ok: false, errorCode: 'Unauthorized', errorDescription };
}

function forbidden(errorDescription: string): AuthOutcome {
  return { ok: false, errorCode: 'Forbidden', errorDescription };
}

/** A sentence the client's operator can act on; it says what failed, never what the server's keys are. */
function describeTokenError(error: unknown, apiKeysToo: boolean): string {
  if (error instanceof errors.JWTExpired) return 'The token has expired; get a new one and register again.';
  if (error instanceof errors.JWTClaimValidationFailed) return `The token's "${error.claim}" claim is not accepted (${error.reason}).`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'The token is signed with an algorithm this server does not accept.';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The token\'s signature does not verify.';
  if (error instanceof errors.JWKSNoMatchingKey) return 'No key this server knows matches the token (its "kid" or "alg").';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return apiKeysToo ? 'The token is neither an API key this server knows nor a well-formed signed token (JWT).' : 'The token is not a well-formed signed token (JWT).';
  }
  return 'The token is not valid.';
}

function readKeyFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`auth.jwt.${what}: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

async function loadJwtKeys(settings: JwtSettings): Promise<NonNullable<Authenticator['jwt']>> {
  const secretText = settings.secret ?? (settings.secretFile !== null ? readKeyFile(settings.secretFile, 'secretFile').trim() : null);
  const secret = secretText === null ? null : new TextEncoder().encode(secretText);
  if (secret !== null && secret.length < minimumSecretBytes) {
    throw new Error(`auth.jwt: the HS256 secret must be at least ${minimumSecretBytes} bytes (for example \`openssl rand -base64 48\`).`);
  }
  let jwks: ((header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>) | null = null;
  if (settings.jwksFile !== null) {
    try {
      jwks = createLocalJWKSet(JSON.parse(readKeyFile(settings.jwksFile, 'jwksFile')) as JSONWebKeySet);
    } catch (error) {
      throw new Error(`auth.jwt.jwksFile: ${settings.jwksFile} is not a JSON Web Key Set: ${(error as Error).message}`, { cause: error });
    }
  }
  const wanted = settings.algorithms ?? [...(secret !== null ? ['HS256'] : []), ...(settings.publicKeyFile !== null || jwks !== null ? asymmetricDefaults : [])];
  // A PEM key is imported once per algorithm it can serve; jose never uses it for another.
  const publicKeys = new Map<string, CryptoKey>();
  if (settings.publicKeyFile !== null) {
    const pem = readKeyFile(settings.publicKeyFile, 'publicKeyFile');
    for (const algorithm of wanted.filter((name) => asymmetricAlgorithms.includes(name))) {
      try {
        publicKeys.set(algorithm, await importSPKI(pem, algorithm));
      } catch {
        // Not a key of this algorithm's kind (an EC key for RS256): that algorithm is not served by it.
      }
    }
    if (publicKeys.size === 0) {
      throw new Error(`auth.jwt.publicKeyFile: ${settings.publicKeyFile} is not an SPKI PEM public key ("-----BEGIN PUBLIC KEY-----") for any of ${wanted.join(', ')}.`);
    }
  }
  const algorithms = wanted.filter((name) => (name.startsWith('HS') ? secret !== null : publicKeys.has(name) || jwks !== null));
  if (algorithms.length === 0) throw new Error(`auth.jwt: no configured key can verify ${wanted.join(', ')}.`);
  const key: KeyResolver = (header, token) => {
    const algorithm = header.alg ?? '';
    if (algorithm.startsWith('HS') && secret !== null) return secret;
    const publicKey = publicKeys.get(algorithm);
    if (publicKey !== undefined) return publicKey;
    if (jwks !== null) return jwks(header, token);
    throw new errors.JOSEAlgNotAllowed(`"${algorithm}" is not served by a configured key`);
  };
  return { settings, algorithms, key };
}

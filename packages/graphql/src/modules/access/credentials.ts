import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

// scrypt with N=2^15, r=8, p=1 costs ~32 MiB and tens of milliseconds per check: cheap for one
// sign-in, expensive for guessing. The parameters are stored with each hash so they can be raised.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 } as const;

function scryptAsync(password: string, salt: Buffer, N: number, r: number, p: number, keyLength: number) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, keyLength, { N, r, p, maxmem: 128 * N * r * 2 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLength);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(
    password,
    Buffer.from(salt, 'base64url'),
    Number(n),
    Number(r),
    Number(p),
    expected.length,
  );
  return timingSafeEqual(actual, expected);
}

/** A hash of a password nobody has, checked when the username is unknown so timing does not tell. */
export const UNKNOWN_USER_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

// ---------------------------------------------------------------------------------------------
// Session tokens: HS256 JSON Web Tokens naming a session row, so a token can be revoked early.

export interface TokenClaims {
  /** The user's id. */
  sub: string;
  /** The session's id. */
  sid: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  iat: number;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const TOKEN_HEADER = base64url({ alg: 'HS256', typ: 'JWT' });

export function signToken(claims: TokenClaims, secret: string): string {
  const body = `${TOKEN_HEADER}.${base64url(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** Tokens whose signature was checked, kept per process; the least recently used is dropped first. */
export const VERIFIED_TOKEN_CACHE_MAX = 10_000;

/**
 * The claims of tokens whose signature checked out, by token and secret: a token's signature
 * and claims never change, so a client sending the same token on every request costs one HMAC
 * rather than one a request. Expiry is still checked on each use, and whether the session goes
 * on is the session check's (findSession), which this does not touch.
 */
const verifiedTokens = new Map<string, { secret: string; claims: TokenClaims }>();

/** The claims of a token with a valid signature that has not expired; otherwise null. */
export function verifyToken(token: string, secret: string, now = Date.now()): TokenClaims | null {
  const known = verifiedTokens.get(token);
  const entry = known?.secret === secret ? known : undefined;
  const claims = entry ? entry.claims : checkSignature(token, secret);
  if (!claims || claims.exp * 1000 <= now) return null;
  // Map order is use order: a token used again moves to the end, so the first is the least recently used.
  verifiedTokens.delete(token);
  verifiedTokens.set(token, entry ?? { secret, claims });
  if (verifiedTokens.size > VERIFIED_TOKEN_CACHE_MAX) {
    const oldest = verifiedTokens.keys().next().value;
    if (oldest !== undefined) verifiedTokens.delete(oldest);
  }
  return claims;
}

/** The claims of a token whose signature is `secret`'s and whose claims are well formed; otherwise null. */
function checkSignature(token: string, secret: string): TokenClaims | null {
  const [header, payload, signature] = token.split('.');
  if (header !== TOKEN_HEADER || !payload || !signature) return null;
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const actual = Buffer.from(signature, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    if (typeof claims.exp !== 'number') return null;
    if (typeof claims.sid !== 'string' || typeof claims.sub !== 'string') return null;
    return Object.freeze(claims);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// API keys: `sxk_<prefix>_<secret>`. The prefix finds the row; the SHA-256 of the whole key is
// compared in constant time. Keys carry 256 bits of randomness, so a fast hash is enough.

export interface GeneratedApiKey {
  key: string;
  prefix: string;
  hash: string;
}

export function generateApiKey(): GeneratedApiKey {
  const prefix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 8);
  const key = `sxk_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

export function parseApiKey(key: string): { prefix: string } | null {
  const match = /^sxk_([A-Za-z0-9]{8})_[A-Za-z0-9_-]{20,}$/.exec(key);
  return match?.[1] ? { prefix: match[1] } : null;
}

export function apiKeyMatches(key: string, storedHash: string): boolean {
  const actual = Buffer.from(hashApiKey(key), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Known sessions answered from memory, so a signed-in request costs no statement for its
 * credentials (the session lookup was a statement of its own on every request).
 *
 * The rule, written once here and stated in README (Sign-in):
 * - a process answers a session it looked up within the last SESSION_CACHE_TTL_MS from memory,
 *   never past the token's own expiry (the token's `exp` is the session's `expiresAt`);
 * - a session ended on this process (logout) is refused by this process at once;
 * - other processes forget it at once when they share Redis (`REDIS_URL`: the API publishes each
 *   ended session, see services/api/src/sessions.ts), and within SESSION_CACHE_TTL_MS otherwise;
 * - a change that is not a logout (a user disabled in the database, a unit moved) reaches every
 *   process within SESSION_CACHE_TTL_MS.
 *
 * One cache per database handle (the object the lookup runs on), so two API instances in one
 * process (tests) keep caches of their own, as two processes do.
 */
export const SESSION_CACHE_TTL_MS = 5_000;
/** Sessions kept per process; the least recently used is dropped first. */
export const SESSION_CACHE_MAX = 10_000;

export interface CachedSession {
  userId: number;
  username: string;
  role: 'ADMIN' | 'ORG_MANAGER' | 'CADRE';
  cadreId: number | null;
  organizationId: number | null;
  organizationPath: string | null;
}

interface Entry {
  row: CachedSession;
  userId: number;
  until: number;
}

export class SessionCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ended = new Set<(sessionId: string) => void>();
  // Bumped by every forget: a lookup that started before it must not store what it read.
  #epoch = 0;

  get epoch(): number {
    return this.#epoch;
  }

  get(sessionId: string, userId: number, now = Date.now()): CachedSession | undefined {
    const entry = this.#entries.get(sessionId);
    if (!entry) return undefined;
    if (entry.until <= now || entry.userId !== userId) {
      this.#entries.delete(sessionId);
      return undefined;
    }
    // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
    this.#entries.delete(sessionId);
    this.#entries.set(sessionId, entry);
    return entry.row;
  }

  /** Keeps what a lookup read, unless a session was forgotten since the lookup began (`epoch`). */
  set(sessionId: string, row: CachedSession, expiresAtMs: number, epoch: number, now = Date.now()): void {
    if (epoch !== this.#epoch) return;
    this.#entries.delete(sessionId);
    this.#entries.set(sessionId, { row, userId: row.userId, until: Math.min(now + SESSION_CACHE_TTL_MS, expiresAtMs) });
    while (this.#entries.size > SESSION_CACHE_MAX) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** This process forgets the session; what another process announced ends here. */
  forget(sessionId: string): void {
    this.#epoch += 1;
    this.#entries.delete(sessionId);
  }

  /** Forgets every session (the revocations of other processes may have been missed). */
  clear(): void {
    this.#epoch += 1;
    this.#entries.clear();
  }

  /** Forgets the session here and tells whoever listens (the API's Redis publisher). */
  end(sessionId: string): void {
    this.forget(sessionId);
    for (const listener of this.#ended) listener(sessionId);
  }

  /** Called with each session ended on this process; returns the unsubscribe. */
  onEnded(listener: (sessionId: string) => void): () => void {
    this.#ended.add(listener);
    return () => this.#ended.delete(listener);
  }

  get size(): number {
    return this.#entries.size;
  }
}

const caches = new WeakMap<object, SessionCache>();

/** The session cache of a database handle (created on first use). */
export function sessionCacheOf(db: object): SessionCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new SessionCache();
    caches.set(db, cache);
  }
  return cache;
}

import type { GraphQLContext } from '@sixtype/graphql';
import { type DocumentNode, Kind, visit } from 'graphql';

/** Callers remembered at most (the least recently written is forgotten first). */
export const RECENT_WRITERS_MAX = 10_000;
/** How long a caller's reads wait for replicas to replay its last write before going back to them regardless. */
export const RECENT_WRITE_TTL_MS = 60_000;

/**
 * The WAL position of each caller's last mutation, so that the caller's next reads go to a
 * replica only once it has replayed that position (read-your-writes). Bounded: at most `max`
 * callers, each for `ttlMs` after its last write; a Map keeps insertion order, which makes it an LRU.
 * In-process: a caller whose next request reaches another API process is not known there.
 */
export class RecentWrites {
  readonly #entries = new Map<string, { lsn: string; until: number }>();
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: { max?: number; ttlMs?: number; now?: () => number } = {}) {
    this.#max = options.max ?? RECENT_WRITERS_MAX;
    this.#ttlMs = options.ttlMs ?? RECENT_WRITE_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  record(caller: string, lsn: string): void {
    this.#entries.delete(caller);
    this.#entries.set(caller, { lsn, until: this.#now() + this.#ttlMs });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** The position the caller's reads need, or undefined (never wrote, or long enough ago). */
  lsnOf(caller: string): string | undefined {
    const entry = this.#entries.get(caller);
    if (!entry) return undefined;
    if (entry.until <= this.#now()) {
      this.#entries.delete(caller);
      return undefined;
    }
    return entry.lsn;
  }
}

/** Whom read-your-writes follows: a user (all of their sessions) or an API client; nobody else writes. */
export function callerOf(viewer: GraphQLContext['viewer']): string | undefined {
  if (viewer.kind === 'USER') return `user:${viewer.userId}`;
  if (viewer.kind === 'API_CLIENT') return `client:${viewer.clientId}`;
  return undefined;
}

/**
 * The latest `asOf` instant an operation asks for (an `asOf` argument or input field, written in
 * the document or passed in variables), or undefined when it asks for none: the replica that
 * answers must have replayed up to it (docs/scaling.md, Replica lag and `asOf` reads).
 */
export function latestAsOf(document: DocumentNode, variables: Record<string, unknown> | undefined): Date | undefined {
  const instants: unknown[] = [];
  visit(document, {
    Argument: (node) => void (node.name.value === 'asOf' && instants.push(node.value)),
    ObjectField: (node) => void (node.name.value === 'asOf' && instants.push(node.value)),
  });
  const values = instants.map((node) => {
    const value = node as { kind: Kind; value?: string; name?: { value: string } };
    if (value.kind === Kind.STRING) return value.value;
    if (value.kind === Kind.VARIABLE && value.name) return variables?.[value.name.value];
    return undefined;
  });
  collectAsOf(variables, values, 0);
  let latest: Date | undefined;
  for (const value of values) {
    const instant = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
    if (!instant || Number.isNaN(instant.getTime())) continue;
    if (!latest || instant > latest) latest = instant;
  }
  return latest;
}

function collectAsOf(value: unknown, into: unknown[], depth: number): void {
  if (depth > 5 || value === null || typeof value !== 'object' || value instanceof Date) return;
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'asOf') into.push(inner);
    else collectAsOf(inner, into, depth + 1);
  }
}

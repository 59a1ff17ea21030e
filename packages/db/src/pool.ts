import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

/** How many connections a pool may open, how many are busy, how many callers wait for one. */
export interface PoolStats {
  /** `primary`, or `replica1`, `replica2`, … */
  name: string;
  max: number;
  inUse: number;
  waiting: number;
}

/** No pooled connection became free within the pool timeout. */
export class PoolTimeoutError extends Error {
  override readonly name = 'PoolTimeoutError';
  constructor(timeoutMs: number) {
    super(`no database connection became free within ${timeoutMs} ms`);
  }
}

/** The caller (an HTTP client that went away) no longer wants the answer. */
export class QueryCancelledError extends Error {
  override readonly name = 'QueryCancelledError';
  constructor() {
    super('the query was cancelled because its caller went away');
  }
}

/** The signal of the request a query runs for, so a client that goes away cancels its statements. */
const requestSignal = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs `work` so that every statement it sends through a request-aware pool is cancelled in
 * PostgreSQL (`pg_cancel_backend` on the connection running it) once `signal` aborts.
 */
export function withQuerySignal<T>(signal: AbortSignal | undefined, work: () => T): T {
  return signal ? requestSignal.run(signal, work) : work();
}

export interface RequestAwarePoolOptions {
  url: string;
  /** `primary`, `replica1`, … in PoolStats. */
  name: string;
  max: number;
  /** How long `connect()` waits for a free connection (or for a new one to open). */
  timeoutMs: number;
  statementTimeoutMs: number;
  /**
   * A pooler in transaction mode (PgBouncer) sits between the pool and PostgreSQL: one client
   * connection's statements may run on different server connections. Then no statement is named
   * (a named statement is parsed on one server connection and executed on another), no
   * `statement_timeout` is sent at connect (PgBouncer 1.18 refuses unknown startup parameters, and
   * would not carry it to the next server connection anyway: set it on the role), and a cancel goes
   * through the pooler's own cancel protocol rather than `pg_cancel_backend` of a pid the pooler made up.
   */
  transactionPooler?: boolean | undefined;
  /**
   * Read replicas: a statement (outside a transaction) whose server cannot be reached runs on this
   * pool instead (the primary), after `onUnavailable` is told, so a stopped replica costs no error.
   */
  fallback?: { pool: RequestAwarePool; onUnavailable(error: unknown): void } | undefined;
}

// pg's own wording for a connection that failed or was lost; these errors carry no code.
const lostConnection =
  /^Connection terminated|not queryable|timeout exceeded when trying to connect|connection timeout|Connection refused/i;

/**
 * A node-postgres pool for drizzle's node-postgres driver (which treats any client whose class name
 * contains "Pool" as a pool: `query` for single statements, `connect` for a transaction) that
 * - fails `connect()` after `timeoutMs` with PoolTimeoutError when every connection is busy
 *   (pg's own timeout error, told apart from a server that does not answer);
 * - cancels a client's running statement when the request it runs for goes away;
 * - never lets a connection's error event escape as an uncaught exception (a restarting server
 *   ends idle and busy connections alike; the pool replaces them).
 */
export class RequestAwarePool {
  readonly #pool: pg.Pool;
  readonly #options: RequestAwarePoolOptions;

  constructor(options: RequestAwarePoolOptions) {
    this.#options = options;
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.max,
      connectionTimeoutMillis: options.timeoutMs,
      ...(options.transactionPooler ? {} : { statement_timeout: options.statementTimeoutMs }),
      application_name: 'sixtype',
      // JIT off for every connection: these are short OLTP statements, and PostgreSQL compiled the
      // metric rollup on each request (~200 ms of a 16 ms statement) because its estimated cost,
      // swollen by branches a one-time filter skips, passed jit_above_cost (docs/scaling.md).
      // PgBouncer refuses the `options` startup parameter: behind it, set jit = off on the database.
      ...(options.transactionPooler ? {} : { options: '-c jit=off' }),
    });
    // Idle connections that die (a server restart) are dropped by the pool; the next caller gets a new one.
    this.#pool.on('error', () => {});
    this.#pool.on('connect', (client) => {
      // A checked-out connection that dies emits `error` too; its caller sees the failed query.
      client.on('error', () => {});
      if (options.transactionPooler) withoutStatementNames(client);
      followRequestSignal(client, (pid) =>
        options.transactionPooler ? cancelThroughPooler(client) : this.#cancelBackend(pid),
      );
    });
  }

  stats(): PoolStats {
    const pool = this.#pool;
    return {
      name: this.#options.name,
      max: this.#options.max,
      inUse: pool.totalCount - pool.idleCount,
      waiting: pool.waitingCount,
    };
  }

  async connect(): Promise<pg.PoolClient> {
    if (requestSignal.getStore()?.aborted) throw new QueryCancelledError();
    const pool = this.#pool;
    const full = pool.totalCount >= this.#options.max && pool.idleCount === 0;
    try {
      return releasedOnBreak(await pool.connect());
    } catch (error) {
      if (full && error instanceof Error && /timeout exceeded when trying to connect/.test(error.message)) {
        throw new PoolTimeoutError(this.#options.timeoutMs);
      }
      throw error;
    }
  }

  /** One statement on a pooled connection (drizzle's node-postgres session calls it this way). */
  async query(config: pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult> {
    const fallback = this.#options.fallback;
    let client: pg.PoolClient;
    try {
      client = await this.connect();
    } catch (error) {
      if (!fallback || !isLostConnection(error)) throw error;
      fallback.onUnavailable(error);
      return fallback.pool.query(config, values);
    }
    let broken: Error | undefined;
    try {
      return await client.query(config, values);
    } catch (error) {
      if (isLostConnection(error)) broken = error as Error;
      if (!broken || !fallback) throw error;
    } finally {
      // A connection that broke is closed rather than handed to the next caller.
      client.release(broken);
    }
    // Only reads come this way (a replica's pool takes no writes), so running one again is safe.
    fallback.onUnavailable(broken);
    return fallback.pool.query(config, values);
  }

  /** One statement outside any request (health checks); a failure is the caller's to judge. */
  async probe<Row extends pg.QueryResultRow>(text: string): Promise<Row[]> {
    const result = await this.#pool.query<Row>(text);
    return result.rows;
  }

  end(): Promise<void> {
    return this.#pool.end();
  }

  /** Cancels what backend `pid` is running, over a connection of its own (the pool may be full). */
  async #cancelBackend(pid: number): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#options.url,
      connectionTimeoutMillis: this.#options.timeoutMs,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select pg_cancel_backend($1)', [pid]);
    } catch {
      // The statement then ends at statement_timeout at the latest.
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** Sends every statement unnamed (see RequestAwarePoolOptions.transactionPooler). */
function withoutStatementNames(client: pg.PoolClient) {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const first = args[0];
    if (first && typeof first === 'object' && 'name' in first && (first as { name?: unknown }).name !== undefined) {
      args[0] = { ...(first as object), name: undefined };
    }
    return query(...args);
  };
}

/**
 * A cancel request on the wire with the key the pooler handed this connection, which the pooler
 * forwards to whichever server connection runs the statement (node-postgres's own cancel path).
 */
async function cancelThroughPooler(client: pg.PoolClient): Promise<void> {
  const target = client as unknown as { activeQuery?: unknown; connectionParameters: pg.ClientConfig };
  if (!target.activeQuery) return;
  const canceller = new pg.Client(target.connectionParameters) as unknown as {
    cancel(client: unknown, query: unknown): void;
    connection: { on(event: string, listener: () => void): void; end(): void };
  };
  canceller.connection.on('error', () => {});
  canceller.cancel(client, target.activeQuery);
  // PostgreSQL answers a cancel request by closing the socket; the statement fails on its own connection.
  await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * Makes `client.query` (promise form, as drizzle calls it) cancel the statement when the signal
 * of the request it runs for aborts. The query settles only after the cancel went through, so the
 * connection cannot be handed to another request while a cancel for it is still on its way.
 */
function followRequestSignal(client: pg.PoolClient, cancel: (pid: number) => Promise<void>) {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const pidOf = () => (client as unknown as { processID: number }).processID;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const signal = requestSignal.getStore();
    const first = args[0] as { submit?: unknown; text?: unknown } | string | undefined;
    const text = typeof first === 'string' ? first : typeof first?.text === 'string' ? first.text : '';
    // A transaction's ROLLBACK always goes out, aborted request or not: skipped, it would leave
    // the connection inside the transaction (and its locks held) for the next caller.
    if (/^\s*rollback\b/i.test(text)) return query(...args);
    if (!signal || typeof args.at(-1) === 'function' || typeof (first as { submit?: unknown })?.submit === 'function') {
      return query(...args);
    }
    if (signal.aborted) return Promise.reject(new QueryCancelledError());
    let cancelling: Promise<void> | undefined;
    const onAbort = () => {
      cancelling = cancel(pidOf());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    return (query(...args) as Promise<unknown>).finally(async () => {
      signal.removeEventListener('abort', onAbort);
      await cancelling;
    });
  };
}

/**
 * A connection comes back to the pool only outside a transaction (see `release` below).
 *
 * drizzle-orm rc.2's node-postgres transaction sends BEGIN before its try/finally, so a connection
 * that breaks right after checkout is never released and the pool loses a slot for good. A client
 * whose connection breaks while checked out is therefore released (and so closed) at once, and a
 * later release by its holder does nothing.
 */
function releasedOnBreak(client: pg.PoolClient): pg.PoolClient {
  const release = client.release;
  let released = false;
  const onBreak = (error: Error) => client.release(error);
  client.release = (error?: Error | boolean) => {
    if (released) return;
    released = true;
    client.removeListener('error', onBreak);
    // Never hand the next caller a connection still inside a transaction ('T') or a failed one
    // ('E'): it is closed instead, and PostgreSQL rolls the transaction back.
    const status = (client as unknown as { getTransactionStatus?: () => string | null }).getTransactionStatus?.();
    release(
      error || (status === 'T' || status === 'E' ? new Error('connection returned inside a transaction') : undefined),
    );
  };
  client.once('error', onBreak);
  return client;
}

function isLostConnection(error: unknown): boolean {
  return databaseFaultOf(error) === 'UNAVAILABLE';
}

export type DatabaseFault = 'UNAVAILABLE' | 'BUSY' | 'TIMEOUT' | 'CANCELLED';

// SQLSTATEs of a server that is going away, restarting or refusing connections.
const unavailableStates = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);
// Node's socket codes for a connection that failed or was lost.
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether an error (drizzle wraps the driver's in `cause`) comes from the database being away,
 * busy, too slow or cancelled, rather than from the query itself.
 */
export function databaseFaultOf(error: unknown): DatabaseFault | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth += 1) {
    if (current instanceof PoolTimeoutError) return 'BUSY';
    if (current instanceof QueryCancelledError) return 'CANCELLED';
    const candidate = current as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    const code = typeof candidate.code === 'string' ? candidate.code : undefined;
    const message = typeof candidate.message === 'string' ? candidate.message : '';
    if (code === '57014') return message.includes('statement timeout') ? 'TIMEOUT' : 'CANCELLED';
    if (code && (unavailableStates.has(code) || unavailableCodes.has(code))) return 'UNAVAILABLE';
    // Only the innermost error: drizzle's wrapper quotes the SQL in its message.
    if (code === undefined && candidate.cause === undefined && lostConnection.test(message)) return 'UNAVAILABLE';
    current = candidate.cause ?? (Array.isArray(candidate.errors) ? candidate.errors[0] : undefined);
  }
  return undefined;
}

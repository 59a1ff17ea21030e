import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, type GraphQLFormattedError, getOperationAST, type OperationTypeNode, print } from 'graphql';
import { codeOfGraphQLErrors, isTransientError, SixtypeError } from './errors.ts';
import persistedOperations from './generated/persisted-operations.json' with { type: 'json' };

/** The subset of `fetch` the client uses; pass your own to add a proxy agent, logging or a test fake. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Returns the current bearer token; called before every attempt, so it may refresh an expiring one. */
export type TokenProvider = () => string | null | undefined | Promise<string | null | undefined>;

export interface RetryOptions {
  /** Attempts after the first one. Default 2 (three attempts in all); 0 turns retrying off. */
  retries?: number;
  /** Wait before the first retry, doubled for each further one, with jitter. Default 250 ms. */
  minDelayMs?: number;
  /** Upper bound of one wait. Default 5000 ms. */
  maxDelayMs?: number;
  /** Called before each wait, e.g. to log the failure being retried. */
  onRetry?: (event: RetryEvent) => void;
}

export interface RetryEvent {
  /** The operation's name, e.g. `MetricSeries`. */
  operationName: string | undefined;
  /** 1 for the first retry. */
  retry: number;
  /** How long the client waits before that retry. */
  delayMs: number;
  /** The transient failure: NETWORK_ERROR, TIMEOUT, or a 502/503/504. */
  error: SixtypeError;
}

export interface ClientOptions {
  /** The GraphQL endpoint, e.g. `https://sixtype.example.gov.cn/graphql`. */
  url: string;
  /** Sent with every request. They override the client's own headers, `Authorization` included. */
  headers?: Record<string, string>;
  /** Defaults to the global `fetch` (Node.js 20+, browsers). */
  fetch?: FetchLike;
  /** For other systems: sent as `Authorization: ApiKey <key>`. */
  apiKey?: string;
  /** For people, from the `login` mutation: sent as `Authorization: Bearer <token>`. */
  token?: string;
  /**
   * For people whose token changes (sign-in again after 8 hours): asked before every attempt and
   * sent as `Authorization: Bearer <token>`; nothing is sent when it returns null or undefined.
   */
  getToken?: TokenProvider;
  /**
   * Gives up on an attempt after this many milliseconds with a `TIMEOUT` SixtypeError (a query is
   * then retried). For a subscription it bounds connecting, not how long events keep coming.
   * Default: no limit of the client's own.
   */
  timeoutMs?: number;
  /**
   * Retries after NETWORK_ERROR, TIMEOUT and HTTP 502/503/504, with exponential backoff: always for
   * queries; for mutations only when their variables carry an `idempotencyKey` (top level or in
   * `input`), which the server uses to apply the mutation once however often it arrives; never for
   * subscriptions. `false` turns retrying off. Default `{ retries: 2, minDelayMs: 250, maxDelayMs: 5000 }`.
   */
  retry?: RetryOptions | false;
  /**
   * Send the SDK's own operations as persisted operations — their SHA-256 in
   * `extensions.persistedQuery.sha256Hash` instead of their text. API keys may run nothing else.
   * - `true`: hashes from the first request;
   * - unset: text, until the server answers PERSISTED_QUERY_ONLY; then the request is resent by
   *   hash and the client keeps sending hashes;
   * - `false`: always text.
   * Documents that are not part of the SDK are always sent as text.
   */
  persisted?: boolean;
}

export interface RequestOptions {
  /** Aborting rejects the request with the signal's reason (an `AbortError`), not a SixtypeError. */
  signal?: AbortSignal;
  /** Override the client's headers for this request only. */
  headers?: Record<string, string>;
  /** Override the client's `timeoutMs` for this request. */
  timeoutMs?: number;
  /** Override the client's `retry` for this request (it still never retries an unsafe mutation). */
  retry?: RetryOptions | false;
}

export interface SubscribeOptions extends Omit<RequestOptions, 'retry'> {
  /**
   * Called once the server has accepted the subscription (the event stream is open): events
   * published from then on are delivered.
   */
  onConnected?: () => void;
}

type Variables = { readonly [name: string]: unknown };

/**
 * Variables may be left out only when the operation has no required variable: when an empty object
 * would do (this also covers operations without variables, typed `{ [key: string]: never }`).
 */
export type RequestArgs<TVars, TOptions = RequestOptions> = [Record<never, never>] extends [TVars]
  ? [variables?: TVars, options?: TOptions]
  : [variables: TVars, options?: TOptions];

/** What `paginate` needs from a connection: our list operations select `nodes` and `pageInfo`. */
export interface ConnectionPage<TNode> {
  nodes: readonly TNode[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface SixtypeClient {
  /**
   * Runs one query or mutation and resolves with its `data`. Throws {@link SixtypeError} when the
   * response carries GraphQL errors, is not a GraphQL response, or never arrives.
   */
  request<TData, TVars extends Variables>(
    document: TypedDocumentNode<TData, TVars>,
    ...args: RequestArgs<TVars>
  ): Promise<TData>;
  /**
   * Yields every node of a connection, page after page, following `pageInfo.endCursor` with
   * `after` until `hasNextPage` is false. Set the page size with `first` in `variables`.
   */
  paginate<TData, TVars extends Variables & { after?: string | null | undefined }, TNode>(
    document: TypedDocumentNode<TData, TVars>,
    variables: TVars,
    select: (data: TData) => ConnectionPage<TNode>,
    options?: RequestOptions,
  ): AsyncGenerator<TNode, void, undefined>;
  /**
   * Runs a subscription over server-sent events (GraphQL over SSE, distinct connections) and yields
   * the `data` of each event. The connection opens on the first `next()` and closes when the loop
   * ends (`break`, `return`), the signal aborts (rejecting with its reason) or the server completes
   * the stream. An error event, or a connection lost mid-stream (NETWORK_ERROR), rejects; resubscribe
   * to continue (events in between are not replayed).
   */
  subscribe<TData, TVars extends Variables>(
    document: TypedDocumentNode<TData, TVars>,
    ...args: RequestArgs<TVars, SubscribeOptions>
  ): AsyncGenerator<TData, void, undefined>;
  /**
   * Downloads a campaign report: `path` is `campaignReport.downloadUrl` (`/reports/…`), fetched from
   * the API's origin with this client's credentials. Resolves with the file's bytes; a refusal
   * (FORBIDDEN, NOT_FOUND, UNAUTHENTICATED, BAD_USER_INPUT) throws {@link SixtypeError} with its code.
   */
  downloadReport(path: string, options?: Omit<RequestOptions, 'retry'>): Promise<Uint8Array>;
}

interface PreparedOperation {
  query: string;
  /** The SHA-256 under which the server's manifest holds `query`; undefined for documents outside the SDK. */
  hash: string | undefined;
  operationName: string | undefined;
  /** Retries are for queries (and idempotent mutations) only: a repeated mutation may apply twice. */
  operationType: OperationTypeNode;
}

interface GraphQLResponse {
  data?: unknown;
  errors?: readonly GraphQLFormattedError[];
}

const DEFAULT_RETRY: Required<Omit<RetryOptions, 'onRetry'>> = { retries: 2, minDelayMs: 250, maxDelayMs: 5000 };

// Documents are module-level constants, so printing each once is enough.
const prepared = new WeakMap<DocumentNode, PreparedOperation>();

// The manifest maps hash → printed document; the client prints the same generated AST, so an SDK
// document's text finds its hash here without hashing at run time.
let hashesByText: Map<string, string> | undefined;
function persistedHashOf(text: string): string | undefined {
  hashesByText ??= new Map(Object.entries(persistedOperations as Record<string, string>).map(([h, t]) => [t, h]));
  return hashesByText.get(text);
}

function prepare(document: DocumentNode): PreparedOperation {
  let operation = prepared.get(document);
  if (operation === undefined) {
    const definition = getOperationAST(document);
    if (!definition) {
      throw new TypeError('The document must contain exactly one operation (query, mutation or subscription).');
    }
    const query = print(document);
    operation = {
      query,
      hash: persistedHashOf(query),
      operationName: definition.name?.value,
      operationType: definition.operation,
    };
    prepared.set(document, operation);
  }
  return operation;
}

/**
 * A mutation is safe to send again only when the server can recognise the repeat: the API's
 * batch mutations take an `idempotencyKey` (e.g. `submitMetricObservations(input: { idempotencyKey })`)
 * and answer a repeat with the first outcome instead of applying it twice.
 */
function hasIdempotencyKey(variables: Variables | undefined): boolean {
  const isKey = (value: unknown) => typeof value === 'string' && value.length > 0;
  if (variables === undefined) return false;
  if (isKey(variables.idempotencyKey)) return true;
  const input = variables.input;
  return typeof input === 'object' && input !== null && isKey((input as Variables).idempotencyKey);
}

export function createClient(options: ClientOptions): SixtypeClient {
  const credentials = [options.apiKey, options.token, options.getToken].filter((given) => given !== undefined);
  if (credentials.length > 1) {
    throw new TypeError('Give one of apiKey (systems), token or getToken (people), not several.');
  }
  // Looked up per call and called unbound: browsers reject `fetch` called as a method of another object.
  const fetchImpl: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));

  // Read-your-writes across API processes: the highest WAL position a mutation's answer named
  // (`x-sixtype-write-lsn`), sent back on every later request as `x-sixtype-read-after`, so
  // whichever process answers reads from a replica only once it has replayed this client's writes.
  let readAfter: { lsn: string; value: bigint } | undefined;
  function rememberWrite(response: Response): void {
    const lsn = response.headers?.get(WRITE_LSN_HEADER)?.trim();
    const value = lsn === undefined ? undefined : lsnValue(lsn);
    if (lsn !== undefined && value !== undefined && (readAfter === undefined || value > readAfter.value)) {
      readAfter = { lsn, value };
    }
  }

  async function headersFor(requestOptions: RequestOptions | undefined, accept: string): Promise<Headers> {
    const headers = new Headers({ 'content-type': 'application/json', accept });
    if (readAfter !== undefined) headers.set(READ_AFTER_HEADER, readAfter.lsn);
    if (options.apiKey !== undefined) headers.set('authorization', `ApiKey ${options.apiKey}`);
    if (options.token !== undefined) headers.set('authorization', `Bearer ${options.token}`);
    if (options.getToken !== undefined) {
      const token = await options.getToken();
      if (token !== null && token !== undefined) headers.set('authorization', `Bearer ${token}`);
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
    for (const [name, value] of Object.entries(requestOptions?.headers ?? {})) headers.set(name, value);
    return headers;
  }

  function payloadOf(operation: PreparedOperation, byHash: boolean, variables: Variables | undefined) {
    const { query, hash, operationName } = operation;
    return byHash && hash !== undefined
      ? { operationName, variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }
      : { query, operationName, variables };
  }

  /**
   * One HTTP attempt. Every failure leaves as a SixtypeError whose `code` and `status` tell the
   * retry loop whether trying again can help; an abort leaves as the caller's own abort reason.
   */
  async function attempt(
    operation: PreparedOperation,
    byHash: boolean,
    variables: Variables | undefined,
    requestOptions: RequestOptions | undefined,
  ): Promise<unknown> {
    const signal = requestOptions?.signal;
    const deadline = linkSignal(signal, requestOptions?.timeoutMs ?? options.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(options.url, {
        method: 'POST',
        headers: await headersFor(requestOptions, 'application/graphql-response+json, application/json'),
        body: JSON.stringify(payloadOf(operation, byHash, variables)),
        signal: deadline.signal ?? null,
      });
      rememberWrite(response);
      text = await response.text();
    } catch (error) {
      throw failureOf(error, signal, deadline, options.url);
    } finally {
      deadline.dispose();
    }
    return dataOf(parseGraphQLResponse(text), response, options.url);
  }

  let sendHashes = options.persisted === true;

  /**
   * Sends an operation once, by hash or by text as the server wants it. The resends here are safe
   * for mutations too: the server refuses PERSISTED_QUERY_ONLY and PERSISTED_QUERY_NOT_FOUND before
   * anything runs.
   */
  async function send(
    operation: PreparedOperation,
    variables: Variables | undefined,
    requestOptions: RequestOptions | undefined,
  ): Promise<unknown> {
    const persistable = operation.hash !== undefined && options.persisted !== false;
    const byHash = persistable && sendHashes;
    try {
      return await attempt(operation, byHash, variables, requestOptions);
    } catch (error) {
      if (!persistable || !(error instanceof SixtypeError)) throw error;
      const next = persistedFallback(error, byHash);
      if (next === undefined) throw error;
      if (next) sendHashes = true;
      return attempt(operation, next, variables, requestOptions);
    }
  }

  /** Whether to resend by hash (true), by text (false), or not at all (undefined). */
  function persistedFallback(error: SixtypeError, byHash: boolean): boolean | undefined {
    // This caller (an API key) may send hashes only: switch for good.
    if (!byHash && error.code === 'PERSISTED_QUERY_ONLY') return true;
    // A server older than this SDK: its manifest lacks the operation, so try the text once.
    if (byHash && error.code === 'PERSISTED_QUERY_NOT_FOUND') return false;
    return undefined;
  }

  async function execute(
    document: DocumentNode,
    variables: Variables | undefined,
    requestOptions: RequestOptions | undefined,
  ): Promise<unknown> {
    const operation = prepare(document);
    if (operation.operationType === 'subscription') {
      throw new TypeError(`${operation.operationName ?? 'The operation'} is a subscription: use subscribe()`);
    }
    const retry = requestOptions?.retry ?? options.retry ?? {};
    const mayRepeat = operation.operationType === 'query' || hasIdempotencyKey(variables);
    const retries = retry === false || !mayRepeat ? 0 : (retry.retries ?? DEFAULT_RETRY.retries);
    for (let failures = 0; ; failures++) {
      try {
        return await send(operation, variables, requestOptions);
      } catch (error) {
        if (retry === false || failures >= retries || !isTransientError(error)) throw error;
        const delayMs = backoff(retry, failures);
        retry.onRetry?.({ operationName: operation.operationName, retry: failures + 1, delayMs, error });
        await sleep(delayMs, requestOptions?.signal);
      }
    }
  }

  async function* subscribe(
    document: DocumentNode,
    variables: Variables | undefined,
    subscribeOptions: SubscribeOptions | undefined,
  ): AsyncGenerator<unknown, void, undefined> {
    const operation = prepare(document);
    if (operation.operationType !== 'subscription') {
      throw new TypeError(`${operation.operationName ?? 'The operation'} is not a subscription: use request()`);
    }
    const persistable = operation.hash !== undefined && options.persisted !== false;
    let byHash = persistable && sendHashes;
    // At most one resend (by hash, or by text), decided by the refusal before any event arrived.
    for (let resend: boolean | undefined, resent = false; ; resent = true) {
      let delivered = false;
      resend = undefined;
      for await (const result of openEventStream(operation, byHash, variables, subscribeOptions)) {
        const [firstError] = result.errors ?? [];
        if (firstError !== undefined) {
          const error = new SixtypeError(codeOfGraphQLErrors(result.errors ?? []), firstError.message, {
            errors: result.errors ?? [],
            data: result.data ?? undefined,
          });
          resend = persistable && !delivered && !resent ? persistedFallback(error, byHash) : undefined;
          if (resend === undefined) throw error;
          break;
        }
        delivered = true;
        yield result.data;
      }
      if (resend === undefined) return;
      if (resend) sendHashes = true;
      byHash = resend;
    }
  }

  /**
   * One SSE connection: yields each `next` event's payload and ends when the server sends
   * `complete`. A refusal sent as a plain GraphQL response (before any stream) comes
   * out as one payload with `errors`, so the caller handles both the same way.
   */
  async function* openEventStream(
    operation: PreparedOperation,
    byHash: boolean,
    variables: Variables | undefined,
    subscribeOptions: SubscribeOptions | undefined,
  ): AsyncGenerator<GraphQLResponse, void, undefined> {
    const callerSignal = subscribeOptions?.signal;
    // Ours aborts the connection when the consumer stops iterating; the caller's when they abort.
    const connection = new AbortController();
    const stopOnAbort = () => connection.abort(callerSignal?.reason);
    if (callerSignal?.aborted) throw callerSignal.reason;
    callerSignal?.addEventListener('abort', stopOnAbort, { once: true });
    const deadline = linkSignal(connection.signal, subscribeOptions?.timeoutMs ?? options.timeoutMs);
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      let response: Response;
      try {
        response = await fetchImpl(options.url, {
          method: 'POST',
          headers: await headersFor(subscribeOptions, 'text/event-stream'),
          body: JSON.stringify(payloadOf(operation, byHash, variables)),
          signal: deadline.signal ?? null,
        });
      } catch (error) {
        throw failureOf(error, callerSignal, deadline, options.url);
      } finally {
        // The timeout bounds connecting only; the stream may stay open for hours. The link stays:
        // aborting `connection` must still reach the fetch, or its socket would stay open.
        deadline.stopTimer();
      }
      const contentType = response.headers.get('content-type') ?? '';
      if (!contentType.includes('text/event-stream') || response.body === null) {
        let text: string;
        try {
          text = await response.text();
        } catch (error) {
          throw failureOf(error, callerSignal, undefined, options.url);
        }
        const body = parseGraphQLResponse(text);
        if (body?.errors?.length) {
          yield { errors: body.errors, data: body.data };
          return;
        }
        throw new SixtypeError('HTTP_ERROR', `HTTP ${response.status} from ${options.url} is not an event stream`, {
          status: response.status,
        });
      }
      subscribeOptions?.onConnected?.();
      reader = response.body.getReader();
      for await (const event of serverSentEvents(reader)) {
        if (event.event === 'complete') return;
        if (event.event !== 'next' && event.event !== undefined) continue;
        if (event.data === '') continue;
        let payload: unknown;
        try {
          payload = JSON.parse(event.data);
        } catch (error) {
          throw new SixtypeError('HTTP_ERROR', `An event from ${options.url} is not JSON`, { cause: error });
        }
        yield payload as GraphQLResponse;
      }
      throw new SixtypeError('NETWORK_ERROR', `The event stream from ${options.url} ended without "complete"`);
    } catch (error) {
      throw failureOf(error, callerSignal, undefined, options.url);
    } finally {
      callerSignal?.removeEventListener('abort', stopOnAbort);
      connection.abort();
      deadline.dispose();
      // Aborting errors the body; cancelling as well releases it at once (a fake fetch may ignore the signal).
      await reader?.cancel().catch(() => {});
    }
  }

  return {
    request<TData, TVars extends Variables>(
      document: TypedDocumentNode<TData, TVars>,
      ...[variables, requestOptions]: RequestArgs<TVars>
    ): Promise<TData> {
      // The document's type is the contract: the server validated `data` against this selection.
      return execute(document, variables, requestOptions) as Promise<TData>;
    },

    async *paginate<TData, TVars extends Variables & { after?: string | null | undefined }, TNode>(
      document: TypedDocumentNode<TData, TVars>,
      variables: TVars,
      select: (data: TData) => ConnectionPage<TNode>,
      requestOptions?: RequestOptions,
    ): AsyncGenerator<TNode, void, undefined> {
      let pageVariables: Variables = variables;
      let after = variables.after ?? null;
      for (;;) {
        const page = select((await execute(document, pageVariables, requestOptions)) as TData);
        yield* page.nodes;
        if (!page.pageInfo.hasNextPage) return;
        const next = page.pageInfo.endCursor;
        // Without a new cursor the next request would fetch the same page again, forever.
        if (next === null || next === after) {
          throw new SixtypeError('INTERNAL_SERVER_ERROR', 'The connection has a next page but no new endCursor');
        }
        after = next;
        pageVariables = { ...variables, after };
      }
    },

    subscribe<TData, TVars extends Variables>(
      document: TypedDocumentNode<TData, TVars>,
      ...[variables, subscribeOptions]: RequestArgs<TVars, SubscribeOptions>
    ): AsyncGenerator<TData, void, undefined> {
      return subscribe(document, variables, subscribeOptions) as AsyncGenerator<TData, void, undefined>;
    },

    async downloadReport(path: string, requestOptions?: Omit<RequestOptions, 'retry'>): Promise<Uint8Array> {
      if (!path.startsWith('/reports/'))
        throw new TypeError('A report path starts with /reports/ (campaignReport.downloadUrl)');
      const url = new URL(path, options.url).toString();
      const signal = requestOptions?.signal;
      const deadline = linkSignal(signal, requestOptions?.timeoutMs ?? options.timeoutMs);
      let response: Response;
      let body: ArrayBuffer;
      try {
        const headers = await headersFor(requestOptions, '*/*');
        headers.delete('content-type');
        response = await fetchImpl(url, { method: 'GET', headers, signal: deadline.signal ?? null });
        body = await response.arrayBuffer();
      } catch (error) {
        throw failureOf(error, signal, deadline, url);
      } finally {
        deadline.dispose();
      }
      if (response.ok) return new Uint8Array(body);
      // Refusals come as GraphQL errors: { errors: [{ message, extensions: { code } }] }.
      dataOf(parseGraphQLResponse(new TextDecoder().decode(body)), response, url);
      throw new SixtypeError('HTTP_ERROR', `HTTP ${response.status} from ${url}`, { status: response.status });
    },
  };
}

/** Named by the API on a mutation's answer when it reads from replicas: the primary's WAL position after the write. */
const WRITE_LSN_HEADER = 'x-sixtype-write-lsn';
/** Sent back on later requests: the API then reads from a replica only once it has replayed that position. */
const READ_AFTER_HEADER = 'x-sixtype-read-after';

/** A PostgreSQL LSN (`16/B374D848`, two hexadecimal halves) as one number, or undefined for anything else. */
function lsnValue(lsn: string): bigint | undefined {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(lsn);
  return match ? (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`) : undefined;
}

/** The `data` of a parsed response, or the SixtypeError it stands for. */
function dataOf(body: GraphQLResponse | undefined, response: Response, url: string): unknown {
  const status = response.status;
  if (body === undefined) {
    throw new SixtypeError('HTTP_ERROR', `HTTP ${status} from ${url} is not a GraphQL response`, { status });
  }
  const [firstError] = body.errors ?? [];
  if (firstError !== undefined) {
    const errors = body.errors ?? [];
    throw new SixtypeError(codeOfGraphQLErrors(errors), firstError.message, {
      errors,
      status,
      data: body.data ?? undefined,
    });
  }
  if (body.data === undefined || body.data === null || !response.ok) {
    throw new SixtypeError('HTTP_ERROR', `HTTP ${status} from ${url} carries no data and no errors`, { status });
  }
  return body.data;
}

interface Deadline {
  /** The caller's signal, or one that also aborts when the timeout passes. */
  signal: AbortSignal | undefined;
  timedOut(): boolean;
  /** Cancels the timeout; the caller's signal still aborts `signal`. */
  stopTimer(): void;
  /** Cancels the timeout and unlinks from the caller's signal. */
  dispose(): void;
}

/** The caller's signal, plus a timeout of the client's own (not AbortSignal.any: older runtimes lack it). */
function linkSignal(signal: AbortSignal | undefined, timeoutMs: number | undefined): Deadline {
  if (timeoutMs === undefined || !Number.isFinite(timeoutMs)) {
    return { signal, timedOut: () => false, stopTimer() {}, dispose() {} };
  }
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new SixtypeError('TIMEOUT', `No response within ${timeoutMs} ms`));
  }, timeoutMs);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    stopTimer: () => clearTimeout(timer),
    dispose() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** What a failed fetch or body read becomes: the caller's abort reason, TIMEOUT, or NETWORK_ERROR. */
function failureOf(
  error: unknown,
  callerSignal: AbortSignal | undefined,
  deadline: Deadline | undefined,
  url: string,
): unknown {
  if (callerSignal?.aborted) return callerSignal.reason;
  if (deadline?.timedOut()) {
    return new SixtypeError('TIMEOUT', `No response from ${url} within the client's timeoutMs`, { cause: error });
  }
  if (error instanceof SixtypeError) return error;
  return new SixtypeError('NETWORK_ERROR', `Request to ${url} failed: ${messageOf(error)}`, { cause: error });
}

/** Exponential backoff with "equal jitter": half the step fixed, half random, so retries spread out. */
function backoff(retry: RetryOptions, failures: number): number {
  const min = retry.minDelayMs ?? DEFAULT_RETRY.minDelayMs;
  const max = retry.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const step = Math.min(max, min * 2 ** failures);
  return Math.round(step / 2 + (Math.random() * step) / 2);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface ServerSentEvent {
  event: string | undefined;
  data: string;
}

/**
 * Parses a `text/event-stream` body (https://html.spec.whatwg.org/multipage/server-sent-events.html):
 * events end at a blank line; `data:` lines join with newlines; comment lines (`:` — the server's
 * keep-alive pings) and `id:`/`retry:` are skipped.
 */
async function* serverSentEvents(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
    buffer = buffer.replace(/\r\n?/g, '\n');
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const fieldValue = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = fieldValue;
        else if (field === 'data') data.push(fieldValue);
      }
      if (event !== undefined || data.length > 0) yield { event, data: data.join('\n') };
    }
    if (done) return;
  }
}

function parseGraphQLResponse(text: string): GraphQLResponse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (!('data' in value) && !('errors' in value)) return undefined;
  const errors = 'errors' in value ? value.errors : undefined;
  if (errors !== undefined && !Array.isArray(errors)) return undefined;
  return value as GraphQLResponse;
}

// Node's fetch rejects with a bare "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND) is its cause.
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}

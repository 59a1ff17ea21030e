import type { RetryOptions } from './retry.ts';

/** The subset of `fetch` the client uses; pass your own to add a proxy agent, logging or a test fake. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Returns the current bearer token; called before every attempt, so it may refresh an expiring one. */
export type TokenProvider = () => string | null | undefined | Promise<string | null | undefined>;

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

/**
 * Variables may be left out only when the operation has no required variable: when an empty object
 * would do (this also covers operations without variables, typed `{ [key: string]: never }`).
 */
export type RequestArgs<TVars, TOptions = RequestOptions> = [Record<never, never>] extends [TVars]
  ? [variables?: TVars, options?: TOptions]
  : [variables: TVars, options?: TOptions];

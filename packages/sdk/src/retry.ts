import { isTransientError, type SixtypeError } from './errors.ts';
import type { PreparedOperation, Variables } from './operation.ts';

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

const DEFAULT_RETRY: Required<Omit<RetryOptions, 'onRetry'>> = { retries: 2, minDelayMs: 250, maxDelayMs: 5000 };

/**
 * Runs `attempt` until it succeeds, fails for good, or the retries are used up. Only transient
 * failures are retried, and only for operations that may run twice: queries, and mutations with an
 * idempotency key. The waits end early when `signal` aborts (rejecting with its reason).
 */
export function withRetries<T>(
  operation: PreparedOperation,
  variables: Variables | undefined,
  retry: RetryOptions | false,
  signal: AbortSignal | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  const mayRepeat = operation.operationType === 'query' || hasIdempotencyKey(variables);
  return retrying(operation.operationName, mayRepeat ? retry : false, signal, attempt);
}

/**
 * The loop of {@link withRetries} for a request that may run twice (a query, or a write the server
 * recognises when it comes again by its idempotency key): transient failures are retried with
 * backoff until the retries are used up.
 */
export async function retrying<T>(
  operationName: string | undefined,
  retry: RetryOptions | false,
  signal: AbortSignal | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  const retries = retry === false ? 0 : (retry.retries ?? DEFAULT_RETRY.retries);
  for (let failures = 0; ; failures++) {
    try {
      return await attempt();
    } catch (error) {
      if (retry === false || failures >= retries || !isTransientError(error)) throw error;
      const delayMs = backoff(retry, failures);
      retry.onRetry?.({ operationName, retry: failures + 1, delayMs, error });
      await sleep(delayMs, signal);
    }
  }
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

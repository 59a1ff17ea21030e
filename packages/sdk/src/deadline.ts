import { SixtypeError } from './errors.ts';

export interface Deadline {
  /** The caller's signal, or one that also aborts when the timeout passes. */
  signal: AbortSignal | undefined;
  timedOut(): boolean;
  /** Cancels the timeout; the caller's signal still aborts `signal`. */
  stopTimer(): void;
  /** Cancels the timeout and unlinks from the caller's signal. */
  dispose(): void;
}

/** The caller's signal, plus a timeout of the client's own (not AbortSignal.any: older runtimes lack it). */
export function linkSignal(signal: AbortSignal | undefined, timeoutMs: number | undefined): Deadline {
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
export function failureOf(
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

// Node's fetch rejects with a bare "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND) is its cause.
export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}

import type { DocumentNode } from 'graphql';
import { createClient as createSseClient, type ExecutionResult, NetworkError, type RequestParams } from 'graphql-sse';
import { failureOf, linkSignal, messageOf } from './deadline.ts';
import { SixtypeError } from './errors.ts';
import { type PreparedOperation, payloadOf, prepare, type Variables } from './operation.ts';
import type { SubscribeOptions } from './options.ts';
import type { PersistedMode } from './persisted.ts';
import { errorOfGraphQLErrors, type GraphQLResponse, parseGraphQLResponse } from './response.ts';
import type { Transport } from './transport.ts';

/**
 * Runs a subscription from the first `next()` and yields the `data` of each event; an error event
 * rejects with its SixtypeError. A refusal before any event (PERSISTED_QUERY_ONLY,
 * PERSISTED_QUERY_NOT_FOUND) resubscribes once, by hash or by text, as `persisted` decides.
 */
export async function* subscribe(
  transport: Transport,
  persisted: PersistedMode,
  document: DocumentNode,
  variables: Variables | undefined,
  subscribeOptions: SubscribeOptions | undefined,
): AsyncGenerator<unknown, void, undefined> {
  const operation = prepare(document);
  if (operation.operationType !== 'subscription') {
    throw new TypeError(`${operation.operationName ?? 'The operation'} is not a subscription: use request()`);
  }
  let byHash = persisted.byHash(operation);
  for (let resent = false; ; resent = true) {
    let delivered = false;
    try {
      for await (const result of eventStream(transport, operation, byHash, variables, subscribeOptions)) {
        if (result.errors?.length) throw errorOfGraphQLErrors(result.errors, { data: result.data });
        delivered = true;
        yield result.data;
      }
      return;
    } catch (error) {
      const resend =
        !delivered && !resent && error instanceof SixtypeError
          ? persisted.fallback(operation, error, byHash)
          : undefined;
      if (resend === undefined) throw error;
      byHash = resend;
    }
  }
}

/** How long after the body ended a result still awaited counts as lost. */
const LOST_AFTER_MS = 50;

/**
 * One connection in graphql-sse's "distinct connections mode", which is what graphql-yoga serves
 * at the GraphQL endpoint itself: a POST with `accept: text/event-stream`, answered with `next`
 * events and a `complete`. Yields each event's payload; ends when the server completes the stream.
 * Every failure leaves as a SixtypeError, or as the caller's abort reason.
 */
async function* eventStream(
  transport: Transport,
  operation: PreparedOperation,
  byHash: boolean,
  variables: Variables | undefined,
  subscribeOptions: SubscribeOptions | undefined,
): AsyncGenerator<GraphQLResponse, void, undefined> {
  const url = transport.url;
  const callerSignal = subscribeOptions?.signal;
  if (callerSignal?.aborted) throw callerSignal.reason;
  // Aborted when the caller's signal aborts and when the stream ends, whichever comes first.
  const connection = new AbortController();
  const deadline = linkSignal(connection.signal, transport.timeoutFor(subscribeOptions));
  // graphql-sse reports a failed fetch as a NetworkError carrying only its message: the
  // SixtypeError `connect` raised (a refusal, TIMEOUT, NETWORK_ERROR) is kept here.
  let failure: unknown;
  // When the stream's body ends. graphql-sse waits for a `complete` event that a lost stream never
  // sends: if the body ended while no result was awaited, its next() never settles (seen on Node 24).
  // A result already received settles next() within microtasks; one that has not come 50 ms after
  // the body ended never will, and the wait is then failed as a lost stream.
  let bodyDone = false;
  let failWait: ((error: unknown) => void) | undefined;
  const lostAfterEnd = () =>
    setTimeout(() => failWait?.(new NetworkError('the stream ended without complete')), LOST_AFTER_MS);
  const bodyEnded = () => {
    bodyDone = true;
    lostAfterEnd();
  };

  /** graphql-sse's `fetchFn`: the caller's `fetch` under our signal, and a refusal as its SixtypeError. */
  async function connect(target: string, init: RequestInit): Promise<Response> {
    // graphql-sse's own signal aborts when the iteration is returned early.
    init.signal?.addEventListener('abort', () => connection.abort(), { once: true });
    let response: Response;
    try {
      response = await transport.fetch(target, { ...init, signal: deadline.signal ?? null });
    } catch (error) {
      throw failureOf(error, callerSignal, deadline, url);
    } finally {
      // The timeout bounds connecting only; the stream may stay open for hours. The link stays:
      // aborting `connection` must still reach the fetch, or its socket would stay open.
      deadline.stopTimer();
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (contentType.includes('text/event-stream') && response.body !== null) {
      // yoga streams a refusal as an error event under its HTTP status (403 for
      // PERSISTED_QUERY_ONLY); graphql-sse reads no body whose status is not 2xx, so the stream is
      // handed on as 200 and the refusal arrives as the error event it is. The pipe ends the body
      // when the connection aborts, even from a `fetch` that ignores its signal.
      const body = response.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ flush: bodyEnded }), {
        signal: connection.signal,
      });
      return new Response(body, { status: 200, headers: response.headers });
    }
    // A refusal before any stream, as a plain GraphQL response (a rate limit, a bad request).
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw failureOf(error, callerSignal, undefined, url);
    }
    const body = parseGraphQLResponse(text);
    if (body?.errors?.length) throw errorOfGraphQLErrors(body.errors, { status: response.status, data: body.data });
    throw new SixtypeError('HTTP_ERROR', `HTTP ${response.status} from ${url} is not an event stream`, {
      status: response.status,
    });
  }

  const client = createSseClient({
    url,
    headers: async () =>
      Object.fromEntries((await transport.headersFor(subscribeOptions, 'text/event-stream')).entries()),
    fetchFn: async (target: string, init: RequestInit) => {
      try {
        return await connect(target, init);
      } catch (error) {
        failure = error;
        throw error;
      }
    },
    // No reconnecting: events published while disconnected would be missed without a word. The
    // caller learns of the loss (NETWORK_ERROR) and resubscribes.
    retryAttempts: 0,
  });
  // The SDK's persisted form carries no `query`; graphql-sse sends the request as it is given.
  const request = payloadOf(operation, byHash, variables) as RequestParams;
  const results = client.iterate(request, { connected: () => subscribeOptions?.onConnected?.() });
  const stop = () => {
    connection.abort(callerSignal?.reason);
    void results.return?.();
  };
  callerSignal?.addEventListener('abort', stop, { once: true });
  const iterator = (results as AsyncIterable<ExecutionResult<unknown>>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const step = await new Promise<IteratorResult<ExecutionResult<unknown>>>((resolve, reject) => {
        failWait = reject;
        iterator.next().then(resolve, reject);
        if (bodyDone) lostAfterEnd();
      }).finally(() => {
        failWait = undefined;
      });
      if (step.done) break;
      yield step.value as GraphQLResponse;
    }
    if (callerSignal?.aborted) throw callerSignal.reason;
  } catch (error) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (failure !== undefined) throw failure;
    if (error instanceof NetworkError) {
      throw new SixtypeError('NETWORK_ERROR', `The event stream from ${url} was lost: ${messageOf(error)}`, {
        cause: error,
      });
    }
    throw new SixtypeError('HTTP_ERROR', `The event stream from ${url} is not GraphQL over SSE: ${messageOf(error)}`, {
      cause: error,
    });
  } finally {
    void iterator.return?.();
    callerSignal?.removeEventListener('abort', stop);
    connection.abort();
    deadline.dispose();
    client.dispose();
  }
}

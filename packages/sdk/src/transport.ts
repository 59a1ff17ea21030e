import { failureOf, linkSignal } from './deadline.ts';
import { SixtypeError } from './errors.ts';
import { type PreparedOperation, payloadOf, type Variables } from './operation.ts';
import type { ClientOptions, FetchLike, RequestOptions } from './options.ts';
import type { PersistedMode } from './persisted.ts';
import { dataOf, parseGraphQLResponse } from './response.ts';

/** One client's way to the API: its endpoint, its `fetch`, its credentials and its replica position. */
export interface Transport {
  readonly url: string;
  readonly fetch: FetchLike;
  /** The client's `timeoutMs`, unless this call overrides it. */
  timeoutFor(requestOptions: { timeoutMs?: number } | undefined): number | undefined;
  /** The headers of a request: credentials, read-after position, the client's and this call's own. */
  headersFor(requestOptions: { headers?: Record<string, string> } | undefined, accept: string): Promise<Headers>;
  /**
   * Sends a query or mutation once, by hash or by text as the server wants it (resent once when it
   * asks for the other), and resolves with its `data`. Every failure leaves as a SixtypeError whose
   * `code` and `status` tell a retry whether trying again can help; an abort leaves as the caller's
   * own abort reason.
   */
  send(
    operation: PreparedOperation,
    variables: Variables | undefined,
    requestOptions?: RequestOptions,
  ): Promise<unknown>;
}

/** Named by the API on a mutation's answer when it reads from replicas: the primary's WAL position after the write. */
const WRITE_LSN_HEADER = 'x-sixtype-write-lsn';
/** Sent back on later requests: the API then reads from a replica only once it has replayed that position. */
const READ_AFTER_HEADER = 'x-sixtype-read-after';

export function createTransport(options: ClientOptions, persisted: PersistedMode): Transport {
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

  async function headersFor(
    requestOptions: { headers?: Record<string, string> } | undefined,
    accept: string,
  ): Promise<Headers> {
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

  const timeoutFor = (requestOptions: { timeoutMs?: number } | undefined) =>
    requestOptions?.timeoutMs ?? options.timeoutMs;

  /** One HTTP attempt. */
  async function attempt(
    operation: PreparedOperation,
    byHash: boolean,
    variables: Variables | undefined,
    requestOptions: RequestOptions | undefined,
  ): Promise<unknown> {
    const signal = requestOptions?.signal;
    const deadline = linkSignal(signal, timeoutFor(requestOptions));
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

  async function send(
    operation: PreparedOperation,
    variables: Variables | undefined,
    requestOptions?: RequestOptions,
  ): Promise<unknown> {
    const byHash = persisted.byHash(operation);
    try {
      return await attempt(operation, byHash, variables, requestOptions);
    } catch (error) {
      if (!(error instanceof SixtypeError)) throw error;
      const resend = persisted.fallback(operation, error, byHash);
      if (resend === undefined) throw error;
      return attempt(operation, resend, variables, requestOptions);
    }
  }

  return { url: options.url, fetch: fetchImpl, timeoutFor, headersFor, send };
}

/** A PostgreSQL LSN (`16/B374D848`, two hexadecimal halves) as one number, or undefined for anything else. */
function lsnValue(lsn: string): bigint | undefined {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(lsn);
  return match ? (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`) : undefined;
}

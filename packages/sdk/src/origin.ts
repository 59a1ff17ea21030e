import { failureOf, linkSignal } from './deadline.ts';
import { SixtypeError } from './errors.ts';
import type { RequestOptions } from './options.ts';
import { dataOf, parseGraphQLResponse } from './response.ts';
import type { Transport } from './transport.ts';

/**
 * One request to a path of the API's origin beside `/graphql` (a report download, a bulk upload)
 * with the client's credentials and timeout, its answer read whole by `read`. A server that cannot
 * be reached, or a timeout, leaves as a SixtypeError; an abort as the caller's own reason.
 */
export async function fetchFromOrigin<T>(
  transport: Transport,
  path: string,
  requestOptions: Omit<RequestOptions, 'retry'> | undefined,
  accept: string,
  init: (headers: Headers) => RequestInit,
  read: (response: Response) => Promise<T>,
): Promise<{ url: string; response: Response; body: T }> {
  const url = new URL(path, transport.url).toString();
  const signal = requestOptions?.signal;
  const deadline = linkSignal(signal, transport.timeoutFor(requestOptions));
  try {
    const headers = await transport.headersFor(requestOptions, accept);
    const response = await transport.fetch(url, { ...init(headers), signal: deadline.signal ?? null });
    return { url, response, body: await read(response) };
  } catch (error) {
    throw failureOf(error, signal, deadline, url);
  } finally {
    deadline.dispose();
  }
}

/**
 * The SixtypeError of a refusal, which comes as GraphQL errors
 * (`{ errors: [{ message, extensions: { code } }] }`), or HTTP_ERROR when the body is none.
 */
export function refusalOf(text: string, response: Response, url: string): SixtypeError {
  try {
    dataOf(parseGraphQLResponse(text), response, url);
  } catch (error) {
    if (error instanceof SixtypeError) return error;
    throw error;
  }
  return new SixtypeError('HTTP_ERROR', `HTTP ${response.status} from ${url}`, { status: response.status });
}

import { failureOf, linkSignal } from './deadline.ts';
import { SixtypeError } from './errors.ts';
import type { RequestOptions } from './options.ts';
import { dataOf, parseGraphQLResponse } from './response.ts';
import type { Transport } from './transport.ts';

/**
 * Fetches a campaign report (`path` is `campaignReport.downloadUrl`, `/reports/…`) from the API's
 * origin with the client's credentials; a refusal comes as GraphQL errors and throws their SixtypeError.
 */
export async function downloadReport(
  transport: Transport,
  path: string,
  requestOptions?: Omit<RequestOptions, 'retry'>,
): Promise<Uint8Array> {
  if (!path.startsWith('/reports/')) {
    throw new TypeError('A report path starts with /reports/ (campaignReport.downloadUrl)');
  }
  const url = new URL(path, transport.url).toString();
  const signal = requestOptions?.signal;
  const deadline = linkSignal(signal, transport.timeoutFor(requestOptions));
  let response: Response;
  let body: ArrayBuffer;
  try {
    const headers = await transport.headersFor(requestOptions, '*/*');
    headers.delete('content-type');
    response = await transport.fetch(url, { method: 'GET', headers, signal: deadline.signal ?? null });
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
}

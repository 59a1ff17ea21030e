import type { RequestOptions } from './options.ts';
import { fetchFromOrigin, refusalOf } from './origin.ts';
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
  const { url, response, body } = await fetchFromOrigin(
    transport,
    path,
    requestOptions,
    '*/*',
    (headers) => {
      headers.delete('content-type');
      return { method: 'GET', headers };
    },
    (answer) => answer.arrayBuffer(),
  );
  if (response.ok) return new Uint8Array(body);
  throw refusalOf(new TextDecoder().decode(body), response, url);
}

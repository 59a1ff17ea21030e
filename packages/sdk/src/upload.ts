import type { MetricObservationInput } from './generated/graphql.ts';
import type { RequestOptions } from './options.ts';
import { fetchFromOrigin, refusalOf } from './origin.ts';
import { retrying } from './retry.ts';
import type { Transport } from './transport.ts';

/** The API's bulk upload of figures, on the GraphQL endpoint's origin. */
export const BULK_OBSERVATIONS_PATH = '/metrics/observations/bulk';

/**
 * The rows of an upload: an array, or a function giving them as an iterable or async iterable
 * (a generator reading a file, say), called once for each attempt so that a retry sends them again.
 */
export type UploadRows =
  | readonly MetricObservationInput[]
  | (() => Iterable<MetricObservationInput> | AsyncIterable<MetricObservationInput>);

export interface UploadOptions extends RequestOptions {
  /**
   * Sent as `Idempotency-Key` (1 to 200 characters; the keys of `submitMetricObservations`): the
   * same key with the same rows answers the first result with `replayed: true` and writes nothing,
   * which is what makes a retried upload safe.
   */
  idempotencyKey: string;
}

/** A refused row: `row` counts the upload's rows from 1. */
export interface BulkUploadRowError {
  row: number;
  field: string;
  code: string;
  message: string;
}

/**
 * The answer to an upload. All or nothing: either every row was written (`rejected` 0, `batchId`
 * set) or none was, and `errors` lists the refused rows (at most 1,000; `rejected` counts them all).
 */
export interface BulkUploadResult {
  batchId: string | null;
  accepted: number;
  rejected: number;
  replayed: boolean;
  errors: BulkUploadRowError[];
}

/** Rows per chunk of a streamed body. */
const ROWS_PER_CHUNK = 1000;

/**
 * Uploads figures to `POST /metrics/observations/bulk` as NDJSON with the client's credentials.
 * An array is sent as one body; rows from a function are streamed as they come. Transient failures
 * (a network error, a timeout, 502/503/504 such as `DATABASE_BUSY` while other uploads hold their
 * turns) are retried under the client's `retry` options: the idempotency key makes a repeat safe.
 * An upload with refused rows resolves with them (HTTP 422); other refusals throw SixtypeError.
 */
export async function uploadObservations(
  transport: Transport,
  rows: UploadRows,
  options: UploadOptions,
  clientRetry: RequestOptions['retry'],
): Promise<BulkUploadResult> {
  const key = options.idempotencyKey;
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
    throw new TypeError('idempotencyKey is required: 1 to 200 characters');
  }
  if (!Array.isArray(rows) && typeof rows !== 'function') {
    throw new TypeError('rows are an array, or a function returning an (async) iterable of them');
  }
  const retry = options.retry ?? clientRetry ?? {};
  return retrying('uploadObservations', retry, options.signal, () => attempt(transport, rows, options));
}

async function attempt(transport: Transport, rows: UploadRows, options: UploadOptions): Promise<BulkUploadResult> {
  const { url, response, body } = await fetchFromOrigin(
    transport,
    BULK_OBSERVATIONS_PATH,
    options,
    'application/json',
    (headers) => {
      headers.set('content-type', 'application/x-ndjson');
      headers.set('idempotency-key', options.idempotencyKey);
      // Each attempt asks a function for its rows again, so a retry sends them all.
      return typeof rows === 'function'
        ? ({ method: 'POST', headers, body: ndjsonStream(rows()), duplex: 'half' } as RequestInit)
        : { method: 'POST', headers, body: rows.map(ndjsonLine).join('') };
    },
    (answer) => answer.text(),
  );
  const result = response.status === 200 || response.status === 422 ? resultOf(body) : undefined;
  if (result) return result;
  throw refusalOf(body, response, url);
}

/** One row as a line of NDJSON, with only the fields the API reads. */
function ndjsonLine(row: MetricObservationInput): string {
  const { metricCode, orgCode, periodStart, granularity, value, source } = row;
  return `${JSON.stringify({ metricCode, orgCode, periodStart, granularity, value, source })}\n`;
}

/** The rows as a byte stream, a thousand lines a chunk, pulled as the request body is sent. */
function ndjsonStream(
  rows: Iterable<MetricObservationInput> | AsyncIterable<MetricObservationInput>,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator =
    Symbol.asyncIterator in rows
      ? (rows as AsyncIterable<MetricObservationInput>)[Symbol.asyncIterator]()
      : (rows as Iterable<MetricObservationInput>)[Symbol.iterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk = '';
      for (let n = 0; n < ROWS_PER_CHUNK; n++) {
        const next = await iterator.next();
        if (next.done) {
          if (chunk) controller.enqueue(encoder.encode(chunk));
          controller.close();
          return;
        }
        chunk += ndjsonLine(next.value);
      }
      controller.enqueue(encoder.encode(chunk));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

function resultOf(text: string): BulkUploadResult | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || !('accepted' in value) || !('errors' in value)) return undefined;
  const answer = value as BulkUploadResult;
  return {
    batchId: answer.batchId ?? null,
    accepted: answer.accepted,
    rejected: answer.rejected,
    replayed: answer.replayed,
    errors: answer.errors,
  };
}

import { createInterface } from 'node:readline';
import { Readable, Transform } from 'node:stream';
import type { Granularity } from '@sixtype/db';
import { withQuerySignal } from '@sixtype/db';
import {
  type BatchResult,
  ConflictError,
  type GraphQLContext,
  metricsAccessOf,
  type ObservationInput,
  submitObservationsBulk,
  UserError,
  ValidationError,
} from '@sixtype/graphql';
import { parse } from 'csv-parse';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { databaseFaultAnswer } from './database.ts';
import { httpStatusOf } from './errors.ts';
import type { Logger } from './logger.ts';
import type { UploadSlots } from './upload-slots.ts';

export const BULK_OBSERVATIONS_PATH = '/metrics/observations/bulk';
/** The largest body a bulk upload may send (bytes, counted as they arrive). */
export const MAX_BULK_BODY_BYTES = 1024 * 1024 * 1024;
/** The columns of a CSV of observations (a header row names them, in any order). */
export const CSV_COLUMNS = ['metricCode', 'orgCode', 'periodStart', 'granularity', 'value', 'source'] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];

/** Where each column stands in a CSV's header row, or what the header lacks. */
export function csvHeader(record: readonly string[]): { columnOf: Record<CsvColumn, number> } | { missing: string } {
  const header = record.map((name) => name.trim());
  const missing = CSV_COLUMNS.filter((column) => !header.includes(column));
  if (missing.length > 0)
    return { missing: `the CSV header lacks ${missing.join(', ')} (expected ${CSV_COLUMNS.join(',')})` };
  return {
    columnOf: Object.fromEntries(CSV_COLUMNS.map((column) => [column, header.indexOf(column)])) as Record<
      CsvColumn,
      number
    >,
  };
}

/** A CSV record as an observation (cells as written; `granularity` in any case). */
export function observationOfCsv(record: readonly string[], columnOf: Record<CsvColumn, number>): ObservationInput {
  const cell = (column: CsvColumn) => record[columnOf[column]] ?? '';
  return {
    metricCode: cell('metricCode'),
    orgCode: cell('orgCode'),
    periodStart: cell('periodStart'),
    granularity: cell('granularity').toUpperCase() as Granularity,
    value: cell('value'),
    source: cell('source'),
  };
}

/** The body was longer than MAX_BULK_BODY_BYTES. */
class BodyTooLarge extends Error {}

/** Counts the body's bytes and stops it past `limit`. */
function byteLimit(limit: number): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > limit) callback(new BodyTooLarge(`the body is larger than ${limit} bytes`));
      else callback(null, chunk);
    },
  });
}

/** A web stream's chunks (yoga's Request body is its fetch ponyfill's stream, not Node's). */
async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** One NDJSON line as a row: each field a JSON string (decimals are sent as strings). */
function ndjsonRow(line: string, lineNumber: number): ObservationInput {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw ValidationError.of(['body', `line ${lineNumber}`], 'is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw ValidationError.of(['body', `line ${lineNumber}`], 'must be a JSON object');
  }
  const record = value as Record<string, unknown>;
  const row: Record<string, string> = {};
  for (const field of CSV_COLUMNS) {
    const cell = record[field];
    if (cell === undefined || cell === null) row[field] = '';
    else if (typeof cell === 'string') row[field] = cell;
    else
      throw ValidationError.of(
        ['body', `line ${lineNumber}`, field],
        'must be a JSON string (send decimals as strings)',
      );
  }
  return row as unknown as ObservationInput;
}

async function* ndjsonRows(body: Readable): AsyncGenerator<ObservationInput> {
  let lineNumber = 0;
  for await (const line of createInterface({ input: body, crlfDelay: Number.POSITIVE_INFINITY })) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    yield ndjsonRow(line, lineNumber);
  }
}

/**
 * CSV rows by csv-parse, cells taken as written (the input rules refuse `" 12"`), a header row
 * naming the columns first. Blank lines are skipped; `granularity` is read in any case.
 */
export async function* csvRows(body: Readable): AsyncGenerator<ObservationInput> {
  const records = body.pipe(parse({ skip_empty_lines: true, bom: true, relax_column_count: true }));
  let columnOf: Record<CsvColumn, number> | undefined;
  for await (const record of records as AsyncIterable<string[]>) {
    if (!columnOf) {
      const header = csvHeader(record);
      if ('missing' in header) throw ValidationError.of(['body', 'header'], header.missing);
      columnOf = header.columnOf;
      continue;
    }
    yield observationOfCsv(record, columnOf);
  }
}

/** The answer's body: rows counted from 1 in the order sent (the CSV header and blank lines not counted). */
export function bulkAnswer(result: BatchResult) {
  return {
    batchId: result.batchId === null ? null : String(result.batchId),
    accepted: result.accepted,
    rejected: result.rejected,
    replayed: result.replayed,
    errors: result.errors.map(({ index, field, code, message }) => ({ row: index + 1, field, code, message })),
  };
}

/**
 * `POST /metrics/observations/bulk`: a backfill of observations as NDJSON
 * (`application/x-ndjson`, one object a line) or CSV (`text/csv`, a header row first), read as
 * it arrives, with the same credentials, permission and row rules as submitMetricObservations and
 * an `Idempotency-Key` header; all or nothing (submitObservationsBulk).
 */
export function useBulkObservations(options: {
  logger: Logger;
  createContext: (request: Request) => Promise<GraphQLContext>;
  /** Uploads written at once; the rest wait their turn (upload-slots.ts). */
  slots: UploadSlots;
  maxBodyBytes?: number;
}): Plugin {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BULK_BODY_BYTES;
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== BULK_OBSERVATIONS_PATH) return;
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        endResponse(
          new fetchAPI.Response(JSON.stringify(body), {
            status,
            headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
          }),
        );
      const refuse = (status: number, code: string, message: string, headers?: Record<string, string>) =>
        json(status, { errors: [{ message, extensions: { code } }] }, headers);
      if (request.method !== 'POST') return refuse(405, 'BAD_USER_INPUT', 'Send observations with POST');
      const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
      const rowsOf =
        type === 'application/x-ndjson' || type === 'application/ndjson'
          ? ndjsonRows
          : type === 'text/csv'
            ? csvRows
            : undefined;
      if (!rowsOf) return refuse(415, 'BAD_REQUEST', 'Send application/x-ndjson or text/csv');
      const declared = Number(request.headers.get('content-length') ?? 0);
      if (declared > maxBodyBytes) return refuse(413, 'BAD_REQUEST', `The body is larger than ${maxBodyBytes} bytes`);

      return withQuerySignal(request.signal, async () => {
        try {
          const context = await options.createContext(request);
          const access = metricsAccessOf(context.viewer);
          if (access.writable === undefined) {
            return context.viewer.kind === 'ANONYMOUS'
              ? refuse(401, 'UNAUTHENTICATED', 'Sign in or send an API key to use this field')
              : refuse(403, 'FORBIDDEN', 'Not allowed');
          }
          const key = request.headers.get('idempotency-key');
          if (!key) return refuse(400, 'BAD_USER_INPUT', 'Send an Idempotency-Key header');
          if (!request.body) return refuse(400, 'BAD_USER_INPUT', 'Send the rows in the body');
          // Its turn before its connection: the body waits unread (TCP holds the sender back).
          const release = await options.slots.acquire(request.signal);
          if (!release) {
            return refuse(503, 'DATABASE_BUSY', 'Too many bulk uploads at once: send it again in a moment', {
              'retry-after': '1',
            });
          }
          try {
            const body = Readable.from(chunksOf(request.body), { objectMode: false }).pipe(byteLimit(maxBodyBytes));
            const result = await submitObservationsBulk(context.db, access, {
              idempotencyKey: key,
              rows: rowsOf(body),
            });
            return json(result.rejected > 0 ? 422 : 200, bulkAnswer(result));
          } finally {
            release();
          }
        } catch (error) {
          if (error instanceof BodyTooLarge) return refuse(413, 'BAD_REQUEST', error.message);
          if (error instanceof UserError) {
            const field = error instanceof ConflictError ? error.field : null;
            return json(httpStatusOf(error.code), {
              errors: [{ message: error.message, extensions: { code: error.code, ...(field ? { field } : {}) } }],
            });
          }
          // A credential refused (UNAUTHENTICATED), answered as /graphql answers it.
          if (error instanceof GraphQLError) {
            const code = String(error.extensions.code ?? '');
            if (httpStatusOf(code) < 500) return refuse(httpStatusOf(code), code, error.message);
          }
          const code = (error as { code?: string }).code;
          if (typeof code === 'string' && code.startsWith('CSV_')) {
            return refuse(400, 'BAD_USER_INPUT', (error as Error).message);
          }
          const fault = databaseFaultAnswer(error, options.logger, { path: url.pathname });
          if (fault) return refuse(fault.status, fault.code, fault.message, fault.headers);
          options.logger.error({ err: error, path: url.pathname }, 'bulk upload failed');
          return refuse(500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
        }
      });
    },
  };
}

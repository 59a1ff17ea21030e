import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AuditActor, Executor } from '@sixtype/db';
import {
  type BatchResult,
  batchesUnderKeyPrefix,
  batchPayloadHash,
  MAX_BATCH_ROWS,
  type ObservationInput,
  submitObservations,
  submitObservationsBulk,
} from '@sixtype/graphql';
import { SingleBar } from 'cli-progress';
import { parse } from 'csv-parse/sync';
import { CSV_COLUMNS, csvHeader, csvRows, observationOfCsv } from './bulk-observations.ts';

export { CSV_COLUMNS };

export interface ImportSummary {
  rows: number;
  accepted: number;
  rejected: number;
  replayedBatches: number;
  /** Rejected rows by the line of the file on which the row starts (the header is line 1 when first). */
  errors: { line: number; field: string; message: string }[];
}

export interface ImportOptions {
  db: Executor;
  actor: AuditActor;
  file: string;
  /** Idempotency key prefix; by default the SHA-256 of the file, so importing the same file again writes nothing. */
  key?: string | undefined;
  batchSize?: number | undefined;
  /** Shows a progress bar on this stream (the CLI passes stderr when it is a terminal). */
  progress?: NodeJS.WritableStream | undefined;
}

export interface BulkImportSummary {
  accepted: number;
  rejected: number;
  replayed: boolean;
  /** Refused rows by their number among the file's rows (from 1; the header is not a row). */
  errors: { row: number; field: string; message: string }[];
}

/**
 * Imports a CSV through the bulk path (submitObservationsBulk, as `POST /metrics/observations/bulk`
 * does): the file is streamed, never read whole, and written all or nothing under one key (by
 * default the SHA-256 of the file, so importing it again writes nothing).
 */
export async function importMetricsCsvBulk(
  options: Pick<ImportOptions, 'db' | 'actor' | 'file' | 'key'>,
): Promise<BulkImportSummary> {
  let key = options.key;
  if (!key) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(options.file)) hash.update(chunk as Buffer);
    key = `bulk:${hash.digest('hex').slice(0, 32)}`;
  }
  const result = await submitObservationsBulk(
    options.db,
    { actor: options.actor, writable: null },
    { idempotencyKey: key, rows: csvRows(createReadStream(options.file)) },
  );
  return {
    accepted: result.accepted,
    rejected: result.rejected,
    replayed: result.replayed,
    errors: result.errors.map((error) => ({ row: error.index + 1, field: error.field, message: error.message })),
  };
}

interface CsvRow {
  /** The line of the file on which the row starts: blank lines and line breaks inside quoted cells count. */
  line: number;
  observation: ObservationInput;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Reads the rows with csv-parse. A cell is taken as written: the importer follows the API's
 * input rules, so `" 12"` is refused as it would be by submitMetricObservations. csv-parse
 * reports where each record ends in bytes; the record starts after the line breaks that follow
 * the previous one, and its line is the count of line breaks before that (LF or CRLF alike).
 */
function readCsv(content: Buffer): CsvRow[] {
  const records = parse(content, { skip_empty_lines: true, bom: true, info: true }) as unknown as {
    record: string[];
    info: { bytes: number };
  }[];
  const [head, ...body] = records;
  if (!head) return [];
  const header = csvHeader(head.record);
  if ('missing' in header) {
    if (body.length > 0) throw new Error(header.missing);
    return [];
  }
  const { columnOf } = header;
  let position = head.info.bytes;
  let line = 1 + countNewlines(content, 0, head.info.bytes);
  return body.map(({ record, info }) => {
    while (content[position] === NEWLINE || content[position] === CARRIAGE_RETURN) {
      if (content[position] === NEWLINE) line += 1;
      position += 1;
    }
    const start = line;
    line += countNewlines(content, position, info.bytes);
    position = info.bytes;
    return { line: start, observation: observationOfCsv(record, columnOf) };
  });
}

function countNewlines(content: Buffer, from: number, to: number): number {
  let count = 0;
  for (let i = content.indexOf(NEWLINE, from); i !== -1 && i < to; i = content.indexOf(NEWLINE, i + 1)) count += 1;
  return count;
}

/** `<key>:<first row>-<last row>`, rows counted from 1 among the file's rows (not its lines). */
const rangeKey = (key: string, from: number, to: number) => `${key}:${from + 1}-${to}`;
const RANGE = /^(\d+)-(\d+)$/;

/**
 * Imports a CSV of observations with the same rules as submitMetricObservations: rows go in
 * batches, valid rows are written, invalid ones are reported by line. A header row naming the
 * columns is required.
 *
 * Each batch is idempotent under a key naming the rows it holds (`<key>:1-1000`). Before writing,
 * the import reads which rows earlier runs under the same key already sent, checks they are the
 * same rows, and sends only the others: a rerun writes nothing, and an interrupted run resumes,
 * whatever `batchSize` either run used.
 */
export async function importMetricsCsv(options: ImportOptions): Promise<ImportSummary> {
  const content = await readFile(options.file);
  const rows = readCsv(content);
  const key = options.key ?? createHash('sha256').update(content).digest('hex').slice(0, 32);
  const batchSize = Math.min(options.batchSize ?? 1000, MAX_BATCH_ROWS);
  const summary: ImportSummary = { rows: rows.length, accepted: 0, rejected: 0, replayedBatches: 0, errors: [] };
  const observations = rows.map((row) => row.observation);

  const add = (from: number, result: BatchResult) => {
    summary.accepted += result.accepted;
    summary.rejected += result.rejected;
    for (const error of result.errors) {
      const line = rows[from + error.index]?.line ?? 0;
      summary.errors.push({ line, field: error.field, message: error.message });
    }
  };

  const sent = new Array<boolean>(rows.length).fill(false);
  for (const batch of await batchesUnderKeyPrefix(options.db, options.actor, `${key}:`)) {
    const range = RANGE.exec(batch.idempotencyKey.slice(key.length + 1));
    if (!range) continue;
    const [from, to] = [Number(range[1]) - 1, Number(range[2])];
    if (to > rows.length || batchPayloadHash(observations.slice(from, to)) !== batch.payloadHash) {
      throw new Error(
        `the key ${key} was used for other rows ${from + 1}-${to} before; import this file under another --key`,
      );
    }
    sent.fill(true, from, to);
    summary.replayedBatches += 1;
    add(from, batch.result);
  }

  // The rows no earlier run sent, as runs of consecutive rows cut into batches.
  const chunks: [number, number][] = [];
  for (let from = 0; from < rows.length; ) {
    if (sent[from]) {
      from += 1;
      continue;
    }
    let to = from;
    while (to < rows.length && !sent[to] && to - from < batchSize) to += 1;
    chunks.push([from, to]);
    from = to;
  }

  const bar = options.progress
    ? new SingleBar({ stream: options.progress, format: 'importing [{bar}] {value}/{total} rows', hideCursor: true })
    : undefined;
  const pending = chunks.reduce((n, [from, to]) => n + to - from, 0);
  bar?.start(pending, 0);
  try {
    let done = 0;
    for (const [from, to] of chunks) {
      const result = await submitObservations(
        options.db,
        { actor: options.actor, writable: null },
        { idempotencyKey: rangeKey(key, from, to), observations: observations.slice(from, to) },
      );
      // A run that raced this one sent the same rows under the same key: its answer, not twice.
      if (result.replayed) summary.replayedBatches += 1;
      add(from, result);
      done += to - from;
      bar?.update(done);
    }
  } finally {
    bar?.stop();
  }
  summary.errors.sort((a, b) => a.line - b.line);
  return summary;
}

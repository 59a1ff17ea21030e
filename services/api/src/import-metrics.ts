import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AuditActor, Executor, Granularity } from '@sixtype/db';
import { MAX_BATCH_ROWS, type ObservationInput, submitObservations } from '@sixtype/graphql';
import { SingleBar } from 'cli-progress';
import { parse } from 'csv-parse/sync';

export const CSV_COLUMNS = ['metricCode', 'orgCode', 'periodStart', 'granularity', 'value', 'source'] as const;

export interface ImportSummary {
  rows: number;
  accepted: number;
  rejected: number;
  replayedBatches: number;
  /** Rejected rows by their line in the file (the header is line 1). */
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

/**
 * Imports a CSV of observations with the same rules as submitMetricObservations: each chunk of
 * rows is one idempotent batch (key `<key>:<chunk>`), valid rows are written, invalid ones are
 * reported by line. A header row naming the columns is required.
 */
export async function importMetricsCsv(options: ImportOptions): Promise<ImportSummary> {
  const content = await readFile(options.file);
  const records = parse(content, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<
    string,
    string
  >[];
  const header = Object.keys(records[0] ?? {});
  const missing = CSV_COLUMNS.filter((column) => !header.includes(column));
  if (records.length > 0 && missing.length > 0) {
    throw new Error(`the CSV header lacks ${missing.join(', ')} (expected ${CSV_COLUMNS.join(',')})`);
  }
  const key = options.key ?? createHash('sha256').update(content).digest('hex').slice(0, 32);
  const batchSize = Math.min(options.batchSize ?? 1000, MAX_BATCH_ROWS);
  const summary: ImportSummary = { rows: records.length, accepted: 0, rejected: 0, replayedBatches: 0, errors: [] };
  const bar = options.progress
    ? new SingleBar({ stream: options.progress, format: 'importing [{bar}] {value}/{total} rows', hideCursor: true })
    : undefined;
  bar?.start(records.length, 0);
  try {
    for (let offset = 0; offset < records.length; offset += batchSize) {
      const chunk = records.slice(offset, offset + batchSize);
      const observations: ObservationInput[] = chunk.map((record) => ({
        metricCode: record.metricCode ?? '',
        orgCode: record.orgCode ?? '',
        periodStart: record.periodStart ?? '',
        granularity: (record.granularity ?? '').toUpperCase() as Granularity,
        value: record.value ?? '',
        source: record.source ?? '',
      }));
      const result = await submitObservations(
        options.db,
        { actor: options.actor, writable: null },
        { idempotencyKey: `${key}:${offset / batchSize}`, observations },
      );
      summary.accepted += result.accepted;
      summary.rejected += result.rejected;
      if (result.replayed) summary.replayedBatches += 1;
      for (const error of result.errors) {
        // +2: the header is line 1 and rows count from 0.
        summary.errors.push({ line: offset + error.index + 2, field: error.field, message: error.message });
      }
      bar?.update(Math.min(offset + batchSize, records.length));
    }
  } finally {
    bar?.stop();
  }
  return summary;
}

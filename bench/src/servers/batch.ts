import { createHash } from 'node:crypto';

/**
 * The API's rules for a batch of metric observations (packages/graphql metrics.service.ts), shared
 * by the naive server and the floor so both remember a batch under the same payload hash.
 */
export interface ObservationInput {
  metricCode: string;
  orgCode: string;
  periodStart: string;
  granularity: 'MONTH' | 'QUARTER' | 'YEAR';
  value: string;
  source: string;
}

export interface SubmitInput {
  idempotencyKey: string;
  observations: ObservationInput[];
}

/** A finite decimal as text: optional sign, digits, optional fraction. No exponents, no NaN. */
export const DECIMAL_PATTERN = /^-?(0|[1-9]\d{0,29})(\.\d{1,12})?$/;
export const MAX_BATCH_ROWS = 10_000;

/** SHA-256 of the rows as the API canonicalizes them: the same key with another payload is a conflict. */
export const payloadHash = (rows: readonly ObservationInput[]) =>
  createHash('sha256')
    .update(
      JSON.stringify(
        rows.map((r) => [r.metricCode, r.orgCode, r.granularity, r.periodStart, r.value.trim(), r.source]),
      ),
    )
    .digest('hex');

/** The API's checks of the batch as a whole, before any row: a message, or null when it may proceed. */
export function batchProblem(input: SubmitInput): string | null {
  const key = input.idempotencyKey.trim();
  if (key.length < 1 || key.length > 200) return 'input.idempotencyKey: must be 1 to 200 characters';
  if (input.observations.length === 0) return 'input.observations: must hold at least one row';
  if (input.observations.length > MAX_BATCH_ROWS) {
    return `input.observations: must hold at most ${MAX_BATCH_ROWS} rows; split the batch`;
  }
  return null;
}

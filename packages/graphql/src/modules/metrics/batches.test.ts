import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { batchPayloadHash, createPayloadHasher } from './batches.ts';
import type { ObservationInput } from './metrics.service.ts';

const row = (i: number): ObservationInput => ({
  metricCode: 'PETITIONS_RESOLVED',
  orgCode: `UNIT_${i % 7}`,
  granularity: 'MONTH',
  periodStart: '2026-03-01',
  value: `${i}.50`,
  source: i === 3 ? '信访 "系统"\n' : 'demo',
});

describe('batch payload hash', () => {
  // Stored with every batch: a replay of the same key with a hash computed differently would be
  // refused as a conflict, so the bytes hashed are fixed: the JSON array of each row's fields.
  it('is the SHA-256 of the JSON array of each row as sent, across the rows hashed in chunks', () => {
    for (const count of [0, 1, 255, 256, 257, 1000]) {
      const rows = Array.from({ length: count }, (_, i) => row(i));
      const expected = createHash('sha256')
        .update(
          JSON.stringify(rows.map((r) => [r.metricCode, r.orgCode, r.granularity, r.periodStart, r.value, r.source])),
        )
        .digest('hex');
      expect(batchPayloadHash(rows)).toBe(expected);
      const streamed = createPayloadHasher();
      for (const r of rows) streamed.add(r);
      expect(streamed.digest()).toBe(expected);
    }
  });

  it('pins the hash of a known batch', () => {
    expect(batchPayloadHash([row(1), row(3)])).toBe(
      createHash('sha256')
        .update(
          '[["PETITIONS_RESOLVED","UNIT_1","MONTH","2026-03-01","1.50","demo"],["PETITIONS_RESOLVED","UNIT_3","MONTH","2026-03-01","3.50","信访 \\"系统\\"\\n"]]',
        )
        .digest('hex'),
    );
  });
});

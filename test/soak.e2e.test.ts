import { describe, expect, it } from 'vitest';
import { runSoak } from './soak.ts';

/**
 * The soak's short variant (`npm run soak` runs it for 10 minutes): 20 seconds of mixed load and
 * fuzzing against the API in its own process. Run in CI's PostgreSQL pass (TEST_DATABASE_URL),
 * where the server has a pool and the most concurrency; locally with SOAK_TEST=1 on PGlite too.
 */
const enabled = Boolean(process.env.TEST_DATABASE_URL || process.env.SOAK_TEST);

describe.skipIf(!enabled)('soak, short', () => {
  it('answers a mixed, fuzzed load with no 5xx, no uncoded or internal error and no row outside a subtree', async () => {
    const report = await runSoak({ minutes: 1 / 3, concurrency: 6 });
    expect(report.violations).toEqual([]);
    expect(report.violationCount).toBe(0);
    // Every role and the fuzzer were exercised, and the refusals came back coded.
    for (const kind of [
      'admin',
      'manager',
      'apiClient',
      'fuzz:anonymous',
      'fuzz:admin',
      'fuzz:manager',
      'fuzz:apiClient',
    ]) {
      expect(report.byKind[kind] ?? 0, kind).toBeGreaterThan(0);
    }
    expect(report.errorCodes.PERSISTED_QUERY_ONLY ?? 0).toBeGreaterThan(0);
    expect(report.errorCodes.GRAPHQL_VALIDATION_FAILED ?? 0).toBeGreaterThan(0);
    expect(Object.keys(report.byStatus).filter((status) => Number(status) >= 500)).toEqual([]);
  }, 180_000);
});

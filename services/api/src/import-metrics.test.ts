import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricObservations } from '@sixtype/db';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-commands.ts';
import { loadEnv } from './env.ts';

let database: TestDatabase;
let folder: string;

beforeAll(async () => {
  database = await openTestDatabase();
  folder = mkdtempSync(join(tmpdir(), 'sixtype-import-'));
});
afterAll(async () => {
  await database?.close();
  rmSync(folder, { recursive: true, force: true });
});

async function cli(argv: string[]) {
  const run = { code: -1, stdout: [] as string[], stderr: [] as string[] };
  run.code = await runCli(argv, {
    env: loadEnv({ LOG_LEVEL: 'warn' }),
    actor: { kind: 'SYSTEM', id: 'cli:test' },
    io: {
      stdout: (line) => run.stdout.push(...line.split('\n')),
      stderr: (line) => run.stderr.push(...line.split('\n')),
      readSecret: async () => '',
    },
    open: async () => ({ ...database, close: async () => {} }),
  });
  return run;
}

const importedRows = async () => {
  const [row] = await database.db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(metricObservations)
    .where(sql`${metricObservations.source} = 'csv import test'`);
  return row?.n ?? 0;
};

describe('npm run cli -- import-metrics', () => {
  it('writes the valid rows, lists the refused ones by line, and writes nothing when run again', async () => {
    const file = join(folder, 'figures.csv');
    const lines = ['metricCode,orgCode,periodStart,granularity,value,source'];
    for (let quarter = 0; quarter < 4; quarter += 1) {
      for (const org of ['FINANCE_BUREAU', 'CIVIL_AFFAIRS_BUREAU']) {
        lines.push(
          `FISCAL_REVENUE_TOTAL,${org},2013-${String(quarter * 3 + 1).padStart(2, '0')}-01,QUARTER,${quarter + 1}.25,csv import test`,
        );
      }
    }
    lines.push('FISCAL_REVENUE_TOTAL,NO_SUCH_UNIT,2013-01-01,QUARTER,1,csv import test');
    lines.push('FISCAL_REVENUE_TOTAL,FINANCE_BUREAU,2014-02-01,QUARTER,1,csv import test');
    writeFileSync(file, `${lines.join('\n')}\n`);

    const first = await cli(['import-metrics', file, '--batch-size', '3']);
    expect(first.code).toBe(1);
    expect(first.stdout.at(-1)).toBe('10 rows: 8 accepted, 2 refused');
    expect(first.stderr).toContain('line 10: orgCode: no unit NO_SUCH_UNIT');
    expect(first.stderr).toContain('line 11: periodStart: must be the first day of a quarter');
    expect(await importedRows()).toBe(8);

    const again = await cli(['import-metrics', file, '--batch-size', '3']);
    expect(again.stdout.at(-1)).toContain('4 batches had been imported before');
    expect(await importedRows()).toBe(8);
  });

  it('refuses a file without the expected header', async () => {
    const file = join(folder, 'bad.csv');
    writeFileSync(file, 'code,unit,value\nX,Y,1\n');
    const run = await cli(['import-metrics', file]);
    expect(run.code).toBe(1);
    expect(run.stderr.join('\n')).toContain('the CSV header lacks metricCode');
  });

  it('asks for a file name', async () => {
    const run = await cli(['import-metrics']);
    expect(run.code).not.toBe(0);
    expect(run.stderr.join('\n')).toContain('name the CSV file');
  });
});

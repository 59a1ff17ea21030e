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
    // The file's tests share its database (the importer commits): counted from here.
    const before = await importedRows();

    const first = await cli(['import-metrics', file, '--batch-size', '3']);
    expect(first.code).toBe(1);
    expect(first.stdout.at(-1)).toBe('10 rows: 8 accepted, 2 refused');
    expect(first.stderr).toContain('line 10: orgCode: no unit NO_SUCH_UNIT');
    expect(first.stderr).toContain('line 11: periodStart: must be the first day of a quarter');
    expect(await importedRows()).toBe(before + 8);

    const again = await cli(['import-metrics', file, '--batch-size', '3']);
    expect(again.stdout.at(-1)).toContain('4 batches had been imported before');
    expect(await importedRows()).toBe(before + 8);
  });

  it('writes nothing when run again with another batch size, and resumes an interrupted run', async () => {
    const file = join(folder, 'sizes.csv');
    const lines = ['metricCode,orgCode,periodStart,granularity,value,source'];
    for (let n = 1; n <= 12; n += 1) {
      const start = `${2017 + Math.floor((n - 1) / 4)}-${String(((n - 1) % 4) * 3 + 1).padStart(2, '0')}-01`;
      lines.push(`FISCAL_REVENUE_TOTAL,FINANCE_BUREAU,${start},QUARTER,${n},csv import test`);
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const before = await importedRows();
    // An interrupted run: only the first five rows went in (as the first two batches of size 3
    // would have, less one row), under the key the importer derives.
    writeFileSync(join(folder, 'part.csv'), `${lines.slice(0, 6).join('\n')}\n`);
    const key = 'resume-test';
    await cli(['import-metrics', join(folder, 'part.csv'), '--key', key, '--batch-size', '3']);
    expect(await importedRows()).toBe(before + 5);

    // The whole file under the same key: only rows 6 to 12 are sent, in batches of 4.
    const resumed = await cli(['import-metrics', file, '--key', key, '--batch-size', '4']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout.at(-1)).toContain('12 rows: 12 accepted, 0 refused (2 batches had been imported before');
    expect(await importedRows()).toBe(before + 12);

    for (const size of ['1', '5', '1000']) {
      const again = await cli(['import-metrics', file, '--key', key, '--batch-size', size]);
      expect(again.stdout.at(-1)).toContain('12 rows: 12 accepted, 0 refused');
      expect(await importedRows()).toBe(before + 12);
    }
    const byHash = await cli(['import-metrics', file, '--batch-size', '5']);
    expect(await importedRows()).toBe(before + 24);
    for (const size of ['2', '7']) {
      await cli(['import-metrics', file, '--batch-size', size]);
      expect(await importedRows()).toBe(before + 24);
    }
    expect(byHash.code).toBe(0);

    // The key of one file used for another: refused, nothing written.
    writeFileSync(join(folder, 'other.csv'), `${lines.slice(0, 6).join('\n').replace(',1,', ',100,')}\n`);
    const other = await cli(['import-metrics', join(folder, 'other.csv'), '--key', key]);
    expect(other.code).toBe(1);
    expect(other.stderr.join('\n')).toContain('import this file under another --key');
    expect(await importedRows()).toBe(before + 24);
  });

  it('reports the line a refused row starts on, with blank lines, CRLF and quoted multi-line cells', async () => {
    for (const newline of ['\n', '\r\n']) {
      const file = join(folder, `lines-${newline.length}.csv`);
      const text = [
        '\ufeffmetricCode,orgCode,periodStart,granularity,value,source', // 1
        '', // 2
        'FISCAL_REVENUE_TOTAL,FINANCE_BUREAU,2016-01-01,QUARTER,1,"csv import test', // 3
        'with a second line"', // 4
        '', // 5
        'FISCAL_REVENUE_TOTAL,NO_SUCH_UNIT,2016-01-01,QUARTER,1,csv import test', // 6
        'FISCAL_REVENUE_TOTAL,FINANCE_BUREAU,2016-04-01,QUARTER, 12,"a', // 7
        '', // 8
        'b"', // 9
        'FISCAL_REVENUE_TOTAL,FINANCE_BUREAU,2016-07-01,QUARTER,0012,csv import test', // 10
        '',
      ].join(newline);
      writeFileSync(file, text);
      const run = await cli(['import-metrics', file, '--batch-size', '2']);
      expect(run.stdout.at(-1)).toBe('4 rows: 1 accepted, 3 refused');
      expect(run.stderr.filter((line) => line.startsWith('line '))).toEqual([
        'line 6: orgCode: no unit NO_SUCH_UNIT',
        expect.stringMatching(/^line 7: value: must be a finite decimal/),
        expect.stringMatching(/^line 10: value: must be a finite decimal/),
      ]);
    }
  });

  it('--bulk streams the file through the bulk path: all or nothing, and nothing again when run again', async () => {
    const before = await importedRows();
    const lines = ['metricCode,orgCode,periodStart,granularity,value,source'];
    for (let n = 0; n < 8; n += 1) {
      lines.push(
        `FISCAL_REVENUE_TOTAL,FINANCE_BUREAU,${2005 + Math.floor(n / 4)}-${String((n % 4) * 3 + 1).padStart(2, '0')}-01,QUARTER,${n},csv import test`,
      );
    }
    const bad = join(folder, 'bulk-bad.csv');
    writeFileSync(
      bad,
      `${[...lines, 'FISCAL_REVENUE_TOTAL,NO_SUCH_UNIT,2005-01-01,QUARTER,1,csv import test'].join('\n')}\n`,
    );
    const refused = await cli(['import-metrics', bad, '--bulk']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('row 9: orgCode: no unit NO_SUCH_UNIT');
    expect(refused.stdout.at(-1)).toBe('1 rows refused, nothing written');
    expect(await importedRows()).toBe(before);

    const good = join(folder, 'bulk-good.csv');
    writeFileSync(good, `${lines.join('\n')}\n`);
    const first = await cli(['import-metrics', good, '--bulk']);
    expect(first.code).toBe(0);
    expect(first.stdout.at(-1)).toBe('8 rows accepted');
    expect(await importedRows()).toBe(before + 8);
    const again = await cli(['import-metrics', good, '--bulk']);
    expect(again.stdout.at(-1)).toBe('8 rows accepted (imported before; nothing new written)');
    expect(await importedRows()).toBe(before + 8);
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

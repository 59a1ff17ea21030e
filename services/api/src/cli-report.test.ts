import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-commands.ts';
import { loadEnv } from './env.ts';

let database: TestDatabase;
let folder: string;

beforeAll(async () => {
  database = await openTestDatabase();
  folder = mkdtempSync(join(tmpdir(), 'sixtype-cli-report-'));
});
afterAll(async () => {
  await database?.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

async function cli(argv: string[]) {
  const run = { code: -1, stdout: [] as string[], stderr: [] as string[], written: '', progress: '' };
  // A terminal-like stream, so the progress bar draws.
  const progress = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        run.progress += String(chunk);
        done();
      },
    }),
    { isTTY: true, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
  );
  run.code = await runCli(argv, {
    env: loadEnv({ LOG_LEVEL: 'warn', DATABASE_URL: database.url }),
    cwd: folder,
    actor: { kind: 'SYSTEM', id: 'cli:test' },
    io: {
      stdout: (line) => run.stdout.push(...line.split('\n')),
      stderr: (line) => run.stderr.push(...line.split('\n')),
      write: (text) => {
        run.written += text;
      },
      readSecret: async () => '',
    },
    open: async () => ({ ...database, close: async () => {} }),
    progress,
  });
  return run;
}

describe('report command', () => {
  it('writes the zone’s 2012-Q1 PDF with a progress bar', async () => {
    const run = await cli([
      'report',
      '--campaign',
      'SIX_TYPE_2012',
      '--period',
      '2012-Q1',
      '--org',
      'ZONE',
      '--format',
      'pdf',
      '--out',
      'report.pdf',
    ]);
    expect(run.stderr.join('\n')).toBe('');
    expect(run.code).toBe(0);
    const file = join(folder, 'report.pdf');
    expect(run.stdout.at(-1)).toMatch(new RegExp(`^Report written to ${file} \\(\\d+ bytes\\)\\.$`));
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toMatch(/全区财政总收入\s+15825\s/);
    expect(run.progress).toMatch(/report \[.*\] 7\/7 done/);
    // An existing file is never overwritten.
    const again = await cli([
      'report',
      '--campaign',
      'SIX_TYPE_2012',
      '--period',
      '2012-Q1',
      '--org',
      'ZONE',
      '--out',
      'report.pdf',
    ]);
    expect(again.code).not.toBe(0);
    expect(again.stderr.join('\n')).toContain('already exists');
  }, 120_000);

  it('prints Markdown to stdout, and refuses a PDF without --out or a bad period', async () => {
    const markdown = await cli([
      'report',
      '--campaign',
      'SIX_TYPE_2012',
      '--period',
      '2012-03',
      '--org',
      'PETITION_OFFICE',
    ]);
    expect(markdown.code).toBe(0);
    expect(markdown.written).toMatch(/^# 区信访办公室创建“六型机关”活动进展情况报告\n\n2012年3月（2012-03）/);
    const pdf = await cli([
      'report',
      '--campaign',
      'SIX_TYPE_2012',
      '--period',
      '2012-Q1',
      '--org',
      'ZONE',
      '--format',
      'pdf',
    ]);
    expect(pdf.code).toBe(2);
    expect(pdf.stderr.join('\n')).toContain('a PDF needs --out FILE');
    const period = await cli(['report', '--campaign', 'SIX_TYPE_2012', '--period', '2012-Q9', '--org', 'ZONE']);
    expect(period.code).not.toBe(0);
    expect(period.stderr.join('\n')).toContain('`period` must be');
  }, 120_000);
});

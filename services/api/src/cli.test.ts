import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiClients, createDb, users } from '@sixtype/db';
import { openTestDatabase } from '@sixtype/db/testing';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';

// These tests run the CLI and the API as real processes, the way an operator does: the data folder
// lock only means something between two processes.

const apiFolder = fileURLToPath(new URL('..', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run cli -- <argv>` without npm: the same entry point, environment from `env` only. */
function runCli(argv: string[], env: Record<string, string>, stdin?: string): Promise<Finished> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...argv], {
    cwd: apiFolder,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', DATABASE_URL: '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(stdin ?? '');
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1) ?? '';

function newDataDir() {
  const dataDir = mkdtempSync(join(tmpdir(), 'sixtype-cli-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  return dataDir;
}

/** Starts the API as `npm start` does and waits until it serves. */
async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: apiFolder,
    env: { PATH: process.env.PATH ?? '', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /GraphiQL at (http:\/\/localhost:\d+)\/graphql/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}:\n${output}`)));
  });
  return { child, url };
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

describe('the CLI on the embedded database', () => {
  const dataDir = newDataDir();

  it('migrates a new data folder and loads the demo data first, then prints the key as the last line', async () => {
    const created = await runCli(
      ['create-api-key', '--name', 'petition system', '--scopes', 'directory:read', '--org', 'PETITION_OFFICE'],
      { DATA_DIR: dataDir },
    );
    expect(created.stderr).toContain('demo data loaded');
    expect(created.code).toBe(0);
    expect(lastLine(created.stdout)).toMatch(/^sxk_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{20,}$/);

    const admin = await runCli(
      ['create-admin', '--username', 'first.admin', '--password-stdin'],
      { DATA_DIR: dataDir },
      'a long password\n',
    );
    expect(admin.code).toBe(0);
    expect(admin.stderr).not.toContain('demo data loaded');
    expect(existsSync(join(dataDir, 'sixtype.lock'))).toBe(false);
  }, 120_000);

  it('refuses a data folder the running API holds, and works on it once the API has stopped', async () => {
    const server = await startServer(dataDir);
    const lockHolder = readFileSync(join(dataDir, 'sixtype.lock'), 'utf8').split('\n')[0];
    expect(lockHolder).toBe(String(server.child.pid));

    const refused = await runCli(
      ['create-admin', '--username', 'second.admin', '--password-stdin'],
      { DATA_DIR: dataDir },
      'a long password\n',
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(
      `The data folder ${dataDir} is in use by process ${server.child.pid} (the API server)`,
    );
    expect(refused.stderr).toContain('DATABASE_URL');
    // The server is unharmed.
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);

    server.child.kill('SIGTERM');
    expect(await exitOf(server.child)).toBe(0);
    expect(existsSync(join(dataDir, 'sixtype.lock'))).toBe(false);

    const rotated = await runCli(['rotate-api-key', '--name', 'petition system'], { DATA_DIR: dataDir });
    expect(rotated.code).toBe(0);
    expect(lastLine(rotated.stdout)).toMatch(/^sxk_/);

    const database = await createDb({ dataDir });
    try {
      const accounts = await database.db.select({ username: users.username }).from(users);
      expect(accounts.map((account) => account.username)).toEqual(['first.admin']);
    } finally {
      await database.close();
    }
  }, 180_000);
});

describe.runIf(process.env.TEST_DATABASE_URL)('the CLI on PostgreSQL (DATABASE_URL)', () => {
  it('creates and revokes an API key in the database DATABASE_URL names', async () => {
    const database = await openTestDatabase({ demo: false });
    cleanups.push(() => database.close());
    const env = { DATABASE_URL: database.url ?? '' };
    const created = await runCli(['create-api-key', '--name', 'pg client', '--scopes', 'metrics:read'], env);
    expect(created.code).toBe(0);
    expect(lastLine(created.stdout)).toMatch(/^sxk_/);
    const [row] = await database.db.select().from(apiClients).where(eq(apiClients.name, 'pg client'));
    expect(row?.scopes).toEqual(['metrics:read']);

    const revoked = await runCli(['revoke-api-key', '--id', String(row?.id)], env);
    expect(revoked.code).toBe(0);
    const [after] = await database.db
      .select()
      .from(apiClients)
      .where(eq(apiClients.id, row?.id ?? 0));
    expect(after?.revokedAt).not.toBeNull();
  }, 120_000);
});

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiClients, auditEvents, createDb, users } from '@sixtype/db';
import { openTestDatabase } from '@sixtype/db/testing';
import { desc, eq } from 'drizzle-orm';
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

  it('migrates a new data folder and loads the demo data first, then prints the key as the last line; runs its commands in the API that holds the folder, and opens it itself once the API has stopped', async () => {
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

    // The same folder, now held by a running API (one story, one test: each step builds on the last).
    const server = await startServer(dataDir);
    const lockHolder = readFileSync(join(dataDir, 'sixtype.lock'), 'utf8').split('\n')[0];
    expect(lockHolder).toBe(String(server.child.pid));
    expect(statSync(join(dataDir, 'sixtype.sock')).mode & 0o777).toBe(0o600);

    const second = await runCli(
      ['create-admin', '--username', 'second.admin', '--password-stdin'],
      { DATA_DIR: dataDir },
      'a long password\n',
    );
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout).toMatch(/^Created admin second\.admin \(user \d+\)/);
    // The new admin signs in on the running server at once.
    const signedIn = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation { login(input: { username: "second.admin", password: "a long password" }) { token } }',
      }),
    });
    expect(((await signedIn.json()) as { data: { login: { token: string } } }).data.login.token).toMatch(/\S{20}/);

    // A failure is one line and exit code 1, through `npm run cli` at the repository root as README
    // has it (no lifecycle report after it).
    const taken = spawnSync('npm', ['run', 'cli', '--', 'revoke-api-key', '--name', 'nobody'], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, DATABASE_URL: '' },
      encoding: 'utf8',
    });
    expect(taken.status).toBe(1);
    expect(taken.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^revoke-api-key failed: .*nobody/)]);
    // A consistent copy of a folder the server is writing cannot be taken.
    const backup = await runCli(['backup'], { DATA_DIR: dataDir });
    expect(backup.code).toBe(1);
    expect(backup.stderr.trim()).toBe(
      `backup: the running API server (process ${server.child.pid}) holds the data folder; stop it first`,
    );
    // The server is unharmed.
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);

    server.child.kill('SIGTERM');
    expect(await exitOf(server.child)).toBe(0);
    expect(existsSync(join(dataDir, 'sixtype.lock'))).toBe(false);
    expect(existsSync(join(dataDir, 'sixtype.sock'))).toBe(false);

    const rotated = await runCli(['rotate-api-key', '--name', 'petition system'], { DATA_DIR: dataDir });
    expect(rotated.code).toBe(0);
    expect(lastLine(rotated.stdout)).toMatch(/^sxk_/);

    const database = await createDb({ dataDir });
    try {
      const accounts = await database.db.select({ username: users.username }).from(users);
      expect(accounts.map((account) => account.username)).toEqual(['first.admin', 'second.admin']);
      const [audit] = await database.db
        .select({ actorId: auditEvents.actorId })
        .from(auditEvents)
        .where(eq(auditEvents.operation, 'createUser'))
        .orderBy(desc(auditEvents.id))
        .limit(1);
      expect(audit?.actorId).toMatch(/^cli:/);
    } finally {
      await database.close();
    }
  }, 300_000);
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

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createDb } from './client.ts';
import { DataFolderInUseError, LOCK_FILE_NAME, lockDataFolder } from './lock.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function newDataDir() {
  const dataDir = mkdtempSync(join(tmpdir(), 'sixtype-lock-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  return dataDir;
}

/** A process that lives until the test ends; its pid stands for "another process holding the folder". */
function liveProcess(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  cleanups.push(() => child.kill('SIGKILL'));
  return child;
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '0']);
  if (!pid) throw new Error('no child pid');
  return pid;
}

describe('the data folder lock', () => {
  it('is held while the embedded database is open and removed on close', async () => {
    const dataDir = newDataDir();
    const lockFile = join(dataDir, LOCK_FILE_NAME);
    const database = await createDb({ dataDir });
    expect(readFileSync(lockFile, 'utf8').split('\n')[0]).toBe(String(process.pid));
    // A second open in the same process would be a second writer too.
    await expect(createDb({ dataDir })).rejects.toBeInstanceOf(DataFolderInUseError);
    await database.close();
    expect(existsSync(lockFile)).toBe(false);

    const reopened = await createDb({ dataDir });
    await reopened.ping();
    await reopened.close();
  });

  it('refuses a folder another live process holds, naming it, and opens it once that process is gone', async () => {
    const dataDir = newDataDir();
    const holder = liveProcess();
    writeFileSync(join(dataDir, LOCK_FILE_NAME), `${holder.pid}\nthe API server\n`);

    const refused = await createDb({ dataDir }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataFolderInUseError);
    expect((refused as Error).message).toContain(`in use by process ${holder.pid} (the API server)`);
    expect((refused as Error).message).toContain('DATABASE_URL');
    // Refused before PGlite touched the folder.
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);

    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    const database = await createDb({ dataDir });
    const result = await database.db.execute(sql`select 1 as one`);
    expect(result).toBeDefined();
    await database.close();
  });

  it('takes over a lock left by a process that died, or one naming this pid that this process does not hold', async () => {
    const dataDir = newDataDir();
    const lockFile = join(dataDir, LOCK_FILE_NAME);

    writeFileSync(lockFile, `${deadPid()}\n`);
    const first = await lockDataFolder(dataDir);
    expect(readFileSync(lockFile, 'utf8').split('\n')[0]).toBe(String(process.pid));
    first.release();

    // A restarted container can run the server under the same pid as before the crash.
    writeFileSync(lockFile, `${process.pid}\n`);
    const second = await lockDataFolder(dataDir);
    second.release();
    expect(existsSync(lockFile)).toBe(false);

    // A lock file that never got its pid written (the writer died in between) is stale too.
    writeFileSync(lockFile, '');
    const third = await lockDataFolder(dataDir);
    third.release();
  });

  it('leaves a lock that another process took after ours alone on release', async () => {
    const dataDir = newDataDir();
    const lockFile = join(dataDir, LOCK_FILE_NAME);
    const lock = await lockDataFolder(dataDir);
    const other = liveProcess();
    writeFileSync(lockFile, `${other.pid}\n`);
    lock.release();
    expect(readFileSync(lockFile, 'utf8')).toBe(`${other.pid}\n`);
  });
});

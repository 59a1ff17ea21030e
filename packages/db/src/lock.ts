import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The file in PGlite's data folder that names the process holding the folder. */
export const LOCK_FILE_NAME = 'sixtype.lock';

/** Another live process holds the data folder: opening it here could corrupt the database. */
export class DataFolderInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly holder: string,
  ) {
    super(
      `The data folder ${dataDir} is in use by process ${pid} (${holder || 'the API server?'}). ` +
        'An embedded database belongs to one process at a time: stop that process, or do this through ' +
        'the running API (as an admin), or use PostgreSQL with DATABASE_URL. ' +
        `If no such process is running, delete ${join(dataDir, LOCK_FILE_NAME)}.`,
    );
    this.name = 'DataFolderInUseError';
  }
}

export interface DataFolderLock {
  readonly path: string;
  /** Removes the lock file if it is still ours; safe to call more than once. */
  release(): void;
}

// Folders this process holds, so a second open in the same process is refused too and a lock file
// naming our own pid that we do not hold (a restarted container reusing the pid) counts as stale.
const held = new Map<string, () => void>();
let exitHookInstalled = false;

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // process.exit() skips close(); the folder is freed anyway (a dead pid would also count as stale).
  process.once('exit', () => {
    for (const release of [...held.values()]) release();
  });
}

interface LockContents {
  pid: number;
  holder: string;
}

function readLock(path: string): LockContents | null | 'missing' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  const [pidLine = '', holder = ''] = text.split('\n');
  const pid = Number(pidLine.trim());
  return Number.isInteger(pid) && pid > 0 ? { pid, holder: holder.trim() } : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user; only ESRCH means it is gone.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function describeThisProcess(): string {
  const script = process.argv[1] ? basename(process.argv[1]) : '';
  if (script === 'cli.ts') return 'the operator CLI';
  if (script === 'main.ts') return 'the API server';
  return script ? `node ${script}` : 'node';
}

/**
 * Takes `<dataDir>/sixtype.lock` for this process: created with an exclusive open, holding the pid
 * and what the process is. A lock whose pid is no longer running is stale and taken over; one held
 * by a live process fails with DataFolderInUseError.
 */
export async function lockDataFolder(dataDir: string): Promise<DataFolderLock> {
  const path = join(dataDir, LOCK_FILE_NAME);
  const contents = `${process.pid}\n${describeThisProcess()}\n`;
  if (held.has(path)) throw new DataFolderInUseError(dataDir, process.pid, 'this process');

  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      writeFileSync(path, contents, { flag: 'wx' });
      const release = () => {
        if (held.get(path) !== release) return;
        held.delete(path);
        const current = readLock(path);
        if (current !== 'missing' && current?.pid === process.pid) unlinkSync(path);
      };
      held.set(path, release);
      installExitHook();
      return { path, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = readLock(path);
    if (current === 'missing') continue;
    if (current === null) {
      // Created an instant ago and not written yet; give its owner a moment before calling it stale.
      if (attempt < 10) {
        await sleep(50);
        continue;
      }
    } else if (current.pid !== process.pid && isAlive(current.pid)) {
      throw new DataFolderInUseError(dataDir, current.pid, current.holder);
    }
    // Stale: its process is gone (or it is our own pid, which we do not hold). Remove and retry.
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new Error(`could not take the lock ${path}: it keeps changing; is another process starting?`);
}

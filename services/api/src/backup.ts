import { spawn } from 'node:child_process';
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { DatabaseHandle } from '@sixtype/db';
import { SingleBar } from 'cli-progress';
import { sql } from 'drizzle-orm';
import { childProcessEnv } from './env.ts';

export interface BackupOptions {
  database: DatabaseHandle;
  /** The PostgreSQL connection string the handle was opened with (unset for the embedded database). */
  databaseUrl: string | undefined;
  /** Where the backup goes; an existing file is never overwritten. */
  file: string;
  /** The pg_dump program (default: `pg_dump` on PATH). */
  pgDump?: string | undefined;
  /** Shows a progress bar on this stream (the CLI passes stderr when it is a terminal). */
  progress?: NodeJS.WritableStream | undefined;
}

export interface BackupSummary {
  kind: DatabaseHandle['kind'];
  file: string;
  bytes: number;
  /** How to restore it, for the operator. */
  restore: string;
}

/** An operator's mistake or a missing tool: the message says what to do. */
export class BackupError extends Error {}

/** The PGlite instance behind the drizzle handle (drizzle keeps its driver client as `$client`). */
interface PGliteClient {
  dumpDataDir(compression?: 'gzip' | 'none' | 'auto'): Promise<Blob>;
}

/**
 * Backs up the configured database:
 * - PostgreSQL: `pg_dump --format=custom` into the file (restore with pg_restore);
 * - the embedded PGlite: PGlite's own `dumpDataDir` (a gzipped tar of its data folder), taken
 *   while this process holds the data folder's lock, so no server writes during the copy.
 * The file appears only when the backup is complete (written beside it first, then renamed).
 */
export async function backupDatabase(options: BackupOptions): Promise<BackupSummary> {
  const { database, file } = options;
  if (existsSync(file)) throw new BackupError(`${file} already exists; name a new file`);
  const partial = `${file}.partial`;
  try {
    if (database.kind === 'pglite') {
      // Flushes every page to the data folder before it is copied.
      await database.db.execute(sql`checkpoint`);
      const client = (database.db as unknown as { $client: PGliteClient }).$client;
      const dump = await client.dumpDataDir('gzip');
      writeFileSync(partial, Buffer.from(await dump.arrayBuffer()), { flag: 'wx' });
    } else {
      if (!options.databaseUrl) throw new BackupError('DATABASE_URL is not set');
      await pgDump(options, partial);
    }
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  return {
    kind: database.kind,
    file,
    bytes: statSync(file).size,
    restore:
      database.kind === 'pglite'
        ? `stop the server, then unpack into an empty data folder: mkdir NEW_DIR && tar -xzf ${file} -C NEW_DIR, and start with DATA_DIR=NEW_DIR`
        : `pg_restore --no-owner --dbname postgres://…/NEW_DATABASE ${file}`,
  };
}

async function pgDump(options: BackupOptions, target: string): Promise<void> {
  const url = new URL(options.databaseUrl as string);
  // The password goes through the environment, not the process list.
  const password = decodeURIComponent(url.password);
  url.password = '';
  const program = options.pgDump ?? 'pg_dump';

  // Both drivers answer execute with { rows }.
  const { rows } = (await options.database.db.execute(
    sql`select pg_database_size(current_database())::text as size`,
  )) as unknown as { rows: { size: string }[] };
  const databaseBytes = Number(rows[0]?.size ?? 0);
  const bar = options.progress
    ? new SingleBar({
        stream: options.progress,
        format: 'backup [{bar}] {value} bytes written (database {total} bytes; the dump is compressed)',
        hideCursor: true,
      })
    : undefined;
  bar?.start(databaseBytes, 0);
  const timer = bar
    ? setInterval(() => {
        if (existsSync(target)) bar.update(Math.min(statSync(target).size, databaseBytes));
      }, 250)
    : undefined;

  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        program,
        ['--format=custom', '--no-owner', '--no-password', `--file=${target}`, `--dbname=${url.toString()}`],
        {
          env: childProcessEnv(password ? { PGPASSWORD: password } : {}),
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'ENOENT'
            ? new BackupError(
                `${program} was not found: install the PostgreSQL client tools of the server's major version ` +
                  '(Debian: apt-get install postgresql-client) or name the program with --pg-dump PATH',
              )
            : error,
        );
      });
      child.once('close', (code) => {
        if (code === 0) resolve();
        else reject(new BackupError(`${program} exited with code ${code}: ${stderr.trim() || 'no message'}`));
      });
    });
  } finally {
    if (timer) clearInterval(timer);
    if (bar) {
      if (existsSync(target)) bar.update(Math.min(statSync(target).size, databaseBytes));
      bar.stop();
    }
  }
}

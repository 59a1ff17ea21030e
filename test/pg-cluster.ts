import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PG_BIN, or the newest Debian/Ubuntu install (/usr/lib/postgresql/<version>/bin), as CI's apt-get leaves it. */
function serverBinaries(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server binaries under ${root}; set PG_BIN`);
  return join(root, newest, 'bin');
}

/**
 * A PostgreSQL server of a test's own (initdb + pg_ctl on a temporary folder and a free port), so a
 * test may stop, restart or starve it without touching the shared server. Trust authentication as
 * `postgres`, loopback only; fsync off, since the folder is thrown away.
 */
export interface ThrowawayPostgres {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  start(): Promise<void>;
  /** Fast shutdown: open sessions are terminated, as an operator's restart does. */
  stop(): Promise<void>;
  /** Everything the server logged so far (errors, cancelled statements, …). */
  log(): string;
  /** Its folder (the data directory is `<folder>/data`). */
  readonly folder: string;
  /** Stops the server and removes its folder. */
  destroy(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no free port');
  return address.port;
}

/** PostgreSQL refuses to run as root: CI runs as root, so the server runs as the `postgres` user. */
async function asServerUser(command: string, args: string[]) {
  const isRoot = process.getuid?.() === 0;
  return isRoot ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

async function serverFolder(): Promise<string> {
  const folder = mkdtempSync(join(tmpdir(), 'sixtype-pg-'));
  if (process.getuid?.() === 0) {
    const { uid, gid } = await userIds('postgres');
    chownSync(folder, uid, gid);
  }
  return folder;
}

export interface ThrowawayOptions {
  /** More `name=value` server settings (e.g. `shared_preload_libraries=pg_stat_statements`). */
  settings?: string[];
}

export async function startThrowawayPostgres(options: ThrowawayOptions = {}): Promise<ThrowawayPostgres> {
  const folder = await serverFolder();
  const dataDir = join(folder, 'data');
  await asServerUser(`${serverBinaries()}/initdb`, [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  return serve(folder, options);
}

/**
 * A hot standby of `primary`: `pg_basebackup -R` (which writes primary_conninfo and standby.signal)
 * into a folder of its own, started on a free port, streaming from the primary.
 */
export async function startThrowawayStandby(
  primary: ThrowawayPostgres,
  options: ThrowawayOptions = {},
): Promise<ThrowawayPostgres> {
  const folder = await serverFolder();
  await asServerUser(`${serverBinaries()}/pg_basebackup`, [
    '-h',
    '127.0.0.1',
    '-p',
    String(primary.port),
    '-U',
    'postgres',
    '-D',
    join(folder, 'data'),
    '-R',
    '-X',
    'stream',
    '--checkpoint=fast',
    '--no-sync',
  ]);
  return serve(folder, options);
}

async function serve(folder: string, options: ThrowawayOptions): Promise<ThrowawayPostgres> {
  const BIN = serverBinaries();
  const dataDir = join(folder, 'data');
  const logFile = join(folder, 'server.log');
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${folder}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=50',
    ...(options.settings ?? []).map((setting) => `-c ${setting}`),
  ].join(' ');
  const pgCtl = (args: string[]) => asServerUser(`${BIN}/pg_ctl`, ['-D', dataDir, ...args]);
  const server: ThrowawayPostgres = {
    port,
    folder,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start: async () => {
      await pgCtl(['-l', logFile, '-o', settings, '-w', '-t', '30', 'start']);
    },
    stop: async () => {
      await pgCtl(['-m', 'fast', '-w', '-t', '30', 'stop']);
    },
    log: () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
    destroy: async () => {
      await pgCtl(['-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(folder, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

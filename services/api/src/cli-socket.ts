import { existsSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DatabaseHandle } from '@sixtype/db';
import { type CliIo, runCli } from './cli-commands.ts';
import type { Env } from './env.ts';
import type { Logger } from './logger.ts';

/**
 * The embedded database belongs to one process, so while the API server holds the data folder the
 * operator CLI cannot open it. Instead the server listens on a Unix socket in that folder and runs
 * the CLI's commands itself, on its own database handle: `create-admin` (or any other command)
 * works without stopping the server. The socket is created owner-only (0600), so only the account
 * that runs the server (or root) may use it, the same people who could open the data folder
 * anyway. Messages are JSON, one per line.
 */
export const SOCKET_FILE_NAME = 'sixtype.sock';

export const cliSocketPath = (dataDir: string) => join(dataDir, SOCKET_FILE_NAME);

/** CLI → server: the command, then the secret when the server asks for it. */
type Request = { argv: string[]; cwd: string; operator: string } | { secret: string } | { secretError: string };
/** Server → CLI: output lines, raw output, a question for the secret, the exit code. */
type Reply = { stdout: string } | { stderr: string } | { write: string } | { askSecret: string } | { exit: number };

const send = (socket: Socket, message: Request | Reply) => socket.write(`${JSON.stringify(message)}\n`);

export interface CliSocket {
  readonly path: string;
  close(): Promise<void>;
}

/** Serves CLI commands on `<dataDir>/sixtype.sock` for as long as the server holds the folder. */
export async function serveCliSocket(options: {
  database: DatabaseHandle;
  env: Env;
  logger: Logger;
  dataDir: string;
}): Promise<CliSocket | null> {
  const { database, env, logger } = options;
  if (process.platform === 'win32') return null;
  const path = cliSocketPath(options.dataDir);
  // Whoever reaches this holds the folder's lock, so a socket file left here is a dead server's.
  if (existsSync(path)) unlinkSync(path);
  const shared: DatabaseHandle = { ...database, close: async () => {} };
  const server: Server = createServer((socket) => {
    socket.setEncoding('utf8');
    const lines = createInterface({ input: socket, terminal: false });
    let pendingSecret: { resolve(secret: string): void; reject(error: Error): void } | undefined;
    let started = false;
    lines.on('line', (line) => {
      let message: Request;
      try {
        message = JSON.parse(line) as Request;
      } catch {
        socket.destroy();
        return;
      }
      if ('secret' in message || 'secretError' in message) {
        if ('secret' in message) pendingSecret?.resolve(message.secret);
        else pendingSecret?.reject(new Error(message.secretError));
        pendingSecret = undefined;
        return;
      }
      if (started) return;
      started = true;
      const io: CliIo = {
        stdout: (text) => send(socket, { stdout: text }),
        stderr: (text) => send(socket, { stderr: text }),
        write: (text) => send(socket, { write: text }),
        readSecret: (prompt) =>
          new Promise((resolve, reject) => {
            pendingSecret = { resolve, reject };
            socket.once('close', () => reject(new Error('the CLI went away')));
            send(socket, { askSecret: prompt });
          }),
      };
      void runServedCommand(message, io, shared, env, logger).then((code) => {
        send(socket, { exit: code });
        socket.end();
      });
    });
    socket.on('error', () => {});
  });
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', resolve);
  });
  // Owner-only from the moment the socket exists (the bind happens inside listen).
  const umask = process.umask(0o177);
  try {
    server.listen(path);
  } finally {
    process.umask(umask);
  }
  try {
    await listening;
  } catch (error) {
    logger.warn({ err: error, path }, 'the CLI socket could not be opened; stop the server to use the CLI');
    return null;
  }
  server.on('error', (error) => logger.warn({ err: error }, 'CLI socket error'));
  logger.info({ path }, 'the operator CLI runs its commands in this server while it holds the data folder');
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if (existsSync(path)) unlinkSync(path);
      }),
  };
}

async function runServedCommand(
  request: { argv: string[]; cwd: string; operator: string },
  io: CliIo,
  database: DatabaseHandle,
  env: Env,
  logger: Logger,
): Promise<number> {
  const [name] = request.argv;
  if (name === 'backup' && database.kind === 'pglite') {
    // A copy of the folder taken while the server writes to it would not be a consistent backup.
    io.stderr(`backup: the running API server (process ${process.pid}) holds the data folder; stop it first`);
    return 1;
  }
  logger.info({ command: name, operator: request.operator }, 'CLI command through the server');
  try {
    return await runCli(request.argv, {
      env,
      io,
      actor: { kind: 'SYSTEM', id: request.operator.slice(0, 64) },
      cwd: request.cwd,
      open: async () => database,
    });
  } catch (error) {
    io.stderr(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

/**
 * Runs the command in the API server that holds `dataDir`, when one is listening there; resolves
 * to its exit code, or to null when no server answers (the CLI then opens the folder itself).
 */
export function runCliThroughServer(
  dataDir: string,
  request: { argv: string[]; cwd: string; operator: string },
  io: CliIo & { write(text: string): void },
): Promise<number | null> {
  const path = cliSocketPath(dataDir);
  if (process.platform === 'win32' || !existsSync(path)) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.setEncoding('utf8');
    let connected = false;
    let exitCode: number | null = null;
    socket.once('connect', () => {
      connected = true;
      send(socket, request);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // A socket file with nobody behind it: a server that died (its lock is stale too).
      if (!connected && (error.code === 'ECONNREFUSED' || error.code === 'ENOENT')) resolve(null);
      else if (!connected) reject(error);
    });
    const lines = createInterface({ input: socket, terminal: false });
    lines.on('line', (line) => {
      const reply = JSON.parse(line) as Reply;
      if ('stdout' in reply) io.stdout(reply.stdout);
      else if ('stderr' in reply) io.stderr(reply.stderr);
      else if ('write' in reply) io.write(reply.write);
      else if ('exit' in reply) exitCode = reply.exit;
      else if ('askSecret' in reply) {
        io.readSecret(reply.askSecret).then(
          (secret) => send(socket, { secret }),
          (error: unknown) => send(socket, { secretError: error instanceof Error ? error.message : String(error) }),
        );
      }
    });
    socket.once('close', () => {
      if (!connected) return;
      if (exitCode === null) io.stderr('the API server closed the connection before the command finished');
      resolve(exitCode ?? 1);
    });
  });
}

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { apiEntryArgs } from './api-process.ts';

const apiFolder = fileURLToPath(new URL('../services/api', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** The server's log lines about its own faults: unexpected (masked) errors and fatal ones. */
  errors: string[];
}

/**
 * Starts the API as `npm start` does (its heap capped by API_HEAP_MB, default 256) and resolves once it announces GraphiQL. Afterwards only its
 * error lines are kept: at info level it logs every request, which a long soak must not hoard.
 */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const heapMiB = process.env.API_HEAP_MB ?? '256';
  const child = spawn(process.execPath, [`--max-old-space-size=${heapMiB}`, ...apiEntryArgs()], {
    cwd: apiFolder,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors: string[] = [];
  let startup = '';
  let url: string | undefined;
  let partial = '';
  const onData = (chunk: Buffer) => {
    if (url === undefined) {
      startup += chunk.toString();
      return;
    }
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      // Yoga also logs requests it refused (4xx) at error level; those are the client's mistakes.
      const serverFault = /"level":60/.test(line) || /"msg":"unexpected error"/.test(line);
      if (serverFault && errors.length < 100) errors.push(line.slice(0, 1000));
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const started = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the API did not start:\n${startup}`)), 60_000);
    const poll = setInterval(() => {
      const match = /GraphiQL at (http:\/\/localhost:\d+\/graphql)/.exec(startup);
      if (match?.[1]) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve(match[1]);
      }
    }, 50);
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`the API exited with ${code}:\n${startup}`));
    });
  });
  try {
    url = await started;
  } catch (error) {
    // A server that never announced itself is not left running.
    child.kill('SIGKILL');
    throw error;
  }
  return { child, url, errors };
}

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const apiFolder = fileURLToPath(new URL('../services/api', import.meta.url));

export interface ApiProcess {
  child: ChildProcess;
  /** http://localhost:<port>/graphql */
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited(): Promise<number | null>;
  /** SIGKILL if it still runs (for cleanup). */
  kill(): void;
}

/** Builds the API's bundles (services/api/scripts/bundle.mjs), as `npm start` does before it starts. */
export function buildApiBundles(): void {
  execFileSync(process.execPath, [join(apiFolder, 'scripts', 'bundle.mjs')], { stdio: 'inherit' });
}

/**
 * The command `npm start` runs for an entry (`src/main.ts`, `src/cluster.ts`): node on its bundle in
 * services/api/dist, which the end-to-end tests' global setup builds (bundle-setup.ts) and
 * `npm run soak` before it starts (soak-main.ts).
 */
export function apiEntryArgs(entry = 'src/main.ts'): string[] {
  const bundled = entry.replace(/^src\/(.*)\.ts$/, 'dist/$1.mjs');
  if (bundled === entry) throw new Error(`not an entry of the API: ${entry}`);
  return ['--enable-source-maps', bundled];
}

/**
 * Starts the API as `npm start` does (`src/main.ts`, or another entry such as `src/cluster.ts`,
 * from its bundle) and resolves once it logs the line announcing GraphiQL, which comes after
 * everything startup does.
 */
export async function startApiProcess(
  /** Added to this process's environment; `undefined` removes a variable (as `npm start` has no NODE_ENV). */
  env: Record<string, string | undefined>,
  options: { entry?: string; ready?: RegExp } = {},
): Promise<ApiProcess> {
  const child = spawn(process.execPath, apiEntryArgs(options.entry), {
    cwd: apiFolder,
    env: Object.fromEntries(
      Object.entries({ ...process.env, PORT: '0', LOG_LEVEL: 'info', NODE_ENV: 'production', ...env }).filter(
        ([, value]) => value !== undefined,
      ),
    ),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // 'close' rather than 'exit': by then everything the process wrote has been read.
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the API did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = (options.ready ?? /GraphiQL at (http:\/\/localhost:\d+\/graphql)/).exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the API exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    url,
    output: () => output,
    exited: () => exit,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

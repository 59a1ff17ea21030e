import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import { type CliIo, runCli } from './cli-commands.ts';
import { runCliThroughServer } from './cli-socket.ts';
import { type Env, loadEnv, operatorDirectory } from './env.ts';

/** The first line of standard input; on a terminal, typed without echo after a prompt on stderr. */
function readSecret(prompt: string): Promise<string> {
  const { stdin, stderr } = process;
  if (!stdin.isTTY) {
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: stdin, terminal: false });
      let answered = false;
      lines.once('line', (line) => {
        answered = true;
        lines.close();
        resolve(line);
      });
      lines.once('close', () => (answered ? undefined : reject(new Error('no password on standard input'))));
    });
  }
  stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === '\r' || character === '\n' || character === '\u0004') return finish();
        if (character === '\u0003') return finish(new Error('cancelled'));
        if (character === '\u007f' || character === '\b') typed = typed.slice(0, -1);
        else typed += character;
      }
    };
    stdin.on('data', onData);
  });
}

/** Audit rows written by the CLI name the operating-system account that ran it. */
function operatorName(): string {
  try {
    return `cli:${userInfo().username}`.slice(0, 64);
  } catch {
    return 'cli';
  }
}

const io: CliIo & { write(text: string): void } = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  write: (text) => process.stdout.write(text),
  readSecret,
};
const argv = process.argv.slice(2);
const cwd = operatorDirectory();
let env: Env | undefined;
let code: number;
try {
  env = loadEnv();
  // On the embedded database a running server holds the folder: the command then runs in it.
  const served = env.DATABASE_URL
    ? null
    : await runCliThroughServer(env.DATA_DIR, { argv, cwd, operator: operatorName() }, io);
  code =
    served ??
    (await runCli(argv, {
      env,
      actor: { kind: 'SYSTEM', id: operatorName() },
      io,
      cwd,
      progress: process.stderr.isTTY ? process.stderr : undefined,
    }));
} catch (error) {
  // One line for the operator; the stack only when asked for (LOG_LEVEL=debug).
  const message = error instanceof Error ? error.message : String(error);
  const verbose = env?.LOG_LEVEL === 'debug' || env?.LOG_LEVEL === 'trace';
  process.stderr.write(
    `${verbose && error instanceof Error ? (error.stack ?? message) : `sixtype: ${message.replaceAll('\n', '; ')}`}\n`,
  );
  code = 1;
}
// Exit once stdout is flushed: on some systems a pipe is written asynchronously, and the key is
// the last thing written.
process.stdout.write('', () => process.exit(code));

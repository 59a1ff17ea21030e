import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import { runCli } from './cli-commands.ts';
import { loadEnv } from './env.ts';

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

let code: number;
try {
  code = await runCli(process.argv.slice(2), {
    env: loadEnv(),
    actor: { kind: 'SYSTEM', id: operatorName() },
    io: {
      stdout: (line) => process.stdout.write(`${line}\n`),
      stderr: (line) => process.stderr.write(`${line}\n`),
      write: (text) => process.stdout.write(text),
      readSecret,
    },
    // `npm run cli` runs in services/api; file names are meant from where the operator typed it.
    cwd: process.env.INIT_CWD ?? process.cwd(),
    progress: process.stderr.isTTY ? process.stderr : undefined,
  });
} catch (error) {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  code = 1;
}
// Exit once stdout is flushed: on some systems a pipe is written asynchronously, and the key is
// the last thing written.
process.stdout.write('', () => process.exit(code));

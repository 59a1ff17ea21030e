import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ReportDocument } from './document.ts';
import type { ReportFileFormat } from './render.ts';

// The rendering process's script: beside a bundle (services/api/scripts/bundle.mjs writes
// render-worker.mjs next to every bundle it writes), or the TypeScript source, run under tsx.
const fromSource = import.meta.url.endsWith('.ts');
const script = fileURLToPath(new URL(fromSource ? './render-worker.ts' : './render-worker.mjs', import.meta.url));

type Message = { step: 'render' } | { files: Map<ReportFileFormat, string | Uint8Array> } | { error: string };

export interface ReportRenderer {
  /** The report's charts and files (once per renderer: the process ends with the answer). */
  render(
    document: ReportDocument,
    formats: readonly ReportFileFormat[],
    onRendering?: () => void,
  ): Promise<Map<ReportFileFormat, string | Buffer>>;
  /** Ends the process unused (the figures could not be gathered). */
  close(): void;
  /** The rendering process's id, once it has started (after the renderer before it closed). */
  readonly pid: Promise<number>;
}

let previous: Promise<void> = Promise.resolve();

/**
 * A child process that renders one composed report's charts and files, started at once so that it
 * loads Vega, pdfkit and the font while the caller gathers the figures; one at a time per serving
 * process (a render holds a core for seconds, and two cores serve the API).
 *
 * Why a process: rendering the zone's PDF grows a heap by some 100 MB and loads modules and a font
 * that stay once loaded. In the serving process that memory stayed resident after the report (262
 * MB under load after three PDFs, against 201 MB after Markdown only), and in a thread too (238 MB:
 * the allocator keeps a thread's freed memory); a process gives it all back when it ends (190 MB).
 */
export function openRenderer(): ReportRenderer {
  let release = () => {};
  const turn = new Promise<void>((resolve) => {
    release = resolve;
  });
  const child = previous.then(() => startChild());
  previous = previous.then(() => turn);
  const pid = child.then((started) => started.process.pid as number);
  // Whoever renders sees a failed start; unread, it must not end the serving process.
  pid.catch(() => {});
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    void child
      .then((started) => {
        if (started.process.exitCode === null) started.process.kill();
      })
      .catch(() => {})
      .finally(release);
  };
  return {
    close,
    pid,
    render: (document, formats, onRendering = () => {}) =>
      child.then((started) => started.render(document, formats, onRendering)).finally(close),
  };
}

function startChild() {
  const child: ChildProcess = fork(script, [], {
    execArgv: fromSource ? ['--import', 'tsx'] : ['--enable-source-maps'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // A process that failed to start is found gone when the report is sent (below).
  child.on('error', () => {});
  return {
    process: child,
    render: (document: ReportDocument, formats: readonly ReportFileFormat[], onRendering: () => void) =>
      new Promise<Map<ReportFileFormat, string | Buffer>>((resolve, reject) => {
        if (child.exitCode !== null || !child.connected)
          return reject(new Error("the report's rendering process is gone"));
        child.once('error', reject);
        child.once('exit', (code) =>
          reject(new Error(`the report's rendering process ended (exit code ${code}) without a report`)),
        );
        child.on('message', (message: Message) => {
          if ('step' in message) return onRendering();
          if ('error' in message) return reject(new Error(`rendering the report failed: ${message.error}`));
          const asBuffer = (file: string | Uint8Array) =>
            typeof file === 'string' ? file : Buffer.from(file.buffer, file.byteOffset, file.byteLength);
          resolve(new Map([...message.files].map(([format, file]) => [format, asBuffer(file)])));
        });
        child.send({ document, formats });
      }),
  };
}

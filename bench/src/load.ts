import { Agent, request } from 'node:http';
import autocannon from 'autocannon';

/**
 * The load generator, in a process of its own (forked by run.ts, driven over IPC) so that its CPU
 * never counts as the server's. Each request takes the next body of the rotation; a body holding
 * `__KEY__` gets a fresh key per request (idempotency keys of writes), and so does `keyHeader`
 * (an upload's `Idempotency-Key`).
 */
export interface LoadJob {
  url: string;
  headers: Record<string, string>;
  bodies: string[];
  /** The bodies' content type (default application/json). */
  contentType?: string;
  /** A header that gets a fresh key per request (an upload's idempotency key). */
  keyHeader?: string;
  connections: number;
  durationSeconds: number;
  /** Requests per second across all connections (fixed arrival rate); absent: as fast as possible. */
  overallRate?: number;
  /** Stop after this many requests instead of after the duration. */
  amount?: number;
  keyPrefix: string;
  /** Text every successful answer holds; a 2xx answer without it counts as `unexpected`. */
  expectInBody?: string;
  /** A request without an answer after this long counts as an error (autocannon's default: 10). */
  timeoutSeconds?: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  mean: number;
  non2xx: number;
  errors: number;
  /** 2xx answers without `expectInBody` (a write that was not accepted: a GraphQL error or a conflict). */
  unexpected: number;
}

/** The `n`th request of a job (from 1): the next body of the rotation and its fresh key. */
function requestNumber(job: LoadJob, n: number): { body: string; key: string } {
  const body = job.bodies[(n - 1) % job.bodies.length] as string;
  const key = `${job.keyPrefix}-${n}`;
  return { body: !job.keyHeader && body.includes('__KEY__') ? body.replace('__KEY__', key) : body, key };
}

/** Up to this rate a fixed-rate run is open-loop (runAtFixedRate); above it (S0's floors only) autocannon's. */
const OPEN_LOOP_MAX_RATE = 4_000;

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  if (job.overallRate && job.overallRate <= OPEN_LOOP_MAX_RATE && !job.amount) return runAtFixedRate(job);
  return runClosedLoop(job);
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);

/**
 * A fixed arrival rate, open loop: request i is due at i / rate seconds, sent then whether or not
 * earlier ones have been answered (over at most `connections` keep-alive sockets; a request waiting
 * for a socket waits in the agent), and its latency counts from when it was due, so a server that
 * falls behind shows it in p50 and p99. autocannon's `overallRate` is a budget per connection per
 * second: every connection sends back to back until its share of the second is spent, so a run at
 * half the maximum rate is a burst at full concurrency every second, then silence.
 */
async function runAtFixedRate(job: LoadJob): Promise<LoadResult> {
  const rate = job.overallRate as number;
  const target = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: job.connections });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let unexpected = 0;
  let sent = 0;
  const timeoutMs = (job.timeoutSeconds ?? 10) * 1000;
  const send = (due: number) =>
    new Promise<void>((resolve) => {
      // Sent up to a millisecond early when several are due at once: the latency counts from then.
      const from = Math.max(due, performance.now());
      sent += 1;
      const { body: payload, key } = requestNumber(job, sent);
      const outgoing = request(
        target,
        {
          method: 'POST',
          agent,
          timeout: timeoutMs,
          headers: {
            'content-type': job.contentType ?? 'application/json',
            'content-length': Buffer.byteLength(payload),
            ...job.headers,
            ...(job.keyHeader ? { [job.keyHeader]: key } : {}),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status < 200 || status >= 300) non2xx += 1;
            else {
              latencies.push(performance.now() - from);
              if (job.expectInBody && !Buffer.concat(chunks).toString().includes(job.expectInBody)) unexpected += 1;
            }
            resolve();
          });
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
      outgoing.on('error', () => {
        errors += 1;
        resolve();
      });
      outgoing.end(payload);
    });
  const started = performance.now();
  const end = started + job.durationSeconds * 1000;
  const pending: Promise<void>[] = [];
  for (let i = 0; ; i++) {
    const due = started + (i * 1000) / rate;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(send(due));
  }
  await Promise.all(pending);
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    requests: sent,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.reduce((sum, value) => sum + value, 0) / Math.max(sorted.length, 1),
    non2xx,
    errors,
    unexpected,
  };
}

async function runClosedLoop(job: LoadJob): Promise<LoadResult> {
  let counter = 0;
  const started = performance.now();
  let lastAnswer = started;
  const result = await autocannon({
    url: job.url,
    method: 'POST',
    headers: { 'content-type': job.contentType ?? 'application/json', ...job.headers },
    connections: job.connections,
    pipelining: 1,
    ...(job.amount ? { amount: job.amount } : { duration: job.durationSeconds }),
    ...(job.overallRate ? { overallRate: job.overallRate } : {}),
    ...(job.timeoutSeconds ? { timeout: job.timeoutSeconds } : {}),
    ...(job.expectInBody
      ? { verifyBody: (body: string | Buffer | undefined) => String(body ?? '').includes(job.expectInBody as string) }
      : {}),
    requests: [
      {
        setupRequest: (request) => {
          counter += 1;
          const { body, key } = requestNumber(job, counter);
          return {
            ...request,
            ...(job.keyHeader ? { headers: { ...request.headers, [job.keyHeader]: key } } : {}),
            body,
          };
        },
        onResponse: () => {
          lastAnswer = performance.now();
        },
      },
    ],
  });
  // autocannon ends a run of `amount` requests only at its next one-second tick, so its duration
  // rounds up to whole seconds; such a run lasts until its last answer.
  const seconds = job.amount ? Math.max((lastAnswer - started) / 1000, 0.001) : result.duration;
  return {
    requests: result.requests.total,
    seconds,
    requestsPerSecond: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    mean: result.latency.mean,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    unexpected: result.mismatches,
  };
}

if (process.send) {
  process.on('message', (job: LoadJob) => {
    runLoad(job).then(
      (result) => process.send?.({ ok: true, result }),
      (error: unknown) => process.send?.({ ok: false, error: String(error) }),
    );
  });
}

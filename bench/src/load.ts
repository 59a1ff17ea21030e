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

export async function runLoad(job: LoadJob): Promise<LoadResult> {
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
          const body = job.bodies[counter % job.bodies.length] as string;
          counter += 1;
          const key = `${job.keyPrefix}-${counter}`;
          return {
            ...request,
            ...(job.keyHeader ? { headers: { ...request.headers, [job.keyHeader]: key } } : {}),
            body: !job.keyHeader && body.includes('__KEY__') ? body.replace('__KEY__', key) : body,
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

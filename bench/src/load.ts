import autocannon from 'autocannon';

/**
 * The load generator, in a process of its own (forked by run.ts, driven over IPC) so that its CPU
 * never counts as the server's. Each request takes the next body of the rotation; a body holding
 * `__KEY__` gets a fresh key per request (idempotency keys of writes).
 */
export interface LoadJob {
  url: string;
  headers: Record<string, string>;
  bodies: string[];
  connections: number;
  durationSeconds: number;
  /** Requests per second across all connections (fixed arrival rate); absent: as fast as possible. */
  overallRate?: number;
  /** Stop after this many requests instead of after the duration. */
  amount?: number;
  keyPrefix: string;
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
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  let counter = 0;
  const result = await autocannon({
    url: job.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...job.headers },
    connections: job.connections,
    pipelining: 1,
    ...(job.amount ? { amount: job.amount } : { duration: job.durationSeconds }),
    ...(job.overallRate ? { overallRate: job.overallRate } : {}),
    requests: [
      {
        setupRequest: (request) => {
          const body = job.bodies[counter % job.bodies.length] as string;
          counter += 1;
          return {
            ...request,
            body: body.includes('__KEY__') ? body.replace('__KEY__', `${job.keyPrefix}-${counter}`) : body,
          };
        },
      },
    ],
  });
  const seconds = result.duration;
  return {
    requests: result.requests.total,
    seconds,
    requestsPerSecond: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    mean: result.latency.mean,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
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

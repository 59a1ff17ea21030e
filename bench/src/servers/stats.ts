import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * What each server under test reports about itself: requests served, SQL statements sent, CPU time
 * and peak RSS since the last reset. The load process never runs inside these processes, so their
 * CPU time is the server's own.
 */
export function createStats() {
  let requests = 0;
  let statements = 0;
  let cpu = process.cpuUsage();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  sampler.unref();
  return {
    request() {
      requests += 1;
    },
    statement() {
      statements += 1;
    },
    /** Answers `/__bench/stats` and `/__bench/reset`; false for any other path. */
    handle(request: IncomingMessage, response: ServerResponse): boolean {
      if (request.url === '/__bench/reset') {
        requests = 0;
        statements = 0;
        cpu = process.cpuUsage();
        peakRss = process.memoryUsage.rss();
        response.end('{}');
        return true;
      }
      if (request.url === '/__bench/stats') {
        const used = process.cpuUsage(cpu);
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            requests,
            statements,
            cpuMs: (used.user + used.system) / 1000,
            peakRssMb: peakRss / 1024 / 1024,
            rssMb: process.memoryUsage.rss() / 1024 / 1024,
          }),
        );
        return true;
      }
      return false;
    },
  };
}

export type ServerStats = {
  requests: number;
  statements: number;
  cpuMs: number;
  peakRssMb: number;
  rssMb: number;
};

/** Tells the parent process the port once listening (the parent reads one JSON line from stdout). */
export function announce(port: number, extra: Record<string, unknown> = {}) {
  process.stdout.write(`${JSON.stringify({ port, ...extra })}\n`);
}

/**
 * Runs a comparator server: keep-alive, a free loopback port announced to the parent, and on
 * SIGTERM its connections closed, then `close` (its database client), then exit.
 */
export function serveComparator(server: Server, close: () => Promise<unknown>) {
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    announce(typeof address === 'object' && address ? address.port : 0);
  });
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void close().finally(() => process.exit(0));
  });
}

/**
 * A comparator's HTTP handler: the stats endpoints, then each POST body read whole and handed to
 * `answer` with the path; its result goes back as JSON, a failure as a GraphQL-style 500. A path of
 * `uploads` gets the request itself (its body read as it arrives) and answers its own status.
 */
export function createJsonServer(
  stats: Pick<ReturnType<typeof createStats>, 'handle' | 'request'>,
  answer: (path: string, body: string) => Promise<unknown>,
  uploads: Record<string, (request: IncomingMessage) => Promise<{ status: number; body: unknown }>> = {},
): Server {
  return createServer((request, response) => {
    if (stats.handle(request, response)) return;
    stats.request();
    const fail = (error: unknown) => {
      response.statusCode = 500;
      response.end(JSON.stringify({ errors: [{ message: String(error) }] }));
    };
    const upload = uploads[request.url ?? ''];
    if (upload) {
      upload(request).then(({ status, body }) => {
        response.statusCode = status;
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(body));
      }, fail);
      return;
    }
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', async () => {
      try {
        const result = await answer(request.url ?? '', body);
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(result));
      } catch (error) {
        fail(error);
      }
    });
  });
}

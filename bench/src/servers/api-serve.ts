import { createServer } from 'node:http';
import { openBenchApi } from '../api.ts';
import { announce, createStats } from './stats.ts';

/**
 * The real API (createApp from @sixtype/api) in a process of its own, with a side door for the
 * benchmark: counters, and the statements drizzle sent while capture is on (GET /__bench/capture
 * starts, GET /__bench/statements returns and stops).
 */
const databaseUrl = process.argv[2] as string;
const stats = createStats();
const api = await openBenchApi(databaseUrl, Number(process.argv[3] ?? 10));
let capturing = false;
const statements = api.statements;
const push = statements.push.bind(statements);
statements.push = (...items) => {
  stats.statement();
  return capturing ? push(...items) : statements.length;
};

const server = createServer((request, response) => {
  if (stats.handle(request, response)) return;
  if (request.url === '/__bench/capture') {
    statements.length = 0;
    capturing = true;
    response.end(JSON.stringify({ token: api.token }));
    return;
  }
  if (request.url === '/__bench/statements') {
    capturing = false;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(statements.splice(0)));
    return;
  }
  stats.request();
  api.app(request, response);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  announce(typeof address === 'object' && address ? address.port : 0, { token: api.token });
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  // A pool that lost connections (see the report) may never finish closing.
  setTimeout(() => process.exit(0), 3_000).unref();
  void api.close().finally(() => process.exit(0));
});

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import postgres from 'postgres';
import type { LoggedStatement } from '../api.ts';
import { announce, createStats } from './stats.ts';

/**
 * The floor: the statements our API sent for each scenario variant (captured from drizzle's
 * logger, credential lookup included), replayed by postgres.js from a minimal node:http handler
 * that answers with the rows as JSON. Nothing can serve these figures with less work than this.
 */
const databaseUrl = process.argv[2] as string;
const captured = JSON.parse(readFileSync(process.argv[3] as string, 'utf8')) as Record<string, LoggedStatement[][]>;
const sql = postgres(databaseUrl, { max: Number(process.argv[4] ?? 10), onnotice: () => {} });
const stats = createStats();

const server = createServer((request, response) => {
  if (stats.handle(request, response)) return;
  stats.request();
  let body = '';
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => {
    body += chunk;
  });
  request.on('end', async () => {
    try {
      const { scenario, variant } = JSON.parse(body) as { scenario: string; variant: number };
      const variants = captured[scenario] ?? [];
      const statements = variants[variant % variants.length] ?? [];
      let rows: unknown = null;
      for (const { query, params } of statements) {
        stats.statement();
        rows = await sql.unsafe(query, params as postgres.ParameterOrJSON<never>[], { prepare: true });
      }
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ data: scenario === 'S0' ? { __typename: 'Query' } : rows }));
    } catch (error) {
      response.statusCode = 500;
      response.end(JSON.stringify({ errors: [{ message: String(error) }] }));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  announce(typeof address === 'object' && address ? address.port : 0);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void sql.end({ timeout: 2 }).finally(() => process.exit(0));
});

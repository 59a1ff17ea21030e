import { createServer } from 'node:http';
import postgres from 'postgres';
import type { GraphQLRequestBody } from '../scenarios.ts';
import { createStats, serveComparator } from './stats.ts';
import { tunedQueries, variablesOf } from './tuned-queries.ts';

/**
 * The hand-tuned floor (tuned-queries.ts): POST /tuned/<scenario> with the scenario's GraphQL body
 * answers with one hand-written statement, sent as the API sends its own (unnamed, planned on
 * every request, JIT off), from a bare node:http handler.
 */
const databaseUrl = process.argv[2] as string;
const sql = postgres(databaseUrl, {
  max: Number(process.argv[3] ?? 10),
  prepare: false,
  connection: { jit: 'off' },
  onnotice: () => {},
});
const stats = createStats();
const countingSql = new Proxy(sql, {
  apply(target, self, args) {
    stats.statement();
    return Reflect.apply(target, self, args);
  },
});

const server = createServer((request, response) => {
  if (stats.handle(request, response)) return;
  stats.request();
  const query = tunedQueries[request.url?.slice('/tuned/'.length) ?? ''];
  let body = '';
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => {
    body += chunk;
  });
  request.on('end', async () => {
    try {
      if (!query) throw new Error(`no hand-tuned statement for ${request.url}`);
      const answer = await query(countingSql, variablesOf(JSON.parse(body) as GraphQLRequestBody));
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(answer));
    } catch (error) {
      response.statusCode = 500;
      response.end(JSON.stringify({ errors: [{ message: String(error) }] }));
    }
  });
});
serveComparator(server, () => sql.end({ timeout: 2 }));

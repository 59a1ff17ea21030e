import postgres from 'postgres';
import type { GraphQLRequestBody } from '../scenarios.ts';
import { createJsonServer, createStats, serveComparator } from './stats.ts';
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

const server = createJsonServer(stats, async (path, body) => {
  const query = tunedQueries[path.slice('/tuned/'.length)];
  if (!query) throw new Error(`no hand-tuned statement for ${path}`);
  return query(countingSql, variablesOf(JSON.parse(body) as GraphQLRequestBody));
});
serveComparator(server, () => sql.end({ timeout: 2 }));

import { readFileSync } from 'node:fs';
import pg from 'pg';
import postgres from 'postgres';
import type { LoggedStatement } from '../api.ts';
import { bulkUploadFloor, type FloorUpload, type FloorWrite, submitObservationsFloor } from './floor-writes.ts';
import { createJsonServer, createStats, serveComparator } from './stats.ts';

/**
 * The replay floor: the statements our API sent for each scenario variant (captured from drizzle's
 * logger, credential lookup included when the API sent one), replayed by postgres.js from a
 * minimal node:http handler that answers with the rows as JSON, sent as the API sends them
 * (unnamed, so planned on every request; JIT off). It shows what GraphQL costs over the API's
 * own SQL; the hand-tuned floor (tuned-server.ts) shows what better SQL would gain.
 * A write (POST /floor/<scenario>) gets the API's GraphQL request body and is written by hand
 * (floor-writes.ts), after the same credential lookup; the bulk upload (POST /floor/S5B) gets the
 * API's NDJSON body and Idempotency-Key header and streams it into COPY through node-postgres and
 * pg-copy-streams (the API's bulk path uses them too), on connections of its own with JIT off.
 */
const databaseUrl = process.argv[2] as string;
const captured = JSON.parse(readFileSync(process.argv[3] as string, 'utf8')) as Record<string, LoggedStatement[][]>;
// As the API's pool connects (JIT off) and sends (unnamed statements, planned on every request).
const sql = postgres(databaseUrl, {
  max: Number(process.argv[4] ?? 10),
  prepare: false,
  connection: { jit: 'off' },
  onnotice: () => {},
});
const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(process.argv[4] ?? 10), options: '-c jit=off' });
pool.on('error', () => {});
const stats = createStats();

/** What the API sent for a scenario before its transaction began: the credential lookup. */
const beforeTransaction = (scenario: string) => {
  const statements = captured[scenario]?.[0] ?? [];
  const begin = statements.findIndex((statement) => statement.query.trim().toLowerCase() === 'begin');
  return begin < 0 ? [] : statements.slice(0, begin);
};
const writes: Record<string, FloorWrite> = {
  S5: submitObservationsFloor(sql, beforeTransaction('S5'), () => stats.statement()),
};
const uploads: Record<string, FloorUpload> = {
  '/floor/S5B': bulkUploadFloor(sql, pool, beforeTransaction('S5B'), () => stats.statement()),
};

async function replay(body: string) {
  const { scenario, variant } = JSON.parse(body) as { scenario: string; variant: number };
  const variants = captured[scenario] ?? [];
  const statements = variants[variant % variants.length] ?? [];
  let rows: unknown = null;
  for (const { query, params } of statements) {
    stats.statement();
    rows = await sql.unsafe(query, params as postgres.ParameterOrJSON<never>[]);
  }
  return { data: scenario === 'S0' ? { __typename: 'Query' } : rows };
}

const server = createJsonServer(
  stats,
  async (path, body) => {
    const write = writes[path.slice('/floor/'.length)];
    return write ? write(JSON.parse(body)) : replay(body);
  },
  uploads,
);
serveComparator(server, () => Promise.all([sql.end({ timeout: 2 }), pool.end()]));

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BenchApi, openBenchApi } from './api.ts';
import { loadDataset } from './dataset.ts';
import { answered, comparableAnswer, readTargets, requestOf, scenarios, type Targets } from './scenarios.ts';
import { datasetSizes } from './sizes.ts';

/**
 * The benchmark's scenarios on the S dataset (one tenth of L; it loads in about 15 s): each answer
 * must hash to its golden value and cost the golden number of SQL statements (those drizzle sends:
 * an upload's COPY streams are not among them). Nothing timed.
 * Runs only against PostgreSQL (CI's second pass), in a database of its own on that server.
 * `UPDATE_GOLDEN=1` rewrites the golden file after a deliberate change.
 */
const serverUrl = process.env.TEST_DATABASE_URL;
const goldenFile = fileURLToPath(new URL('./golden-S.json', import.meta.url));
type Golden = Record<string, { sha256: string; statements: number }>;
const golden: Golden = existsSync(goldenFile) ? JSON.parse(readFileSync(goldenFile, 'utf8')) : {};
const updating = process.env.UPDATE_GOLDEN === '1';

describe.runIf(serverUrl)('benchmark scenarios on dataset S (PostgreSQL)', () => {
  const url = new URL(serverUrl ?? 'postgres://localhost/unused');
  url.pathname = `/${url.pathname.slice(1)}_bench_s`;
  const databaseUrl = url.toString();
  let api: BenchApi;
  let targets: Targets;
  const seen: Golden = {};

  beforeAll(async () => {
    await loadDataset(databaseUrl, datasetSizes.S);
    targets = await readTargets(databaseUrl);
    api = await openBenchApi(databaseUrl, 2);
  });

  afterAll(async () => {
    await api?.close();
    if (updating) writeFileSync(goldenFile, `${JSON.stringify(seen, null, 2)}\n`);
    const admin = new URL(databaseUrl);
    const name = admin.pathname.slice(1);
    admin.pathname = '/postgres';
    const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
    await sql.unsafe(`drop database if exists "${name}" with (force)`);
    await sql.end();
  });

  for (const scenario of scenarios) {
    // Under UPDATE_GOLDEN=1 the run checks nothing but that each answer is a success, and says so:
    // it writes the golden file instead of comparing with it.
    const what = updating
      ? 'answers without errors; its answer and statement count are written to golden-S.json'
      : 'gives the golden answer in the golden number of statements';
    it(`${scenario.id} (${scenario.title}) ${what}`, async () => {
      // The session is known first, as under load: the count is the scenario's own statements
      // (a request answers a known session from memory; see session-cache.ts).
      await api.app.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${api.token}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      api.statements.length = 0;
      const request = requestOf(scenario, targets, 0);
      const response = await api.app.fetch(`http://localhost${request.path}`, {
        method: 'POST',
        headers: { ...request.headers, authorization: `Bearer ${api.token}` },
        body: request.body,
      });
      const text = await response.text();
      expect({ status: response.status, answered: answered(scenario, response.status, text) }).toEqual({
        status: 200,
        answered: true,
      });
      if (!scenario.upload) expect(JSON.parse(text).errors).toBeUndefined();
      const sha256 = createHash('sha256').update(comparableAnswer(scenario, text)).digest('hex');
      const answer = { sha256, statements: api.statements.length };
      seen[scenario.id] = answer;
      if (!updating) expect(answer).toEqual(golden[scenario.id]);
    });
  }
});

import { parseArgs } from 'node:util';
import { sessionCacheOf } from '@sixtype/graphql';
import { openBenchApi } from './api.ts';
import { BENCH_DATABASE_URL } from './env.ts';
import { readTargets, scenarios } from './scenarios.ts';

/**
 * CPU milliseconds per request of the API in this process, without HTTP (app.fetch), one request
 * at a time: the per-request cost that the bench's HTTP figures include along with the socket.
 * `--no-session-cache` forgets the session before every request (as before sessions were cached).
 * Usage: npx tsx bench/src/cpu-per-request.ts --scenarios S0,S4 --requests 2000
 */
const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: 'S0,S4' },
    requests: { type: 'string', default: '2000' },
    'no-session-cache': { type: 'boolean', default: false },
  },
});
const targets = await readTargets(BENCH_DATABASE_URL);
const api = await openBenchApi(BENCH_DATABASE_URL, 2);
const count = Number(values.requests);
for (const id of (values.scenarios ?? '').split(',')) {
  const scenario = scenarios.find((s) => s.id === id);
  if (!scenario) throw new Error(`no scenario ${id}`);
  if (scenario.upload) throw new Error(`${id} is an upload: measure it with npm run bench`);
  // A write scenario's batches carry a key of this run, so each request writes (not a replay).
  const runId = scenario.rowsPerRequest ? `cpu-${Date.now()}` : undefined;
  const bodies = Array.from({ length: 16 }, (_, v) => JSON.stringify(scenario.body(targets, v, runId)));
  let sent = 0;
  const run = async (n: number) => {
    for (let i = 0; i < n; i++, sent++) {
      if (values['no-session-cache']) sessionCacheOf(api.database.db).clear();
      const response = await api.app.fetch('http://bench/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${api.token}` },
        body: runId ? JSON.stringify(scenario.body(targets, sent, runId)) : (bodies[i % bodies.length] as string),
      });
      await response.text();
    }
  };
  await run(Math.min(500, count));
  api.statements.length = 0;
  const before = process.cpuUsage();
  const started = performance.now();
  await run(count);
  const used = process.cpuUsage(before);
  const statements = api.statements.length;
  api.statements.length = 0;
  console.log(
    JSON.stringify({
      scenario: id,
      sessionCache: !values['no-session-cache'],
      requests: count,
      cpuMsPerRequest: Number(((used.user + used.system) / 1000 / count).toFixed(3)),
      wallMsPerRequest: Number(((performance.now() - started) / count).toFixed(3)),
      statementsPerRequest: statements / count,
    }),
  );
}
await api.close();

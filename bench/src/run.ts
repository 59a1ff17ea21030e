import { type ChildProcess, fork, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundle } from '@sixtype/api/bundle';
import postgres from 'postgres';
import type { LoggedStatement } from './api.ts';
import { API_HEAP_MB, BENCH_DATABASE_URL } from './env.ts';
import type { LoadJob, LoadResult } from './load.ts';
import { copyToPglite } from './pglite.ts';
import {
  type BenchResults,
  goalsMarkdown,
  machineInfo,
  medianOf,
  type StatementTime,
  type TargetName,
  writeReports,
} from './report.ts';
import { answered, comparableAnswer, readTargets, requestOf, type Scenario, scenarios, VARIANTS } from './scenarios.ts';
import type { ServerStats } from './servers/stats.ts';
import { tunedQueries } from './servers/tuned-queries.ts';
import { CAMPAIGN_CODE, STUDY_YEAR } from './sizes.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '2' },
    connections: { type: 'string', default: '1,4,16' },
    scenarios: { type: 'string', default: scenarios.map((s) => s.id).join(',') },
    /** Which servers to measure besides the API (the API always runs: the others are checked against it). */
    targets: { type: 'string', default: 'api,floor,tuned,naive' },
    out: { type: 'string', default: fileURLToPath(new URL('../results', import.meta.url)) },
    pool: { type: 'string', default: '10' },
    /** Writes a V8 CPU profile of the API process (for the scenarios run) into this folder. */
    'cpu-prof': { type: 'string' },
    /** Also measure the API on embedded PGlite (a copy of the dataset), reads at concurrency 1. */
    pglite: { type: 'boolean', default: false },
    /** Then hold the API under load this many seconds (one scenario, 4 connections), sampling RSS. */
    soak: { type: 'string' },
    'soak-scenario': { type: 'string', default: 'S4' },
    /** Time the campaign progress report for the zone (formats, comma-separated; empty for none). */
    report: { type: 'string', default: 'md,pdf' },
    'report-period': { type: 'string', default: `${STUDY_YEAR}-Q1` },
    /** Capture the SQL and write the plans, without load. */
    'plans-only': { type: 'boolean', default: false },
  },
});
const durationSeconds = Number(values.duration);
const warmupSeconds = Number(values.warmup);
const repeats = Number(values.repeats);
const connectionLevels = (values.connections ?? '1,4,16').split(',').map(Number);
// Writes run last, so that whatever a write run leaves behind cannot slow the reads.
const chosen = scenarios
  .filter((s) => (values.scenarios ?? '').split(',').includes(s.id))
  .sort((a, b) => Number(Boolean(a.rowsPerRequest)) - Number(Boolean(b.rowsPerRequest)));
const pool = values.pool ?? '10';
const measured = new Set((values.targets ?? '').split(','));
const databaseUrl = BENCH_DATABASE_URL;
const runId = Date.now().toString(36);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

interface Started {
  process: ChildProcess;
  base: string;
  token?: string;
}

/** Starts one server under test in its own Node process and waits for the port it announces. */
const API_HEAP_OPTION = `--max-old-space-size=${API_HEAP_MB}`;

async function startServer(file: string, args: string[], nodeOptions: string[] = []): Promise<Started> {
  const script = fileURLToPath(new URL(file, import.meta.url));
  // A bundle runs as `npm start` runs the API's (plain node); the comparators run under tsx.
  const loader = script.endsWith('.mjs') ? ['--enable-source-maps'] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...nodeOptions, ...loader, script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code} before listening`)));
  });
  const { port, token } = JSON.parse(first) as { port: number; token?: string };
  return { process: child, base: `http://127.0.0.1:${port}`, ...(token ? { token } : {}) };
}

async function stop(server: Started | undefined) {
  if (!server || server.process.exitCode !== null) return;
  const exited = new Promise((resolve) => server.process.once('exit', resolve));
  server.process.kill('SIGTERM');
  const timer = setTimeout(() => server.process.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

const getJson = async <T>(url: string): Promise<T> => (await fetch(url)).json() as Promise<T>;

async function post(url: string, body: string, headers: Record<string, string>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, text: await response.text() };
}

/** The one load process, forked once and driven over IPC. */
function startLoadProcess() {
  const child = fork(fileURLToPath(new URL('./load.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    run: (job: LoadJob) =>
      new Promise<LoadResult>((resolve, reject) => {
        child.once('message', (message: { ok: boolean; result?: LoadResult; error?: string }) =>
          message.ok && message.result ? resolve(message.result) : reject(new Error(message.error)),
        );
        child.send(job);
      }),
    stop: () => child.kill('SIGTERM'),
  };
}

const targets = await readTargets(databaseUrl);
const dataset = await (async () => {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ value: string }[]>`select value from system_settings where key = 'bench_dataset'`;
    if (!row) throw new Error(`${databaseUrl} holds no benchmark dataset: run npm run bench:data first`);
    return JSON.parse(row.value) as { size: string; seed: number; rows: Record<string, number> };
  } finally {
    await sql.end({ timeout: 2 });
  }
})();
log(`dataset ${dataset.size} (seed ${dataset.seed}); scenarios ${chosen.map((s) => s.id).join(' ')}`);

const servers: Partial<Record<TargetName, Started>> = {};
const load = startLoadProcess();
const cleanup = async () => {
  load.stop();
  await Promise.all(Object.values(servers).map((server) => stop(server)));
};
process.on('SIGINT', () => void cleanup().finally(() => process.exit(130)));

try {
  const profile = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [];
  // As `npm start` runs it: the heap capped at API_HEAP_MB (default 256 MiB).
  // The API's server is bundled as services/api's `npm start` bundles the API, at the same depth
  // (bench/dist/servers beside bench/src/servers), so it runs as plain JavaScript too.
  await bundle([
    {
      in: fileURLToPath(new URL('./servers/api-server.ts', import.meta.url)),
      out: fileURLToPath(new URL('../dist/servers/api-server.mjs', import.meta.url)),
    },
  ]);
  servers.api = await startServer('../dist/servers/api-server.mjs', [databaseUrl, pool], [API_HEAP_OPTION, ...profile]);
  const api = servers.api;
  const auth = { authorization: `Bearer ${api.token}` };

  if (values.pglite) {
    // The embedded mode on the same rows, copied before anything is written: reads, one
    // connection (PGlite runs one statement at a time).
    const dataDir = join(tmpdir(), `sixtype-bench-pglite-${dataset.size}`);
    log(`copying the dataset into PGlite (${dataDir})`);
    await copyToPglite(databaseUrl, dataDir);
    servers.pglite = await startServer(
      '../dist/servers/api-server.mjs',
      [`pglite:${dataDir}`, pool],
      [API_HEAP_OPTION],
    );
  }

  // The naive server answers each scenario right after the API did, before a later write (S5)
  // changes the figures an earlier read returns.
  servers.naive = await startServer('./servers/naive-server.ts', [databaseUrl, pool]);
  const naive = servers.naive;

  // 1. Capture: each variant once through the real API, with drizzle's statements. The floor
  // replays reads only; a write is written by hand there, so one variant shows what the API sent.
  // 2. The naive server must give the same answers as the API, or the comparison means nothing.
  const captured: Record<string, LoggedStatement[][]> = {};
  const answers: Record<string, string[]> = {};
  const apiAnswerTexts: Record<string, string> = {};
  const naiveMatches: Record<string, boolean> = {};
  for (const scenario of chosen) {
    captured[scenario.id] = [];
    answers[scenario.id] = [];
    const variants = scenario.floor && !scenario.rowsPerRequest ? VARIANTS : 1;
    for (let v = 0; v < variants; v++) {
      // Under load a session is known to the API (answered from memory): the capture shows that
      // steady state, not the lookup a session's first request (or one every few seconds) pays.
      await post(`${api.base}/graphql`, JSON.stringify({ query: '{ __typename }' }), auth);
      // Likewise a read's first request teaches the API its metrics' definitions (derivations),
      // which every later request for them uses: capture the read's second request.
      if (!scenario.rowsPerRequest) {
        const warm = requestOf(scenario, targets, v, `${runId}-warm`);
        await post(`${api.base}${warm.path}`, warm.body, { ...auth, ...warm.headers });
      }
      await getJson(`${api.base}/__bench/capture`);
      const request = requestOf(scenario, targets, v, `${runId}-capture`);
      const response = await post(`${api.base}${request.path}`, request.body, { ...auth, ...request.headers });
      if (!answered(scenario, response.status, response.text)) {
        throw new Error(`${scenario.id} variant ${v}: ${response.status} ${response.text.slice(0, 300)}`);
      }
      answers[scenario.id]?.push(sha256(comparableAnswer(scenario, response.text)));
      if (v === 0) apiAnswerTexts[scenario.id] = response.text;
      captured[scenario.id]?.push(await getJson<LoggedStatement[]>(`${api.base}/__bench/statements`));
    }
    if (scenario.naive && measured.has('naive')) {
      // A write's answer does not depend on its key, so a key of its own keeps it from being a replay.
      const { body } = requestOf(scenario, targets, 0, `${runId}-naive`);
      const response = await post(`${naive.base}/graphql`, body, {});
      naiveMatches[scenario.id] = sha256(response.text) === answers[scenario.id]?.[0];
      log(`${scenario.id}: naiveAnswerMatches ${naiveMatches[scenario.id]}`);
      if (!naiveMatches[scenario.id]) log(`${scenario.id}: naive answer differs: ${response.text.slice(0, 200)}`);
    }
  }
  const capturedFile = join(tmpdir(), `sixtype-bench-${runId}.json`);
  writeFileSync(capturedFile, JSON.stringify(captured));

  // 3. Plans: EXPLAIN (ANALYZE, BUFFERS) of every read statement of variant 0.
  const plansDir = join(values.out as string, `plans-${dataset.size}`);
  mkdirSync(plansDir, { recursive: true });
  const statementTimes: Record<string, StatementTime> = {};
  // With the API's connection settings: JIT off (packages/db/src/pool.ts).
  const explainSql = postgres(databaseUrl, { max: 1, connection: { jit: 'off' }, onnotice: () => {} });
  try {
    for (const scenario of chosen) {
      if (!scenario.floor || scenario.rowsPerRequest) continue;
      const statements = captured[scenario.id]?.[0] ?? [];
      let text = `# ${scenario.id}: ${scenario.title}\n`;
      for (const [i, { query, params }] of statements.entries()) {
        const plan = await explainSql.unsafe(
          `explain (analyze, buffers) ${query}`,
          params as postgres.ParameterOrJSON<never>[],
        );
        text += `\n## statement ${i + 1}\n\n${query}\n\nparams: ${JSON.stringify(params)}\n\n`;
        text += `${plan.map((row) => row['QUERY PLAN']).join('\n')}\n`;
      }
      writeFileSync(join(plansDir, `${scenario.id}.txt`), text);
    }
    // The statements' own time, as the API pays it (unnamed, so parsed and planned each time; JIT
    // off): every variant's statements twice, after one warm-up round, on one idle connection.
    for (const scenario of chosen) {
      if (!scenario.floor || scenario.rowsPerRequest) continue;
      const variants = captured[scenario.id] ?? [];
      const times: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (const statements of variants) {
          const started = performance.now();
          for (const { query, params } of statements) {
            await explainSql.unsafe(query, params as postgres.ParameterOrJSON<never>[], { prepare: false });
          }
          if (round > 0) times.push(performance.now() - started);
        }
      }
      statementTimes[scenario.id] = { medianMs: medianOf(times), minMs: Math.min(...times), samples: times.length };
      log(
        `${scenario.id}: statements ${statementTimes[scenario.id]?.medianMs.toFixed(1)} ms (median of ${times.length})`,
      );
    }
  } finally {
    await explainSql.end({ timeout: 2 });
  }
  log(`plans written to ${plansDir}`);
  if (values['plans-only']) {
    await cleanup();
    process.exit(0);
  }

  servers.floor = await startServer('./servers/floor-server.ts', [databaseUrl, capturedFile, pool]);
  const floor = servers.floor;
  servers.tuned = await startServer('./servers/tuned-server.ts', [databaseUrl, pool]);
  const tuned = servers.tuned;

  // The hand-tuned floor must answer exactly what the API answered, on every variant.
  const tunedMatches: Record<string, boolean> = {};
  for (const scenario of chosen.filter((s) => s.id in tunedQueries)) {
    let matches = true;
    for (const [v, expected] of (answers[scenario.id] ?? []).entries()) {
      const response = await post(`${tuned.base}/tuned/${scenario.id}`, requestOf(scenario, targets, v).body, {});
      if (sha256(response.text) !== expected) {
        matches = false;
        log(`${scenario.id} variant ${v}: hand-tuned answer differs: ${response.text.slice(0, 300)}`);
        break;
      }
    }
    tunedMatches[scenario.id] = matches;
    log(`${scenario.id}: tunedAnswerMatches ${matches} (${answers[scenario.id]?.length ?? 0} variants)`);
  }

  // A floor write answers the API's figures without GraphQL around them: the counts must agree.
  const floorMatches: Record<string, boolean> = {};
  for (const scenario of chosen.filter((s) => s.floor && s.rowsPerRequest)) {
    const request = requestOf(scenario, targets, 0, `${runId}-floor`);
    const response = await post(`${floor.base}/floor/${scenario.id}`, request.body, request.headers);
    const countsOf = (payload: unknown) => {
      const { accepted, rejected, replayed } = (payload ?? {}) as Record<string, unknown>;
      return JSON.stringify([accepted, rejected, replayed]);
    };
    // An upload answers its counts at the top; a GraphQL write in its root field.
    const apiAnswer = JSON.parse(apiAnswerTexts[scenario.id] ?? '{}') as { data?: Record<string, unknown> };
    const floorAnswer = JSON.parse(response.text) as { data?: unknown };
    const apiCounts = scenario.upload ? apiAnswer : Object.values(apiAnswer.data ?? {})[0];
    floorMatches[scenario.id] =
      response.status === 200 && countsOf(scenario.upload ? floorAnswer : floorAnswer.data) === countsOf(apiCounts);
    log(`${scenario.id}: floorAnswerMatches ${floorMatches[scenario.id]} (${response.text.slice(0, 120)})`);
  }

  // An upload's key goes in its header (load.ts), so its bodies are the same for every target.
  const uploadBodies = new Map<string, string[]>();
  const bodiesFor = (scenario: Scenario, target: TargetName) => {
    const bodies = (make: (v: number) => string) =>
      Array.from({ length: scenario.variants ?? VARIANTS }, (_, v) => make(v));
    if (scenario.upload) {
      const known = uploadBodies.get(scenario.id) ?? bodies((v) => requestOf(scenario, targets, v).body);
      uploadBodies.set(scenario.id, known);
      return known;
    }
    return bodies((v) =>
      target === 'floor' && !scenario.rowsPerRequest
        ? JSON.stringify({ scenario: scenario.id, variant: v })
        : requestOf(scenario, targets, v, '__KEY__').body.replace(/"bench-__KEY__-\d+"/, '"__KEY__"'),
    );
  };

  async function measure(scenario: Scenario, target: TargetName, connections: number, overallRate?: number) {
    const server = servers[target] as Started;
    const job: LoadJob = {
      url: `${server.base}${target === 'tuned' ? `/tuned/${scenario.id}` : target === 'floor' ? (scenario.rowsPerRequest ? `/floor/${scenario.id}` : '/floor') : (scenario.upload?.path ?? '/graphql')}`,
      headers: server.token ? { authorization: `Bearer ${server.token}` } : {},
      bodies: bodiesFor(scenario, target),
      ...(scenario.upload ? { contentType: scenario.upload.contentType, keyHeader: 'idempotency-key' } : {}),
      connections,
      durationSeconds,
      keyPrefix: `bench-${runId}-${target}-${connections}-${overallRate ?? 0}-${Math.random().toString(36).slice(2)}`,
      // Every answer to an accepted batch says so, whichever server gave it.
      // A write of the naive server takes seconds under load: it is measured, not timed out.
      ...(scenario.rowsPerRequest ? { expectInBody: '"replayed":false', timeoutSeconds: 120 } : {}),
      ...(overallRate ? { overallRate } : {}),
      // A write is run for a number of requests rather than a time, so no run ends by cutting a
      // request (and its transaction) off mid-way.
      ...(scenario.rowsPerRequest
        ? { amount: overallRate ? overallRate * durationSeconds : connections * 2 * durationSeconds }
        : {}),
    };
    // A fixed-rate read warms up at its rate too: it follows the other servers' runs, during which
    // this server's pool let its idle connections go, and its first requests would pay the reconnects.
    if (warmupSeconds > 0 && !(overallRate && scenario.rowsPerRequest))
      await load.run({ ...job, durationSeconds: warmupSeconds, keyPrefix: `${job.keyPrefix}-w` });
    await getJson(`${server.base}/__bench/reset`);
    const result = await load.run(job);
    const stats = await getJson<ServerStats>(`${server.base}/__bench/stats`);
    return {
      target,
      connections,
      ...(overallRate ? { overallRate } : {}),
      ...result,
      statementsPerRequest: stats.requests ? stats.statements / stats.requests : 0,
      cpuMsPerRequest: stats.requests ? stats.cpuMs / stats.requests : 0,
      peakRssMb: stats.peakRssMb,
    };
  }

  const results: BenchResults = {
    runId,
    startedAt: new Date().toISOString(),
    machine: await machineInfo(databaseUrl),
    dataset,
    settings: { durationSeconds, warmupSeconds, repeats, connectionLevels, pool: Number(pool) },
    scenarios: [],
  };
  for (const scenario of chosen) {
    const names = (
      [
        'api',
        ...(scenario.floor ? (['floor'] as const) : []),
        ...(tunedMatches[scenario.id] ? (['tuned'] as const) : []),
        ...(scenario.naive ? (['naive'] as const) : []),
      ] satisfies TargetName[]
    ).filter((name) => name === 'api' || measured.has(name));
    const runs: Awaited<ReturnType<typeof measure>>[] = [];
    for (let r = 0; r < repeats; r++) {
      // Alternate the order so drift (other work on the machine, caches) does not favour one target.
      const order = r % 2 === 0 ? names : [...names].reverse();
      for (const target of order) {
        for (const connections of connectionLevels) {
          const run = await measure(scenario, target, connections);
          runs.push(run);
          log(
            `${scenario.id} ${target.padEnd(5)} c=${connections} ${run.requestsPerSecond.toFixed(1)} req/s p50 ${run.p50.toFixed(0)} ms p99 ${run.p99.toFixed(0)} ms ${run.statementsPerRequest.toFixed(2)} stmt/req${run.non2xx ? ` non2xx ${run.non2xx}` : ''}${run.unexpected ? ` not accepted ${run.unexpected}` : ''}`,
          );
        }
      }
    }
    const fixedRate: typeof runs = [];
    for (const [r, fraction] of [0.5, 0.8].entries()) {
      const order = r % 2 === 0 ? names : [...names].reverse();
      for (const target of order) {
        const best = Math.max(...runs.filter((x) => x.target === target).map((x) => x.requestsPerSecond));
        const rate = Math.max(1, Math.floor(best * fraction));
        const run = await measure(scenario, target, Math.max(...connectionLevels), rate);
        fixedRate.push({ ...run, fraction } as typeof run);
        log(
          `${scenario.id} ${target.padEnd(5)} ${fraction * 100}% (${rate} req/s): p50 ${run.p50.toFixed(0)} ms p99 ${run.p99.toFixed(0)} ms`,
        );
      }
    }
    results.scenarios.push({
      id: scenario.id,
      title: scenario.title,
      rowsPerRequest: scenario.rowsPerRequest?.(targets) ?? null,
      answerSha256: answers[scenario.id]?.[0] ?? '',
      apiStatements: captured[scenario.id]?.[0]?.length ?? 0,
      naiveAnswerMatches: naiveMatches[scenario.id] ?? null,
      ...(scenario.id in floorMatches ? { floorAnswerMatches: floorMatches[scenario.id] } : {}),
      ...(scenario.id in tunedMatches ? { tunedAnswerMatches: tunedMatches[scenario.id] } : {}),
      ...(statementTimes[scenario.id] ? { statements: statementTimes[scenario.id] } : {}),
      runs,
      fixedRate,
    });
    writeReports(values.out as string, results);
  }
  if (servers.pglite) {
    for (const result of results.scenarios) {
      const scenario = chosen.find((s) => s.id === result.id) as Scenario;
      if (scenario.rowsPerRequest) continue;
      const { body } = requestOf(scenario, targets, 0);
      const response = await post(`${servers.pglite.base}/graphql`, body, {
        authorization: `Bearer ${servers.pglite.token}`,
      });
      result.pgliteAnswerMatches = sha256(comparableAnswer(scenario, response.text)) === result.answerSha256;
      for (let r = 0; r < repeats; r++) {
        const run = await measure(scenario, 'pglite', 1);
        result.runs.push(run);
        log(
          `${scenario.id} pglite c=1 ${run.requestsPerSecond.toFixed(1)} req/s p50 ${run.p50.toFixed(0)} ms p99 ${run.p99.toFixed(0)} ms`,
        );
      }
    }
  }
  // The campaign progress report for the whole zone, as an office downloads it: each format three
  // times, one at a time, after the reads (a report is one request of many statements, not a rate).
  const reportFormats = (values.report ?? '').split(',').filter(Boolean);
  if (reportFormats.length > 0) {
    const api = servers.api as Started;
    results.reports = [];
    for (const format of reportFormats) {
      const path = `/reports/${CAMPAIGN_CODE}/ZONE/${values['report-period']}.${format}`;
      const seconds: number[] = [];
      let bytes = 0;
      for (let r = 0; r < 3; r++) {
        const started = performance.now();
        const response = await fetch(`${api.base}${path}`, { headers: { authorization: `Bearer ${api.token}` } });
        const body = new Uint8Array(await response.arrayBuffer());
        if (response.status !== 200)
          throw new Error(`${path}: ${response.status} ${new TextDecoder().decode(body).slice(0, 300)}`);
        seconds.push((performance.now() - started) / 1000);
        bytes = body.byteLength;
      }
      results.reports.push({ path, seconds, bytes });
      log(`report ${path}: ${seconds.map((x) => x.toFixed(2)).join(', ')} s (${bytes} bytes)`);
    }
  }
  // `--soak 0` (or none) runs no soak: the RSS figures of the soak are then not measured.
  const soakSeconds = Number(values.soak ?? 0);
  if (soakSeconds > 0) {
    const scenario = scenarios.find((s) => s.id === values['soak-scenario']) as Scenario;
    const api = servers.api as Started;
    const samples: { seconds: number; rssMb: number }[] = [];
    const started = performance.now();
    const sampler = setInterval(() => {
      void getJson<ServerStats>(`${api.base}/__bench/stats`).then((stats) =>
        samples.push({ seconds: Math.round((performance.now() - started) / 1000), rssMb: stats.rssMb }),
      );
    }, 5_000);
    log(`soak: ${scenario.id} for ${soakSeconds} s at 4 connections`);
    const run = await load.run({
      url: `${api.base}${scenario.upload?.path ?? '/graphql'}`,
      headers: { authorization: `Bearer ${api.token}` },
      bodies: bodiesFor(scenario, 'api'),
      ...(scenario.upload ? { contentType: scenario.upload.contentType, keyHeader: 'idempotency-key' } : {}),
      connections: 4,
      durationSeconds: soakSeconds,
      keyPrefix: `soak-${runId}`,
    });
    clearInterval(sampler);
    const at = (t: number) => samples.filter((x) => x.seconds <= t).at(-1)?.rssMb ?? Number.NaN;
    results.soak = {
      scenario: scenario.id,
      seconds: soakSeconds,
      requests: run.requests,
      non2xx: run.non2xx,
      rssAfter60sMb: at(60),
      rssAtEndMb: samples.at(-1)?.rssMb ?? Number.NaN,
      samples,
    };
    log(`soak: RSS ${at(60).toFixed(0)} MB after 60 s, ${results.soak.rssAtEndMb.toFixed(0)} MB at the end`);
  }
  writeReports(values.out as string, results);
  log(`results written to ${values.out}\n\n${goalsMarkdown(results).join('\n')}`);
} finally {
  await cleanup();
}

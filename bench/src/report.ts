import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

export type TargetName = 'api' | 'floor' | 'tuned' | 'naive' | 'pglite';

export interface Run {
  target: TargetName;
  connections: number;
  overallRate?: number;
  fraction?: number;
  requestsPerSecond: number;
  /** Requests sent in the run. */
  requests?: number;
  p50: number;
  p99: number;
  mean: number;
  non2xx: number;
  errors: number;
  /** Writes: 2xx answers that did not accept the batch (absent in results written before it was counted). */
  unexpected?: number;
  statementsPerRequest: number;
  cpuMsPerRequest: number;
  peakRssMb: number;
}

export interface ScenarioResult {
  id: string;
  title: string;
  rowsPerRequest: number | null;
  answerSha256: string;
  apiStatements: number;
  naiveAnswerMatches: boolean | null;
  /** Writes only: the floor's counts (accepted, rejected, replayed) equal the API's. */
  floorAnswerMatches?: boolean;
  /** Reads: the hand-tuned floor's answer hashes identical to the API's on every variant. */
  tunedAnswerMatches?: boolean;
  pgliteAnswerMatches?: boolean;
  /** Reads: the captured statements' own time from one idle connection (see run.ts). */
  statements?: StatementTime;
  runs: Run[];
  fixedRate: Run[];
}

export interface StatementTime {
  medianMs: number;
  minMs: number;
  samples: number;
}

export interface BenchResults {
  runId: string;
  startedAt: string;
  machine: Record<string, string | number>;
  dataset: { size: string; layout?: string; seed: number; rows: Record<string, number> };
  settings: {
    durationSeconds: number;
    warmupSeconds: number;
    repeats: number;
    connectionLevels: number[];
    pool: number;
  };
  scenarios: ScenarioResult[];
  /** The campaign progress report for the zone: seconds per download, three each. */
  reports?: { path: string; seconds: number[]; bytes: number }[];
  soak?: {
    scenario: string;
    seconds: number;
    requests: number;
    non2xx: number;
    rssAfter60sMb: number;
    rssAtEndMb: number;
    samples: { seconds: number; rssMb: number }[];
  };
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const versionOf = (pkg: string) => {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
};

export async function machineInfo(databaseUrl: string): Promise<Record<string, string | number>> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ version: string }[]>`select version()`;
    const cpu = cpus();
    return {
      cpu: `${cpu.length} × ${cpu[0]?.model ?? 'unknown'}`,
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      postgres: row?.version.split(' on ')[0] ?? 'unknown',
      'drizzle-orm': versionOf('drizzle-orm'),
      '@pothos/plugin-drizzle': versionOf('@pothos/plugin-drizzle'),
      'graphql-yoga': versionOf('graphql-yoga'),
      postgres_js: versionOf('postgres'),
      autocannon: versionOf('autocannon'),
    };
  } finally {
    await sql.end({ timeout: 2 });
  }
}

export const medianOf = (values: number[]) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Median over repeats of one target at one concurrency. */
export function summarize(scenario: ScenarioResult, target: TargetName, connections: number) {
  const runs = scenario.runs.filter((r) => r.target === target && r.connections === connections);
  if (runs.length === 0) return undefined;
  return {
    requestsPerSecond: medianOf(runs.map((r) => r.requestsPerSecond)),
    /** Requests per second whose write was accepted (all of them for reads). */
    acceptedPerSecond: medianOf(
      runs.map((r) => r.requestsPerSecond * (r.requests ? 1 - (r.unexpected ?? 0) / r.requests : 1)),
    ),
    p50: medianOf(runs.map((r) => r.p50)),
    p99: medianOf(runs.map((r) => r.p99)),
    statementsPerRequest: medianOf(runs.map((r) => r.statementsPerRequest)),
    cpuMsPerRequest: medianOf(runs.map((r) => r.cpuMsPerRequest)),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    failed: runs.reduce((n, r) => n + r.non2xx + r.errors + (r.unexpected ?? 0), 0),
  };
}

export const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits);
export const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !b ? '–' : `${(a / b).toFixed(2)}×`;

/**
 * Issue 15's goals at dataset L, each with the figure the issue started from and this run's: the
 * table `npm run bench` prints at its end and writes at the top of results-<size>.md.
 */
export function goalsMarkdown(results: BenchResults): string[] {
  const byId = (id: string) => results.scenarios.find((scenario) => scenario.id === id);
  const maxC = Math.max(...results.settings.connectionLevels);
  const top = (id: string, target: TargetName = 'api') => {
    const scenario = byId(id);
    return scenario && summarize(scenario, target, maxC);
  };
  const halfLoadP50 = (id: string) => byId(id)?.fixedRate.find((r) => r.target === 'api' && r.fraction === 0.5)?.p50;
  const statementMs = (id: string) => byId(id)?.statements?.medianMs;
  const bestRows = (id: string) => {
    const scenario = byId(id);
    if (!scenario?.rowsPerRequest) return undefined;
    const rates = results.settings.connectionLevels.map(
      (c) => (summarize(scenario, 'api', c)?.acceptedPerSecond ?? 0) * (scenario.rowsPerRequest as number),
    );
    return Math.max(...rates);
  };
  const rssPeak = Math.max(...results.scenarios.map((scenario) => top(scenario.id)?.peakRssMb ?? 0));
  // A soak too short for one sample measured nothing (Math.max of none is -Infinity).
  const soakPeak = results.soak?.samples.length
    ? Math.max(...results.soak.samples.map((sample) => sample.rssMb))
    : undefined;
  const drift = results.soak ? results.soak.rssAtEndMb / results.soak.rssAfter60sMb : undefined;
  type Row = [string, string, number | undefined, string, (value: number) => boolean, number?];
  const atMost = (goal: number) => (value: number) => value <= goal;
  const atLeast = (goal: number) => (value: number) => value >= goal;
  const tunedRatio = (() => {
    const api = top('S1')?.requestsPerSecond;
    const tuned = top('S1', 'tuned')?.requestsPerSecond;
    return api !== undefined && tuned ? api / tuned : undefined;
  })();
  const rows: Row[] = [
    ['S1 statement, ms', '214', statementMs('S1'), '≤ 20', atMost(20)],
    ['S1 p50 at 50% load, ms', '~300', halfLoadP50('S1'), '≤ 20', atMost(20), 0],
    [`S1 req/s ÷ hand-tuned floor's (c=${maxC})`, '–', tunedRatio, '≥ 0.8', atLeast(0.8), 2],
    ['S2 statement, ms', '~60', statementMs('S2'), '≤ 25', atMost(25)],
    ['S2 p50 at 50% load, ms', '–', halfLoadP50('S2'), '≤ 25', atMost(25), 0],
    ['S3 statement, ms', '~210', statementMs('S3'), '≤ 30', atMost(30)],
    ['S3 p50 at 50% load, ms', '–', halfLoadP50('S3'), '≤ 30', atMost(30), 0],
    ['S6 statement, ms', '~126', statementMs('S6'), '≤ 40', atMost(40)],
    ['S6 p50 at 50% load, ms', '–', halfLoadP50('S6'), '≤ 40', atMost(40), 0],
    [`S0 CPU ms per request (c=${maxC})`, '0.43', top('S0')?.cpuMsPerRequest, '≤ 0.15', atMost(0.15), 2],
    [`S4 CPU ms per request (c=${maxC})`, '1.75–2.2', top('S4')?.cpuMsPerRequest, '≤ 0.7', atMost(0.7), 2],
    ['S4 SQL statements per request', '2', top('S4')?.statementsPerRequest, '1', (value) => value <= 1.05, 2],
    ['S5 rows/s through GraphQL (best level)', '14–26k', bestRows('S5'), '≥ 50,000', atLeast(50_000), 0],
    ['S5B rows/s, bulk upload (best level)', 'none', bestRows('S5B'), '≥ 200,000', atLeast(200_000), 0],
    ['peak RSS of the API in the scenarios, MB', '166–215', rssPeak || undefined, '≤ 250', atMost(250), 0],
    ['peak RSS in the soak, after the reports, MB', '–', soakPeak, '≤ 250', atMost(250), 0],
    ['RSS at the end of the soak ÷ after 60 s', '0.98×', drift, '0.9–1.1', (value) => value >= 0.9 && value <= 1.1, 2],
  ];
  const lines = [
    `## Goals (issue 15, dataset L) against this run (${results.dataset.size})`,
    '',
    '| figure | before | this run | goal | |',
    '|---|---|---|---|---|',
  ];
  for (const [figure, before, value, goal, met, digits = 1] of rows) {
    const verdict = value === undefined || Number.isNaN(value) ? 'not measured' : met(value) ? 'met' : 'missed';
    lines.push(`| ${figure} | ${before} | ${fmt(value, digits)} | ${goal} | ${verdict} |`);
  }
  lines.push(
    '',
    'Statements: the API’s captured SQL of every variant sent unnamed with JIT off from one idle connection',
    '(median, planning included). p50: at 50% of the API’s own maximum rate, end to end over HTTP.',
    '',
  );
  return lines;
}

export function markdown(results: BenchResults): string {
  const levels = results.settings.connectionLevels;
  const lines: string[] = [];
  lines.push(`# Benchmark, dataset ${results.dataset.size} (${results.startedAt})`, '');
  lines.push(
    'Generated by `npm run bench` (bench/src/run.ts). Servers and the autocannon load generator run in separate',
    'processes on one machine that other work shares: compare the side-by-side ratios of one run, not absolute',
    'figures across runs. `floor` (the replay floor) replays the SQL our API sent (captured from the drizzle',
    'logger) from a minimal node:http + postgres.js handler, unnamed and with JIT off as the API sends it, and for',
    'a write takes the same request and writes it by hand (S5 in one set-based statement; S5B streamed by COPY into',
    'a staging table, then one statement); `tuned` (the hand-tuned',
    'floor) answers each read with the one statement a person would write for the question, checked to give the',
    'API’s exact answer on every variant; `naive` is a graphql-yoga server with a query per parent row.',
    '',
  );
  lines.push('| machine | |', '|---|---|');
  for (const [key, value] of Object.entries(results.machine)) lines.push(`| ${key} | ${value} |`);
  lines.push(
    `| dataset rows | ${Object.entries(results.dataset.rows)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')} |`,
  );
  const s = results.settings;
  lines.push(
    `| settings | ${s.durationSeconds} s per run, ${s.warmupSeconds} s warm-up, ${s.repeats} repeats (alternating order), pool ${s.pool} |`,
    '',
  );

  lines.push(...goalsMarkdown(results));
  lines.push('## Throughput (requests/s, median of repeats) and ratios', '');
  const header = ['scenario', 'SQL/req api', 'SQL/req naive'];
  for (const c of levels)
    header.push(
      `api c=${c}`,
      `floor c=${c}`,
      `tuned c=${c}`,
      `naive c=${c}`,
      `api/floor c=${c}`,
      `api/tuned c=${c}`,
      `api/naive c=${c}`,
    );
  lines.push(`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`);
  for (const scenario of results.scenarios) {
    const row = [
      `${scenario.id} ${scenario.title}`,
      fmt(summarize(scenario, 'api', levels[0] as number)?.statementsPerRequest, 2),
      fmt(summarize(scenario, 'naive', levels[0] as number)?.statementsPerRequest, 1),
    ];
    for (const c of levels) {
      const api = summarize(scenario, 'api', c)?.requestsPerSecond;
      const floor = summarize(scenario, 'floor', c)?.requestsPerSecond;
      const tuned = summarize(scenario, 'tuned', c)?.requestsPerSecond;
      const naive = summarize(scenario, 'naive', c)?.requestsPerSecond;
      row.push(fmt(api), fmt(floor), fmt(tuned), fmt(naive), ratio(api, floor), ratio(api, tuned), ratio(api, naive));
    }
    lines.push(`| ${row.join(' | ')} |`);
  }
  lines.push('');

  const writes = results.scenarios.filter((scenario) => scenario.rowsPerRequest);
  if (writes.length > 0) {
    lines.push('## Writes: rows/s (accepted requests × rows per request, median of repeats)', '');
    const head = ['scenario', 'rows/request'];
    for (const c of levels) head.push(`api c=${c}`, `floor c=${c}`, `api/floor c=${c}`);
    lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
    for (const scenario of writes) {
      const perRequest = scenario.rowsPerRequest as number;
      const row = [`${scenario.id} ${scenario.title}`, String(perRequest)];
      for (const c of levels) {
        const api = summarize(scenario, 'api', c);
        const floor = summarize(scenario, 'floor', c);
        const apiRows = api && api.acceptedPerSecond * perRequest;
        const floorRows = floor && floor.acceptedPerSecond * perRequest;
        row.push(fmt(apiRows, 0), fmt(floorRows, 0), ratio(apiRows, floorRows));
      }
      lines.push(`| ${row.join(' | ')} |`);
    }
    lines.push('');
  }

  lines.push('## Latency at a fixed arrival rate (50% and 80% of each server’s own maximum), server cost', '');
  lines.push(
    '| scenario | target | rate 50% | p50 | p99 | rate 80% | p50 | p99 | CPU ms/req (c=max) | peak RSS MB | rows/s (c=max) | failed |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  const maxC = Math.max(...levels);
  for (const scenario of results.scenarios) {
    for (const target of ['api', 'floor', 'tuned', 'naive'] as const) {
      const top = summarize(scenario, target, maxC);
      if (!top) continue;
      const half = scenario.fixedRate.find((r) => r.target === target && r.fraction === 0.5);
      const most = scenario.fixedRate.find((r) => r.target === target && r.fraction === 0.8);
      const rows = scenario.rowsPerRequest ? fmt(top.acceptedPerSecond * scenario.rowsPerRequest, 0) : '';
      lines.push(
        `| ${scenario.id} | ${target} | ${half?.overallRate ?? '–'} | ${fmt(half?.p50, 0)} | ${fmt(half?.p99, 0)} | ${most?.overallRate ?? '–'} | ${fmt(most?.p50, 0)} | ${fmt(most?.p99, 0)} | ${fmt(top.cpuMsPerRequest, 2)} | ${fmt(top.peakRssMb, 0)} | ${rows} | ${top.failed} |`,
      );
    }
  }
  lines.push(
    '',
    'Latencies in ms. `failed` counts non-2xx answers, socket errors and (writes) answers that did not accept the',
    'batch, over all runs of that target. rows/s counts the rows of accepted batches only.',
    '',
  );
  if (results.scenarios.some((scenario) => summarize(scenario, 'pglite', 1))) {
    lines.push('## Embedded PGlite against PostgreSQL (the API on each, concurrency 1)', '');
    lines.push(
      '| scenario | p50 PostgreSQL | p50 PGlite | PGlite/PostgreSQL | req/s PostgreSQL | req/s PGlite | same answer |',
    );
    lines.push('|---|---|---|---|---|---|---|');
    for (const scenario of results.scenarios) {
      const pg = summarize(scenario, 'api', 1);
      const lite = summarize(scenario, 'pglite', 1);
      if (!lite) continue;
      lines.push(
        `| ${scenario.id} | ${fmt(pg?.p50, 0)} | ${fmt(lite.p50, 0)} | ${ratio(lite.p50, pg?.p50)} | ${fmt(pg?.requestsPerSecond)} | ${fmt(lite.requestsPerSecond)} | ${scenario.pgliteAnswerMatches ?? '–'} |`,
      );
    }
    lines.push('', 'p50 of 0 ms means under 1 ms (autocannon reports whole milliseconds).', '');
  }
  if (results.reports) {
    lines.push('## Campaign progress report for the zone', '');
    lines.push('| download | seconds (three in a row) | size |', '|---|---|---|');
    for (const report of results.reports) {
      lines.push(
        `| \`GET ${report.path}\` | ${report.seconds.map((x) => fmt(x, 2)).join(', ')} | ${fmt(report.bytes / 1024, 0)} KiB |`,
      );
    }
    lines.push('');
  }
  if (results.soak) {
    const soak = results.soak;
    lines.push('## Memory under a long run', '');
    lines.push(
      `${soak.scenario} at 4 connections for ${soak.seconds} s (${soak.requests} requests, ${soak.non2xx} non-2xx): API RSS ${fmt(soak.rssAfter60sMb, 0)} MB after 60 s, ${fmt(soak.rssAtEndMb, 0)} MB at the end (${ratio(soak.rssAtEndMb, soak.rssAfter60sMb)}).`,
      '',
    );
  }
  lines.push('## Answers', '');
  lines.push(
    '| scenario | SQL statements (API, incl. credential lookup) | answer SHA-256 (variant 0) | naive answer identical | hand-tuned answer identical (every variant) | floor counts equal (writes) |',
  );
  lines.push('|---|---|---|---|---|---|');
  for (const scenario of results.scenarios) {
    lines.push(
      `| ${scenario.id} | ${scenario.apiStatements} | \`${scenario.answerSha256.slice(0, 16)}…\` | ${scenario.naiveAnswerMatches ?? '–'} | ${scenario.tunedAnswerMatches ?? '–'} | ${scenario.floorAnswerMatches ?? '–'} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const COLORS: Record<TargetName, string> = {
  api: '#1f77b4',
  floor: '#2ca02c',
  tuned: '#ff7f0e',
  naive: '#d62728',
  pglite: '#9467bd',
};

/** Median p50 latency against concurrency, one small panel per scenario (log scales). */
export function svg(results: BenchResults): string {
  const levels = results.settings.connectionLevels;
  const panelW = 260;
  const panelH = 190;
  const cols = 4;
  const rows = Math.ceil(results.scenarios.length / cols);
  const width = cols * panelW + 20;
  const height = rows * panelH + 60;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14">p50 latency (ms, log) against concurrency, dataset ${results.dataset.size}</text>`,
  ];
  for (const [i, target] of (['api', 'floor', 'tuned', 'naive'] as const).entries()) {
    parts.push(
      `<rect x="${420 + i * 80}" y="8" width="12" height="12" fill="${COLORS[target]}"/><text x="${436 + i * 80}" y="18">${target}</text>`,
    );
  }
  for (const [index, scenario] of results.scenarios.entries()) {
    const x0 = 10 + (index % cols) * panelW + 40;
    const y0 = 40 + Math.floor(index / cols) * panelH + 10;
    const w = panelW - 60;
    const h = panelH - 50;
    const points = (['api', 'floor', 'tuned', 'naive'] as const).flatMap((target) =>
      levels.map((c) => ({ target, c, p50: summarize(scenario, target, c)?.p50 })),
    );
    const values = points.map((p) => p.p50).filter((v): v is number => v !== undefined && v > 0);
    const lo = Math.log10(Math.max(0.1, Math.min(...values, 1)));
    const hi = Math.log10(Math.max(...values, 1)) + 0.1;
    const xOf = (c: number) => x0 + (Math.log2(c) / Math.log2(Math.max(...levels))) * w;
    // autocannon reports whole milliseconds: a p50 of 0 (under 1 ms) sits on the panel's floor.
    const yOf = (v: number) => y0 + h - ((Math.max(Math.log10(Math.max(v, 0.1)), lo) - lo) / (hi - lo || 1)) * h;
    parts.push(`<text x="${x0 - 30}" y="${y0 - 2}" font-weight="bold">${scenario.id}</text>`);
    parts.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
    for (const c of levels) parts.push(`<text x="${xOf(c) - 4}" y="${y0 + h + 14}">${c}</text>`);
    parts.push(`<text x="${x0 - 36}" y="${y0 + 10}">${fmt(10 ** hi, 0)}</text>`);
    parts.push(`<text x="${x0 - 36}" y="${y0 + h}">${fmt(10 ** lo, 1)}</text>`);
    for (const target of ['api', 'floor', 'tuned', 'naive'] as const) {
      const line = points.filter((p) => p.target === target && p.p50 !== undefined);
      if (line.length === 0) continue;
      const d = line
        .map((p, k) => `${k ? 'L' : 'M'}${xOf(p.c).toFixed(1)},${yOf(p.p50 as number).toFixed(1)}`)
        .join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${COLORS[target]}" stroke-width="2"/>`);
      for (const p of line) {
        parts.push(
          `<circle cx="${xOf(p.c).toFixed(1)}" cy="${yOf(p.p50 as number).toFixed(1)}" r="3" fill="${COLORS[target]}"/>`,
        );
      }
    }
  }
  parts.push(
    `<text x="10" y="${height - 6}">x: connections (keep-alive, as fast as possible); each point the median of the repeats</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

export function writeReports(out: string, results: BenchResults) {
  const name = `results-${results.dataset.size}`;
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(out, `${name}.md`), markdown(results));
  writeFileSync(join(out, `latency-${results.dataset.size}.svg`), svg(results));
}

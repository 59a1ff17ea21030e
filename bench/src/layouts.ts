/**
 * `npm run bench:layouts`: the benchmark's S1, S3, S5 and S6 on several loaded databases one after
 * another in one sitting (by default L and PROVINCE, each partitioned and plain: see
 * `npm run bench:data -- --layout`), then one table of them side by side with the province ÷ L
 * ratios (bench/results/layouts.md, quoted in docs/scaling.md). Each database's own results and
 * plans go to bench/results/layouts/<database>/.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_DATABASE_URL } from './env.ts';
import { type BenchResults, fmt, medianOf, ratio, type ScenarioResult, summarize } from './report.ts';

const { values } = parseArgs({
  options: {
    databases: {
      type: 'string',
      default: 'sixtype_bench_l,sixtype_bench_l_plain,sixtype_bench_province,sixtype_bench_province_plain',
    },
    scenarios: { type: 'string', default: 'S1,S3,S5,S6' },
    connections: { type: 'string', default: '1,4' },
    duration: { type: 'string', default: '5' },
    /** Only write the table from results already measured. */
    'table-only': { type: 'boolean', default: false },
  },
});
const databases = (values.databases ?? '').split(',').filter(Boolean);
const results = fileURLToPath(new URL('../results', import.meta.url));
const outOf = (database: string) => join(results, 'layouts', database);
const urlOf = (database: string) => {
  const url = new URL(BENCH_DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
};

if (!values['table-only']) {
  for (const database of databases) {
    console.log(`\n=== ${database}`);
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(new URL('./run.ts', import.meta.url)),
          `--scenarios=${values.scenarios}`,
          `--connections=${values.connections}`,
          `--duration=${values.duration}`,
          '--repeats=1',
          '--report=',
          // The API against its floors: the naive server's per-row reads say nothing about layout.
          '--targets=api,floor,tuned',
          `--out=${outOf(database)}`,
        ],
        { stdio: 'inherit', env: { ...process.env, BENCH_DATABASE_URL: urlOf(database) } },
      );
      child.once('exit', resolve);
    });
    if (code !== 0) throw new Error(`the benchmark on ${database} exited with ${code}`);
  }
}

type Loaded = BenchResults & { database: string; dataset: BenchResults['dataset'] & { layout?: string } };
const loaded: Loaded[] = databases.map((database) => {
  const file = readdirSync(outOf(database)).find((name) => /^results-.+\.json$/.test(name));
  if (!file) throw new Error(`no results for ${database} in ${outOf(database)}`);
  const parsed = JSON.parse(readFileSync(join(outOf(database), file), 'utf8')) as Loaded;
  return { ...parsed, database };
});

type Measure = [string, (scenario: ScenarioResult, maxC: number) => number | undefined, number];
const measures: Measure[] = [
  ['statement, ms (median)', (s) => s.statements?.medianMs, 1],
  ['API p50 at c=1, ms', (s) => summarize(s, 'api', 1)?.p50, 1],
  ['API p50 at 50% load, ms', (s) => s.fixedRate.find((r) => r.target === 'api' && r.fraction === 0.5)?.p50, 1],
  ['API req/s at top concurrency', (s, maxC) => summarize(s, 'api', maxC)?.requestsPerSecond, 0],
  ['hand-tuned floor p50 at c=1, ms', (s) => summarize(s, 'tuned', 1)?.p50, 1],
  [
    'rows/s at top concurrency',
    (s, maxC) =>
      s.rowsPerRequest ? (summarize(s, 'api', maxC)?.acceptedPerSecond ?? 0) * s.rowsPerRequest : undefined,
    0,
  ],
];
const figureOf = (result: Loaded, id: string, measure: Measure) => {
  const scenario = result.scenarios.find((s) => s.id === id);
  return scenario && measure[1](scenario, Math.max(...result.settings.connectionLevels));
};
const label = (result: Loaded) => `${result.dataset.size} ${result.dataset.layout ?? 'partitioned'}`;
const find = (size: string, layout: string) =>
  loaded.find((r) => r.dataset.size === size && (r.dataset.layout ?? 'partitioned') === layout);

const lines = [
  `# metric_observations partitioned and plain, dataset L and PROVINCE`,
  '',
  `Measured by \`npm run bench:layouts\` (${loaded.map((r) => r.startedAt.slice(0, 16)).join(', ')}; ` +
    `${loaded[0]?.settings.durationSeconds} s per run, c = ${loaded[0]?.settings.connectionLevels.join(', ')}). ` +
    'Province ÷ L compares the same layout; the goal is S1 and S6 within 1.5×.',
  '',
  `| scenario | measure | ${loaded.map(label).join(' | ')} | PROVINCE ÷ L, partitioned | PROVINCE ÷ L, plain |`,
  `| --- | --- | ${loaded.map(() => '---:').join(' | ')} | ---: | ---: |`,
];
const scenarioIds = (values.scenarios ?? '').split(',');
for (const id of scenarioIds) {
  for (const measure of measures) {
    const cells = loaded.map((r) => figureOf(r, id, measure));
    if (cells.every((cell) => cell === undefined)) continue;
    const ratioOf = (layout: string) => {
      const province = find('PROVINCE', layout);
      const l = find('L', layout);
      return ratio(province && figureOf(province, id, measure), l && figureOf(l, id, measure));
    };
    const title = loaded[0]?.scenarios.find((s) => s.id === id)?.title ?? id;
    lines.push(
      `| ${id} ${title} | ${measure[0]} | ${cells.map((cell) => fmt(cell, measure[2])).join(' | ')} | ${ratioOf('partitioned')} | ${ratioOf('plain')} |`,
    );
  }
}
lines.push(
  '',
  `Rows: ${loaded
    .filter((r, i, all) => all.findIndex((x) => x.dataset.size === r.dataset.size) === i)
    .map(
      (r) =>
        `${r.dataset.size} ${Object.entries(r.dataset.rows)
          .filter(([table]) => ['metric_observations', 'study_records', 'cadres', 'organizations'].includes(table))
          .map(([table, n]) => `${table} ${n.toLocaleString('en-US')}`)
          .join(', ')}`,
    )
    .join('; ')}.`,
  `Plans: bench/results/layouts/<database>/plans-<size>/. Median of statement samples: ${medianOf(
    loaded.flatMap((r) => r.scenarios.map((s) => s.statements?.samples ?? 0)),
  )} per scenario.`,
  '',
);
writeFileSync(join(results, 'layouts.md'), lines.join('\n'));
console.log(lines.join('\n'));

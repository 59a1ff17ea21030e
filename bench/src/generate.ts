import { parseArgs } from 'node:util';
import { MultiBar, Presets } from 'cli-progress';
import postgres from 'postgres';
import {
  copyDatabase,
  DEFAULT_SEED,
  type Layout,
  type LoadProgress,
  type LoadResult,
  loadDataset,
  recordDataset,
  unpartitionObservations,
} from './dataset.ts';
import { BENCH_DATABASE_URL } from './env.ts';
import { datasetSize } from './sizes.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'S' },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
    /** `partitioned` (the migrations' layout) or `plain` (metric_observations as one table). */
    layout: { type: 'string', default: 'partitioned' },
    /** Copy this loaded benchmark database instead of generating, then apply --layout (the same rows in another layout). */
    template: { type: 'string' },
  },
});
const layout = values.layout as Layout;
if (layout !== 'partitioned' && layout !== 'plain') throw new Error(`--layout is partitioned or plain, not ${layout}`);

const size = datasetSize(values.size ?? 'S');
const bars = new MultiBar(
  { format: ' {table} |{bar}| {percentage}% {value}/{total} rows {duration}s', hideCursor: true },
  Presets.shades_classic,
);
const byTable = new Map<string, ReturnType<MultiBar['create']>>();
const started = new Map<string, number>();
// cli-progress draws only on a terminal; elsewhere (CI logs) each table prints one line when loaded.
const progress: LoadProgress = process.stdout.isTTY
  ? {
      start: (table, total) => byTable.set(table, bars.create(total, 0, { table: table.padEnd(20) })),
      advance: (table, rows) => byTable.get(table)?.increment(rows),
      stop: (table) => byTable.get(table)?.stop(),
    }
  : {
      start: (table) => started.set(table, performance.now()),
      advance: () => {},
      stop: (table) =>
        console.log(`${table.padEnd(20)} ${((performance.now() - (started.get(table) ?? 0)) / 1000).toFixed(1)} s`),
    };

const target = BENCH_DATABASE_URL.replace(/\/\/[^@]*@/, '//');
if (values.template) {
  console.log(`Copying ${values.template} into ${target} (drops it first), ${layout}`);
  const started = performance.now();
  await copyDatabase(BENCH_DATABASE_URL, values.template);
  const sql = postgres(BENCH_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ value: string }[]>`select value from system_settings where key = 'bench_dataset'`;
    if (!row) throw new Error(`${values.template} holds no benchmark dataset`);
    const copied = JSON.parse(row.value) as LoadResult;
    if (layout === 'plain' && copied.layout !== 'plain') await unpartitionObservations(sql);
    else if (layout !== (copied.layout ?? 'partitioned')) throw new Error(`${values.template} is ${copied.layout}`);
    const result = { ...copied, layout, seconds: (performance.now() - started) / 1000 };
    await recordDataset(sql, result);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await sql.end({ timeout: 5 });
  }
} else {
  console.log(`Loading dataset ${size.name} into ${target} (drops it first), ${layout}`);
  const result = await loadDataset(BENCH_DATABASE_URL, size, { seed: Number(values.seed), progress, layout });
  if (process.stdout.isTTY) bars.stop();
  console.log(JSON.stringify(result, null, 2));
}

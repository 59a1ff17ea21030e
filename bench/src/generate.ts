import { parseArgs } from 'node:util';
import { MultiBar, Presets } from 'cli-progress';
import { DEFAULT_SEED, type LoadProgress, loadDataset } from './dataset.ts';
import { BENCH_DATABASE_URL } from './env.ts';
import { datasetSize } from './sizes.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'S' },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
  },
});

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

console.log(`Loading dataset ${size.name} into ${BENCH_DATABASE_URL.replace(/\/\/[^@]*@/, '//')} (drops it first)`);
const result = await loadDataset(BENCH_DATABASE_URL, size, { seed: Number(values.seed), progress });
if (process.stdout.isTTY) bars.stop();
console.log(JSON.stringify(result, null, 2));

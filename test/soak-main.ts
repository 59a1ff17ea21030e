import { buildApiBundles } from './api-process.ts';
import { runSoak } from './soak.ts';

/**
 * `npm run soak`: SOAK_MINUTES (default 10) of mixed load and fuzzing against the API in its own
 * process (PostgreSQL when TEST_DATABASE_URL is set, otherwise PGlite); SOAK_SEED replays a run's
 * fuzz input. Prints the report as JSON and exits 1 on any violation.
 */
const minutes = Number(process.env.SOAK_MINUTES ?? 10);
if (!(minutes > 0 && minutes <= 120)) {
  process.stderr.write('SOAK_MINUTES must be a number of minutes between 0 and 120\n');
  process.exit(2);
}
buildApiBundles();
const report = await runSoak({
  minutes,
  concurrency: process.env.SOAK_CONCURRENCY ? Number(process.env.SOAK_CONCURRENCY) : undefined,
  seed: process.env.SOAK_SEED ? Number(process.env.SOAK_SEED) : undefined,
  log: (line) => process.stderr.write(`${line}\n`),
});
const { rss, ...summary } = report;
process.stdout.write(`${JSON.stringify({ ...summary, rssFirstLast: [rss[0], rss.at(-1)] }, null, 2)}\n`);
process.stderr.write(
  report.violationCount === 0
    ? `soak passed: ${report.requests} requests in ${report.seconds} s (${report.requestsPerSecond}/s), no violation\n`
    : `soak FAILED: ${report.violationCount} violations (seed ${report.seed})\n`,
);
process.exit(report.violationCount === 0 ? 0 : 1);

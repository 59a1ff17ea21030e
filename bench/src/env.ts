/** The only reader of process.env in the bench workspace. */
export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sixtype_bench';
/** The API's heap cap in MiB, as `npm start` sets it (`--max-old-space-size`). */
export const API_HEAP_MB = process.env.API_HEAP_MB ?? '256';
/** The level of the benchmarked API's log, written to stderr (default silent: the load would flood it). */
export const BENCH_API_LOG_LEVEL = process.env.BENCH_API_LOG_LEVEL ?? 'silent';

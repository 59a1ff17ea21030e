import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createDb } from '@sixtype/db';
import { schema } from '@sixtype/graphql';
import { execute, parse } from 'graphql';
import postgres from 'postgres';
import type { LoggedStatement } from './api.ts';
import { BENCH_DATABASE_URL } from './env.ts';
import { readTargets, scenarios, VARIANTS } from './scenarios.ts';

/**
 * One read scenario's SQL, timed on its own: `capture` runs the scenario's document through the
 * API's schema in this process (no HTTP, no session; on a read-only connection, so the dataset is
 * never written) and saves the statements of each variant's second request (the first teaches the
 * API the metrics' definitions); `compare` times two such captures (say before and after a change
 * of the SQL) alternately with EXPLAIN (ANALYZE), JIT off as the API's connections run, and checks
 * that they answer byte for byte the same on every variant.
 *
 *   npx tsx bench/src/statement-timing.ts capture --scenario S1 --out /tmp/s1-before.json
 *   npx tsx bench/src/statement-timing.ts compare /tmp/s1-before.json /tmp/s1-after.json --runs 20
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    scenario: { type: 'string', default: 'S1' },
    out: { type: 'string' },
    runs: { type: 'string', default: '20' },
  },
});

type Capture = { scenario: string; variants: LoggedStatement[][] };

/** The dataset's URL with every transaction read-only: a capture must not write (no session, no audit row). */
const readOnlyUrl = (url: string) =>
  `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c default_transaction_read_only=on')}`;

async function capture(scenarioId: string, out: string) {
  const scenario = scenarios.find((s) => s.id === scenarioId);
  if (!scenario || scenario.upload || scenario.rowsPerRequest) throw new Error(`${scenarioId} is not a read scenario`);
  const targets = await readTargets(BENCH_DATABASE_URL);
  const statements: LoggedStatement[] = [];
  const logger = { logQuery: (query: string, params: unknown[]) => statements.push({ query, params }) };
  const database = await createDb({ databaseUrl: readOnlyUrl(BENCH_DATABASE_URL), maxConnections: 1, logger });
  const variants: LoggedStatement[][] = [];
  try {
    for (let v = 0; v < VARIANTS; v++) {
      const body = scenario.body(targets, v);
      if (!body.query) throw new Error(`${scenarioId} sends no document`);
      const run = async () => {
        statements.length = 0;
        const result = await execute({
          schema,
          document: parse(body.query as string),
          variableValues: body.variables ?? {},
          contextValue: {
            db: database.db,
            viewer: { kind: 'SYSTEM', name: 'statement-timing' },
            requestId: randomUUID(),
          },
        });
        if (result.errors?.length) throw new Error(`${scenarioId} variant ${v}: ${result.errors[0]?.message}`);
        return [...statements];
      };
      await run();
      variants.push(await run());
    }
  } finally {
    await database.close();
  }
  writeFileSync(out, JSON.stringify({ scenario: scenarioId, variants } satisfies Capture));
  console.log(`${out}: ${variants.length} variants, ${variants[0]?.length ?? 0} statement(s) each`);
}

interface Timing {
  planning: number;
  execution: number;
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const summary = (xs: number[]) => `median ${median(xs).toFixed(2)} ms, min ${Math.min(...xs).toFixed(2)} ms`;

async function compare(files: string[], runs: number) {
  const captures = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Capture);
  const sql = postgres(BENCH_DATABASE_URL, {
    max: 1,
    connection: { jit: 'off', default_transaction_read_only: true },
    onnotice: () => {},
  });
  try {
    // The same answer first, on every variant: a faster statement for another question means nothing.
    const answers = await Promise.all(
      captures.map(async (c) => {
        const texts: string[] = [];
        for (const statements of c.variants) {
          for (const { query, params } of statements) {
            texts.push(JSON.stringify(await sql.unsafe(query, params as postgres.ParameterOrJSON<never>[])));
          }
        }
        return texts;
      }),
    );
    for (const [i, texts] of answers.entries()) {
      const differing = texts.findIndex((text, k) => text !== answers[0]?.[k]);
      console.log(
        `${files[i]}: ${differing < 0 ? 'answers identical to the first' : `differs at statement ${differing}`}`,
      );
    }
    const timings: Timing[][] = captures.map(() => []);
    for (let run = 0; run < runs; run++) {
      // Alternate which capture goes first, so neither always runs on the other's warm caches.
      const order = captures.map((_, i) => i);
      if (run % 2) order.reverse();
      for (const i of order) {
        const statements = captures[i]?.variants[run % (captures[i]?.variants.length ?? 1)] ?? [];
        let planning = 0;
        let execution = 0;
        for (const { query, params } of statements) {
          const [row] = await sql.unsafe(
            `explain (analyze, buffers, format json) ${query}`,
            params as postgres.ParameterOrJSON<never>[],
          );
          const [plan] = (row?.['QUERY PLAN'] ?? []) as { 'Planning Time': number; 'Execution Time': number }[];
          if (!plan) throw new Error('EXPLAIN returned no plan');
          planning += plan['Planning Time'];
          execution += plan['Execution Time'];
        }
        timings[i]?.push({ planning, execution });
      }
    }
    for (const [i, file] of files.entries()) {
      const t = timings[i] ?? [];
      console.log(
        `${file}: execution ${summary(t.map((x) => x.execution))}; planning ${summary(t.map((x) => x.planning))} (${t.length} runs)`,
      );
    }
  } finally {
    await sql.end({ timeout: 2 });
  }
}

const [command, ...files] = positionals;
if (command === 'capture' && values.out) await capture(values.scenario as string, values.out);
else if (command === 'compare' && files.length > 0) await compare(files, Number(values.runs));
else throw new Error('usage: statement-timing.ts capture --scenario S1 --out FILE | compare FILE... [--runs 20]');

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb, type DatabaseHandle, loadDemoData } from '@sixtype/db';
import { openTestDatabase } from '@sixtype/db/testing';
import { createApiClient, createUser, SYSTEM_ACCESS } from '@sixtype/graphql';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { type FuzzRequest, fuzzRequest } from './soak-fuzz.ts';
import { startServer } from './soak-server.ts';

/**
 * The soak: a bounded mixed load on loopback against the API in a process of its own, with
 * fast-check's fuzzer mixed in, checking every answer as it comes:
 * - no 5xx;
 * - every GraphQL error carries `extensions.code`, none is INTERNAL_SERVER_ERROR, and no message
 *   shows internals (SQL, driver or stack text);
 * - an org manager and a unit-restricted API client never receive a cadre, problem or study row
 *   of a unit outside their subtree;
 * - the server's RSS in the last minute is within 10% of its RSS after the first minute (judged
 *   on runs of 3 minutes or more).
 * On PostgreSQL when TEST_DATABASE_URL is set (a fresh database next to it), otherwise on PGlite
 * in a temporary data folder.
 */

export interface SoakOptions {
  minutes: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** fast-check seed, to replay a run's fuzz input. */
  seed?: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  database: 'postgres' | 'pglite';
  seconds: number;
  seed: number;
  requests: number;
  requestsPerSecond: number;
  byKind: Record<string, number>;
  byStatus: Record<string, number>;
  errorCodes: Record<string, number>;
  /** Server RSS in MiB, sampled every 2 seconds: [seconds since start, MiB]. */
  rss: [number, number][];
  /** Mean RSS after the first minute and over the last minute, and their ratio; null on short runs. */
  rssCheck: { afterFirstMinuteMiB: number; lastMinuteMiB: number; ratio: number } | null;
  /** Lines of the server's /metrics text before the load and after it (its label sets grow with what clients send). */
  metricsLines: { before: number; after: number };
  violations: string[];
  /** Violations beyond the first 50 are counted, not listed. */
  violationCount: number;
}

const MANAGER_UNIT = 'DISCIPLINE_WORKING_COMMITTEE';
const CLIENT_UNIT = 'EAST_SUBDISTRICT_OFFICE';
const PASSWORD = 'soak password 12345';

const manifestFile = fileURLToPath(new URL('../packages/sdk/src/generated/persisted-operations.json', import.meta.url));

/** The hash of a published SDK operation by its name (API clients may only send hashes). */
function persistedHash(operationName: string): string {
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, string>;
  const found = Object.entries(manifest).find(([, text]) => new RegExp(`^query ${operationName}\\b`).test(text));
  if (!found) throw new Error(`no persisted operation ${operationName}`);
  return found[0];
}

// Text a client must never see: SQL, driver and runtime messages, stack frames.
const INTERNALS =
  /\b(select|insert|update|delete)\b[^.]*\b(from|into|set)\b|relation "|column "|syntax error at|violates|duplicate key|ECONNREFUSED|postgres|pglite|drizzle|node_modules|at \S+\.[cm]?[jt]s:\d+|TypeError|ReferenceError|RangeError|Cannot read propert|is not a function|undefined is not/i;

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message?: unknown; extensions?: { code?: unknown } }[] } | undefined;
}

const subtreeCodes = async (database: DatabaseHandle, code: string) => {
  const { rows } = (await database.db.execute(
    sql`select o.code from organizations o, organizations root where root.code = ${code} and o.path <@ root.path`,
  )) as unknown as { rows: { code: string }[] };
  return new Set(rows.map((row) => row.code));
};

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const concurrency = options.concurrency ?? 8;
  const cleanups: (() => Promise<void> | void)[] = [];
  const violations: string[] = [];
  let violationCount = 0;
  const violation = (text: string) => {
    violationCount += 1;
    if (violations.length < 50) violations.push(text.slice(0, 500));
  };

  try {
    // The database, with the callers of each role.
    let database: DatabaseHandle;
    const serverEnv: Record<string, string> = {
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
      REDIS_URL: '',
    };
    if (process.env.TEST_DATABASE_URL) {
      const testDatabase = await openTestDatabase();
      cleanups.push(() => testDatabase.close());
      database = testDatabase;
      serverEnv.DATABASE_URL = testDatabase.url ?? '';
    } else {
      const dataDir = mkdtempSync(join(tmpdir(), 'sixtype-soak-'));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const embedded = await createDb({ dataDir });
      database = embedded;
      // Closed before the server opens the folder; this only covers a failure before that.
      cleanups.push(() => embedded.close().catch(() => {}));
      await database.migrate();
      await loadDemoData(database.db);
      serverEnv.DATABASE_URL = '';
      serverEnv.DATA_DIR = dataDir;
    }
    await createUser(database.db, SYSTEM_ACCESS.actor, { username: 'soak.admin', password: PASSWORD, role: 'ADMIN' });
    await createUser(database.db, SYSTEM_ACCESS.actor, {
      username: 'soak.manager',
      password: PASSWORD,
      role: 'ORG_MANAGER',
      organizationCode: MANAGER_UNIT,
    });
    const { key } = await createApiClient(database.db, SYSTEM_ACCESS.actor, {
      name: 'soak client',
      scopes: ['directory:read', 'metrics:read'],
      organizationCode: CLIENT_UNIT,
    });
    const allUnits = [...(await subtreeCodes(database, 'ZONE'))];
    const managerUnits = await subtreeCodes(database, MANAGER_UNIT);
    const clientUnits = await subtreeCodes(database, CLIENT_UNIT);
    // The embedded folder belongs to one process: hand it over to the server.
    if (database.kind === 'pglite') await database.close();

    const server = await startServer(serverEnv);
    cleanups.push(async () => {
      if (server.child.exitCode !== null) return;
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    });
    const pid = server.child.pid as number;
    log(`soak: API process ${pid} at ${server.url} on ${database.kind}; ${options.minutes} min, seed ${seed}`);

    const send = async (request: FuzzRequest): Promise<Answer> => {
      const response = await fetch(`${server.url}${request.search}`, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      let body: Answer['body'];
      try {
        body = JSON.parse(text);
      } catch {
        violation(`${response.status} answer is not JSON: ${text.slice(0, 200)}`);
      }
      return { status: response.status, body };
    };
    const post = (query: string, headers: Record<string, string>, variables?: unknown, extensions?: unknown) =>
      send({
        method: 'POST',
        search: '',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables, extensions }),
        kind: 'valid',
      });

    const signIn = async (username: string) => {
      const answer = await post(
        'mutation($u: String!, $p: String!) { login(input: { username: $u, password: $p }) { token } }',
        {},
        {
          u: username,
          p: PASSWORD,
        },
      );
      const token = (answer.body?.data as { login?: { token: string } } | undefined)?.login?.token;
      if (!token) throw new Error(`cannot sign in ${username}: ${JSON.stringify(answer.body)}`);
      return { authorization: `Bearer ${token}` };
    };
    const admin = await signIn('soak.admin');
    const manager = await signIn('soak.manager');
    const client = { authorization: `ApiKey ${key}` };

    const dataOf = <T>(answer: Answer) => answer.body?.data as T | undefined;
    // Cadres outside the manager's subtree, by global id, for node(id) probes.
    const everyone = await post('{ cadres(first: 100) { nodes { id organization { code } } } }', admin);
    const listed = dataOf<{ cadres: { nodes: { id: string; organization: { code: string } }[] } }>(everyone);
    const outsideIds = (listed?.cadres.nodes ?? [])
      .filter((cadre) => !managerUnits.has(cadre.organization.code))
      .map((cadre) => cadre.id);
    if (outsideIds.length === 0) throw new Error('the demo data has no cadre outside the manager subtree');

    const counts = {
      requests: 0,
      byKind: {} as Record<string, number>,
      byStatus: {} as Record<string, number>,
      errorCodes: {} as Record<string, number>,
    };
    const bump = (record: Record<string, number>, key: string) => {
      record[key] = (record[key] ?? 0) + 1;
    };

    /** The checks every answer gets. */
    const check = (what: string, answer: Answer, allowedCodes: readonly string[] | 'any') => {
      counts.requests += 1;
      bump(counts.byStatus, String(answer.status));
      if (answer.status >= 500)
        violation(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
      for (const error of answer.body?.errors ?? []) {
        const code = error.extensions?.code;
        const message = String(error.message);
        if (typeof code !== 'string') {
          violation(`${what}: error without a code: ${message}`);
          continue;
        }
        bump(counts.errorCodes, code);
        if (code === 'INTERNAL_SERVER_ERROR') violation(`${what}: INTERNAL_SERVER_ERROR: ${message}`);
        else if (allowedCodes !== 'any' && !allowedCodes.includes(code))
          violation(`${what}: unexpected ${code}: ${message}`);
        if (INTERNALS.test(message)) violation(`${what}: internal text in an error: ${message}`);
      }
    };
    const outside = (what: string, codes: string[], units: Set<string>) => {
      const leaked = codes.filter((code) => !units.has(code));
      if (leaked.length > 0) violation(`${what}: LEAK of rows of ${[...new Set(leaked)].join(', ')}`);
    };

    const listCadresHash = persistedHash('ListCadres');
    // Valid queries of the restricted roles, with arguments from fast-check: any unit, with or
    // without its subtree, any page size.
    const scopedQuery = fc.record({
      root: fc.constantFrom('cadres', 'problems', 'studyCompliance'),
      orgCode: fc.option(fc.constantFrom(...allUnits), { nil: null, freq: 4 }),
      includeDescendants: fc.boolean(),
      first: fc.integer({ min: 1, max: 100 }),
    });
    let scopedBatch = 0;
    let scoped: (typeof scopedQuery extends fc.Arbitrary<infer T> ? T : never)[] = [];
    const nextScoped = () => {
      if (scoped.length === 0) {
        scopedBatch += 1;
        scoped = fc.sample(scopedQuery, { numRuns: 500, seed: seed - scopedBatch });
      }
      return scoped.pop() as (typeof scoped)[number];
    };

    type Action = { weight: number; kind: string; run: () => Promise<void> };
    const valid: Action[] = [
      {
        weight: 3,
        kind: 'admin',
        async run() {
          const answer = await post(
            '{ organization(code: "ZONE") { name children { code cadres(first: 5) { totalCount nodes { name } } } } }',
            admin,
          );
          check('admin org tree', answer, []);
        },
      },
      {
        weight: 2,
        kind: 'admin',
        async run() {
          const answer = await post(
            `{ metricSeries(input: { metricCodes: ["FISCAL_REVENUE_TOTAL", "LOCAL_FISCAL_REVENUE"], orgCode: "ZONE",
               granularity: QUARTER, from: "2011-01-01", to: "2012-12-31", includeDescendants: true }) {
               metric { code } points { period { label } value yoyGrowth } } }`,
            admin,
          );
          check('admin metricSeries', answer, []);
        },
      },
      {
        weight: 2,
        kind: 'admin',
        async run() {
          const answer = await post(
            `{ studyCompliance(campaignCode: "SIX_TYPE_2012", year: 2012, orgCode: "ZONE", includeDescendants: true, first: 20) {
               totalCount nodes { noteCharacters compliant cadre { name } } } }`,
            admin,
          );
          check('admin studyCompliance', answer, []);
        },
      },
      {
        weight: 2,
        kind: 'admin',
        async run() {
          const answer = await post(
            `{ problems(orgCode: "ZONE", includeDescendants: true, first: 20) { totalCount nodes { state organization { code } } }
               problemCounts(orgCode: "ZONE") { total overdue } }`,
            admin,
          );
          check('admin problems', answer, []);
        },
      },
      {
        weight: 7,
        kind: 'manager',
        async run() {
          const { root, orgCode, includeDescendants, first } = nextScoped();
          const rows =
            root === 'studyCompliance'
              ? `studyCompliance(campaignCode: "SIX_TYPE_2012", year: 2012, orgCode: $orgCode, includeDescendants: $all, first: $first) { nodes { cadre { organization { code } } } }`
              : `${root}(orgCode: $orgCode, includeDescendants: $all, first: $first) { nodes { organization { code } } }`;
          const answer = await post(`query($orgCode: String, $all: Boolean, $first: Int) { ${rows} }`, manager, {
            orgCode,
            all: includeDescendants,
            first,
          });
          check(`manager ${root} ${orgCode}`, answer, ['FORBIDDEN', 'NOT_FOUND']);
          const nodes =
            dataOf<
              Record<
                string,
                { nodes: { organization?: { code: string }; cadre?: { organization: { code: string } } }[] }
              >
            >(answer)?.[root]?.nodes ?? [];
          outside(
            `manager ${root} ${orgCode}`,
            nodes.map((node) => (node.organization ?? node.cadre?.organization)?.code ?? '?'),
            managerUnits,
          );
        },
      },
      {
        weight: 2,
        kind: 'manager',
        async run() {
          const id = outsideIds[Math.floor(Math.random() * outsideIds.length)];
          const answer = await post('query($id: ID!) { node(id: $id) { id ... on Cadre { name } } }', manager, { id });
          check('manager node(id) outside', answer, ['FORBIDDEN', 'NOT_FOUND']);
          if (dataOf<{ node: unknown }>(answer)?.node)
            violation(`manager node(${id}): LEAK of a cadre outside the subtree`);
        },
      },
      {
        weight: 3,
        kind: 'apiClient',
        async run() {
          const { orgCode, includeDescendants, first } = nextScoped();
          const answer = await post(
            '',
            client,
            { orgCode, includeDescendants, first },
            {
              persistedQuery: { version: 1, sha256Hash: listCadresHash },
            },
          );
          check(`API client ListCadres ${orgCode}`, answer, ['FORBIDDEN', 'NOT_FOUND']);
          const nodes = dataOf<{ cadres: { nodes: { organization: { code: string } }[] } }>(answer)?.cadres.nodes ?? [];
          outside(
            'API client ListCadres',
            nodes.map((node) => node.organization.code),
            clientUnits,
          );
        },
      },
      {
        weight: 1,
        kind: 'apiClient',
        async run() {
          const answer = await post('{ cadres(first: 1) { totalCount } }', client);
          check('API client free text', answer, ['PERSISTED_QUERY_ONLY']);
          if (answer.body?.data && (answer.body.data as { cadres?: unknown }).cadres)
            violation('API client ran free text');
        },
      },
    ];
    // The fuzzer: a fresh batch of fast-check samples per role whenever one runs out.
    const roles = { anonymous: {}, admin, manager, apiClient: client } as const;
    let batch = 0;
    const pools = new Map<string, FuzzRequest[]>();
    const nextFuzz = (role: keyof typeof roles): FuzzRequest => {
      let pool = pools.get(role);
      if (!pool || pool.length === 0) {
        batch += 1;
        pool = fc.sample(fuzzRequest(roles[role]), { numRuns: 200, seed: seed + batch });
        pools.set(role, pool);
      }
      return pool.pop() as FuzzRequest;
    };
    const fuzz: Action[] = (Object.keys(roles) as (keyof typeof roles)[]).map((role) => ({
      weight: 4,
      kind: `fuzz:${role}`,
      async run() {
        const request = nextFuzz(role);
        const answer = await send(request);
        check(
          `fuzz ${role} ${request.kind} ${request.method} ${(request.body ?? request.search).slice(0, 160)}`,
          answer,
          'any',
        );
      },
    }));

    const actions = [...valid, ...fuzz];
    const totalWeight = actions.reduce((sum, action) => sum + action.weight, 0);
    const pick = () => {
      let ticket = Math.random() * totalWeight;
      for (const action of actions) {
        ticket -= action.weight;
        if (ticket < 0) return action;
      }
      return actions[0] as Action;
    };

    const metricsLines = async () => (await (await fetch(new URL('/metrics', server.url))).text()).split('\n').length;
    const metricsBefore = await metricsLines();
    // Where the RSS sits, from the server's own gauges: V8 heap used and reserved, and memory outside it.
    const memoryOf = async () => {
      try {
        const text = await (await fetch(new URL('/metrics', server.url))).text();
        const mib = (name: string) => {
          const value = Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
          return Number.isFinite(value) ? Math.round(value / 2 ** 20) : '?';
        };
        return `heap ${mib('sixtype_nodejs_heap_size_used_bytes')} used of ${mib('sixtype_nodejs_heap_size_total_bytes')}, external ${mib('sixtype_nodejs_external_memory_bytes')} MiB`;
      } catch {
        return 'memory gauges unavailable';
      }
    };

    // Every valid query once before the clock starts: a broken query is the soak's bug, not load.
    for (const action of valid) await action.run();

    const rss: [number, number][] = [];
    const started = Date.now();
    const deadline = started + options.minutes * 60_000;
    const sampleRss = () => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
        if (Number.isFinite(kib)) rss.push([Math.round((Date.now() - started) / 1000), Math.round(kib / 1024)]);
      } catch {
        // The process is gone; the requests will say so.
      }
    };
    sampleRss();
    const sampler = setInterval(sampleRss, 2_000);
    let lastMinute = 0;
    const progress = setInterval(() => {
      const minute = Math.floor((Date.now() - started) / 60_000);
      if (minute > lastMinute) {
        lastMinute = minute;
        void memoryOf().then((memory) =>
          log(
            `soak: minute ${minute}: ${counts.requests} requests, RSS ${rss.at(-1)?.[1]} MiB (${memory}), ${violationCount} violations`,
          ),
        );
      }
    }, 1_000);

    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < deadline) {
          const action = pick();
          bump(counts.byKind, action.kind);
          try {
            await action.run();
          } catch (error) {
            violation(`${action.kind}: request failed: ${(error as Error).message}`);
          }
        }
      }),
    );
    clearInterval(sampler);
    clearInterval(progress);
    sampleRss();
    if (server.child.exitCode !== null) violation(`the API process exited with ${server.child.exitCode}`);
    for (const line of server.errors) violation(`the server logged an error: ${line}`);
    const metricsAfter = server.child.exitCode === null ? await metricsLines() : Number.NaN;

    const seconds = (Date.now() - started) / 1000;
    const mean = (samples: [number, number][]) => samples.reduce((sum, [, mib]) => sum + mib, 0) / samples.length;
    let rssCheck: SoakReport['rssCheck'] = null;
    if (seconds >= 180) {
      const afterFirst = rss.filter(([at]) => at >= 60 && at < 90);
      const last = rss.filter(([at]) => at >= seconds - 60);
      const afterFirstMinuteMiB = Math.round(mean(afterFirst));
      const lastMinuteMiB = Math.round(mean(last));
      const ratio = Math.round((lastMinuteMiB / afterFirstMinuteMiB) * 1000) / 1000;
      rssCheck = { afterFirstMinuteMiB, lastMinuteMiB, ratio };
      if (Math.abs(ratio - 1) > 0.1) {
        violation(`RSS not stable: ${afterFirstMinuteMiB} MiB after minute 1, ${lastMinuteMiB} MiB in the last minute`);
      }
    }
    return {
      database: database.kind,
      seconds: Math.round(seconds),
      seed,
      requests: counts.requests,
      requestsPerSecond: Math.round(counts.requests / seconds),
      byKind: counts.byKind,
      byStatus: counts.byStatus,
      errorCodes: counts.errorCodes,
      rss,
      rssCheck,
      metricsLines: { before: metricsBefore, after: metricsAfter },
      violations,
      violationCount,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

// The SDK as another team gets it: `npm pack`ed, installed into a project outside this workspace,
// compiled with `tsc --strict` as ESM and as CommonJS, and run against a live API with an API key
// (so over persisted operations, as the server demands of keys); then published to a local
// registry (verdaccio) and installed from there by name. Slow (npm talks to the registry), so the
// whole file shares one tarball, one server and one registry.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createApiClient, SYSTEM_ACCESS } from '@sixtype/graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support.ts';

const sdkFolder = fileURLToPath(new URL('../packages/sdk/', import.meta.url));
const verdaccioBin = fileURLToPath(new URL('../node_modules/verdaccio/bin/verdaccio', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// npm passes its settings to scripts as npm_* variables (the workspace, the config of the
// `npm test` that started us); the scratch projects must see a plain npm, as another team has.
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
) as NodeJS.ProcessEnv;

async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
) {
  try {
    const { stdout } = await promisify(execFile)(command, args, {
      cwd: options.cwd,
      env: { ...cleanEnv, ...options.env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: options.timeoutMs ?? 150_000,
      killSignal: 'SIGKILL',
    });
    return stdout;
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${options.cwd}:\n${failed.stdout}\n${failed.stderr}`, {
      cause: error,
    });
  }
}

const scratch = (purpose: string) => mkdtemp(join(tmpdir(), `sixtype-sdk-${purpose}-`));
const folders: string[] = [];
let api: TestServer;
let apiKey: string;
let tarball: string;
let packedFiles: string[];

beforeAll(async () => {
  api = await startTestServer();
  ({ key: apiKey } = await createApiClient(api.database.db, SYSTEM_ACCESS.actor, {
    name: 'sdk consumer',
    // directory:read too: MetricSeries selects `organization { code name }`, which a metrics-only
    // key may not read (FORBIDDEN on metricSeries.organization.code).
    scopes: ['metrics:read', 'metrics:write', 'directory:read'],
  }));
  const packFolder = await scratch('tarball');
  folders.push(packFolder);
  // `npm pack` runs the package's `prepack` (the build), exactly as `npm publish` would.
  const output = await run(npm, ['pack', '--json', '--pack-destination', packFolder], { cwd: sdkFolder });
  // The build's own output comes first on stdout; npm's JSON report is the array after it.
  const [packed] = JSON.parse(output.slice(output.search(/^\[/m))) as { filename: string; files: { path: string }[] }[];
  if (!packed) throw new Error('npm pack reported no package');
  tarball = join(packFolder, packed.filename.replace(/^@/, '').replace('/', '-'));
  packedFiles = packed.files.map((file) => file.path);
}, 120_000);

afterAll(async () => {
  await api?.close();
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

describe('the packed SDK', () => {
  it('holds the ESM and CommonJS builds with their declarations, and no tests', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'CHANGELOG.md',
        'dist/index.js',
        'dist/index.cjs',
        'dist/index.d.ts',
        'dist/index.d.cts',
      ]),
    );
    expect(packedFiles.filter((path) => path.endsWith('.test.ts'))).toEqual([]);
    expect(packedFiles.filter((path) => !/^(dist|src)\/|^[^/]+$/.test(path))).toEqual([]);
  });

  it('installs outside the workspace, compiles with tsc --strict as ESM and CommonJS, and runs against the API', async () => {
    const project = await scratch('consumer');
    folders.push(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await run(
      npm,
      ['install', tarball, 'graphql@16', 'typescript@5.9.3', '@types/node@20', '--no-audit', '--no-fund'],
      {
        cwd: project,
      },
    );
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          outDir: 'out',
          // Check the SDK's own declarations too, not only our use of them.
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['esm.mts', 'cjs.cts'],
      }),
    );
    await writeFile(join(project, 'esm.mts'), esmConsumer);
    await writeFile(join(project, 'cjs.cts'), cjsConsumer);
    await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.', '--strict'], { cwd: project });

    const env = { SIXTYPE_URL: api.url, SIXTYPE_API_KEY: apiKey };
    const esm = JSON.parse(await run(process.execPath, ['out/esm.mjs'], { cwd: project, env, timeoutMs: 40_000 }));
    expect(esm.resolved).toMatch(/node_modules\/@sixtype\/sdk\/dist\/index\.js$/);
    expect(esm.viewer).toMatchObject({ kind: 'API_CLIENT', clientName: 'sdk consumer' });
    expect(esm.local).toMatchObject({ label: '2012-Q1', value: '7430' });
    expect(esm.refetched).toEqual({ typename: 'Organization', code: 'ZONE' });
    expect(Math.abs(Number(esm.local.yoyGrowth) - 0.43)).toBeLessThanOrEqual(0.0005);
    expect(esm.first).toMatchObject({ __typename: 'SubmitMetricObservationsPayload', accepted: 1, replayed: false });
    expect(esm.again).toMatchObject({ batchId: esm.first.batchId, accepted: 1, replayed: true });
    expect(esm.update).toMatchObject({ metricCode: 'NEW_PROJECT_CONTRACTS', orgCode: 'ZONE', value: '6' });
    expect(esm.error).toEqual({ isSixtypeError: true, code: 'FORBIDDEN' });

    const cjs = JSON.parse(await run(process.execPath, ['out/cjs.cjs'], { cwd: project, env, timeoutMs: 40_000 }));
    expect(cjs.resolved).toMatch(/node_modules\/@sixtype\/sdk\/dist\/index\.cjs$/);
    expect(cjs.total).toMatchObject({ label: '2012-Q1', value: '15825' });
    expect(cjs.catalogue).toContain('PETITIONS_TO_CAPITAL_OR_PROVINCE');
  }, 150_000);
});

describe('publishing to a registry', () => {
  let verdaccio: ChildProcess | undefined;
  afterAll(() => {
    verdaccio?.kill('SIGTERM');
  });

  it('publishes to a local verdaccio and installs from it by name', async () => {
    const folder = await scratch('registry');
    folders.push(folder);
    const port = await freePort();
    const registry = `http://127.0.0.1:${port}/`;
    const upstream = (await run(npm, ['config', 'get', 'registry'], { cwd: folder })).trim();
    await writeFile(
      join(folder, 'config.yaml'),
      [
        `storage: ${join(folder, 'storage')}`,
        'auth:',
        '  htpasswd:',
        `    file: ${join(folder, 'htpasswd')}`,
        '    max_users: 10',
        'uplinks:',
        '  upstream:',
        `    url: ${upstream}`,
        // One slow answer from the public registry must not mark it down for minutes (the default).
        '    timeout: 60s',
        '    max_fails: 20',
        '    fail_timeout: 1s',
        'packages:',
        "  '@sixtype/*':",
        '    access: $all',
        '    publish: $authenticated',
        "  '**':",
        '    access: $all',
        '    proxy: upstream',
        'log: { type: stdout, format: pretty, level: warn }',
        '',
      ].join('\n'),
    );
    const started = spawn(
      process.execPath,
      [verdaccioBin, '--config', join(folder, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
      { env: cleanEnv, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    verdaccio = started;
    let log = '';
    started.stdout?.on('data', (chunk) => (log += chunk));
    started.stderr?.on('data', (chunk) => (log += chunk));
    await waitForRegistry(registry, () => log);

    // A throwaway account: verdaccio's htpasswd plugin signs up whoever asks first.
    const signUp = await fetch(`${registry}-/user/org.couchdb.user:sdk-ci`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sdk-ci', password: 'throwaway-password' }),
    });
    expect(signUp.status).toBe(201);
    const { token } = (await signUp.json()) as { token: string };
    const npmrc = join(folder, '.npmrc');
    await writeFile(npmrc, `registry=${registry}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
    const npmArgs = ['--userconfig', npmrc, '--registry', registry];

    await run(npm, ['publish', tarball, ...npmArgs], { cwd: folder });
    expect((await run(npm, ['view', '@sixtype/sdk', 'version', ...npmArgs], { cwd: folder })).trim()).toBe('0.1.0');

    const project = join(folder, 'consumer');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'registry-consumer', private: true }));
    // As another team would set it up: only the @sixtype scope comes from the internal registry,
    // everything else (graphql, the document-node types) from the usual one, so the install does
    // not depend on verdaccio proxying the public registry.
    const scopedNpmrc = join(folder, 'scoped.npmrc');
    await writeFile(
      scopedNpmrc,
      `registry=${upstream}\n@sixtype:registry=${registry}\n//127.0.0.1:${port}/:_authToken=${token}\n`,
    );
    await run(npm, ['install', '@sixtype/sdk', '--userconfig', scopedNpmrc, '--no-audit', '--no-fund'], {
      cwd: project,
    });
    const installed = JSON.parse(await readFile(join(project, 'node_modules/@sixtype/sdk/package.json'), 'utf8'));
    expect(installed.version).toBe('0.1.0');

    const script = `
      const cjs = require('@sixtype/sdk');
      import('@sixtype/sdk').then((esm) => console.log(JSON.stringify({
        esm: [typeof esm.createClient, esm.MetricSeriesDocument.kind],
        cjs: [typeof cjs.createClient, cjs.MetricSeriesDocument.kind],
        codes: esm.SIXTYPE_ERROR_CODES.length,
      })));`;
    const loaded = JSON.parse(await run(process.execPath, ['-e', script], { cwd: project }));
    expect(loaded).toMatchObject({ esm: ['function', 'Document'], cjs: ['function', 'Document'] });
    expect(loaded.codes).toBeGreaterThan(10);
  }, 150_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForRegistry(registry: string, log: () => string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${registry}-/ping`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`verdaccio did not start on ${registry}:\n${log()}`);
}

// What another team writes. Type errors here fail the test (tsc --strict), so the expectations on
// types are part of what is checked: variables are required, scalars are typed strings (a day is no decimal, neither is an id), results narrow.
const esmConsumer = `
import {
  asId,
  createClient,
  CurrentViewerDocument,
  type DateString,
  type DecimalString,
  type Id,
  MetricSeriesDocument,
  NodeByIdDocument,
  OrganizationByCodeDocument,
  type MetricSeriesQuery,
  MetricUpdatedDocument,
  CreateUserDocument,
  SixtypeError,
  type SixtypeErrorCode,
  SubmitMetricObservationsDocument,
  type SubmitMetricObservationsMutationVariables,
} from '@sixtype/sdk';

const url = process.env.SIXTYPE_URL ?? '';
const sixtype = createClient({ url, apiKey: process.env.SIXTYPE_API_KEY, persisted: true, timeoutMs: 20_000 });

// @ts-expect-error MetricSeries cannot run without its input.
const missingInput = () => sixtype.request(MetricSeriesDocument);
void missingInput;

const { viewer } = await sixtype.request(CurrentViewerDocument);

const { metricSeries } = await sixtype.request(MetricSeriesDocument, {
  input: { metricCodes: ['LOCAL_FISCAL_REVENUE'], orgCode: 'ZONE', from: '2012-01-01', to: '2012-03-31', granularity: 'QUARTER' },
});
const point: MetricSeriesQuery['metricSeries'][number]['points'][number] | undefined = metricSeries[0]?.points[0];
const value: DecimalString | null | undefined = point?.value;

// Typed as the operation's input, so its literals keep their shapes (a day, a decimal).
const batch: SubmitMetricObservationsMutationVariables['input'] = {
  idempotencyKey: 'consumer-2012-Q2-contracts',
  observations: [
    { metricCode: 'NEW_PROJECT_CONTRACTS', orgCode: 'ZONE', periodStart: '2012-04-01', granularity: 'QUARTER' as const, value: '5', source: 'consumer test' },
  ],
};
// @ts-expect-error A calendar day is not a decimal: the SDK's scalars are typed by their shape.
const dayAsDecimal: DecimalString = '2012-04-01';
void dayAsDecimal;
const misplaced = () =>
  sixtype.request(SubmitMetricObservationsDocument, {
    // @ts-expect-error The same in an operation's variables: a day where the value (a Decimal) belongs.
    input: { ...batch, observations: [{ ...batch.observations[0]!, value: '2012-04-01' }] },
  });
void misplaced;

// IDs are branded: what the API returned goes back as it is, a day, a decimal or a bare string does not.
const zone = (await sixtype.request(OrganizationByCodeDocument, { code: 'ZONE' })).organization;
if (!zone) throw new Error('ZONE not found');
const refetched = (await sixtype.request(NodeByIdDocument, { id: zone.id })).node;
const day: DateString = '2012-04-01';
const decimal: DecimalString = '7430';
// @ts-expect-error A calendar day is not an id.
const dayAsId: Id = day;
// @ts-expect-error A decimal is not an id.
const decimalAsId: Id = decimal;
// @ts-expect-error Nor is a bare string: one from elsewhere goes through asId().
const textAsId: Id = 'T3JnYW5pemF0aW9uOjE=';
void [dayAsId, decimalAsId, textAsId];
const idMisplaced = () =>
  // @ts-expect-error The same in an operation's variables: a day where an ID belongs.
  sixtype.request(NodeByIdDocument, { id: day });
void idMisplaced;
const fromElsewhere = () => sixtype.request(NodeByIdDocument, { id: asId(String(zone.id)) });
void fromElsewhere;

const first = (await sixtype.request(SubmitMetricObservationsDocument, { input: batch })).submitMetricObservations;
const again = (await sixtype.request(SubmitMetricObservationsDocument, { input: batch })).submitMetricObservations;
if (first.__typename !== 'SubmitMetricObservationsPayload' || again.__typename !== 'SubmitMetricObservationsPayload') {
  throw new Error('submission refused: ' + JSON.stringify([first, again]));
}

const controller = new AbortController();
const giveUp = setTimeout(() => controller.abort(), 20_000);
let connected!: () => void;
const open = new Promise<void>((resolve) => (connected = resolve));
const updates = sixtype.subscribe(
  MetricUpdatedDocument,
  { metricCodes: ['NEW_PROJECT_CONTRACTS'], orgCode: 'ZONE' },
  { signal: controller.signal, onConnected: () => connected() },
);
const firstUpdate = updates.next();
await open;
await new Promise((resolve) => setTimeout(resolve, 200));
await sixtype.request(SubmitMetricObservationsDocument, {
  input: { ...batch, idempotencyKey: 'consumer-2012-Q2-contracts-correction', observations: [{ ...batch.observations[0]!, value: '6' }] },
});
const received = await firstUpdate;
await updates.return(undefined);
clearTimeout(giveUp);
const update = received.done ? null : received.value.metricUpdated;

let error: { isSixtypeError: boolean; code: SixtypeErrorCode | undefined } | undefined;
try {
  await sixtype.request(CreateUserDocument, { input: { username: 'intruder', password: 'intruder password', role: 'ADMIN' } });
} catch (caught) {
  error = { isSixtypeError: caught instanceof SixtypeError, code: caught instanceof SixtypeError ? caught.code : undefined };
}

console.log(JSON.stringify({
  resolved: import.meta.resolve('@sixtype/sdk'),
  viewer,
  local: { label: point?.period.label, value, yoyGrowth: point?.yoyGrowth },
  refetched: refetched?.__typename === 'Organization' ? { typename: refetched.__typename, code: refetched.code } : refetched,
  first,
  again,
  update,
  error,
}));
`;

const cjsConsumer = `
import { createClient, MetricCatalogueDocument, MetricSeriesDocument, type SixtypeClient } from '@sixtype/sdk';

async function main(): Promise<void> {
  // No \`persisted\`: the client sends text, the server answers PERSISTED_QUERY_ONLY to a key, and
  // the client switches to hashes by itself.
  const sixtype: SixtypeClient = createClient({ url: process.env.SIXTYPE_URL ?? '', apiKey: process.env.SIXTYPE_API_KEY });
  const { metricDefinitions } = await sixtype.request(MetricCatalogueDocument);
  const { metricSeries } = await sixtype.request(MetricSeriesDocument, {
    input: { metricCodes: ['FISCAL_REVENUE_TOTAL'], orgCode: 'ZONE', from: '2012-01-01', to: '2012-03-31', granularity: 'QUARTER' },
  });
  const point = metricSeries[0]?.points[0];
  console.log(JSON.stringify({
    resolved: require.resolve('@sixtype/sdk'),
    catalogue: metricDefinitions.map((definition) => definition.code),
    total: { label: point?.period.label, value: point?.value },
  }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb } from '@sixtype/db';
import { openTestDatabase } from '@sixtype/db/testing';
import { createUser, SYSTEM_ACCESS } from '@sixtype/graphql';
import { createClient, LoginDocument, OrganizationByCodeDocument, SixtypeError } from '@sixtype/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { type ApiProcess, startApiProcess } from './api-process.ts';

const apiFolder = fileURLToPath(new URL('../services/api', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Starts the API the way `npm start` does (api-process.ts), killed at the end if it still runs. */
async function startProcess(env: Record<string, string>): Promise<ApiProcess> {
  const api = await startApiProcess(env);
  cleanups.push(() => api.kill());
  return api;
}

describe('the API process', () => {
  it('starts on a new database, asks for an admin, serves the demo data to one, and exits cleanly on SIGTERM', async () => {
    const env: Record<string, string> = {};
    if (process.env.TEST_DATABASE_URL) {
      const database = await openTestDatabase({ demo: false });
      cleanups.push(() => database.close());
      env.DATABASE_URL = database.url ?? '';
      env.SEED_DEMO = '1';
    } else {
      const dataDir = mkdtempSync(join(tmpdir(), 'sixtype-api-'));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      env.DATA_DIR = dataDir;
    }

    // First start: a new database has no admin yet, and the log says how to make one.
    const first = await startProcess(env);
    expect(first.output()).toContain('npm run cli -- create-admin');
    const anonymous = createClient({ url: first.url });
    const refused = await anonymous.request(OrganizationByCodeDocument, { code: 'ZONE' }).catch((error) => error);
    expect(refused).toBeInstanceOf(SixtypeError);
    expect(refused.code).toBe('UNAUTHENTICATED');
    first.child.kill('SIGTERM');
    expect(await first.exited()).toBe(0);
    expect(first.output()).toContain('stopped');

    // Between runs, an admin is created in the same database (what the CLI does).
    const database = await createDb({ databaseUrl: env.DATABASE_URL || undefined, dataDir: env.DATA_DIR });
    await createUser(database.db, SYSTEM_ACCESS.actor, {
      username: 'admin',
      password: 'first admin password',
      role: 'ADMIN',
    });
    await database.close();

    // Second start: the data is still there, and the admin signs in through the SDK.
    const second = await startProcess(env);
    expect(second.output()).not.toContain('npm run cli -- create-admin');
    const { login } = await createClient({ url: second.url }).request(LoginDocument, {
      input: { username: 'admin', password: 'first admin password' },
    });
    const client = createClient({ url: second.url, token: login.token });
    const data = await client.request(OrganizationByCodeDocument, { code: 'ZONE' });
    expect(data.organization?.name).toBe('经济开发区');
    expect(data.organization?.children.map((child) => child.code)).toContain('PETITION_OFFICE');
    expect((await fetch(second.url.replace('/graphql', '/ready'))).status).toBe(200);
    // The PDF comes from the rendering process beside the bundle (render-worker.mjs).
    const pdf = await client.downloadReport('/reports/SIX_TYPE_2012/ZONE/2012-Q1.pdf');
    expect(new TextDecoder().decode(pdf.subarray(0, 5))).toBe('%PDF-');

    second.child.kill('SIGTERM');
    expect(await second.exited()).toBe(0);
    // Two cold starts of a process that migrates and loads an embedded database.
  }, 120_000);

  it('never loads Vega or pdfkit, and sets NODE_ENV before graphql loads', () => {
    // The npm packages a bundled file loads, following the chunks it imports (`dynamic`: also
    // those it imports with import(), which load after its first statements have run).
    const packagesOf = (file: string, dynamic: boolean, seen = new Set<string>()): string[] => {
      if (seen.has(file)) return [];
      seen.add(file);
      const text = readFileSync(join(apiFolder, 'dist', file), 'utf8');
      const pattern = dynamic
        ? /(?:from |import |import\()"([^"]+)"/g
        : /^(?:import [^;]*?from |import )"([^"]+)";$/gms;
      return [...text.matchAll(pattern)].flatMap(([, name]) =>
        (name as string).startsWith('./') ? packagesOf((name as string).slice(2), dynamic, seen) : [name as string],
      );
    };
    const drawing = ['vega', 'vega-lite', 'pdfkit', 'svg-to-pdfkit'];
    const served = packagesOf('main.mjs', true);
    expect(served).toContain('graphql');
    expect(served.filter((name) => drawing.includes(name))).toEqual([]);
    expect([...new Set(packagesOf('render-worker.mjs', true).filter((name) => drawing.includes(name)))].sort()).toEqual(
      [...drawing].sort(),
    );
    // main.mjs's own imports load nothing from npm: graphql-js reads NODE_ENV as it loads
    // (packages/db/src/node-env.ts), so the server comes by import() after the default is set.
    expect(packagesOf('main.mjs', false).filter((name) => !name.startsWith('node:'))).toEqual([]);
  });
});

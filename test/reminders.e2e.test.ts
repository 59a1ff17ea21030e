import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '@sixtype/db';
import { createUser, SYSTEM_ACCESS } from '@sixtype/graphql';
import { createClient, LoginDocument, RemindersDocument } from '@sixtype/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { type ApiProcess, startApiProcess } from './api-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'sixtype-reminders-'));
let api: ApiProcess | undefined;

afterAll(async () => {
  api?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

// The embedded default only: on PostgreSQL the worker runs the rules (services/worker's tests).
describe.skipIf(Boolean(process.env.TEST_DATABASE_URL))('reminders on the embedded default', () => {
  it('npm start on a fresh embedded database shows the demo reminders without a worker process', async () => {
    // The admin is made first in the same folder, as the CLI would, then `npm start` opens it fresh
    // of demo data: the demo and its reminders load on the API's first start.
    const database = await createDb({ dataDir });
    await database.migrate();
    await createUser(database.db, SYSTEM_ACCESS.actor, {
      username: 'admin',
      password: 'first admin password',
      role: 'ADMIN',
    });
    await database.close();

    api = await startApiProcess({ DATA_DIR: dataDir });
    expect(api.output()).toContain('demo reminders created');
    const { login } = await createClient({ url: api.url }).request(LoginDocument, {
      input: { username: 'admin', password: 'first admin password' },
    });
    const client = createClient({ url: api.url, token: login.token });
    const { reminders } = await client.request(RemindersDocument, { demo: true, first: 100 });
    expect(reminders.totalCount).toBeGreaterThan(0);
    expect(reminders.nodes.every((node) => node.isDemo)).toBe(true);
    const rules = new Set(reminders.nodes.map((node) => node.rule));
    expect(rules).toContain('STUDY_CADRE_BEHIND');
    expect(rules).toContain('PROBLEM_DEADLINE');
    expect(reminders.nodes.map((node) => node.period)).toContain('DISPATCH_MEETING:2012-03-H2');
    // The API's own timer ran the rules for today as well; nothing else was started.
    expect(api.output()).toContain('reminder rule ran');
    api.child.kill('SIGTERM');
    expect(await api.exited()).toBe(0);
  }, 120_000);
});

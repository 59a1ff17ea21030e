import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type CreateDbOptions, createDb, type DatabaseHandle } from './client.ts';
import { recordTimeZone } from './clock.ts';
import { loadDemoData } from './demo/index.ts';

export interface TestDatabase extends DatabaseHandle {
  /** `postgres` URL of this test's own database, or undefined on PGlite. */
  readonly url: string | undefined;
}

/**
 * A migrated database of its own for one test file, in the clock's time zone, loaded with the demo
 * data unless asked not to.
 * With TEST_DATABASE_URL set it is a new PostgreSQL database on that server, dropped on close;
 * otherwise an in-memory PGlite.
 */
export async function openTestDatabase(
  options: Pick<CreateDbOptions, 'logger' | 'maxConnections'> & { demo?: boolean } = {},
): Promise<TestDatabase> {
  const baseUrl = process.env.TEST_DATABASE_URL;
  let url: string | undefined;
  let dropDatabase = async () => {};
  if (baseUrl) {
    const base = new URL(baseUrl);
    const name = `${base.pathname.slice(1) || 'sixtype'}_t${randomBytes(5).toString('hex')}`;
    const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    await admin.end();
    base.pathname = `/${name}`;
    url = base.toString();
    dropDatabase = async () => {
      const dropper = postgres(baseUrl, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      await dropper.end();
    };
  }
  const handle = await createDb({
    databaseUrl: url,
    logger: options.logger,
    maxConnections: options.maxConnections ?? 5,
  });
  await handle.migrate();
  // As the API does on start: a test that sets another zone sets it before opening its database.
  await recordTimeZone(handle.db);
  if (options.demo !== false) await loadDemoData(handle.db);
  return {
    ...handle,
    url,
    async close() {
      await handle.close();
      await dropDatabase();
    },
  };
}

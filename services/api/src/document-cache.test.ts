import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { loadTokenSecret } from '@sixtype/graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from './server.ts';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

let database: TestDatabase;
let app: App;

beforeAll(async () => {
  database = await openTestDatabase();
  const tokenSecret = await loadTokenSecret(database.db);
  app = createApp({
    database,
    logger: pino({ level: 'silent' }),
    env: { NODE_ENV: 'test', RATE_LIMIT_ANONYMOUS_PER_MINUTE: 10_000 },
    tokenSecret,
  });
});

afterAll(async () => {
  await database.close();
});

/** Sends a document with a server context carrying `marker`, as the HTTP adapter passes req and res. */
async function send(query: string, marker: object) {
  const response = await app.fetch(
    'http://api.test/graphql',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) },
    { marker } as never,
  );
  return (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
}

/** Sends with a marker made here, so that nothing in the test itself holds it afterwards. */
async function sendMarked(query: string) {
  const marker = { query };
  const code = (await send(query, marker)).errors?.[0]?.extensions?.code;
  return { ref: new WeakRef(marker), code };
}

async function survivors(refs: WeakRef<object>[]): Promise<number> {
  for (let round = 0; round < 3; round += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
  }
  return refs.filter((ref) => ref.deref() !== undefined).length;
}

describe('the document cache', () => {
  it('keeps no request alive through a parse or validation error it caches', async () => {
    const refs: WeakRef<object>[] = [];
    const codes: (string | undefined)[] = [];
    for (let index = 0; index < 10; index += 1) {
      const query = index % 2 === 0 ? `{ broken${index}` : `{ noSuchField${index} }`;
      const { ref, code } = await sendMarked(query);
      refs.push(ref);
      codes.push(code);
    }
    expect(new Set(codes)).toEqual(new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED']));
    expect(await survivors(refs)).toBe(0);
  });
});

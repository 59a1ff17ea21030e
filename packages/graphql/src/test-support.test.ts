import { organizations } from '@sixtype/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, openTestApi, type TestApi } from './test-support.ts';

let api: TestApi;
beforeAll(async () => {
  api = await openTestApi();
});
afterAll(async () => {
  await api?.close();
});

const addUnit = (code: string) =>
  api.db.execute(
    sql`insert into organizations (code, name, kind, parent_id, path)
        select ${code}, ${code}, 'OFFICE', id, path || ${code}::ltree from organizations where code = 'ZONE'`,
  );

describe('each test in its own transaction', () => {
  it('runs inside a transaction of the file’s database, and rolls back what it wrote', async () => {
    const units = await api.rowCount(organizations);
    const scopes = api.scopes;
    if (!scopes) throw new Error('openTestApi rolls back by default');
    expect(api.db).not.toBe(scopes.root);
    // A nested scope, as each test has: its write is seen inside it and gone after it.
    await scopes.run(async () => {
      await addUnit('ROLLED_BACK_UNIT');
      expect(await api.rowCount(organizations)).toBe(units + 1);
    });
    expect(await api.rowCount(organizations)).toBe(units);
  });

  it('keeps what a test wrote after a statement in a savepoint of its own failed', async () => {
    const units = await api.rowCount(organizations);
    await addUnit('KEPT_UNIT');
    await expect(api.db.transaction((tx) => tx.execute(sql`select 1 / 0`))).rejects.toMatchObject({
      cause: { code: '22012' },
    });
    expect(await api.rowCount(organizations)).toBe(units + 1);
    const listed = await api.execute<{ organization: { code: string } | null }>(
      '{ organization(code: "KEPT_UNIT") { code } }',
    );
    expect(dataOf(listed).organization).toEqual({ code: 'KEPT_UNIT' });
  });
});

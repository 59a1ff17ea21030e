import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from './client.ts';
import { demoCadres, demoOrganizations, loadDemoData } from './demo/index.ts';
import { pgErrorOf } from './errors.ts';
import { cadres, organizations } from './schema/index.ts';
import { openTestDatabase, type TestDatabase } from './testing.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const countRows = async (table: typeof organizations | typeof cadres) =>
  (await database.db.select({ n: count() }).from(table))[0]?.n;

describe('migrations and demo data', () => {
  it('loads every demo unit and cadre once, and a second load changes nothing', async () => {
    expect(await countRows(organizations)).toBe(demoOrganizations.length);
    expect(await countRows(cadres)).toBe(demoCadres.length);
    expect(await loadDemoData(database.db)).toBe(false);
    expect(await countRows(organizations)).toBe(demoOrganizations.length);
    expect(await countRows(cadres)).toBe(demoCadres.length);
  });

  it('applies migrations again without error or change', async () => {
    await database.migrate();
    expect(await countRows(organizations)).toBe(demoOrganizations.length);
  });

  it('stores the document’s units under their DESIGN.md codes, with paths from the root', async () => {
    const rows = await database.db
      .select({ code: organizations.code, path: organizations.path })
      .from(organizations)
      .where(sql`${organizations.path} <@ 'ZONE.DISCIPLINE_WORKING_COMMITTEE'`);
    expect(rows.map((row) => row.path).sort()).toEqual([
      'ZONE.DISCIPLINE_WORKING_COMMITTEE',
      'ZONE.DISCIPLINE_WORKING_COMMITTEE.SIX_TYPE_OFFICE',
    ]);
  });
});

describe('constraints held by the database itself', () => {
  const violation = async (work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (error) {
      return pgErrorOf(error);
    }
    throw new Error('expected the database to refuse the write');
  };

  it('refuses a lower-case unit code', async () => {
    const error = await violation(() =>
      database.db
        .insert(organizations)
        .values({ code: 'bad code', name: 'x', kind: 'OFFICE', parentId: 1, path: 'ZONE.x' }),
    );
    expect(error?.code).toBe('23514');
  });

  it('refuses a unit other than a ZONE without a parent', async () => {
    const error = await violation(() =>
      database.db.insert(organizations).values({ code: 'ORPHAN', name: 'x', kind: 'OFFICE', path: 'ORPHAN' }),
    );
    expect(error).toMatchObject({ code: '23514', constraint: 'organizations_root_is_zone' });
  });

  it('refuses a cadre of a unit that does not exist', async () => {
    const error = await violation(() =>
      database.db.insert(cadres).values({ employeeNumber: 'X-1', organizationId: 999_999, name: 'x', gender: 'MALE' }),
    );
    expect(error?.code).toBe('23503');
  });

  it('refuses a duplicate employee number', async () => {
    const [zone] = await database.db.select().from(organizations).where(eq(organizations.code, 'ZONE'));
    const error = await violation(() =>
      database.db
        .insert(cadres)
        .values({ employeeNumber: 'KFQ-0001', organizationId: zone?.id ?? 0, name: 'x', gender: 'MALE' }),
    );
    expect(error?.code).toBe('23505');
  });

  it('refuses a blank name', async () => {
    const error = await violation(() =>
      database.db.insert(cadres).values({ employeeNumber: 'X-2', organizationId: 1, name: '   ', gender: 'MALE' }),
    );
    expect(error).toMatchObject({ code: '23514', constraint: 'cadres_name_not_blank' });
  });
});

describe('embedded database in a data folder', () => {
  it('keeps its rows across restarts and loads the demo data only on first start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sixtype-db-'));
    try {
      const first = await createDb({ dataDir });
      await first.migrate();
      expect(await loadDemoData(first.db)).toBe(true);
      await first.db.update(cadres).set({ position: 'changed' }).where(eq(cadres.employeeNumber, 'KFQ-0001'));
      await first.close();

      const second = await createDb({ dataDir });
      await second.migrate();
      expect(await loadDemoData(second.db)).toBe(false);
      const [row] = await second.db.select().from(cadres).where(eq(cadres.employeeNumber, 'KFQ-0001'));
      expect(row?.position).toBe('changed');
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

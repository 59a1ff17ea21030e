import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetClock, systemSettings, TIME_ZONE_KEY, timeZone } from '@sixtype/db';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './bootstrap.ts';
import { loadEnv } from './env.ts';

const logger = pino({ level: 'silent' });
const folder = mkdtempSync(join(tmpdir(), 'sixtype-zone-'));
afterAll(() => {
  resetClock();
  rmSync(folder, { recursive: true, force: true });
});

describe('TIME_ZONE', () => {
  it('defaults to Asia/Shanghai and takes IANA zone names only', () => {
    expect(loadEnv({}).TIME_ZONE).toBe('Asia/Shanghai');
    expect(loadEnv({ TIME_ZONE: ' Europe/Berlin ' }).TIME_ZONE).toBe('Europe/Berlin');
    expect(() => loadEnv({ TIME_ZONE: '+08:00' })).toThrow(/TIME_ZONE: must be an IANA time zone name/);
    expect(() => loadEnv({ TIME_ZONE: 'Asia/Nowhere' })).toThrow(/TIME_ZONE/);
  });

  it('sets the clock when a process starts, is recorded by the database, and another zone is refused later', async () => {
    const env = (zone: string) => loadEnv({ DATA_DIR: folder, LOG_LEVEL: 'silent', TIME_ZONE: zone });
    const first = await openDatabase(env('Europe/Berlin'), logger);
    try {
      expect(timeZone()).toBe('Europe/Berlin');
      const recorded = await first.db
        .select({ value: systemSettings.value })
        .from(systemSettings)
        .where(eq(systemSettings.key, TIME_ZONE_KEY));
      expect(recorded).toEqual([{ value: 'Europe/Berlin' }]);
    } finally {
      await first.close();
    }
    await expect(openDatabase(env('Asia/Shanghai'), logger)).rejects.toThrow(
      'TIME_ZONE is Asia/Shanghai but this database keeps its days in Europe/Berlin; set TIME_ZONE=Europe/Berlin',
    );
    // The refused start let go of the embedded database: the right zone opens it again.
    const again = await openDatabase(env('Europe/Berlin'), logger);
    await again.close();
    // Three starts of an embedded database, the first with its demo data.
  }, 180_000);
});

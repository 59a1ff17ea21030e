import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { createDb } from '@sixtype/db';
import postgres from 'postgres';

const run = promisify(execFile);

/** The part of PGlite's client this copy uses (drizzle's `$client` of the embedded database). */
interface PgliteClient {
  exec(query: string): Promise<unknown>;
  query(query: string, params?: unknown[], options?: { blob?: Blob }): Promise<unknown>;
}

/**
 * Copies the loaded benchmark database into a PGlite data folder (migrated by the same
 * migrations), table by table with COPY, so the embedded mode can be measured on the same rows.
 */
export async function copyToPglite(databaseUrl: string, dataDir: string): Promise<void> {
  if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  const handle = await createDb({ dataDir });
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await handle.migrate();
    const client = (handle.db as unknown as { $client: PgliteClient }).$client;
    const tables = await sql<{ table_name: string }[]>`
      select table_name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`;
    // Rows arrive in any table order: foreign keys are not checked while copying (replica role).
    await client.exec('set session_replication_role = replica');
    // All at once: a later `truncate … cascade` would empty tables already copied that refer to it.
    await client.exec(`truncate ${tables.map((t) => `"${t.table_name}"`).join(', ')} cascade`);
    for (const { table_name: table } of tables) {
      const columns = (
        await sql<{ column_name: string }[]>`
          select column_name from information_schema.columns
          where table_schema = 'public' and table_name = ${table} and is_generated = 'NEVER'
          order by ordinal_position`
      )
        .map((c) => `"${c.column_name}"`)
        .join(', ');
      // psql's \copy: postgres.js 3.4's COPY TO stream sometimes never ends when it is short.
      const { stdout } = await run(
        'psql',
        [databaseUrl, '-X', '-q', '-c', `\\copy "${table}" (${columns}) to stdout`],
        {
          encoding: 'buffer',
          maxBuffer: 2 ** 31 - 1,
        },
      );
      await client.query(`copy "${table}" (${columns}) from '/dev/blob'`, [], { blob: new Blob([stdout]) });
    }
    await client.exec('set session_replication_role = origin');
    const identities = await sql<{ table_name: string; column_name: string }[]>`
      select table_name, column_name from information_schema.columns
      where table_schema = 'public' and is_identity = 'YES'`;
    for (const { table_name: table, column_name: column } of identities) {
      await client.exec(
        `select setval(pg_get_serial_sequence('"${table}"', '${column}'), coalesce((select max("${column}") from "${table}"), 0) + 1, false)`,
      );
    }
    await client.exec('vacuum analyze');
  } finally {
    await sql.end({ timeout: 2 });
    await handle.close();
  }
}

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { codePattern, now } from '@sixtype/db';
import { type GraphQLContext, schema } from '@sixtype/graphql';
import { execute, parse } from 'graphql';
import { backupDatabase } from './backup.ts';
import type { Command } from './cli-commands.ts';

/** The operator CLI's data commands: `export-compliance` and `backup` (registered in cli-commands.ts). */

const CODE = codePattern;
/** U+FEFF, written as EF BB BF: without it Excel opens a CSV in the system's code page (GBK in China). */
const UTF8_BOM = '\uFEFF';
const DAY = /^\d{4}-\d{2}-\d{2}$/;

// The study module's own export (the studyComplianceCsv field), run in process as SYSTEM, so the
// file is the one an admin downloads through the API.
const complianceCsvQuery = parse(`
  query ExportCompliance($campaignCode: String!, $year: Int!, $orgCode: String!, $includeDescendants: Boolean!, $asOfDate: Date) {
    studyComplianceCsv(campaignCode: $campaignCode, year: $year, orgCode: $orgCode, includeDescendants: $includeDescendants, asOfDate: $asOfDate)
  }
`);

export const exportComplianceCommand: Command = {
  summary: "write a unit's study compliance for a year as CSV (to a file or stdout)",
  help: `Usage: npm run cli -- export-compliance --campaign CODE --year YYYY --org CODE [--only-unit] [--as-of YYYY-MM-DD] [--out FILE]

Writes the year's study compliance of a unit and the units below it as CSV (UTF-8 with a byte
order mark, so that Excel on Chinese Windows reads it as UTF-8 and not GBK; header row, CRLF line
ends), one row per cadre: the text the studyComplianceCsv query returns to an admin, behind the mark.

Options:
  --campaign CODE      the campaign, e.g. SIX_TYPE_2012
  --year YYYY          the year of the study requirement
  --org CODE           the unit, e.g. ZONE
  --only-unit          the unit's own cadres only, not those of the units below it
  --as-of YYYY-MM-DD   count study records up to this day (default: the whole year)
  --out FILE           write to FILE (refused when it exists); default: standard output
  -h, --help           show this text`,
  options: {
    campaign: { type: 'string' },
    year: { type: 'string' },
    org: { type: 'string' },
    'only-unit': { type: 'boolean' },
    'as-of': { type: 'string' },
    out: { type: 'string' },
  },
  check(values) {
    if (values.campaign === undefined) return 'give --campaign CODE';
    if (values.year === undefined) return 'give --year YYYY';
    if (values.org === undefined) return 'give --org CODE';
    if (!CODE.test(values.campaign as string)) return '--campaign must be a code in capitals, e.g. SIX_TYPE_2012';
    if (!CODE.test(values.org as string)) return '--org must be a unit code in capitals, e.g. ZONE';
    if (!/^\d{4}$/.test(values.year as string)) return '--year must be a year, e.g. 2012';
    if (values['as-of'] !== undefined && !DAY.test(values['as-of'] as string))
      return '--as-of must be a day, YYYY-MM-DD';
    return undefined;
  },
  async run(values, { database, io, actor, cwd }) {
    const contextValue: GraphQLContext = {
      db: database.db,
      viewer: { kind: 'SYSTEM', name: actor.id ?? 'cli' },
      requestId: 'cli',
    };
    const result = await execute({
      schema,
      document: complianceCsvQuery,
      contextValue,
      variableValues: {
        campaignCode: values.campaign,
        year: Number(values.year),
        orgCode: values.org,
        includeDescendants: !values['only-unit'],
        asOfDate: values['as-of'] ?? null,
      },
    });
    const [error] = result.errors ?? [];
    if (error) throw new Error(error.message);
    const text = (result.data as { studyComplianceCsv: string }).studyComplianceCsv;
    const rows = text.split('\r\n').length - 2;
    const csv = `${UTF8_BOM}${text}`;
    if (values.out === undefined) {
      if (io.write) io.write(csv);
      else io.stdout(csv.replace(/\r\n$/, ''));
    } else {
      const file = resolve(cwd ?? '.', values.out as string);
      try {
        writeFileSync(file, csv, { flag: 'wx' });
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'EEXIST')
          throw new Error(`${file} already exists; name a new file`);
        throw cause;
      }
      io.stdout(`${rows} cadres written to ${file}`);
    }
  },
};

export const backupCommand: Command = {
  summary: 'back up the database to a file (pg_dump, or the embedded data folder)',
  help: `Usage: npm run cli -- backup [--out FILE] [--pg-dump PATH]

Backs up the configured database into a new file:
  PostgreSQL (DATABASE_URL)  pg_dump --format=custom; restore with pg_restore. Needs pg_dump of the
                             server's major version or later (Debian: postgresql-client).
  embedded (DATA_DIR)        a gzipped tar of the data folder, taken while the CLI holds the
                             folder's lock (stop the server first); restore by unpacking it into
                             an empty folder and starting with DATA_DIR set to that folder.

Options:
  --out FILE       where to write (refused when it exists); default:
                   sixtype-backup-<time>.dump (PostgreSQL) or .tar.gz (embedded)
  --pg-dump PATH   the pg_dump program to run (default: pg_dump on PATH)
  -h, --help       show this text`,
  options: { out: { type: 'string' }, 'pg-dump': { type: 'string' } },
  async run(values, { database, io, env, cwd, progress }) {
    const stamp = now().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    const fallback = `sixtype-backup-${stamp}${database.kind === 'pglite' ? '.tar.gz' : '.dump'}`;
    const file = resolve(cwd ?? '.', (values.out as string | undefined) ?? fallback);
    const summary = await backupDatabase({
      database,
      databaseUrl: env.DATABASE_URL,
      file,
      pgDump: values['pg-dump'] as string | undefined,
      progress,
    });
    io.stdout(
      `Backed up the ${summary.kind === 'pglite' ? 'embedded' : 'PostgreSQL'} database to ${summary.file} (${summary.bytes} bytes).`,
    );
    io.stdout(`To restore: ${summary.restore}`);
  },
};

import { loadDemoData } from '@sixtype/db';
import { openDatabase } from './bootstrap.ts';
import { loadEnv } from './env.ts';
import { createLogger } from './logger.ts';

const usage = `Usage: npm run cli -- <command>

Commands:
  migrate     apply the database migrations (the embedded database also gets the demo data on first use)
  seed-demo   load the demo data into the configured database (once; a second run does nothing)
  help        show this text

The database is DATABASE_URL when set, otherwise the embedded one in DATA_DIR (default .data/).`;

const [command = 'help'] = process.argv.slice(2);
const env = loadEnv();
const logger = createLogger({ LOG_LEVEL: env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL });

async function run(): Promise<number> {
  switch (command) {
    case 'migrate': {
      const database = await openDatabase(env, logger);
      await database.close();
      console.log('migrations applied');
      return 0;
    }
    case 'seed-demo': {
      const database = await openDatabase({ ...env, SEED_DEMO: false }, logger);
      const loaded = await loadDemoData(database.db);
      await database.close();
      console.log(
        loaded ? 'demo data loaded' : 'demo data was already loaded (or the database has units); nothing changed',
      );
      return 0;
    }
    case 'help':
    case '--help':
    case '-h':
      console.log(usage);
      return 0;
    default:
      console.error(`Unknown command: ${command}\n\n${usage}`);
      return 2;
  }
}

run().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);

// The worker's entry: NODE_ENV's default goes into the environment before graphql-js loads (the
// report and reminder tasks run the schema; packages/db/src/node-env.ts says why), then it starts.
import { applyNodeEnvDefault } from '@sixtype/db/node-env';

applyNodeEnvDefault();
await import('./serve.ts');

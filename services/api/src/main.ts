// The API's entry (npm start runs its bundle): NODE_ENV's default goes into the environment before
// graphql-js and yoga load (packages/db/src/node-env.ts says why), then the server starts (serve.ts).
import { applyNodeEnvDefault } from '@sixtype/db/node-env';

applyNodeEnvDefault();
await import('./serve.ts');

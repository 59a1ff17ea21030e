// The API's entry (npm start runs its bundle): NODE_ENV's default goes into the environment before
// graphql-js and yoga load (node-env.ts says why), then the server starts (serve.ts).
import { applyNodeEnvDefault } from './node-env.ts';

applyNodeEnvDefault();
await import('./serve.ts');

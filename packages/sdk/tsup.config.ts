import { defineConfig } from 'tsup';

// The published build: ESM (`dist/index.js`) and CommonJS (`dist/index.cjs`), each with its own
// declarations (`.d.ts` / `.d.cts`) so that TypeScript under `node16`/`nodenext` sees the right
// module kind for `import` and `require` (what `attw --pack` checks). The persisted-operation
// manifest is bundled in; `graphql` (a peer), `graphql-sse` (a dependency) and the type-only
// document-node package stay external.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  outDir: 'dist',
  // `platform: neutral` resolves nothing from `main`; graphql must come from the consumer anyway.
  external: ['graphql', 'graphql-sse', '@graphql-typed-document-node/core'],
});

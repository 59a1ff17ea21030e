import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * graphql 16 ships CommonJS (`main`) and ESM (`module`) builds. Vite would hand our sources the
 * ESM build while externalized packages (Pothos, yoga) load the CommonJS one under Node, and
 * graphql refuses to mix two copies. Pinning the bare import to Node's choice keeps one copy.
 *
 * `@sixtype/source` is the export condition under which workspace packages (the SDK) point at their
 * TypeScript sources, so tests run without building `dist/` first; tsconfig.base.json sets the same
 * condition for tsc. Published consumers never set it and get the built files.
 */
const sourceCondition = '@sixtype/source';
// Vite's defaults (`defaultClientConditions`/`defaultServerConditions`), which setting `conditions` replaces.
const viteConditions = ['module', 'development|production'];
export const sharedConfig = defineConfig({
  resolve: {
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
    conditions: [sourceCondition, 'browser', ...viteConditions],
  },
  ssr: { resolve: { conditions: [sourceCondition, 'node', ...viteConditions] } },
  test: {
    include: ['src/**/*.test.ts', '*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // No test depends on another's rows or order (README, Development), so every package runs its
    // files and tests in random order: vitest prints `Running tests with seed "N"`, and
    // `npx vitest run --sequence.seed=N` in that package repeats the order.
    sequence: { shuffle: true },
  },
});

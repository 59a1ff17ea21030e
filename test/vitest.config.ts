import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../vitest.shared.ts';

// The end-to-end tests run in file order: pgbouncer.e2e's pool test still sees what its cancellation
// test leaves in the cluster's log when that one runs first (seed 1796286388255).
export default mergeConfig(sharedConfig, defineConfig({ test: { sequence: { shuffle: false } } }));

import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../vitest.shared.ts';

// Each test sets up what it needs on the file's servers, so the tests run in random order; vitest
// prints the seed, and `--sequence.seed=N` repeats an order.
export default mergeConfig(sharedConfig, defineConfig({ test: { sequence: { shuffle: true } } }));

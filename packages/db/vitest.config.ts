import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.ts';

// Each test file opens a database of its own and its tests depend on no other's rows, so they run in
// random order; vitest prints the seed, and `--sequence.seed=N` repeats an order.
export default mergeConfig(sharedConfig, defineConfig({ test: { sequence: { shuffle: true } } }));

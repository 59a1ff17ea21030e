import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.ts';

// Each test runs in its own transaction, rolled back at its end (src/test-setup.ts), so files and the
// tests in them run in random order; vitest prints the seed, and `--sequence.seed=N` repeats an order.
export default mergeConfig(
  sharedConfig,
  defineConfig({ test: { setupFiles: ['src/test-setup.ts'], sequence: { shuffle: true } } }),
);

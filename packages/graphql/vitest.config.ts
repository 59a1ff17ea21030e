import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.ts';

// Each test runs in its own transaction, rolled back at its end (src/test-setup.ts).
export default mergeConfig(sharedConfig, defineConfig({ test: { setupFiles: ['src/test-setup.ts'] } }));

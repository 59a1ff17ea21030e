import { applyNodeEnvDefault, DEFAULT_NODE_ENV } from '@sixtype/db/node-env';
import { describe, expect, it } from 'vitest';
import { loadEnv } from './env.ts';

describe('NODE_ENV in the environment', () => {
  it('is set to the default only when absent, and the default is the one loadEnv applies', () => {
    const absent: NodeJS.ProcessEnv = {};
    applyNodeEnvDefault(absent);
    expect(absent.NODE_ENV).toBe('production');
    expect(loadEnv({}).NODE_ENV).toBe(DEFAULT_NODE_ENV);
    for (const asked of ['development', 'test', 'production']) {
      const env: NodeJS.ProcessEnv = { NODE_ENV: asked };
      applyNodeEnvDefault(env);
      expect(env.NODE_ENV).toBe(asked);
    }
  });
});

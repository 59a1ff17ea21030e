import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES } from './env.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('the API’s environment', () => {
  it('is documented in README and passed through by turbo (a test run sees each variable)', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const turbo = JSON.parse(readFileSync(`${root}turbo.json`, 'utf8')) as { globalEnv: string[] };
    expect(ENV_VARIABLES.length).toBeGreaterThan(20);
    expect(ENV_VARIABLES.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
    expect(ENV_VARIABLES.filter((name) => !turbo.globalEnv.includes(name))).toEqual([]);
  });
});

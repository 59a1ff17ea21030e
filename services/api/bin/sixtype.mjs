#!/usr/bin/env node
// The operator CLI (`npm run cli -- …` or `npx sixtype …`): plain node with tsx's loader, so a
// failure is the CLI's own line on stderr and exit code 1, not a page of npm's lifecycle errors.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');

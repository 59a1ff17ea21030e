import { readFileSync } from 'node:fs';

/**
 * Summarizes a V8 CPU profile (`npm run bench -- --cpu-prof <dir>`): self time per package and the
 * functions with the most self time, as shares of the busy (non-idle) samples.
 * Usage: npx tsx bench/src/profile-summary.ts <file.cpuprofile>
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
const profile = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};

const selfTime = new Map<number, number>();
profile.samples.forEach((id, index) => {
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
});

const packageOf = (url: string) => {
  if (!url) return '(native)';
  const dependency = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency?.[1]) return dependency[1];
  const own = /\/(packages|services|bench)\/([^/]+)\//.exec(url);
  if (own) return `ours: ${own[1]}/${own[2]}`;
  return url.startsWith('node:') ? 'node core' : url;
};

let busy = 0;
let idle = 0;
const byPackage = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const node of profile.nodes) {
  const time = selfTime.get(node.id) ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === '(idle)') {
    idle += time;
    continue;
  }
  busy += time;
  const group = functionName === '(garbage collector)' ? '(garbage collector)' : packageOf(url);
  byPackage.set(group, (byPackage.get(group) ?? 0) + time);
  const name = `${functionName || '(anonymous)'} ${packageOf(url)}:${lineNumber}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + time);
}

const share = (time: number) => `${((100 * time) / busy).toFixed(1).padStart(5)}%`;
const top = (entries: Map<string, number>, count: number) =>
  [...entries]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, time]) => `${share(time)} ${name}`)
    .join('\n');
console.log(`busy ${Math.round(busy / 1000)} ms, idle ${Math.round(idle / 1000)} ms`);
console.log(`\nself time by package\n${top(byPackage, 15)}`);
console.log(`\nfunctions with the most self time\n${top(byFunction, 15)}`);

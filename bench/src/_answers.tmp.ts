import { openBenchApi } from './api.ts';
import { readTargets, scenarios } from './scenarios.ts';
const url = 'postgres://postgres@127.0.0.1:5432/sixtype_bench_l';
const targets = await readTargets(url);
const api = await openBenchApi(url, 2);
for (const id of process.argv.slice(2)) {
  const s = scenarios.find((x) => x.id === id)!;
  const r = await api.app.fetch('http://x/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${api.token}` }, body: JSON.stringify(s.body(targets, 0)) });
  const t = await r.text();
  console.log(id, t.length, t.slice(0, 1500));
}
await api.close();

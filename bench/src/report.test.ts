import { describe, expect, it } from 'vitest';
import { type BenchResults, goalsMarkdown } from './report.ts';

const results = (soak?: BenchResults['soak']): BenchResults => ({
  runId: 'test',
  startedAt: '2026-12-07T00:00:00Z',
  machine: {},
  dataset: { size: 'S', seed: 1, rows: {} },
  settings: { durationSeconds: 1, warmupSeconds: 0, repeats: 1, connectionLevels: [1], pool: 1 },
  scenarios: [],
  soak,
});
const soakRow = (lines: string[]) => lines.find((line) => line.startsWith('| peak RSS in the soak'));

describe('goals table', () => {
  it('calls a soak without a sample not measured (it printed -Infinity MB, met)', () => {
    const empty = {
      scenario: 'S4',
      seconds: 0,
      requests: 0,
      non2xx: 0,
      rssAfter60sMb: Number.NaN,
      rssAtEndMb: Number.NaN,
    };
    expect(soakRow(goalsMarkdown(results({ ...empty, samples: [] })))).toBe(
      '| peak RSS in the soak, after the reports, MB | – | – | ≤ 250 | not measured |',
    );
    expect(soakRow(goalsMarkdown(results()))).toContain('not measured');
    const sampled = {
      ...empty,
      samples: [
        { seconds: 5, rssMb: 180 },
        { seconds: 10, rssMb: 190.4 },
      ],
    };
    expect(soakRow(goalsMarkdown(results(sampled)))).toBe(
      '| peak RSS in the soak, after the reports, MB | – | 190 | ≤ 250 | met |',
    );
  });
});

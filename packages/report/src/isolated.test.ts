import { describe, expect, it } from 'vitest';
import type { ReportDocument } from './document.ts';
import { openRenderer } from './isolated.ts';
import { renderReportFiles } from './render.ts';

const document: ReportDocument = {
  title: '演示报告',
  subtitle: '2012年第一季度',
  chartsHref: '/reports/demo.html',
  blocks: [
    { kind: 'heading', level: 2, text: '学习' },
    { kind: 'paragraph', text: '演示段落。' },
    { kind: 'table', columns: ['单位', '达标率'], rows: [['演示一处', '43%']], numeric: [false, true] },
    {
      kind: 'chart',
      id: 'demo',
      title: '演示',
      spec: {
        data: { values: [{ unit: '演示一处', rate: 0.43 }] },
        mark: 'bar',
        encoding: { x: { field: 'unit', type: 'nominal' }, y: { field: 'rate', type: 'quantitative' } },
      },
    },
  ],
};

const gone = async (pid: number) => {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
};

describe('a report rendered in a process of its own', () => {
  it('answers the files this process would render, from a child process that then ends', async () => {
    const renderer = openRenderer();
    const pid = await renderer.pid;
    expect(pid).not.toBe(process.pid);
    let steps = 0;
    const files = await renderer.render(document, ['md', 'html', 'pdf'], () => steps++);
    const here = await renderReportFiles(document, ['md', 'html']);
    expect(files.get('md')).toBe(here.get('md'));
    expect(files.get('html')).toBe(here.get('html'));
    const pdf = files.get('pdf') as Buffer;
    expect(Buffer.isBuffer(pdf)).toBe(true);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(steps).toBe(1);
    expect(await gone(pid)).toBe(true);
  }, 30_000);

  it('starts one process at a time: the next renderer waits until the one before closes', async () => {
    const first = openRenderer();
    const second = openRenderer();
    const firstPid = await first.pid;
    const early = await Promise.race([second.pid, new Promise((resolve) => setTimeout(() => resolve('waiting'), 500))]);
    expect(early).toBe('waiting');
    first.close();
    expect(await gone(firstPid)).toBe(true);
    const secondPid = await second.pid;
    second.close();
    expect(await gone(secondPid)).toBe(true);
  }, 30_000);

  it("answers the rendering's failure as an error, and the process ends", async () => {
    const renderer = openRenderer();
    const pid = await renderer.pid;
    const broken: ReportDocument = {
      ...document,
      blocks: [{ kind: 'chart', id: 'broken', title: '演示', spec: { mark: 'nonsense' } as never }],
    };
    await expect(renderer.render(broken, ['pdf'])).rejects.toThrow(/rendering the report failed/);
    expect(await gone(pid)).toBe(true);
  }, 30_000);
});

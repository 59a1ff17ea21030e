import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { codePattern } from '@sixtype/db';
import type { GraphQLContext } from '@sixtype/graphql';
import { SingleBar } from 'cli-progress';
import type { Command } from './cli-commands.ts';

/** `npm run cli -- report`: the campaign progress report, written as the API's download writes it. */

const CODE = codePattern;
const FORMATS = ['md', 'html', 'pdf'] as const;
type Format = (typeof FORMATS)[number];

function formatOf(values: Record<string, string | boolean | undefined>): Format | undefined {
  const given = (values.format as string | undefined)?.toLowerCase();
  if (given === 'markdown') return 'md';
  if (given) return (FORMATS as readonly string[]).includes(given) ? (given as Format) : undefined;
  const extension = /\.([a-z]+)$/i.exec((values.out as string | undefined) ?? '')?.[1]?.toLowerCase();
  return extension === 'pdf' || extension === 'html' ? extension : 'md';
}

export const reportCommand: Command = {
  summary: "write a unit's campaign progress report for a period (Markdown, HTML or PDF)",
  help: `Usage: npm run cli -- report --campaign CODE --period PERIOD --org CODE [--format md|html|pdf] [--only-unit] [--out FILE]

Writes the campaign progress report (organisation, study, activities, supervision, rectification,
results with charts) from the live data, the same file GET /reports/... returns to an admin.

Options:
  --campaign CODE    the campaign, e.g. SIX_TYPE_2012
  --period PERIOD    2012 (year), 2012-Q1 (quarter), 2012-03 (month) or 2012-01-01..2012-03-31
  --org CODE         the unit, e.g. ZONE
  --format FORMAT    md (Markdown, charts embedded), html (one self-contained page) or pdf (A4);
                     default: from the --out file's extension, else md
  --only-unit        the unit alone, not the units below it
  --out FILE         write to FILE (refused when it exists); default: standard output (md, html)
  -h, --help         show this text`,
  options: {
    campaign: { type: 'string' },
    period: { type: 'string' },
    org: { type: 'string' },
    format: { type: 'string' },
    'only-unit': { type: 'boolean' },
    out: { type: 'string' },
  },
  check(values) {
    if (values.campaign === undefined) return 'give --campaign CODE';
    if (values.period === undefined) return 'give --period PERIOD, e.g. 2012-Q1';
    if (values.org === undefined) return 'give --org CODE';
    if (!CODE.test(values.campaign as string)) return '--campaign must be a code in capitals, e.g. SIX_TYPE_2012';
    if (!CODE.test(values.org as string)) return '--org must be a unit code in capitals, e.g. ZONE';
    const format = formatOf(values);
    if (format === undefined) return '--format must be md, html or pdf';
    if (format === 'pdf' && values.out === undefined) return 'a PDF needs --out FILE';
    return undefined;
  },
  async run(values, { database, io, actor, cwd, progress }) {
    const { REPORT_STEPS, resolveReportScope, writeReport } = await import('@sixtype/report');
    const format = formatOf(values) as Format;
    const context: GraphQLContext = {
      db: database.db,
      viewer: { kind: 'SYSTEM', name: actor.id ?? 'cli' },
      requestId: 'cli',
    };
    const bar = progress
      ? new SingleBar({ stream: progress, format: 'report [{bar}] {value}/{total} {step}', hideCursor: true })
      : undefined;
    const steps = REPORT_STEPS.length + 2;
    bar?.start(steps, 0, { step: 'checking' });
    let body: string | Buffer;
    try {
      const scope = await resolveReportScope(
        {
          campaignCode: values.campaign as string,
          orgCode: values.org as string,
          period: values.period as string,
          includeDescendants: !values['only-unit'],
        },
        context,
      );
      bar?.increment({ step: 'campaign' });
      body = await writeReport(scope, context, format, (step) => bar?.increment({ step }));
      bar?.update(steps, { step: 'done' });
    } finally {
      bar?.stop();
    }
    if (values.out === undefined) {
      const text = body.toString();
      if (io.write) io.write(text);
      else io.stdout(text.replace(/\n$/, ''));
      return;
    }
    const file = resolve(cwd ?? '.', values.out as string);
    try {
      writeFileSync(file, body, { flag: 'wx' });
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'EEXIST')
        throw new Error(`${file} already exists; name a new file`);
      throw cause;
    }
    io.stdout(`Report written to ${file} (${Buffer.byteLength(body)} bytes).`);
  },
};

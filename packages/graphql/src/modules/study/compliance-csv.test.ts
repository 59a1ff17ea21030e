import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { type ComplianceExportRow, complianceCsv } from './study.service.ts';

const row = (fields: Partial<ComplianceExportRow>): ComplianceExportRow => ({
  cadreId: 1,
  organizationId: 1,
  noteCharacters: 20000,
  hours: '1.5',
  noteCharactersQuota: 20000,
  hoursQuota: null,
  quotaMet: true,
  hoursQuotaMet: true,
  mandatoryMaterialsCovered: false,
  choiceGroupsMet: true,
  chosenMaterials: [],
  compliant: false,
  expectedCharacters: 0,
  charactersBehind: 0,
  expectedHours: null,
  hoursBehind: null,
  orgCode: 'ZONE',
  orgName: '经济开发区',
  employeeNumber: 'E1',
  name: '张三',
  ...fields,
});

describe('the compliance CSV', () => {
  it('quotes what needs quoting, writes 是/否, and ends every line with CRLF', () => {
    const text = complianceCsv([row({ name: '张"三", 李四\n王五' })]);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n')[1]).toBe('ZONE,经济开发区,E1,"张""三"", 李四\n王五",20000,20000,1.5,是,否,,否');
    // A CSV reader gets the cells back as written.
    expect((parse(text) as string[][])[1]?.[3]).toBe('张"三", 李四\n王五');
  });

  it('keeps a spreadsheet from running a cell as a formula, in ASCII and full-width forms', () => {
    const names = ['=HYPERLINK("http://x")', '+1', '-1', '@SUM(A1)', '＝1', '＋1'];
    const cells = parse(complianceCsv(names.map((name) => row({ name }))), { from_line: 2 }).map(
      (cells: string[]) => cells[3],
    );
    expect(cells).toEqual(names.map((name) => `'${name}`));
  });
});

import type { CadreStatus, Gender, OrganizationKind } from '../schema/directory.ts';

/**
 * `document`: named in the source document (开发区六型机关经验交流).
 * `demo`: invented so that the demo has something to show; not a fact about any real office.
 */
export type Provenance = 'document' | 'demo';

export interface DemoOrganization {
  code: string;
  name: string;
  kind: OrganizationKind;
  parentCode: string | null;
  provenance: Provenance;
}

/** The zone's units in the order the document names them; demo units follow. */
export const demoOrganizations: readonly DemoOrganization[] = [
  { code: 'ZONE', name: '经济开发区', kind: 'ZONE', parentCode: null, provenance: 'document' },
  {
    code: 'PARTY_WORKING_COMMITTEE',
    name: '经济开发区党工委',
    kind: 'PARTY_WORKING_COMMITTEE',
    parentCode: 'ZONE',
    provenance: 'document',
  },
  {
    code: 'MANAGEMENT_COMMITTEE',
    name: '经济开发区管委会',
    kind: 'MANAGEMENT_COMMITTEE',
    parentCode: 'ZONE',
    provenance: 'document',
  },
  {
    code: 'DISCIPLINE_WORKING_COMMITTEE',
    name: '经济开发区纪工委',
    kind: 'DISCIPLINE_COMMITTEE',
    parentCode: 'ZONE',
    provenance: 'document',
  },
  {
    code: 'SIX_TYPE_OFFICE',
    name: '创建“六型机关”工作领导小组办公室',
    kind: 'OFFICE',
    parentCode: 'DISCIPLINE_WORKING_COMMITTEE',
    provenance: 'document',
  },
  {
    code: 'INVESTMENT_PROMOTION_BUREAU',
    name: '区招商局',
    kind: 'DEPARTMENT',
    parentCode: 'ZONE',
    provenance: 'document',
  },
  { code: 'PETITION_OFFICE', name: '区信访办公室', kind: 'OFFICE', parentCode: 'ZONE', provenance: 'document' },
  {
    code: 'FAMILY_PLANNING_OFFICE',
    name: '区计划生育办公室',
    kind: 'OFFICE',
    parentCode: 'ZONE',
    provenance: 'document',
  },
  { code: 'FINANCE_BUREAU', name: '区财政局（演示）', kind: 'DEPARTMENT', parentCode: 'ZONE', provenance: 'demo' },
  {
    code: 'CIVIL_AFFAIRS_BUREAU',
    name: '区民政局（演示）',
    kind: 'DEPARTMENT',
    parentCode: 'ZONE',
    provenance: 'demo',
  },
  {
    code: 'EAST_SUBDISTRICT_OFFICE',
    name: '东城办事处（演示）',
    kind: 'SUBDISTRICT_OFFICE',
    parentCode: 'ZONE',
    provenance: 'demo',
  },
  {
    code: 'WEST_SUBDISTRICT_OFFICE',
    name: '西城办事处（演示）',
    kind: 'SUBDISTRICT_OFFICE',
    parentCode: 'ZONE',
    provenance: 'demo',
  },
];

export interface DemoCadre {
  employeeNumber: string;
  organizationCode: string;
  name: string;
  gender: Gender;
  position: string;
  rank: string;
  isLeader: boolean;
  isPartyMember: boolean;
  status: CadreStatus;
  phone: string;
}

type CadreSeed = [name: string, gender: Gender, position: string, rank: string, isLeader: boolean];

// Every cadre here is demo: the document names no person. Phone numbers use the 138-0000 demo block.
const cadresByOrganization: Record<string, CadreSeed[]> = {
  PARTY_WORKING_COMMITTEE: [
    ['王建国', 'MALE', '党工委书记', '正处级', true],
    ['李秀兰', 'FEMALE', '党工委副书记', '副处级', true],
    ['赵文博', 'MALE', '党政办公室科员', '科员', false],
  ],
  MANAGEMENT_COMMITTEE: [
    ['陈志强', 'MALE', '管委会主任', '正处级', true],
    ['刘海燕', 'FEMALE', '管委会副主任', '副处级', true],
    ['孙明', 'MALE', '综合科科员', '科员', false],
  ],
  DISCIPLINE_WORKING_COMMITTEE: [
    ['周正义', 'MALE', '纪工委书记', '副处级', true],
    ['吴静', 'FEMALE', '纪检监察室主任', '正科级', true],
  ],
  SIX_TYPE_OFFICE: [
    ['郑晓东', 'MALE', '创建办公室主任', '正科级', true],
    ['冯丽', 'FEMALE', '创建办公室科员', '科员', false],
  ],
  INVESTMENT_PROMOTION_BUREAU: [
    ['黄振华', 'MALE', '招商局局长', '正科级', true],
    ['何雪梅', 'FEMALE', '招商一科科长', '副科级', false],
    ['林涛', 'MALE', '招商二科科员', '科员', false],
    ['高媛', 'FEMALE', '外联科科员', '科员', false],
  ],
  PETITION_OFFICE: [
    ['马国庆', 'MALE', '信访办主任', '正科级', true],
    ['罗敏', 'FEMALE', '信访接待科科员', '科员', false],
    ['梁宇', 'MALE', '督办科科员', '科员', false],
  ],
  FAMILY_PLANNING_OFFICE: [
    ['宋红梅', 'FEMALE', '计生办主任', '正科级', true],
    ['谢军', 'MALE', '计生服务科科员', '科员', false],
    ['韩冬', 'MALE', '统计科科员', '科员', false],
  ],
  FINANCE_BUREAU: [
    ['唐伟', 'MALE', '财政局局长', '正科级', true],
    ['许晴', 'FEMALE', '预算科科长', '副科级', false],
    ['邓凯', 'MALE', '国库科科员', '科员', false],
  ],
  CIVIL_AFFAIRS_BUREAU: [
    ['曹红', 'FEMALE', '民政局局长', '正科级', true],
    ['彭亮', 'MALE', '社会救助科科员', '科员', false],
  ],
  EAST_SUBDISTRICT_OFFICE: [
    ['曾志远', 'MALE', '办事处主任', '正科级', true],
    ['袁芳', 'FEMALE', '社区服务科科员', '科员', false],
  ],
  WEST_SUBDISTRICT_OFFICE: [
    ['蒋大伟', 'MALE', '办事处主任', '正科级', true],
    ['蔡丽娜', 'FEMALE', '综合治理科科员', '科员', false],
  ],
};

export const demoCadres: readonly DemoCadre[] = Object.entries(cadresByOrganization)
  .flatMap(([organizationCode, seeds]) => seeds.map((seed) => ({ organizationCode, seed })))
  .map(({ organizationCode, seed: [name, gender, position, rank, isLeader] }, index) => {
    const serial = String(index + 1).padStart(4, '0');
    return {
      employeeNumber: `KFQ-${serial}`,
      organizationCode,
      name,
      gender,
      position,
      rank,
      isLeader,
      isPartyMember: isLeader || index % 3 !== 2,
      status: 'ACTIVE',
      phone: `1380000${serial}`,
    };
  });

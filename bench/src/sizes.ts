/**
 * How much demo data each dataset size holds. Issue 8 fixes L and asks for S at one tenth; XS is
 * the CI smoke size (it loads in seconds); PROVINCE is a province's installation, 30 zones with
 * ten times L's units, cadres, study records and observations.
 *
 * The generated tree hangs below the demo root `ZONE` (depth 0) and is five levels deep, so the
 * whole tree is six deep; at PROVINCE it hangs below 30 zones `Z01`…`Z30` instead, each a root
 * of its own as every zone is (the province is the installation that holds them). The level widths make a level-3 unit's subtree about 50 units (S1, S2) and a
 * level-4 unit's subtree about 500 cadres (S6) at every size, so a scenario asks the same
 * question of a small zone and of a province.
 */
export interface DatasetSize {
  name: 'XS' | 'S' | 'L' | 'PROVINCE';
  /** Zones (roots `Z01`…) the generated tree's level 1 divides among; none: it hangs below ZONE. */
  zones?: number;
  /** Units per level below ZONE (levels 1–5); each unit's parent is chosen round-robin one level up. */
  unitsPerLevel: readonly number[];
  cadres: number;
  studyRecords: number;
  activities: number;
  /** Attendance rows per activity (distinct cadres of the organizing unit's level, on the start day). */
  attendancePerActivity: number;
  metrics: number;
  /** Units that report each metric (spread evenly across the tree). */
  reportingUnits: number;
  /** Months of observations, ending with December 2012. */
  months: number;
  /** The first this many metrics also get monthly targets for 2012. */
  metricsWithTargets: number;
  problems: number;
}

export const datasetSizes: Record<DatasetSize['name'], DatasetSize> = {
  PROVINCE: {
    name: 'PROVINCE',
    zones: 30,
    // Level-3 subtrees of (600 + 2,000 + 27,200) / 600 ≈ 50 units, level-4 ones of ≈ 14.6 units
    // × 33 cadres ≈ 490 cadres: the shapes of L.
    unitsPerLevel: [60, 150, 600, 2_000, 27_200],
    cadres: 1_000_000,
    studyRecords: 10_000_000,
    // Activities, attendance and problems stay at L's counts: no scenario measured at this size reads them.
    activities: 200_000,
    attendancePerActivity: 3,
    metrics: 100,
    reportingUnits: 10_000,
    months: 48,
    metricsWithTargets: 10,
    problems: 20_000,
  },
  L: {
    name: 'L',
    unitsPerLevel: [4, 14, 57, 194, 2730],
    cadres: 100_000,
    studyRecords: 1_000_000,
    activities: 200_000,
    attendancePerActivity: 3,
    metrics: 100,
    reportingUnits: 1_000,
    months: 48,
    metricsWithTargets: 10,
    problems: 20_000,
  },
  S: {
    name: 'S',
    unitsPerLevel: [2, 3, 6, 20, 268],
    cadres: 10_000,
    studyRecords: 100_000,
    activities: 20_000,
    attendancePerActivity: 3,
    metrics: 100,
    reportingUnits: 100,
    months: 48,
    metricsWithTargets: 10,
    problems: 2_000,
  },
  XS: {
    name: 'XS',
    unitsPerLevel: [2, 3, 4, 8, 42],
    cadres: 1_000,
    studyRecords: 10_000,
    activities: 1_000,
    attendancePerActivity: 3,
    metrics: 10,
    reportingUnits: 20,
    months: 24,
    metricsWithTargets: 5,
    problems: 200,
  },
};

export function datasetSize(name: string): DatasetSize {
  const size = datasetSizes[name.toUpperCase() as DatasetSize['name']];
  if (!size) throw new Error(`Unknown dataset size ${name}: use ${Object.keys(datasetSizes).join(', ')}`);
  return size;
}

/** The first day of the last month of observations; series and targets end with 2012. */
export const LAST_MONTH = '2012-12-01';
export const STUDY_YEAR = 2012;
export const CAMPAIGN_CODE = 'SIX_TYPE_2012';

/** The account the benchmark signs in as (demo). */
export const BENCH_ADMIN = { username: 'bench.admin', password: 'bench admin password (demo)' } as const;

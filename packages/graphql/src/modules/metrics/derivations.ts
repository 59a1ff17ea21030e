import { type Executor, type MetricAggregation, type MetricKind, timeZoneSql } from '@sixtype/db';
import { type SQL, sql } from 'drizzle-orm';

/** What a derivation's SQL may refer to, besides the months asked for. */
export interface DerivationScope {
  /** First and last day of the months wanted (as SQL dates). */
  from: SQL;
  to: SQL;
  /** The metric's argument as SQL text (the part after `NAME:`), for a derivation that takes one. */
  argument: SQL;
  /** The id and ltree path of the unit the series is asked for (its subtree root). */
  rootId: SQL;
  rootPath: SQL;
}

/**
 * A figure the platform computes from its own data. `monthly` selects `(organization_id,
 * period_start, value)` rows, one per unit and month (period_start the 1st), for months between
 * `from` and `to`; the series rolls them up like submitted monthly observations. Derived figures
 * have no revisions: they read the data as it is now.
 */
export interface Derivation {
  description: string;
  /**
   * What the figure is about, when it takes an argument (a campaign's code): the metric's
   * derivation is then written `NAME:ARGUMENT`, e.g. `STUDY_COMPLIANCE_RATE:SIX_TYPE_2012`.
   */
  argument?: {
    description: string;
    pattern: RegExp;
    /** Looks the argument up (the campaign exists): a message when it is wrong, else null. */
    check?: (db: Executor, value: string) => Promise<string | null>;
  };
  /**
   * The kind and aggregation a metric using it must have. A rate over a subtree is computed for the
   * subtree's root itself (aggregation NONE), since rates of units do not add up.
   */
  requires?: { kind?: MetricKind; aggregation?: MetricAggregation };
  monthly(scope: DerivationScope): SQL;
}

const registry = new Map<string, Derivation>();

/** Modules publish their figures here (at import time), e.g. activities held or study compliance. */
export function registerDerivation(name: string, derivation: Derivation) {
  registry.set(name, derivation);
}

/** The registered derivations, each written as a metric would name it (`NAME` or `NAME:<argument>`). */
export function derivationNames(): string[] {
  return [...registry.entries()]
    .map(([name, derivation]) => (derivation.argument ? `${name}:<${derivation.argument.description}>` : name))
    .sort();
}

/** A metric's `derivation` text, split and looked up; `error` says what is wrong with it. */
export function parseDerivation(
  text: string,
): { name: string; argument: string | null; derivation: Derivation } | { error: string } {
  const separator = text.indexOf(':');
  const name = separator < 0 ? text : text.slice(0, separator);
  const argument = separator < 0 ? null : text.slice(separator + 1);
  const derivation = registry.get(name);
  if (!derivation) return { error: `must be one of ${derivationNames().join(', ')}` };
  if (derivation.argument) {
    if (argument === null || !derivation.argument.pattern.test(argument)) {
      return { error: `${name} takes an argument: ${name}:<${derivation.argument.description}>` };
    }
  } else if (argument !== null) {
    return { error: `${name} takes no argument` };
  }
  return { name, argument, derivation };
}

/**
 * Every registered derivation as one union, each branch only for the requested metrics (the
 * `metrics` CTE of the series) that use it. `root` names the CTE holding the series' unit.
 */
export function derivedObservationsSql(range: { from: SQL; to: SQL }): SQL | undefined {
  const scope = { ...range, rootId: sql`(select root.id from root)`, rootPath: sql`(select root.path from root)` };
  const branches = [...registry.entries()].map(([name, derivation]) =>
    derivation.argument
      ? // Evaluated once per requested metric naming it, with that metric's argument.
        sql`
      select m.id as metric_id, d.organization_id, d.period_start::date as period_start, d.value::numeric as value,
             1 as revision, ('derived: ' || m.derivation)::text as source
      from metrics m
      cross join lateral (${derivation.monthly({ ...scope, argument: sql`substr(m.derivation, ${name.length + 2})` })}) d
      where m.derivation like ${`${name}:%`}`
      : sql`
      select m.id as metric_id, d.organization_id, d.period_start::date as period_start, d.value::numeric as value,
             1 as revision, ${`derived: ${name}`}::text as source
      from metrics m
      join (
        select * from (${derivation.monthly({ ...scope, argument: sql`null` })}) source
        -- A one-time filter: the source is not scanned at all unless a requested metric uses it.
        where exists (select 1 from metrics used where used.derivation = ${name})
      ) d on m.derivation = ${name}`,
  );
  return branches.length > 0 ? sql.join(branches, sql` union all `) : undefined;
}

registerDerivation('CADRE_TRANSFERS_IN', {
  description: 'Cadres transferred into the unit, by the month the transfer took effect.',
  monthly: ({ from, to }) => sql`
    select t.to_organization_id as organization_id, date_trunc('month', t.effective_on)::date as period_start,
           count(*) as value
    from cadre_transfers t
    where t.effective_on between ${from} and ${to}
    group by 1, 2`,
});

// Campaign figures. Times are read in China Standard Time, the zone's own calendar.
registerDerivation('ACTIVITIES_HELD', {
  description:
    'Campaign activities held by the unit, by month: each occurrence of a recurring activity counts in its own month.',
  monthly: ({ from, to }) => sql`
    select a.organizer_organization_id as organization_id, date_trunc('month', occ.day)::date as period_start,
           count(*) as value
    from activity_occurrences occ
    join activities a on a.id = occ.activity_id
    where occ.day between ${from} and ${to}
    group by 1, 2`,
});

registerDerivation('PROBLEMS_CLOSED', {
  description: 'Rectification problems of the unit closed (accepted) in the month.',
  monthly: ({ from, to }) => sql`
    select p.organization_id,
           date_trunc('month', t.occurred_at at time zone ${timeZoneSql()})::date as period_start,
           count(*) as value
    from problem_transitions t
    join problems p on p.id = t.problem_id
    where t.to_state = 'CLOSED'
      and (t.occurred_at at time zone ${timeZoneSql()})::date between ${from} and ${to}
    group by 1, 2`,
});

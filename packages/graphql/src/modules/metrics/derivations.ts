import { type Executor, type MetricAggregation, type MetricKind, now, timeZoneSql } from '@sixtype/db';
import { type SQL, sql } from 'drizzle-orm';

/** What a derivation's SQL may refer to, besides the months asked for. */
export interface DerivationScope {
  /** First and last day of the months wanted (as SQL dates). */
  from: SQL;
  to: SQL;
  /** The metric's argument as SQL text (the part after `NAME:`), for a derivation that takes one. */
  argument: SQL;
  /**
   * The units whose figures are wanted, as a subquery of organization ids: the series' unit alone,
   * or with its subtree when `includeDescendants` is set (a ranking: every ranked unit's subtree).
   */
  units: SQL;
  /** The id of the series' unit, for a figure computed for the unit as a whole (`perRoot`). */
  rootId: SQL;
  /** The current instant: a figure counts nothing that has not happened yet. */
  now: SQL;
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
  /**
   * The figure is computed for the series' unit as a whole (a rate over its cadres), not per unit
   * and added up: it has no per-unit rows, so it cannot be ranked across units.
   */
  perRoot?: boolean;
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

/** Whether the derivation named by a metric's `derivation` text is computed per root unit. */
export function isPerRootDerivation(text: string): boolean {
  const parsed = parseDerivation(text);
  return !('error' in parsed) && parsed.derivation.perRoot === true;
}

/**
 * The derivations `names` (every registered one for `all`) as one union, each branch only for the
 * requested metrics (the `metrics` CTE of the rollup) that use it; undefined when none is wanted,
 * so a statement for submitted figures carries no derived branch at all.
 */
export function derivedObservationsSql(range: {
  from: SQL;
  to: SQL;
  units: SQL;
  rootId: SQL;
  names: readonly string[] | 'all';
}): SQL | undefined {
  const scope = {
    from: range.from,
    to: range.to,
    units: range.units,
    rootId: range.rootId,
    now: sql`${now().toISOString()}::timestamptz`,
  };
  const wanted = [...registry.entries()].filter(([name]) => range.names === 'all' || range.names.includes(name));
  const branches = wanted.map(([name, derivation]) =>
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

/** The derivation name of a metric's `derivation` text (`NAME` of `NAME:ARGUMENT`). */
export const derivationNameOf = (text: string) => text.split(':')[0] ?? text;

registerDerivation('CADRE_TRANSFERS_IN', {
  description: 'Cadres transferred into the unit, by the month the transfer took effect.',
  monthly: ({ from, to, units }) => sql`
    select t.to_organization_id as organization_id, date_trunc('month', t.effective_on)::date as period_start,
           count(*) as value
    from cadre_transfers t
    where t.effective_on between ${from} and ${to} and t.to_organization_id in ${units}
    group by 1, 2`,
});

// Campaign figures. Days are read in the installation's time zone (the clock's).
registerDerivation('ACTIVITIES_HELD', {
  description:
    'Campaign activities held by the unit, by month: each occurrence of a recurring activity counts in its own month, once it has begun.',
  monthly: ({ from, to, units, now }) => sql`
    select a.organizer_organization_id as organization_id, date_trunc('month', occ.day)::date as period_start,
           count(*) as value
    from activity_occurrences occ
    join activities a on a.id = occ.activity_id
    where occ.day between ${from} and ${to} and occ.starts_at <= ${now}
      and a.organizer_organization_id in ${units}
    group by 1, 2`,
});

registerDerivation('PROBLEMS_CLOSED', {
  description:
    'Rectification problems of the unit closed (accepted), in the month of their last close; a reopened problem counts again only when closed again, and then once.',
  monthly: ({ from, to, units }) => sql`
    select p.organization_id, date_trunc('month', closed.day)::date as period_start, count(*) as value
    from problems p
    cross join lateral (
      select (max(t.occurred_at) at time zone ${timeZoneSql()})::date as day
      from problem_transitions t where t.problem_id = p.id and t.to_state = 'CLOSED'
    ) closed
    where p.state = 'CLOSED' and p.organization_id in ${units} and closed.day between ${from} and ${to}
    group by 1, 2`,
});

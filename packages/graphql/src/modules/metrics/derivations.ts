import { type SQL, sql } from 'drizzle-orm';

/**
 * A figure the platform computes from its own data. `monthly` selects `(organization_id,
 * period_start, value)` rows, one per unit and month (period_start the 1st), for months between
 * `from` and `to`; the series rolls them up like submitted monthly observations. Derived figures
 * have no revisions: they read the data as it is now.
 */
export interface Derivation {
  description: string;
  monthly(range: { from: SQL; to: SQL }): SQL;
}

const registry = new Map<string, Derivation>();

/** Modules publish their figures here (at import time), e.g. activities held or study compliance. */
export function registerDerivation(name: string, derivation: Derivation) {
  registry.set(name, derivation);
}

export function derivationNames(): string[] {
  return [...registry.keys()].sort();
}

/** Every registered derivation as one union, each branch only for the metrics that use it. */
export function derivedObservationsSql(range: { from: SQL; to: SQL }): SQL | undefined {
  const branches = [...registry.entries()].map(
    ([name, derivation]) => sql`
      select m.id as metric_id, d.organization_id, d.period_start::date as period_start, d.value::numeric as value,
             1 as revision, ${`derived: ${name}`}::text as source
      from metrics m
      join (
        select * from (${derivation.monthly(range)}) source
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
    'Campaign activities organized by the unit, by the month they start (a recurring activity counts once, in its first month).',
  monthly: ({ from, to }) => sql`
    select a.organizer_organization_id as organization_id,
           date_trunc('month', a.starts_at at time zone 'Asia/Shanghai')::date as period_start,
           count(*) as value
    from activities a
    where (a.starts_at at time zone 'Asia/Shanghai')::date between ${from} and ${to}
    group by 1, 2`,
});

registerDerivation('PROBLEMS_CLOSED', {
  description: 'Rectification problems of the unit closed (accepted) in the month.',
  monthly: ({ from, to }) => sql`
    select p.organization_id,
           date_trunc('month', t.occurred_at at time zone 'Asia/Shanghai')::date as period_start,
           count(*) as value
    from problem_transitions t
    join problems p on p.id = t.problem_id
    where t.to_state = 'CLOSED'
      and (t.occurred_at at time zone 'Asia/Shanghai')::date between ${from} and ${to}
    group by 1, 2`,
});

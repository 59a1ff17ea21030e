-- metric_observations partitioned by the year of period_start (drizzle-kit records only the new
-- primary key; the rest is written here). Metric series, rollups and the headline all filter by a
-- period range, so a statement reads the partitions of the years it asks for, and an old year can
-- be detached or archived without touching the others.
--
-- Naming, relied on by the code: a year's partition is metric_observations_y<year>, the catch-all
-- metric_observations_default, and each partition's indexes are the table's name followed by
-- _pkey, _revision_key, _period_idx and _org_idx (a unique violation names the partition's index:
-- metrics.service.ts, isRevisionRace).
ALTER TABLE "metric_observations" RENAME TO "metric_observations_unpartitioned";--> statement-breakpoint
ALTER TABLE "metric_observations_unpartitioned" RENAME CONSTRAINT "metric_observations_pkey" TO "metric_observations_unpartitioned_pkey";--> statement-breakpoint
ALTER INDEX "metric_observations_revision_key" RENAME TO "metric_observations_unpartitioned_revision_key";--> statement-breakpoint
ALTER INDEX "metric_observations_period_idx" RENAME TO "metric_observations_unpartitioned_period_idx";--> statement-breakpoint
ALTER INDEX "metric_observations_org_idx" RENAME TO "metric_observations_unpartitioned_org_idx";--> statement-breakpoint
ALTER TABLE "metric_observations_unpartitioned" ALTER COLUMN "id" DROP IDENTITY;--> statement-breakpoint
-- The same columns, defaults and checks (under their names) as the table it replaces.
CREATE TABLE "metric_observations" (LIKE "metric_observations_unpartitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE ("period_start");--> statement-breakpoint
ALTER TABLE "metric_observations" ALTER COLUMN "id" ADD GENERATED ALWAYS AS IDENTITY (sequence name "metric_observations_id_seq");--> statement-breakpoint
ALTER TABLE "metric_observations" ADD CONSTRAINT "metric_observations_pkey" PRIMARY KEY("id","period_start");--> statement-breakpoint
CREATE UNIQUE INDEX "metric_observations_revision_key" ON "metric_observations" ("metric_id","organization_id","granularity","period_start","revision");--> statement-breakpoint
CREATE INDEX "metric_observations_period_idx" ON "metric_observations" ("metric_id","granularity","period_start");--> statement-breakpoint
CREATE INDEX "metric_observations_org_idx" ON "metric_observations" ("organization_id","metric_id");--> statement-breakpoint
ALTER TABLE "metric_observations" ADD CONSTRAINT "metric_observations_metric_id_metric_definitions_id_fkey" FOREIGN KEY ("metric_id") REFERENCES "metric_definitions"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "metric_observations" ADD CONSTRAINT "metric_observations_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "metric_observations" ADD CONSTRAINT "metric_observations_batch_id_metric_batches_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "metric_batches"("id") ON DELETE RESTRICT;--> statement-breakpoint
-- A partition-to-be with the parent's columns, checks and indexes under its own names; attached
-- by the caller. The parent's foreign keys reach it on attach.
CREATE FUNCTION "metric_observations_new_partition"(part text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE %I (LIKE metric_observations INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (id, period_start)', part, part || '_pkey');
  EXECUTE format('CREATE UNIQUE INDEX %I ON %I (metric_id, organization_id, granularity, period_start, revision)', part || '_revision_key', part);
  EXECUTE format('CREATE INDEX %I ON %I (metric_id, granularity, period_start)', part || '_period_idx', part);
  EXECUTE format('CREATE INDEX %I ON %I (organization_id, metric_id)', part || '_org_idx', part);
END
$$;--> statement-breakpoint
-- The partition of a year, made if missing; the year's rows waiting in the default partition move
-- into it. Idempotent, and safe from several processes at once (one at a time, by an advisory lock).
CREATE FUNCTION "metric_observations_partition"(year integer) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  part text := format('metric_observations_y%s', year);
  lower_bound date := make_date(year, 1, 1);
  upper_bound date := make_date(year + 1, 1, 1);
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('metric_observations_partition'));
  IF to_regclass(part) IS NOT NULL THEN
    RETURN part;
  END IF;
  PERFORM metric_observations_new_partition(part);
  -- Writers wait while the year's rows leave the default partition (ATTACH takes this lock too).
  LOCK TABLE metric_observations_default IN ACCESS EXCLUSIVE MODE;
  EXECUTE format(
    'INSERT INTO %I SELECT * FROM metric_observations_default WHERE period_start >= $1 AND period_start < $2',
    part
  ) USING lower_bound, upper_bound;
  DELETE FROM metric_observations_default WHERE period_start >= lower_bound AND period_start < upper_bound;
  -- The bound as a check first, so ATTACH need not scan the partition; dropped once attached.
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (period_start >= %L AND period_start < %L)',
    part, part || '_bounds', lower_bound, upper_bound);
  EXECUTE format('ALTER TABLE metric_observations ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
    part, lower_bound, upper_bound);
  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_bounds');
  RETURN part;
END
$$;--> statement-breakpoint
-- What the worker's daily job and every migrate run: this year's and next year's partitions, and
-- one for each year that has rows in the default partition. Returns the partitions it made.
CREATE FUNCTION "metric_observations_maintain"() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  this_year integer := extract(year FROM current_date)::integer;
  y integer;
BEGIN
  FOR y IN
    SELECT DISTINCT extract(year FROM period_start)::integer FROM metric_observations_default
    UNION SELECT this_year UNION SELECT this_year + 1
    ORDER BY 1
  LOOP
    IF to_regclass(format('metric_observations_y%s', y)) IS NULL THEN
      RETURN NEXT metric_observations_partition(y);
    END IF;
  END LOOP;
END
$$;--> statement-breakpoint
SELECT metric_observations_new_partition('metric_observations_default');--> statement-breakpoint
ALTER TABLE "metric_observations" ATTACH PARTITION "metric_observations_default" DEFAULT;--> statement-breakpoint
SELECT metric_observations_partition(y)
FROM (
  SELECT DISTINCT extract(year FROM period_start)::integer AS y FROM metric_observations_unpartitioned
  UNION SELECT extract(year FROM current_date)::integer
  UNION SELECT extract(year FROM current_date)::integer + 1
) AS years
ORDER BY y;--> statement-breakpoint
INSERT INTO "metric_observations" OVERRIDING SYSTEM VALUE SELECT * FROM "metric_observations_unpartitioned";--> statement-breakpoint
SELECT setval(pg_get_serial_sequence('metric_observations', 'id'), max(id)) FROM "metric_observations_unpartitioned" HAVING max(id) IS NOT NULL;--> statement-breakpoint
DROP TABLE "metric_observations_unpartitioned";

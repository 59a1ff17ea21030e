CREATE TYPE "metric_reporting" AS ENUM('OWN', 'TOTAL');--> statement-breakpoint
DROP INDEX "metric_targets_period_key";--> statement-breakpoint
ALTER TABLE "metric_definitions" ADD COLUMN "reported_as" "metric_reporting" DEFAULT 'OWN'::"metric_reporting" NOT NULL;--> statement-breakpoint
ALTER TABLE "metric_definitions" ADD COLUMN "numerator_metric_id" integer;--> statement-breakpoint
ALTER TABLE "metric_definitions" ADD COLUMN "denominator_metric_id" integer;--> statement-breakpoint
ALTER TABLE "metric_definitions" ADD COLUMN "ratio_multiplier" numeric DEFAULT '1' NOT NULL;--> statement-breakpoint
ALTER TABLE "metric_targets" ADD COLUMN "revision" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "metric_targets" ADD COLUMN "recorded_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "metric_targets_revision_key" ON "metric_targets" ("metric_id","organization_id","granularity","period_start","revision");--> statement-breakpoint
ALTER TABLE "metric_definitions" ADD CONSTRAINT "metric_definitions_NmeAgcenkK6O_fkey" FOREIGN KEY ("numerator_metric_id") REFERENCES "metric_definitions"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "metric_definitions" ADD CONSTRAINT "metric_definitions_grX4o6zm4TbH_fkey" FOREIGN KEY ("denominator_metric_id") REFERENCES "metric_definitions"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "metric_definitions" ADD CONSTRAINT "metric_definitions_ratio_parts" CHECK (("numerator_metric_id" is null) = ("denominator_metric_id" is null) and ("numerator_metric_id" is null or "kind" = 'RATIO'));--> statement-breakpoint
ALTER TABLE "metric_definitions" ADD CONSTRAINT "metric_definitions_ratio_not_summed" CHECK (not ("kind" = 'RATIO' and "aggregation" = 'SUM'));--> statement-breakpoint
ALTER TABLE "metric_targets" ADD CONSTRAINT "metric_targets_revision_positive" CHECK ("revision" >= 1);
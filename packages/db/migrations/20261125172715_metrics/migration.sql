CREATE TYPE "granularity" AS ENUM('MONTH', 'QUARTER', 'YEAR');--> statement-breakpoint
CREATE TYPE "metric_aggregation" AS ENUM('SUM', 'AVG', 'MAX', 'MIN', 'NONE');--> statement-breakpoint
CREATE TYPE "metric_direction" AS ENUM('HIGHER_IS_BETTER', 'LOWER_IS_BETTER');--> statement-breakpoint
CREATE TYPE "metric_kind" AS ENUM('FLOW', 'STOCK', 'RATIO');--> statement-breakpoint
CREATE TABLE "metric_batches" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "metric_batches_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"idempotency_key" varchar(200) NOT NULL,
	"actor_kind" "actor_kind" NOT NULL,
	"actor_id" varchar(64),
	"payload_hash" varchar(64) NOT NULL,
	"result" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "metric_definitions" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "metric_definitions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"code" varchar(64) NOT NULL UNIQUE,
	"name" varchar(200) NOT NULL,
	"unit" varchar(20) NOT NULL,
	"kind" "metric_kind" NOT NULL,
	"aggregation" "metric_aggregation" NOT NULL,
	"direction" "metric_direction" NOT NULL,
	"category" varchar(64),
	"description" text,
	"reporting_granularity" "granularity" NOT NULL,
	"owner_organization_id" integer,
	"sort_order" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "metric_definitions_code_format" CHECK ("code" ~ '^[A-Z][A-Z0-9_]*$'),
	CONSTRAINT "metric_definitions_name_not_blank" CHECK (length(btrim("name")) > 0)
);
--> statement-breakpoint
CREATE TABLE "metric_observations" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "metric_observations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"metric_id" integer NOT NULL,
	"organization_id" integer NOT NULL,
	"granularity" "granularity" NOT NULL,
	"period_start" date NOT NULL,
	"value" numeric NOT NULL,
	"revision" integer NOT NULL,
	"source" varchar(200) NOT NULL,
	"batch_id" bigint,
	"submitted_by_kind" "actor_kind" NOT NULL,
	"submitted_by_id" varchar(64),
	"recorded_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "metric_observations_aligned" CHECK ("period_start" = date_trunc(lower("granularity"::text), "period_start"::timestamp)::date),
	CONSTRAINT "metric_observations_revision_positive" CHECK ("revision" >= 1)
);
--> statement-breakpoint
CREATE TABLE "metric_targets" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "metric_targets_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"metric_id" integer NOT NULL,
	"organization_id" integer NOT NULL,
	"granularity" "granularity" NOT NULL,
	"period_start" date NOT NULL,
	"value" numeric NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "metric_targets_aligned" CHECK ("period_start" = date_trunc(lower("granularity"::text), "period_start"::timestamp)::date)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "metric_batches_key" ON "metric_batches" ("actor_kind",coalesce("actor_id", ''),"idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "metric_observations_revision_key" ON "metric_observations" ("metric_id","organization_id","granularity","period_start","revision");--> statement-breakpoint
CREATE INDEX "metric_observations_period_idx" ON "metric_observations" ("metric_id","granularity","period_start");--> statement-breakpoint
CREATE INDEX "metric_observations_org_idx" ON "metric_observations" ("organization_id","metric_id");--> statement-breakpoint
CREATE UNIQUE INDEX "metric_targets_period_key" ON "metric_targets" ("metric_id","organization_id","granularity","period_start");--> statement-breakpoint
ALTER TABLE "metric_definitions" ADD CONSTRAINT "metric_definitions_owner_organization_id_organizations_id_fkey" FOREIGN KEY ("owner_organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "metric_observations" ADD CONSTRAINT "metric_observations_metric_id_metric_definitions_id_fkey" FOREIGN KEY ("metric_id") REFERENCES "metric_definitions"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "metric_observations" ADD CONSTRAINT "metric_observations_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "metric_observations" ADD CONSTRAINT "metric_observations_batch_id_metric_batches_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "metric_batches"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "metric_targets" ADD CONSTRAINT "metric_targets_metric_id_metric_definitions_id_fkey" FOREIGN KEY ("metric_id") REFERENCES "metric_definitions"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "metric_targets" ADD CONSTRAINT "metric_targets_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT;
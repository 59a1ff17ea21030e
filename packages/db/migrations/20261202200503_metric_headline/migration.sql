ALTER TABLE "metric_definitions" ADD COLUMN "headline" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- The metrics defined before the flag existed were all in the report: they stay there.
UPDATE "metric_definitions" SET "headline" = true;

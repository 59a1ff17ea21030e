ALTER TABLE "study_plans" DROP CONSTRAINT "study_plans_campaign_code_format";--> statement-breakpoint
ALTER TABLE "study_requirements" DROP CONSTRAINT "study_requirements_campaign_code_format";--> statement-breakpoint
ALTER TABLE "study_plan_topics" ADD COLUMN "activity_id" integer;--> statement-breakpoint
ALTER TABLE "study_records" ADD COLUMN "activity_id" integer;--> statement-breakpoint
CREATE INDEX "study_plan_topics_activity_idx" ON "study_plan_topics" ("activity_id");--> statement-breakpoint
CREATE INDEX "study_records_activity_idx" ON "study_records" ("activity_id");--> statement-breakpoint
ALTER TABLE "study_plan_topics" ADD CONSTRAINT "study_plan_topics_activity_id_activities_id_fkey" FOREIGN KEY ("activity_id") REFERENCES "activities"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "study_plans" ADD CONSTRAINT "study_plans_campaign_code_campaigns_code_fkey" FOREIGN KEY ("campaign_code") REFERENCES "campaigns"("code") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "study_records" ADD CONSTRAINT "study_records_activity_id_activities_id_fkey" FOREIGN KEY ("activity_id") REFERENCES "activities"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "study_requirements" ADD CONSTRAINT "study_requirements_campaign_code_campaigns_code_fkey" FOREIGN KEY ("campaign_code") REFERENCES "campaigns"("code") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "study_plan_topics" ADD CONSTRAINT "study_plan_topics_activity_held" CHECK ("activity_id" is null or "held_on" is not null);
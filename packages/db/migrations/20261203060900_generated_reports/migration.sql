ALTER TYPE "webhook_event_type" ADD VALUE 'REPORT_READY';--> statement-breakpoint
CREATE TABLE "generated_reports" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "generated_reports_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"campaign_id" integer NOT NULL,
	"organization_id" integer NOT NULL,
	"period_label" varchar(40) NOT NULL,
	"format" varchar(8) NOT NULL,
	"content" bytea NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "generated_reports_format_known" CHECK ("format" in ('md', 'html', 'pdf'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "generated_reports_campaign_org_period_format_key" ON "generated_reports" ("campaign_id","organization_id","period_label","format");--> statement-breakpoint
ALTER TABLE "generated_reports" ADD CONSTRAINT "generated_reports_campaign_id_campaigns_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "generated_reports" ADD CONSTRAINT "generated_reports_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE;
CREATE TYPE "reminder_rule_code" AS ENUM('STUDY_CADRE_BEHIND', 'STUDY_UNIT_COMPLIANCE', 'PROBLEM_DEADLINE', 'CADENCE_GAP', 'LEADING_GROUP_MISSING');--> statement-breakpoint
CREATE TYPE "reminder_subject_type" AS ENUM('CADRE', 'ORGANIZATION', 'PROBLEM');--> statement-breakpoint
CREATE TABLE "job_worker_heartbeats" (
	"worker_id" varchar(100) PRIMARY KEY,
	"beat_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "notifications_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"recipient_user_id" integer NOT NULL,
	"reminder_id" bigint NOT NULL,
	"read_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reminder_rule_settings" (
	"rule_code" "reminder_rule_code" PRIMARY KEY,
	"enabled" boolean DEFAULT true NOT NULL,
	"thresholds" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reminders" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "reminders_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"rule_code" "reminder_rule_code" NOT NULL,
	"subject_type" "reminder_subject_type" NOT NULL,
	"subject_id" integer NOT NULL,
	"period_key" varchar(40) NOT NULL,
	"campaign_code" varchar(64) NOT NULL,
	"organization_id" integer NOT NULL,
	"cadre_id" integer,
	"title" varchar(300) NOT NULL,
	"details" jsonb NOT NULL,
	"is_demo" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_reminder_recipient_key" ON "notifications" ("reminder_id","recipient_user_id");--> statement-breakpoint
CREATE INDEX "notifications_recipient_idx" ON "notifications" ("recipient_user_id","id");--> statement-breakpoint
CREATE INDEX "notifications_unread_idx" ON "notifications" ("recipient_user_id") WHERE "read_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "reminders_rule_subject_period_key" ON "reminders" ("rule_code","subject_type","subject_id","period_key");--> statement-breakpoint
CREATE INDEX "reminders_organization_idx" ON "reminders" ("organization_id","id");--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_recipient_user_id_users_id_fkey" FOREIGN KEY ("recipient_user_id") REFERENCES "users"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_reminder_id_reminders_id_fkey" FOREIGN KEY ("reminder_id") REFERENCES "reminders"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "reminders" ADD CONSTRAINT "reminders_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "reminders" ADD CONSTRAINT "reminders_cadre_id_cadres_id_fkey" FOREIGN KEY ("cadre_id") REFERENCES "cadres"("id") ON DELETE CASCADE;
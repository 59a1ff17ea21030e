CREATE TYPE "activity_kind" AS ENUM('CONCENTRATED_STUDY', 'TOPIC_TUTORING', 'SELF_STUDY', 'EXPERT_LECTURE', 'STUDY_TOUR', 'CENTER_GROUP_STUDY', 'DISPATCH_MEETING', 'INSPECTION', 'FIELD_VISIT', 'BENCHMARKING_VISIT', 'LANGUAGE_DAY', 'EXPERIENCE_EXCHANGE', 'HEART_TO_HEART_TALK', 'OTHER');--> statement-breakpoint
CREATE TYPE "attendance_status" AS ENUM('PRESENT', 'ABSENT', 'ON_LEAVE');--> statement-breakpoint
CREATE TYPE "cadence_period" AS ENUM('HALF_MONTH', 'MONTH');--> statement-breakpoint
CREATE TYPE "leading_group_role" AS ENUM('LEADER', 'DEPUTY_LEADER', 'MEMBER');--> statement-breakpoint
CREATE TYPE "problem_severity" AS ENUM('LOW', 'MEDIUM', 'HIGH');--> statement-breakpoint
CREATE TYPE "problem_source" AS ENUM('SURVEY', 'INSPECTION', 'SELF_CHECK', 'PUBLIC_REPORT');--> statement-breakpoint
CREATE TYPE "problem_state" AS ENUM('FOUND', 'RECTIFYING', 'AWAITING_ACCEPTANCE', 'CLOSED', 'REOPENED');--> statement-breakpoint
CREATE TYPE "study_audience" AS ENUM('ALL_CADRES', 'LEADERS_ONLY');--> statement-breakpoint
CREATE TYPE "study_material_kind" AS ENUM('POLICY', 'BOOK', 'OTHER');--> statement-breakpoint
CREATE TYPE "study_method" AS ENUM('CONCENTRATED', 'TOPIC_TUTORING', 'SELF_STUDY', 'HEART_TO_HEART', 'EXPERIENCE_EXCHANGE');--> statement-breakpoint
CREATE TYPE "study_requirement_group_kind" AS ENUM('ALL', 'CHOICE');--> statement-breakpoint
CREATE TABLE "activities" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "activities_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"campaign_id" integer NOT NULL,
	"organizer_organization_id" integer NOT NULL,
	"kind" "activity_kind" NOT NULL,
	"title" varchar(200) NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone,
	"place" varchar(200),
	"summary" text,
	"recurrence" varchar(500),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "activities_title_not_blank" CHECK (length(btrim("title")) > 0),
	CONSTRAINT "activities_times_ordered" CHECK ("ends_at" is null or "ends_at" >= "starts_at")
);
--> statement-breakpoint
CREATE TABLE "activity_attendance" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "activity_attendance_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"activity_id" integer NOT NULL,
	"cadre_id" integer NOT NULL,
	"occurs_on" date NOT NULL,
	"status" "attendance_status" NOT NULL,
	"note" varchar(200),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "activity_dimensions" (
	"activity_id" integer,
	"dimension_id" integer,
	CONSTRAINT "activity_dimensions_pkey" PRIMARY KEY("activity_id","dimension_id")
);
--> statement-breakpoint
CREATE TABLE "activity_participants" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "activity_participants_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"activity_id" integer NOT NULL,
	"cadre_id" integer NOT NULL,
	"paired_village" varchar(100),
	"paired_enterprise" varchar(100),
	"paired_community" varchar(100),
	"host_unit" varchar(100)
);
--> statement-breakpoint
CREATE TABLE "campaign_capabilities" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "campaign_capabilities_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"campaign_id" integer NOT NULL,
	"code" varchar(64) NOT NULL,
	"name" varchar(100) NOT NULL,
	"sort_order" integer NOT NULL,
	CONSTRAINT "campaign_capabilities_code_format" CHECK ("code" ~ '^[A-Z][A-Z0-9_]*$')
);
--> statement-breakpoint
CREATE TABLE "campaign_conduct_pairs" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "campaign_conduct_pairs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"campaign_id" integer NOT NULL,
	"less" varchar(100) NOT NULL,
	"more" varchar(100) NOT NULL,
	"sort_order" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaign_dimensions" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "campaign_dimensions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"campaign_id" integer NOT NULL,
	"code" varchar(64) NOT NULL,
	"name" varchar(100) NOT NULL,
	"sort_order" integer NOT NULL,
	CONSTRAINT "campaign_dimensions_code_format" CHECK ("code" ~ '^[A-Z][A-Z0-9_]*$')
);
--> statement-breakpoint
CREATE TABLE "campaign_expected_changes" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "campaign_expected_changes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"campaign_id" integer NOT NULL,
	"text" varchar(200) NOT NULL,
	"sort_order" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "campaigns_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"code" varchar(64) NOT NULL UNIQUE,
	"name" varchar(200) NOT NULL,
	"slogan" varchar(200),
	"starts_on" date,
	"ends_on" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaigns_code_format" CHECK ("code" ~ '^[A-Z][A-Z0-9_]*$'),
	CONSTRAINT "campaigns_name_not_blank" CHECK (length(btrim("name")) > 0),
	CONSTRAINT "campaigns_dates_ordered" CHECK ("ends_on" is null or "starts_on" is null or "ends_on" >= "starts_on")
);
--> statement-breakpoint
CREATE TABLE "leading_group_members" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "leading_group_members_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"leading_group_id" integer NOT NULL,
	"cadre_id" integer NOT NULL,
	"role" "leading_group_role" NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "leading_groups" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "leading_groups_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"campaign_id" integer NOT NULL,
	"organization_id" integer NOT NULL,
	"name" varchar(200) NOT NULL,
	"office_organization_id" integer,
	"established_on" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "problem_categories" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "problem_categories_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"code" varchar(64) NOT NULL UNIQUE,
	"name" varchar(20) NOT NULL,
	"description" text,
	"sort_order" integer NOT NULL,
	CONSTRAINT "problem_categories_code_format" CHECK ("code" ~ '^[A-Z][A-Z0-9_]*$')
);
--> statement-breakpoint
CREATE TABLE "problem_transitions" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "problem_transitions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"problem_id" integer NOT NULL,
	"from_state" "problem_state",
	"to_state" "problem_state" NOT NULL,
	"actor_kind" "actor_kind" NOT NULL,
	"actor_id" varchar(64),
	"comment" text,
	"occurred_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "problems" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "problems_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"campaign_id" integer NOT NULL,
	"organization_id" integer NOT NULL,
	"cadre_id" integer,
	"category_id" integer NOT NULL,
	"source" "problem_source" NOT NULL,
	"description" text NOT NULL,
	"severity" "problem_severity" NOT NULL,
	"responsible_cadre_id" integer,
	"deadline" date,
	"measures" text,
	"state" "problem_state" DEFAULT 'FOUND'::"problem_state" NOT NULL,
	"inspection_activity_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "problems_description_not_blank" CHECK (length(btrim("description")) > 0)
);
--> statement-breakpoint
CREATE TABLE "supervision_cadences" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "supervision_cadences_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"campaign_id" integer NOT NULL,
	"activity_kind" "activity_kind" NOT NULL,
	"period" "cadence_period" NOT NULL,
	"description" varchar(200)
);
--> statement-breakpoint
CREATE TABLE "study_materials" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "study_materials_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"code" varchar(64) NOT NULL UNIQUE,
	"title" varchar(200) NOT NULL,
	"kind" "study_material_kind" NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "study_materials_code_format" CHECK ("code" ~ '^[A-Z][A-Z0-9_]*$'),
	CONSTRAINT "study_materials_title_not_blank" CHECK (length(btrim("title")) > 0)
);
--> statement-breakpoint
CREATE TABLE "study_plan_topics" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "study_plan_topics_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"plan_id" integer NOT NULL,
	"month" integer NOT NULL,
	"title" varchar(200) NOT NULL,
	"readings" text,
	"key_points" text,
	"method" "study_method" DEFAULT 'CONCENTRATED'::"study_method" NOT NULL,
	"held_on" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "study_plan_topics_month_range" CHECK ("month" between 1 and 12),
	CONSTRAINT "study_plan_topics_title_not_blank" CHECK (length(btrim("title")) > 0)
);
--> statement-breakpoint
CREATE TABLE "study_plans" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "study_plans_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"organization_id" integer NOT NULL,
	"campaign_code" varchar(64) NOT NULL,
	"year" integer NOT NULL,
	"title" varchar(200) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "study_plans_campaign_code_format" CHECK ("campaign_code" ~ '^[A-Z][A-Z0-9_]*$'),
	CONSTRAINT "study_plans_year_range" CHECK ("year" between 1949 and 2200),
	CONSTRAINT "study_plans_title_not_blank" CHECK (length(btrim("title")) > 0)
);
--> statement-breakpoint
CREATE TABLE "study_records" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "study_records_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"cadre_id" integer NOT NULL,
	"studied_on" date NOT NULL,
	"material_id" integer,
	"method" "study_method" NOT NULL,
	"hours" numeric(4,1) DEFAULT '0' NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"note_characters" integer GENERATED ALWAYS AS (char_length(note)) STORED NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "study_records_hours_range" CHECK ("hours" >= 0 and "hours" <= 24),
	CONSTRAINT "study_records_note_length" CHECK (char_length("note") <= 100000)
);
--> statement-breakpoint
CREATE TABLE "study_requirement_group_materials" (
	"group_id" integer NOT NULL,
	"material_id" integer NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "study_requirement_groups" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "study_requirement_groups_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"requirement_id" integer NOT NULL,
	"name" varchar(200) NOT NULL,
	"kind" "study_requirement_group_kind" NOT NULL,
	"min_materials" integer,
	"sort_order" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "study_requirement_groups_min_materials" CHECK (("kind" = 'ALL' and "min_materials" is null) or ("kind" = 'CHOICE' and "min_materials" >= 1))
);
--> statement-breakpoint
CREATE TABLE "study_requirements" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "study_requirements_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"campaign_code" varchar(64) NOT NULL,
	"year" integer NOT NULL,
	"note_characters_quota" integer NOT NULL,
	"hours_quota" numeric(7,1),
	"audience" "study_audience" DEFAULT 'ALL_CADRES'::"study_audience" NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "study_requirements_campaign_code_format" CHECK ("campaign_code" ~ '^[A-Z][A-Z0-9_]*$'),
	CONSTRAINT "study_requirements_year_range" CHECK ("year" between 1949 and 2200),
	CONSTRAINT "study_requirements_quota_non_negative" CHECK ("note_characters_quota" >= 0),
	CONSTRAINT "study_requirements_hours_non_negative" CHECK ("hours_quota" is null or "hours_quota" >= 0)
);
--> statement-breakpoint
CREATE INDEX "activities_organizer_idx" ON "activities" ("organizer_organization_id","starts_at");--> statement-breakpoint
CREATE INDEX "activities_campaign_kind_idx" ON "activities" ("campaign_id","kind","starts_at");--> statement-breakpoint
CREATE UNIQUE INDEX "activity_attendance_key" ON "activity_attendance" ("activity_id","occurs_on","cadre_id");--> statement-breakpoint
CREATE INDEX "activity_attendance_cadre_idx" ON "activity_attendance" ("cadre_id","occurs_on");--> statement-breakpoint
CREATE INDEX "activity_dimensions_dimension_idx" ON "activity_dimensions" ("dimension_id");--> statement-breakpoint
CREATE UNIQUE INDEX "activity_participants_key" ON "activity_participants" ("activity_id","cadre_id");--> statement-breakpoint
CREATE INDEX "activity_participants_cadre_idx" ON "activity_participants" ("cadre_id");--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_capabilities_code_key" ON "campaign_capabilities" ("campaign_id","code");--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_capabilities_order_key" ON "campaign_capabilities" ("campaign_id","sort_order");--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_conduct_pairs_order_key" ON "campaign_conduct_pairs" ("campaign_id","sort_order");--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_dimensions_code_key" ON "campaign_dimensions" ("campaign_id","code");--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_dimensions_order_key" ON "campaign_dimensions" ("campaign_id","sort_order");--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_expected_changes_order_key" ON "campaign_expected_changes" ("campaign_id","sort_order");--> statement-breakpoint
CREATE UNIQUE INDEX "leading_group_members_cadre_key" ON "leading_group_members" ("leading_group_id","cadre_id");--> statement-breakpoint
CREATE INDEX "leading_group_members_cadre_idx" ON "leading_group_members" ("cadre_id");--> statement-breakpoint
CREATE UNIQUE INDEX "leading_groups_campaign_org_key" ON "leading_groups" ("campaign_id","organization_id");--> statement-breakpoint
CREATE INDEX "leading_groups_organization_idx" ON "leading_groups" ("organization_id");--> statement-breakpoint
CREATE INDEX "problem_transitions_problem_idx" ON "problem_transitions" ("problem_id","id");--> statement-breakpoint
CREATE INDEX "problems_organization_idx" ON "problems" ("organization_id","id");--> statement-breakpoint
CREATE INDEX "problems_state_deadline_idx" ON "problems" ("state","deadline");--> statement-breakpoint
CREATE INDEX "problems_category_idx" ON "problems" ("category_id");--> statement-breakpoint
CREATE UNIQUE INDEX "supervision_cadences_kind_key" ON "supervision_cadences" ("campaign_id","activity_kind");--> statement-breakpoint
CREATE UNIQUE INDEX "study_plan_topics_plan_month_key" ON "study_plan_topics" ("plan_id","month");--> statement-breakpoint
CREATE UNIQUE INDEX "study_plans_org_campaign_year_key" ON "study_plans" ("organization_id","campaign_code","year");--> statement-breakpoint
CREATE INDEX "study_records_cadre_day_idx" ON "study_records" ("cadre_id","studied_on");--> statement-breakpoint
CREATE INDEX "study_records_material_idx" ON "study_records" ("material_id");--> statement-breakpoint
CREATE UNIQUE INDEX "study_requirement_group_materials_key" ON "study_requirement_group_materials" ("group_id","material_id");--> statement-breakpoint
CREATE INDEX "study_requirement_group_materials_material_idx" ON "study_requirement_group_materials" ("material_id");--> statement-breakpoint
CREATE INDEX "study_requirement_groups_requirement_idx" ON "study_requirement_groups" ("requirement_id","sort_order","id");--> statement-breakpoint
CREATE UNIQUE INDEX "study_requirements_campaign_year_key" ON "study_requirements" ("campaign_code","year");--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_campaign_id_campaigns_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_organizer_organization_id_organizations_id_fkey" FOREIGN KEY ("organizer_organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "activity_attendance" ADD CONSTRAINT "activity_attendance_activity_id_activities_id_fkey" FOREIGN KEY ("activity_id") REFERENCES "activities"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "activity_attendance" ADD CONSTRAINT "activity_attendance_cadre_id_cadres_id_fkey" FOREIGN KEY ("cadre_id") REFERENCES "cadres"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "activity_dimensions" ADD CONSTRAINT "activity_dimensions_activity_id_activities_id_fkey" FOREIGN KEY ("activity_id") REFERENCES "activities"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "activity_dimensions" ADD CONSTRAINT "activity_dimensions_dimension_id_campaign_dimensions_id_fkey" FOREIGN KEY ("dimension_id") REFERENCES "campaign_dimensions"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "activity_participants" ADD CONSTRAINT "activity_participants_activity_id_activities_id_fkey" FOREIGN KEY ("activity_id") REFERENCES "activities"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "activity_participants" ADD CONSTRAINT "activity_participants_cadre_id_cadres_id_fkey" FOREIGN KEY ("cadre_id") REFERENCES "cadres"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "campaign_capabilities" ADD CONSTRAINT "campaign_capabilities_campaign_id_campaigns_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "campaign_conduct_pairs" ADD CONSTRAINT "campaign_conduct_pairs_campaign_id_campaigns_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "campaign_dimensions" ADD CONSTRAINT "campaign_dimensions_campaign_id_campaigns_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "campaign_expected_changes" ADD CONSTRAINT "campaign_expected_changes_campaign_id_campaigns_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "leading_group_members" ADD CONSTRAINT "leading_group_members_leading_group_id_leading_groups_id_fkey" FOREIGN KEY ("leading_group_id") REFERENCES "leading_groups"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "leading_group_members" ADD CONSTRAINT "leading_group_members_cadre_id_cadres_id_fkey" FOREIGN KEY ("cadre_id") REFERENCES "cadres"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "leading_groups" ADD CONSTRAINT "leading_groups_campaign_id_campaigns_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "leading_groups" ADD CONSTRAINT "leading_groups_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "leading_groups" ADD CONSTRAINT "leading_groups_office_organization_id_organizations_id_fkey" FOREIGN KEY ("office_organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "problem_transitions" ADD CONSTRAINT "problem_transitions_problem_id_problems_id_fkey" FOREIGN KEY ("problem_id") REFERENCES "problems"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "problems" ADD CONSTRAINT "problems_campaign_id_campaigns_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "problems" ADD CONSTRAINT "problems_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "problems" ADD CONSTRAINT "problems_cadre_id_cadres_id_fkey" FOREIGN KEY ("cadre_id") REFERENCES "cadres"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "problems" ADD CONSTRAINT "problems_category_id_problem_categories_id_fkey" FOREIGN KEY ("category_id") REFERENCES "problem_categories"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "problems" ADD CONSTRAINT "problems_responsible_cadre_id_cadres_id_fkey" FOREIGN KEY ("responsible_cadre_id") REFERENCES "cadres"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "problems" ADD CONSTRAINT "problems_inspection_activity_id_activities_id_fkey" FOREIGN KEY ("inspection_activity_id") REFERENCES "activities"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "supervision_cadences" ADD CONSTRAINT "supervision_cadences_campaign_id_campaigns_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "study_plan_topics" ADD CONSTRAINT "study_plan_topics_plan_id_study_plans_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "study_plans"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "study_plans" ADD CONSTRAINT "study_plans_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "study_records" ADD CONSTRAINT "study_records_cadre_id_cadres_id_fkey" FOREIGN KEY ("cadre_id") REFERENCES "cadres"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "study_records" ADD CONSTRAINT "study_records_material_id_study_materials_id_fkey" FOREIGN KEY ("material_id") REFERENCES "study_materials"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "study_requirement_group_materials" ADD CONSTRAINT "study_requirement_group_materials_OEQmygColsXZ_fkey" FOREIGN KEY ("group_id") REFERENCES "study_requirement_groups"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "study_requirement_group_materials" ADD CONSTRAINT "study_requirement_group_materials_EL9Pq2Ze1nwT_fkey" FOREIGN KEY ("material_id") REFERENCES "study_materials"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "study_requirement_groups" ADD CONSTRAINT "study_requirement_groups_moXw7Sk6wON3_fkey" FOREIGN KEY ("requirement_id") REFERENCES "study_requirements"("id") ON DELETE CASCADE;
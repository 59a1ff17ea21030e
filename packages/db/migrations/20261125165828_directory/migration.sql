CREATE TYPE "cadre_status" AS ENUM('ACTIVE', 'TRANSFERRED', 'RETIRED');--> statement-breakpoint
CREATE TYPE "gender" AS ENUM('MALE', 'FEMALE');--> statement-breakpoint
CREATE TYPE "organization_kind" AS ENUM('ZONE', 'PARTY_WORKING_COMMITTEE', 'MANAGEMENT_COMMITTEE', 'DISCIPLINE_COMMITTEE', 'SUBDISTRICT_OFFICE', 'DEPARTMENT', 'OFFICE', 'OTHER');--> statement-breakpoint
CREATE TYPE "actor_kind" AS ENUM('SYSTEM', 'USER', 'API_CLIENT', 'ANONYMOUS');--> statement-breakpoint
CREATE TABLE "cadre_transfers" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "cadre_transfers_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"cadre_id" integer NOT NULL,
	"from_organization_id" integer NOT NULL,
	"to_organization_id" integer NOT NULL,
	"effective_on" date NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cadre_transfers_moves" CHECK ("from_organization_id" <> "to_organization_id")
);
--> statement-breakpoint
CREATE TABLE "cadres" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "cadres_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"employee_number" varchar(32) NOT NULL UNIQUE,
	"organization_id" integer NOT NULL,
	"name" varchar(100) NOT NULL,
	"gender" "gender" NOT NULL,
	"position" varchar(100),
	"rank" varchar(50),
	"is_leader" boolean DEFAULT false NOT NULL,
	"is_party_member" boolean DEFAULT false NOT NULL,
	"status" "cadre_status" DEFAULT 'ACTIVE'::"cadre_status" NOT NULL,
	"phone" varchar(20),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cadres_name_not_blank" CHECK (length(btrim("name")) > 0),
	CONSTRAINT "cadres_employee_number_format" CHECK ("employee_number" ~ '^[A-Za-z0-9-]+$'),
	CONSTRAINT "cadres_phone_format" CHECK ("phone" is null or "phone" ~ '^\+?[0-9-]{5,20}$')
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "organizations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"code" varchar(64) NOT NULL UNIQUE,
	"name" varchar(200) NOT NULL,
	"kind" "organization_kind" NOT NULL,
	"parent_id" integer,
	"path" ltree NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organizations_code_format" CHECK ("code" ~ '^[A-Z][A-Z0-9_]*$'),
	CONSTRAINT "organizations_name_not_blank" CHECK (length(btrim("name")) > 0),
	CONSTRAINT "organizations_root_is_zone" CHECK (("parent_id" is null) = ("kind" = 'ZONE')),
	CONSTRAINT "organizations_not_own_parent" CHECK ("parent_id" is distinct from "id")
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_kind" "actor_kind" NOT NULL,
	"actor_id" varchar(64),
	"operation" varchar(100) NOT NULL,
	"entity_type" varchar(64) NOT NULL,
	"entity_id" varchar(64) NOT NULL,
	"before" jsonb,
	"after" jsonb
);
--> statement-breakpoint
CREATE TABLE "system_settings" (
	"key" varchar(64) PRIMARY KEY,
	"value" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "cadre_transfers_cadre_id_idx" ON "cadre_transfers" ("cadre_id","id");--> statement-breakpoint
CREATE INDEX "cadres_organization_id_idx" ON "cadres" ("organization_id","id");--> statement-breakpoint
CREATE INDEX "cadres_name_idx" ON "cadres" ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "organizations_path_key" ON "organizations" ("path");--> statement-breakpoint
CREATE INDEX "organizations_path_gist" ON "organizations" USING gist ("path");--> statement-breakpoint
CREATE INDEX "organizations_parent_id_idx" ON "organizations" ("parent_id","sort_order","id");--> statement-breakpoint
CREATE INDEX "audit_events_entity_idx" ON "audit_events" ("entity_type","entity_id","id");--> statement-breakpoint
CREATE INDEX "audit_events_occurred_at_idx" ON "audit_events" ("occurred_at");--> statement-breakpoint
ALTER TABLE "cadre_transfers" ADD CONSTRAINT "cadre_transfers_cadre_id_cadres_id_fkey" FOREIGN KEY ("cadre_id") REFERENCES "cadres"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "cadre_transfers" ADD CONSTRAINT "cadre_transfers_from_organization_id_organizations_id_fkey" FOREIGN KEY ("from_organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "cadre_transfers" ADD CONSTRAINT "cadre_transfers_to_organization_id_organizations_id_fkey" FOREIGN KEY ("to_organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "cadres" ADD CONSTRAINT "cadres_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT;--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_parent_id_organizations_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "organizations"("id") ON DELETE RESTRICT;
CREATE TABLE "activity_occurrences" (
	"activity_id" integer,
	"starts_at" timestamp with time zone,
	"day" date NOT NULL,
	CONSTRAINT "activity_occurrences_pkey" PRIMARY KEY("activity_id","starts_at"),
	CONSTRAINT "activity_occurrences_day_in_zone" CHECK ("day" = ("starts_at" at time zone 'Asia/Shanghai')::date)
);
--> statement-breakpoint
CREATE INDEX "activity_occurrences_day_idx" ON "activity_occurrences" ("day","activity_id");--> statement-breakpoint
ALTER TABLE "activity_occurrences" ADD CONSTRAINT "activity_occurrences_activity_id_activities_id_fkey" FOREIGN KEY ("activity_id") REFERENCES "activities"("id") ON DELETE CASCADE;
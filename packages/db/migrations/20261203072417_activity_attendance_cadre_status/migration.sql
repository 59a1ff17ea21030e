DROP INDEX "activity_attendance_cadre_idx";--> statement-breakpoint
CREATE INDEX "activity_attendance_cadre_idx" ON "activity_attendance" ("cadre_id","occurs_on","activity_id","status");
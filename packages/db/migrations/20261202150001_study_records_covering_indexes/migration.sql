DROP INDEX "study_records_cadre_day_idx";--> statement-breakpoint
CREATE INDEX "study_records_cadre_day_idx" ON "study_records" ("cadre_id","studied_on","note_characters","hours");--> statement-breakpoint
DROP INDEX "study_records_cadre_method_day_idx";--> statement-breakpoint
CREATE INDEX "study_records_cadre_method_day_idx" ON "study_records" ("cadre_id","method","studied_on","id");
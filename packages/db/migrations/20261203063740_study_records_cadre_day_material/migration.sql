DROP INDEX "study_records_cadre_day_idx";--> statement-breakpoint
CREATE INDEX "study_records_cadre_day_idx" ON "study_records" ("cadre_id","studied_on","note_characters","hours","material_id");
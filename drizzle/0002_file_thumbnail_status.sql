ALTER TABLE "files" ADD COLUMN "thumbnail_status" text;--> statement-breakpoint
UPDATE "files" SET "thumbnail_status" = CASE WHEN "thumbnail_key" IS NOT NULL THEN 'ready' WHEN "content_type" LIKE 'image/%' THEN 'failed' END;

ALTER TABLE "colorbook_drawings" ALTER COLUMN "strokes" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "colorbook_drawings" ALTER COLUMN "strokes" SET DEFAULT '[]'::json;--> statement-breakpoint
-- lz4 compresses a large drawing several times faster than the default pglz; a server built without lz4 keeps pglz.
DO $$ BEGIN
  ALTER TABLE "colorbook_drawings" ALTER COLUMN "strokes" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN NULL;
END $$;

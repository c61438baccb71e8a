CREATE TABLE "colorbook_ai_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"label" text,
	"ciphertext" text NOT NULL,
	"wrapped_data_key" text NOT NULL,
	"key_id" text NOT NULL,
	"last4" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_revealed_at" timestamp (3) with time zone,
	CONSTRAINT "colorbook_ai_keys_provider_check" CHECK ("colorbook_ai_keys"."provider" in ('openai', 'anthropic', 'stability', 'replicate', 'google', 'custom'))
);
--> statement-breakpoint
CREATE TABLE "colorbook_branding" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"name" text,
	"logo_file_id" uuid,
	"colors" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "colorbook_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"entity" text NOT NULL,
	"entity_id" uuid NOT NULL,
	"op" text NOT NULL,
	"version" integer NOT NULL,
	"tx_id" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"audience" uuid[],
	CONSTRAINT "colorbook_changes_entity_check" CHECK ("colorbook_changes"."entity" in ('project', 'story', 'image', 'drawing', 'version')),
	CONSTRAINT "colorbook_changes_op_check" CHECK ("colorbook_changes"."op" in ('create', 'update', 'delete'))
);
--> statement-breakpoint
CREATE TABLE "colorbook_characters" (
	"id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"reference_file_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL
);
--> statement-breakpoint
CREATE TABLE "colorbook_collaborators" (
	"project_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"role" text NOT NULL,
	"invited_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "colorbook_collaborators_project_id_user_id_pk" PRIMARY KEY("project_id","user_id"),
	CONSTRAINT "colorbook_collaborators_role_check" CHECK ("colorbook_collaborators"."role" in ('editor', 'viewer'))
);
--> statement-breakpoint
CREATE TABLE "colorbook_drawings" (
	"id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"project_id" uuid NOT NULL,
	"title" text,
	"strokes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"preview_file_id" uuid,
	"position" integer DEFAULT 0 NOT NULL,
	"byte_size" integer DEFAULT 2 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "colorbook_exports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"format" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"file_id" uuid,
	"error" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp (3) with time zone,
	CONSTRAINT "colorbook_exports_format_check" CHECK ("colorbook_exports"."format" in ('pdf', 'json')),
	CONSTRAINT "colorbook_exports_status_check" CHECK ("colorbook_exports"."status" in ('queued', 'running', 'done', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "colorbook_images" (
	"id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"project_id" uuid NOT NULL,
	"story_id" uuid,
	"file_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"prompt" text,
	"provider" text,
	"model" text,
	"width" integer,
	"height" integer,
	"position" integer DEFAULT 0 NOT NULL,
	"style_id" uuid,
	"character_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	CONSTRAINT "colorbook_images_kind_check" CHECK ("colorbook_images"."kind" in ('generated', 'uploaded'))
);
--> statement-breakpoint
CREATE TABLE "colorbook_pending_shares" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"email" text NOT NULL,
	"role" text NOT NULL,
	"token_hash" text,
	"invited_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"accepted_at" timestamp (3) with time zone,
	CONSTRAINT "colorbook_pending_shares_role_check" CHECK ("colorbook_pending_shares"."role" in ('editor', 'viewer')),
	CONSTRAINT "colorbook_pending_shares_email_check" CHECK ("colorbook_pending_shares"."email" = lower("colorbook_pending_shares"."email"))
);
--> statement-breakpoint
CREATE TABLE "colorbook_plans" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"projects" integer,
	"storage_bytes" bigint,
	"versions_per_project" integer,
	"collaborators_per_project" integer,
	"premium_templates" boolean DEFAULT false NOT NULL,
	"export_without_watermark" boolean DEFAULT false NOT NULL,
	"white_label" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "colorbook_plans_id_check" CHECK ("colorbook_plans"."id" in ('free', 'pro', 'enterprise'))
);
--> statement-breakpoint
CREATE TABLE "colorbook_project_versions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"label" text,
	"snapshot" jsonb NOT NULL,
	"project_version" integer NOT NULL,
	"created_by" uuid,
	"size_bytes" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "colorbook_project_versions_kind_check" CHECK ("colorbook_project_versions"."kind" in ('named', 'automatic', 'system')),
	CONSTRAINT "colorbook_project_versions_label_check" CHECK ("colorbook_project_versions"."kind" <> 'named' or "colorbook_project_versions"."label" is not null)
);
--> statement-breakpoint
CREATE TABLE "colorbook_projects" (
	"id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"owner_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"page_size" text DEFAULT 'A4' NOT NULL,
	"page_orientation" text DEFAULT 'portrait' NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"cover_file_id" uuid,
	"duplicated_from_id" uuid,
	"template_id" uuid,
	"trashed_at" timestamp (3) with time zone,
	CONSTRAINT "colorbook_projects_page_size_check" CHECK ("colorbook_projects"."page_size" in ('A4', 'A5', 'Letter', 'Legal', 'Square')),
	CONSTRAINT "colorbook_projects_orientation_check" CHECK ("colorbook_projects"."page_orientation" in ('portrait', 'landscape'))
);
--> statement-breakpoint
CREATE TABLE "colorbook_stories" (
	"id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"project_id" uuid NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"title" text,
	"text" text DEFAULT '' NOT NULL,
	CONSTRAINT "colorbook_stories_text_check" CHECK (char_length("colorbook_stories"."text") <= 50000)
);
--> statement-breakpoint
CREATE TABLE "colorbook_stripe_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"created" bigint NOT NULL,
	"processed_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "colorbook_style_presets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"prompt_fragment" text,
	"palette" text[] DEFAULT '{}'::text[] NOT NULL,
	"line_weight" real
);
--> statement-breakpoint
CREATE TABLE "colorbook_subscriptions" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"plan_id" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"stripe_customer_id" text,
	"stripe_subscription_id" text,
	"current_period_end" timestamp (3) with time zone,
	"cancel_at_period_end" boolean DEFAULT false NOT NULL,
	"last_event_created" bigint,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "colorbook_sync_mutations" (
	"user_id" uuid NOT NULL,
	"mutation_id" text NOT NULL,
	"result" jsonb NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "colorbook_sync_mutations_user_id_mutation_id_pk" PRIMARY KEY("user_id","mutation_id")
);
--> statement-breakpoint
CREATE TABLE "colorbook_template_ratings" (
	"template_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"rating" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "colorbook_template_ratings_template_id_user_id_pk" PRIMARY KEY("template_id","user_id"),
	CONSTRAINT "colorbook_template_ratings_rating_check" CHECK ("colorbook_template_ratings"."rating" between 1 and 5)
);
--> statement-breakpoint
CREATE TABLE "colorbook_templates" (
	"id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"author_id" uuid NOT NULL,
	"source_project_id" uuid,
	"title" text NOT NULL,
	"description" text,
	"category" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"premium" boolean DEFAULT false NOT NULL,
	"public" boolean DEFAULT true NOT NULL,
	"snapshot" jsonb NOT NULL,
	"usage_count" integer DEFAULT 0 NOT NULL,
	"rating_sum" integer DEFAULT 0 NOT NULL,
	"rating_count" integer DEFAULT 0 NOT NULL,
	"hidden_at" timestamp (3) with time zone,
	CONSTRAINT "colorbook_templates_rating_check" CHECK ("colorbook_templates"."rating_count" >= 0 and "colorbook_templates"."rating_sum" between "colorbook_templates"."rating_count" and 5 * "colorbook_templates"."rating_count")
);
--> statement-breakpoint
CREATE TABLE "colorbook_usage_daily" (
	"day" date NOT NULL,
	"type" text NOT NULL,
	"count" integer NOT NULL,
	"users" integer NOT NULL,
	CONSTRAINT "colorbook_usage_daily_day_type_pk" PRIMARY KEY("day","type")
);
--> statement-breakpoint
CREATE TABLE "colorbook_usage_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" uuid,
	"type" text NOT NULL,
	"entity_type" text,
	"entity_id" uuid,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "colorbook_ai_keys" ADD CONSTRAINT "colorbook_ai_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_branding" ADD CONSTRAINT "colorbook_branding_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_characters" ADD CONSTRAINT "colorbook_characters_project_id_colorbook_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."colorbook_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_collaborators" ADD CONSTRAINT "colorbook_collaborators_project_id_colorbook_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."colorbook_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_collaborators" ADD CONSTRAINT "colorbook_collaborators_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_collaborators" ADD CONSTRAINT "colorbook_collaborators_invited_by_users_id_fk" FOREIGN KEY ("invited_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_drawings" ADD CONSTRAINT "colorbook_drawings_project_id_colorbook_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."colorbook_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_exports" ADD CONSTRAINT "colorbook_exports_project_id_colorbook_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."colorbook_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_exports" ADD CONSTRAINT "colorbook_exports_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_images" ADD CONSTRAINT "colorbook_images_project_id_colorbook_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."colorbook_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_images" ADD CONSTRAINT "colorbook_images_story_id_colorbook_stories_id_fk" FOREIGN KEY ("story_id") REFERENCES "public"."colorbook_stories"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_images" ADD CONSTRAINT "colorbook_images_style_id_colorbook_style_presets_id_fk" FOREIGN KEY ("style_id") REFERENCES "public"."colorbook_style_presets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_pending_shares" ADD CONSTRAINT "colorbook_pending_shares_project_id_colorbook_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."colorbook_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_pending_shares" ADD CONSTRAINT "colorbook_pending_shares_invited_by_users_id_fk" FOREIGN KEY ("invited_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_project_versions" ADD CONSTRAINT "colorbook_project_versions_project_id_colorbook_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."colorbook_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_project_versions" ADD CONSTRAINT "colorbook_project_versions_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_projects" ADD CONSTRAINT "colorbook_projects_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_projects" ADD CONSTRAINT "colorbook_projects_duplicated_from_id_colorbook_projects_id_fk" FOREIGN KEY ("duplicated_from_id") REFERENCES "public"."colorbook_projects"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_projects" ADD CONSTRAINT "colorbook_projects_template_id_colorbook_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."colorbook_templates"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_stories" ADD CONSTRAINT "colorbook_stories_project_id_colorbook_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."colorbook_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_style_presets" ADD CONSTRAINT "colorbook_style_presets_project_id_colorbook_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."colorbook_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_subscriptions" ADD CONSTRAINT "colorbook_subscriptions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_subscriptions" ADD CONSTRAINT "colorbook_subscriptions_plan_id_colorbook_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."colorbook_plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_sync_mutations" ADD CONSTRAINT "colorbook_sync_mutations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_template_ratings" ADD CONSTRAINT "colorbook_template_ratings_template_id_colorbook_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."colorbook_templates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_template_ratings" ADD CONSTRAINT "colorbook_template_ratings_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_templates" ADD CONSTRAINT "colorbook_templates_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_templates" ADD CONSTRAINT "colorbook_templates_source_project_id_colorbook_projects_id_fk" FOREIGN KEY ("source_project_id") REFERENCES "public"."colorbook_projects"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "colorbook_usage_events" ADD CONSTRAINT "colorbook_usage_events_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "colorbook_ai_keys_user_idx" ON "colorbook_ai_keys" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "colorbook_ai_keys_key_id_idx" ON "colorbook_ai_keys" USING btree ("key_id");--> statement-breakpoint
CREATE INDEX "colorbook_changes_project_idx" ON "colorbook_changes" USING btree ("project_id","id");--> statement-breakpoint
CREATE INDEX "colorbook_changes_project_tx_idx" ON "colorbook_changes" USING btree ("project_id","tx_id","id");--> statement-breakpoint
CREATE INDEX "colorbook_changes_audience_idx" ON "colorbook_changes" USING gin ("audience") WHERE "colorbook_changes"."audience" is not null;--> statement-breakpoint
CREATE INDEX "colorbook_changes_at_idx" ON "colorbook_changes" USING btree ("at");--> statement-breakpoint
CREATE INDEX "colorbook_characters_project_idx" ON "colorbook_characters" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "colorbook_collaborators_user_idx" ON "colorbook_collaborators" USING btree ("user_id","project_id");--> statement-breakpoint
CREATE INDEX "colorbook_drawings_project_idx" ON "colorbook_drawings" USING btree ("project_id","position","id");--> statement-breakpoint
CREATE INDEX "colorbook_drawings_preview_idx" ON "colorbook_drawings" USING btree ("preview_file_id");--> statement-breakpoint
CREATE INDEX "colorbook_exports_project_idx" ON "colorbook_exports" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE INDEX "colorbook_exports_user_idx" ON "colorbook_exports" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "colorbook_images_project_idx" ON "colorbook_images" USING btree ("project_id","position","id");--> statement-breakpoint
CREATE INDEX "colorbook_images_story_idx" ON "colorbook_images" USING btree ("story_id");--> statement-breakpoint
CREATE INDEX "colorbook_images_file_idx" ON "colorbook_images" USING btree ("file_id");--> statement-breakpoint
CREATE INDEX "colorbook_images_style_idx" ON "colorbook_images" USING btree ("style_id");--> statement-breakpoint
CREATE UNIQUE INDEX "colorbook_pending_shares_project_email_key" ON "colorbook_pending_shares" USING btree ("project_id","email");--> statement-breakpoint
CREATE INDEX "colorbook_pending_shares_email_idx" ON "colorbook_pending_shares" USING btree ("email") WHERE "colorbook_pending_shares"."accepted_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "colorbook_pending_shares_token_key" ON "colorbook_pending_shares" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "colorbook_project_versions_project_idx" ON "colorbook_project_versions" USING btree ("project_id","created_at","id");--> statement-breakpoint
CREATE INDEX "colorbook_projects_owner_updated_idx" ON "colorbook_projects" USING btree ("owner_id","updated_at","id");--> statement-breakpoint
CREATE INDEX "colorbook_projects_tags_idx" ON "colorbook_projects" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "colorbook_projects_trashed_idx" ON "colorbook_projects" USING btree ("trashed_at") WHERE "colorbook_projects"."trashed_at" is not null;--> statement-breakpoint
CREATE INDEX "colorbook_projects_template_idx" ON "colorbook_projects" USING btree ("template_id");--> statement-breakpoint
CREATE INDEX "colorbook_projects_duplicated_from_idx" ON "colorbook_projects" USING btree ("duplicated_from_id");--> statement-breakpoint
CREATE INDEX "colorbook_stories_project_idx" ON "colorbook_stories" USING btree ("project_id","position","id");--> statement-breakpoint
CREATE INDEX "colorbook_style_presets_project_idx" ON "colorbook_style_presets" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "colorbook_subscriptions_customer_key" ON "colorbook_subscriptions" USING btree ("stripe_customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "colorbook_subscriptions_subscription_key" ON "colorbook_subscriptions" USING btree ("stripe_subscription_id");--> statement-breakpoint
CREATE INDEX "colorbook_sync_mutations_at_idx" ON "colorbook_sync_mutations" USING btree ("at");--> statement-breakpoint
CREATE INDEX "colorbook_template_ratings_user_idx" ON "colorbook_template_ratings" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "colorbook_templates_author_idx" ON "colorbook_templates" USING btree ("author_id","created_at");--> statement-breakpoint
CREATE INDEX "colorbook_templates_public_idx" ON "colorbook_templates" USING btree ("public","created_at","id") WHERE "colorbook_templates"."hidden_at" is null;--> statement-breakpoint
CREATE INDEX "colorbook_templates_category_idx" ON "colorbook_templates" USING btree ("category","created_at");--> statement-breakpoint
CREATE INDEX "colorbook_templates_tags_idx" ON "colorbook_templates" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "colorbook_templates_source_idx" ON "colorbook_templates" USING btree ("source_project_id");--> statement-breakpoint
CREATE INDEX "colorbook_usage_events_at_idx" ON "colorbook_usage_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "colorbook_usage_events_user_at_idx" ON "colorbook_usage_events" USING btree ("user_id","at");--> statement-breakpoint
-- The default plans (issue 13); null limits are unlimited; admins edit them later.
INSERT INTO "colorbook_plans" ("id", "name", "projects", "storage_bytes", "versions_per_project", "collaborators_per_project", "premium_templates", "export_without_watermark", "white_label") VALUES
	('free', 'Free', 10, 209715200, 10, 0, false, false, false),
	('pro', 'Pro', NULL, NULL, 100, 0, true, true, false),
	('enterprise', 'Enterprise', NULL, NULL, 100, 25, true, true, true)
ON CONFLICT ("id") DO NOTHING;

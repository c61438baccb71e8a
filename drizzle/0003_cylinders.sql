CREATE TABLE "cylinder_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"cylinder_id" uuid NOT NULL,
	"type" text NOT NULL,
	"from_status" text,
	"to_status" text,
	"actor_id" uuid,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"reason" text,
	"shipment_id" uuid,
	"location_id" uuid,
	"data" jsonb
);
--> statement-breakpoint
CREATE TABLE "cylinder_locations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"contact_name" text,
	"phone" text,
	"email" text,
	"address" text,
	"notes" text,
	"active" boolean DEFAULT true NOT NULL,
	CONSTRAINT "cylinder_locations_kind_check" CHECK ("cylinder_locations"."kind" in ('customer', 'refill_station'))
);
--> statement-breakpoint
CREATE TABLE "cylinder_retired_codes" (
	"qr_code" text PRIMARY KEY NOT NULL,
	"cylinder_id" uuid NOT NULL,
	"retired_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cylinder_shipment_items" (
	"shipment_id" uuid NOT NULL,
	"cylinder_id" uuid NOT NULL,
	"from_status" text NOT NULL,
	"to_status" text NOT NULL,
	"from_location_id" uuid,
	CONSTRAINT "cylinder_shipment_items_shipment_id_cylinder_id_pk" PRIMARY KEY("shipment_id","cylinder_id")
);
--> statement-breakpoint
CREATE TABLE "cylinder_shipments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"location_id" uuid,
	"sent_to" text,
	"worker_id" uuid NOT NULL,
	"client_batch_id" text,
	"request_hash" text NOT NULL,
	"scanned_at" timestamp (3) with time zone NOT NULL,
	"notes" text,
	"item_count" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cylinder_shipments_type_check" CHECK ("cylinder_shipments"."type" in ('ship', 'return', 'refill_send', 'refill_receive'))
);
--> statement-breakpoint
CREATE TABLE "cylinders" (
	"id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"serial_number" text NOT NULL,
	"qr_code" text NOT NULL,
	"status" text DEFAULT 'available' NOT NULL,
	"gas_type" text NOT NULL,
	"capacity_liters" real,
	"owner" text,
	"manufactured_on" date,
	"last_test_on" date,
	"next_test_due" date,
	"location_id" uuid,
	"sent_to" text,
	"location_since" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"notes" text,
	CONSTRAINT "cylinders_status_check" CHECK ("cylinders"."status" in ('available', 'sent', 'returned', 'in_refill', 'quarantined', 'lost', 'trashed'))
);
--> statement-breakpoint
ALTER TABLE "cylinder_events" ADD CONSTRAINT "cylinder_events_cylinder_id_cylinders_id_fk" FOREIGN KEY ("cylinder_id") REFERENCES "public"."cylinders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cylinder_events" ADD CONSTRAINT "cylinder_events_actor_id_users_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cylinder_events" ADD CONSTRAINT "cylinder_events_shipment_id_cylinder_shipments_id_fk" FOREIGN KEY ("shipment_id") REFERENCES "public"."cylinder_shipments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cylinder_events" ADD CONSTRAINT "cylinder_events_location_id_cylinder_locations_id_fk" FOREIGN KEY ("location_id") REFERENCES "public"."cylinder_locations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cylinder_retired_codes" ADD CONSTRAINT "cylinder_retired_codes_cylinder_id_cylinders_id_fk" FOREIGN KEY ("cylinder_id") REFERENCES "public"."cylinders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cylinder_shipment_items" ADD CONSTRAINT "cylinder_shipment_items_shipment_id_cylinder_shipments_id_fk" FOREIGN KEY ("shipment_id") REFERENCES "public"."cylinder_shipments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cylinder_shipment_items" ADD CONSTRAINT "cylinder_shipment_items_cylinder_id_cylinders_id_fk" FOREIGN KEY ("cylinder_id") REFERENCES "public"."cylinders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cylinder_shipment_items" ADD CONSTRAINT "cylinder_shipment_items_from_location_id_cylinder_locations_id_fk" FOREIGN KEY ("from_location_id") REFERENCES "public"."cylinder_locations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cylinder_shipments" ADD CONSTRAINT "cylinder_shipments_location_id_cylinder_locations_id_fk" FOREIGN KEY ("location_id") REFERENCES "public"."cylinder_locations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cylinder_shipments" ADD CONSTRAINT "cylinder_shipments_worker_id_users_id_fk" FOREIGN KEY ("worker_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cylinders" ADD CONSTRAINT "cylinders_location_id_cylinder_locations_id_fk" FOREIGN KEY ("location_id") REFERENCES "public"."cylinder_locations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cylinder_events_cylinder_idx" ON "cylinder_events" USING btree ("cylinder_id","at","id");--> statement-breakpoint
CREATE INDEX "cylinder_events_type_at_idx" ON "cylinder_events" USING btree ("type","at");--> statement-breakpoint
CREATE INDEX "cylinder_events_location_idx" ON "cylinder_events" USING btree ("location_id");--> statement-breakpoint
CREATE UNIQUE INDEX "cylinder_locations_name_key" ON "cylinder_locations" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "cylinder_locations_kind_idx" ON "cylinder_locations" USING btree ("kind","name");--> statement-breakpoint
CREATE INDEX "cylinder_shipment_items_cylinder_idx" ON "cylinder_shipment_items" USING btree ("cylinder_id");--> statement-breakpoint
CREATE INDEX "cylinder_shipment_items_from_location_idx" ON "cylinder_shipment_items" USING btree ("from_location_id");--> statement-breakpoint
CREATE UNIQUE INDEX "cylinder_shipments_batch_key" ON "cylinder_shipments" USING btree ("worker_id","client_batch_id");--> statement-breakpoint
CREATE INDEX "cylinder_shipments_scanned_idx" ON "cylinder_shipments" USING btree ("scanned_at","id");--> statement-breakpoint
CREATE INDEX "cylinder_shipments_location_idx" ON "cylinder_shipments" USING btree ("location_id","scanned_at");--> statement-breakpoint
CREATE INDEX "cylinder_shipments_worker_idx" ON "cylinder_shipments" USING btree ("worker_id","scanned_at");--> statement-breakpoint
CREATE UNIQUE INDEX "cylinders_serial_number_key" ON "cylinders" USING btree (lower("serial_number"));--> statement-breakpoint
CREATE UNIQUE INDEX "cylinders_qr_code_key" ON "cylinders" USING btree ("qr_code");--> statement-breakpoint
CREATE INDEX "cylinders_status_idx" ON "cylinders" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "cylinders_status_since_idx" ON "cylinders" USING btree ("status","location_since");--> statement-breakpoint
CREATE INDEX "cylinders_location_idx" ON "cylinders" USING btree ("location_id","status");--> statement-breakpoint
CREATE INDEX "cylinders_next_test_due_idx" ON "cylinders" USING btree ("next_test_due");
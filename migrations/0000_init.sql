CREATE TABLE `feature_groups` (
	`name` text PRIMARY KEY NOT NULL,
	`generation` text NOT NULL,
	`record_identifier_feature` text NOT NULL,
	`event_time_feature` text NOT NULL,
	`online_enabled` integer NOT NULL,
	`online_ttl_unit` text,
	`online_ttl_value` integer,
	`offline_enabled` integer NOT NULL,
	`description` text,
	`tags` text DEFAULT '[]' NOT NULL,
	`status` text NOT NULL,
	`shard_count` integer NOT NULL,
	`catalog_version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `feature_groups_generation_unique` ON `feature_groups` (`generation`);--> statement-breakpoint
CREATE TABLE `features` (
	`generation` text NOT NULL,
	`name` text NOT NULL,
	`ordinal` integer NOT NULL,
	`type` text NOT NULL,
	`collection_type` text,
	`vector_dimension` integer,
	`description` text,
	`parameters` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`generation`, `name`)
);

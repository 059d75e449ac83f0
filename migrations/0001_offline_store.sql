CREATE TABLE `generations` (
	`generation` text PRIMARY KEY NOT NULL,
	`feature_group` text NOT NULL,
	`record_identifier_feature` text NOT NULL,
	`event_time_feature` text NOT NULL,
	`created_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE TABLE `offline_batches` (
	`batch_id` text PRIMARY KEY NOT NULL,
	`row_count` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `offline_dead_letters` (
	`message_id` text PRIMARY KEY NOT NULL,
	`batch_id` text,
	`body` text NOT NULL,
	`attempts` integer NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `offline_files` (
	`key` text PRIMARY KEY NOT NULL,
	`generation` text NOT NULL,
	`feature_group` text NOT NULL,
	`partition` text NOT NULL,
	`row_count` integer NOT NULL,
	`byte_size` integer NOT NULL,
	`min_event_time` integer NOT NULL,
	`max_event_time` integer NOT NULL,
	`min_write_time` integer NOT NULL,
	`max_write_time` integer NOT NULL,
	`schema_version` integer NOT NULL,
	`state` text NOT NULL,
	`created_at` integer NOT NULL,
	`replaced_at` integer
);
--> statement-breakpoint
CREATE INDEX `offline_files_by_partition` ON `offline_files` (`generation`,`state`,`partition`);--> statement-breakpoint
INSERT INTO `generations` (`generation`, `feature_group`, `record_identifier_feature`, `event_time_feature`, `created_at`)
SELECT `generation`, `name`, `record_identifier_feature`, `event_time_feature`, `created_at` FROM `feature_groups`;

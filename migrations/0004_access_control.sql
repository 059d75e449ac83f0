CREATE TABLE `access_keys` (
	`access_key_id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`sealed_secret` text NOT NULL,
	`policy` text,
	`rate_limit_per_second` integer,
	`rate_limit_burst` integer,
	`expires_at` integer,
	`rotated_to` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`request_id` text NOT NULL,
	`access_key_id` text NOT NULL,
	`action` text NOT NULL,
	`feature_group` text,
	`target_key_id` text,
	`result` text NOT NULL,
	`source_ip` text
);
--> statement-breakpoint
CREATE INDEX `audit_log_by_time` ON `audit_log` (`at`);--> statement-breakpoint
CREATE INDEX `audit_log_by_key` ON `audit_log` (`access_key_id`,`at`);
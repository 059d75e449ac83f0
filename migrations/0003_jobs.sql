CREATE TABLE `job_files` (
	`job_id` text NOT NULL,
	`object_key` text NOT NULL,
	`etag` text NOT NULL,
	`run_id` text NOT NULL,
	`state` text NOT NULL,
	`size` integer NOT NULL,
	`rows_read` integer DEFAULT 0 NOT NULL,
	`rows_written` integer DEFAULT 0 NOT NULL,
	`rows_invalid` integer DEFAULT 0 NOT NULL,
	`rows_older_ignored` integer DEFAULT 0 NOT NULL,
	`error` text,
	`claimed_at` integer NOT NULL,
	`finished_at` integer,
	PRIMARY KEY(`job_id`, `object_key`, `etag`)
);
--> statement-breakpoint
CREATE INDEX `job_files_by_run` ON `job_files` (`run_id`,`state`);--> statement-breakpoint
CREATE TABLE `job_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`trigger` text NOT NULL,
	`status` text NOT NULL,
	`files_ingested` integer DEFAULT 0 NOT NULL,
	`files_failed` integer DEFAULT 0 NOT NULL,
	`rows_read` integer DEFAULT 0 NOT NULL,
	`rows_written` integer DEFAULT 0 NOT NULL,
	`rows_invalid` integer DEFAULT 0 NOT NULL,
	`rows_older_ignored` integer DEFAULT 0 NOT NULL,
	`cursor` text,
	`error` text,
	`lease_until` integer,
	`started_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `job_runs_by_job` ON `job_runs` (`job_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`feature_group` text NOT NULL,
	`description` text,
	`source_prefix` text,
	`format` text,
	`mode` text NOT NULL,
	`schedule` text,
	`enabled` integer NOT NULL,
	`next_run_at` integer,
	`active_run_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `jobs_due` ON `jobs` (`enabled`,`next_run_at`);
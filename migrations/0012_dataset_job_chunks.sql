CREATE TABLE `dataset_job_chunks` (
	`job_id` text NOT NULL,
	`chunk` integer NOT NULL,
	`rows_done` integer DEFAULT 0 NOT NULL,
	`steps_done` integer DEFAULT 0 NOT NULL,
	`done` integer DEFAULT false NOT NULL,
	`entities_processed` integer DEFAULT 0 NOT NULL,
	`files_read` integer DEFAULT 0 NOT NULL,
	`bytes_read` integer DEFAULT 0 NOT NULL,
	`rows_written` integer DEFAULT 0 NOT NULL,
	`knowledge_excluded_rows` integer DEFAULT 0 NOT NULL,
	`knowledge_emptied_rows` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`job_id`, `chunk`)
);
--> statement-breakpoint
ALTER TABLE `dataset_jobs` ADD `chunks_queued` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `dataset_jobs` DROP COLUMN `chunk_rows_done`;--> statement-breakpoint
-- Jobs unfinished across the deploy kept one chain of parts numbered by
-- step: they start over with per-chunk progress (their queued message
-- sizes the entity list again, and the old parts go when the job ends).
UPDATE `dataset_jobs` SET `state` = 'queued', `chunks_total` = NULL, `chunks_done` = 0, `parts_written` = 0, `entities_processed` = 0, `files_read` = 0, `bytes_read` = 0, `rows_written` = 0, `knowledge_excluded_rows` = 0, `knowledge_emptied_rows` = 0, `entity_types` = NULL WHERE `state` IN ('queued', 'running');

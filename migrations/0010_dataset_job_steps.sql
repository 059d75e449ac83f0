ALTER TABLE `dataset_jobs` ADD `chunk_rows_done` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `dataset_jobs` ADD `parts_written` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Jobs running across the deploy wrote one part per chunk, numbered by chunk.
UPDATE `dataset_jobs` SET `parts_written` = `chunks_done`;

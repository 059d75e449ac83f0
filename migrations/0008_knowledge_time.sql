ALTER TABLE `jobs` ADD `availability` text;--> statement-breakpoint
ALTER TABLE `dataset_jobs` ADD `knowledge_excluded_rows` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `dataset_jobs` ADD `knowledge_emptied_rows` integer DEFAULT 0 NOT NULL;
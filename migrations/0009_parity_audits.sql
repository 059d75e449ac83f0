CREATE TABLE `parity_audits` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`feature_group` text NOT NULL,
	`generation` text NOT NULL,
	`max_examples` integer NOT NULL,
	`cursor` text,
	`pages` integer DEFAULT 0 NOT NULL,
	`identifiers` integer DEFAULT 0 NOT NULL,
	`matching` integer DEFAULT 0 NOT NULL,
	`differing` integer DEFAULT 0 NOT NULL,
	`online_only` integer DEFAULT 0 NOT NULL,
	`offline_only` integer DEFAULT 0 NOT NULL,
	`pending` integer DEFAULT 0 NOT NULL,
	`examples` text DEFAULT '[]' NOT NULL,
	`started_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `parity_audits_by_group` ON `parity_audits` (`feature_group`,`started_at`);
CREATE TABLE `ui_sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`access_key_id` text NOT NULL,
	`csrf_token` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ui_sessions_by_expiry` ON `ui_sessions` (`expires_at`);
ALTER TABLE `offline_dead_letters` ADD `replays` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `offline_dead_letters` ADD `replayed_at` integer;
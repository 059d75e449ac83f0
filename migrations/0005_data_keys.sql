CREATE TABLE `data_keys` (
	`generation` text NOT NULL,
	`store` text NOT NULL,
	`version` integer NOT NULL,
	`wrapped` text NOT NULL,
	`created_at` integer NOT NULL,
	`wrapped_at` integer NOT NULL,
	PRIMARY KEY(`generation`, `store`, `version`)
);

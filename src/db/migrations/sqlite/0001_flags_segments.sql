CREATE TABLE `flag_environments` (
	`flag_id` text NOT NULL,
	`environment_id` text NOT NULL,
	`enabled` integer NOT NULL,
	`rules` text NOT NULL,
	`version` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	PRIMARY KEY(`flag_id`, `environment_id`),
	FOREIGN KEY (`flag_id`) REFERENCES `flags`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `flag_env_env_idx` ON `flag_environments` (`environment_id`);--> statement-breakpoint
CREATE TABLE `flags` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`value_type` text NOT NULL,
	`default_value` text NOT NULL,
	`tags` text NOT NULL,
	`owner` text,
	`archived_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `flags_key_unique` ON `flags` (`key`);--> statement-breakpoint
CREATE TABLE `segments` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`kind` text NOT NULL,
	`condition` text,
	`attribute` text,
	`ids` text,
	`id_count` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `segments_key_unique` ON `segments` (`key`);--> statement-breakpoint
ALTER TABLE `environments` ADD `allow_client_ruleset` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `environments` ADD `encryption_key` text;--> statement-breakpoint
ALTER TABLE `environments` ADD `revision` integer DEFAULT 1 NOT NULL;
CREATE TABLE `experiment_metrics` (
	`experiment_id` text NOT NULL,
	`role` text NOT NULL,
	`position` integer NOT NULL,
	`metric_id` text NOT NULL,
	PRIMARY KEY(`experiment_id`, `role`, `position`),
	FOREIGN KEY (`experiment_id`) REFERENCES `experiments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`metric_id`) REFERENCES `metrics`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `experiment_metrics_metric_idx` ON `experiment_metrics` (`metric_id`);--> statement-breakpoint
CREATE TABLE `experiment_phases` (
	`experiment_id` text NOT NULL,
	`number` integer NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`weights` text NOT NULL,
	`coverage` real NOT NULL,
	PRIMARY KEY(`experiment_id`, `number`),
	FOREIGN KEY (`experiment_id`) REFERENCES `experiments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `experiment_snapshots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`experiment_id` text NOT NULL,
	`phase` integer NOT NULL,
	`computed_at` integer NOT NULL,
	`results` text NOT NULL,
	FOREIGN KEY (`experiment_id`) REFERENCES `experiments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `experiment_snapshots_experiment_idx` ON `experiment_snapshots` (`experiment_id`,`computed_at`);--> statement-breakpoint
CREATE TABLE `experiments` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`hypothesis` text DEFAULT '' NOT NULL,
	`flag_id` text,
	`flag_key` text NOT NULL,
	`environment_id` text NOT NULL,
	`variations` text NOT NULL,
	`coverage` real NOT NULL,
	`hash_attribute` text NOT NULL,
	`settings` text NOT NULL,
	`status` text NOT NULL,
	`shipped_variation` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`flag_id`) REFERENCES `flags`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `experiments_key_unique` ON `experiments` (`key`);--> statement-breakpoint
CREATE INDEX `experiments_flag_idx` ON `experiments` (`flag_id`);--> statement-breakpoint
CREATE TABLE `metrics` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`kind` text NOT NULL,
	`event_name` text NOT NULL,
	`denominator_event_name` text,
	`direction` text NOT NULL,
	`window_hours` real,
	`retention` text,
	`capping` text,
	`cuped_lookback_days` integer DEFAULT 14 NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `metrics_key_unique` ON `metrics` (`key`);
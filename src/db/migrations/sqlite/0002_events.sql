CREATE TABLE `experiment_units` (
	`environment_id` text NOT NULL,
	`experiment` text NOT NULL,
	`unit` text NOT NULL,
	`first_exposure_at` integer NOT NULL,
	`variation` text NOT NULL,
	`multiple_variations` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`environment_id`, `experiment`, `unit`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `exposures` (
	`environment_id` text NOT NULL,
	`id` text NOT NULL,
	`ts` integer NOT NULL,
	`unit` text NOT NULL,
	`experiment` text NOT NULL,
	`variation` text NOT NULL,
	`flag` text,
	`attributes` text,
	`key_id` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `exposures_dedup_idx` ON `exposures` (`ts`,`id`);--> statement-breakpoint
CREATE INDEX `exposures_experiment_idx` ON `exposures` (`environment_id`,`experiment`,`ts`);--> statement-breakpoint
CREATE TABLE `track_events` (
	`environment_id` text NOT NULL,
	`id` text NOT NULL,
	`ts` integer NOT NULL,
	`unit` text NOT NULL,
	`event` text NOT NULL,
	`value` real,
	`properties` text,
	`key_id` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `track_events_dedup_idx` ON `track_events` (`ts`,`id`);--> statement-breakpoint
CREATE INDEX `track_events_event_idx` ON `track_events` (`environment_id`,`event`,`ts`);
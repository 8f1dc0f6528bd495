CREATE TABLE `analysis_pending_events` (
	`state_id` integer NOT NULL,
	`unit` text NOT NULL,
	`event` integer NOT NULL,
	`ts` integer NOT NULL,
	`value` real NOT NULL,
	FOREIGN KEY (`state_id`) REFERENCES `analysis_states`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `analysis_pending_events_unit_idx` ON `analysis_pending_events` (`state_id`,`unit`);--> statement-breakpoint
CREATE TABLE `analysis_states` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`environment_id` text NOT NULL,
	`experiment` text NOT NULL,
	`fingerprint` text NOT NULL,
	`end_ms` integer NOT NULL,
	`track_rowid` integer NOT NULL,
	`exposure_rowid` integer NOT NULL,
	`track_min_ts` integer,
	`exposure_min_ts` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `analysis_states_experiment_idx` ON `analysis_states` (`environment_id`,`experiment`);
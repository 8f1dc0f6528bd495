ALTER TABLE `analysis_states` ADD `tracks_from` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `analysis_states` ADD `exposures_from` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `analysis_states` ADD `pending_from` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `analysis_states` ADD `events_deleted` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `analysis_states` DROP COLUMN `track_min_ts`;--> statement-breakpoint
ALTER TABLE `analysis_states` DROP COLUMN `exposure_min_ts`;--> statement-breakpoint
CREATE INDEX `analysis_pending_events_ts_idx` ON `analysis_pending_events` (`state_id`,`ts`);--> statement-breakpoint
-- Any deletion of events an analysis state may have counted (retention, or a unit's data on request)
-- marks the state, which is then rebuilt. Inserts (ingestion) are untouched.
CREATE TRIGGER `analysis_track_events_deleted` AFTER DELETE ON `track_events` BEGIN
	UPDATE `analysis_states` SET `events_deleted` = 1
	WHERE `environment_id` = OLD.`environment_id` AND OLD.`ts` >= `tracks_from` AND `events_deleted` = 0;
END;--> statement-breakpoint
CREATE TRIGGER `analysis_exposures_deleted` AFTER DELETE ON `exposures` BEGIN
	UPDATE `analysis_states` SET `events_deleted` = 1
	WHERE `environment_id` = OLD.`environment_id` AND `experiment` = OLD.`experiment`
		AND OLD.`ts` >= `exposures_from` AND `events_deleted` = 0;
END;

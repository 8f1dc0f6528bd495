ALTER TABLE `experiments` ADD `plan` text;--> statement-breakpoint
ALTER TABLE `experiments` ADD `planning` text;--> statement-breakpoint
ALTER TABLE `metrics` ADD `repeat` text;--> statement-breakpoint
ALTER TABLE `metrics` ADD `headline_effect` text DEFAULT 'relative' NOT NULL;
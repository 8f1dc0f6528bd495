ALTER TABLE `environments` ADD `default_available_to_client_keys` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `flags` ADD `available_to_client_keys` integer;--> statement-breakpoint
-- Flags made before client availability existed stay available to client keys: no app breaks on upgrade.
UPDATE `flags` SET `available_to_client_keys` = 1;--> statement-breakpoint
-- Keys were labelled "name (<first 16 characters of the secret>…)" in the audit log, in flags'
-- updatedBy and in keys' createdBy; those labels now name the key's id, which is no part of it.
UPDATE `audit_log` SET `actor_label` = (
  SELECT k.`name` || ' (' || k.`id` || ')' FROM `api_keys` k WHERE k.`id` = `audit_log`.`actor_id`
) WHERE `actor_type` = 'key' AND `actor_id` IN (SELECT `id` FROM `api_keys`);--> statement-breakpoint
UPDATE `flag_environments` SET `updated_by` = (
  SELECT k.`name` || ' (' || k.`id` || ')' FROM `api_keys` k
  WHERE `flag_environments`.`updated_by` = k.`name` || ' (' || k.`prefix` || '…)' LIMIT 1
) WHERE EXISTS (
  SELECT 1 FROM `api_keys` k WHERE `flag_environments`.`updated_by` = k.`name` || ' (' || k.`prefix` || '…)'
);--> statement-breakpoint
UPDATE `api_keys` SET `created_by` = (
  SELECT k.`name` || ' (' || k.`id` || ')' FROM `api_keys` k
  WHERE `api_keys`.`created_by` = k.`name` || ' (' || k.`prefix` || '…)' LIMIT 1
) WHERE EXISTS (
  SELECT 1 FROM `api_keys` k WHERE `api_keys`.`created_by` = k.`name` || ' (' || k.`prefix` || '…)'
);--> statement-breakpoint
-- Audit entries' before/after copies (a key's `prefix`, labels in `updatedBy` and `createdBy`): each
-- pass replaces one key's prefix (with the label's '…') by its id per entry; three passes cover an
-- entry naming three keys.
UPDATE `audit_log` SET `before` = (
  SELECT replace(replace(`audit_log`.`before`, k.`prefix` || '…', k.`id`), k.`prefix`, k.`id`) FROM `api_keys` k
  WHERE instr(`audit_log`.`before`, k.`prefix`) > 0 LIMIT 1
) WHERE EXISTS (SELECT 1 FROM `api_keys` k WHERE instr(`audit_log`.`before`, k.`prefix`) > 0);--> statement-breakpoint
UPDATE `audit_log` SET `before` = (
  SELECT replace(replace(`audit_log`.`before`, k.`prefix` || '…', k.`id`), k.`prefix`, k.`id`) FROM `api_keys` k
  WHERE instr(`audit_log`.`before`, k.`prefix`) > 0 LIMIT 1
) WHERE EXISTS (SELECT 1 FROM `api_keys` k WHERE instr(`audit_log`.`before`, k.`prefix`) > 0);--> statement-breakpoint
UPDATE `audit_log` SET `before` = (
  SELECT replace(replace(`audit_log`.`before`, k.`prefix` || '…', k.`id`), k.`prefix`, k.`id`) FROM `api_keys` k
  WHERE instr(`audit_log`.`before`, k.`prefix`) > 0 LIMIT 1
) WHERE EXISTS (SELECT 1 FROM `api_keys` k WHERE instr(`audit_log`.`before`, k.`prefix`) > 0);--> statement-breakpoint
UPDATE `audit_log` SET `after` = (
  SELECT replace(replace(`audit_log`.`after`, k.`prefix` || '…', k.`id`), k.`prefix`, k.`id`) FROM `api_keys` k
  WHERE instr(`audit_log`.`after`, k.`prefix`) > 0 LIMIT 1
) WHERE EXISTS (SELECT 1 FROM `api_keys` k WHERE instr(`audit_log`.`after`, k.`prefix`) > 0);--> statement-breakpoint
UPDATE `audit_log` SET `after` = (
  SELECT replace(replace(`audit_log`.`after`, k.`prefix` || '…', k.`id`), k.`prefix`, k.`id`) FROM `api_keys` k
  WHERE instr(`audit_log`.`after`, k.`prefix`) > 0 LIMIT 1
) WHERE EXISTS (SELECT 1 FROM `api_keys` k WHERE instr(`audit_log`.`after`, k.`prefix`) > 0);--> statement-breakpoint
UPDATE `audit_log` SET `after` = (
  SELECT replace(replace(`audit_log`.`after`, k.`prefix` || '…', k.`id`), k.`prefix`, k.`id`) FROM `api_keys` k
  WHERE instr(`audit_log`.`after`, k.`prefix`) > 0 LIMIT 1
) WHERE EXISTS (SELECT 1 FROM `api_keys` k WHERE instr(`audit_log`.`after`, k.`prefix`) > 0);--> statement-breakpoint
ALTER TABLE `api_keys` DROP COLUMN `prefix`;

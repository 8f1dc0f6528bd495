// The event writer's counters on /metrics, so operators can see ingestion keep up (or refuse).
import type { Registry } from 'prom-client';
import { registerScraped } from '../http/metrics.ts';
import type { EventWriter } from './event-writer.ts';

export function registerEventMetrics(registry: Registry, writer: EventWriter): void {
  const counter = (name: string, help: string, read: () => number) =>
    registerScraped(registry, name, help, 'counter', () => [{ value: read(), labels: {} }]);
  counter(
    'flagstaff_events_written_total',
    'Events committed (exposures and tracks)',
    () => writer.stats.events,
  );
  counter('flagstaff_event_commits_total', 'Group commits of the event writer', () => writer.stats.commits);
  counter(
    'flagstaff_event_batches_refused_total',
    'Event batches refused with 503 because the queue was full or the writer closing',
    () => writer.stats.refused,
  );
  counter('flagstaff_event_commit_failures_total', 'Group commits that failed', () => writer.stats.failures);
  counter('flagstaff_events_deleted_total', 'Events deleted by retention', () => writer.stats.deleted);
  registerScraped(
    registry,
    'flagstaff_events_pending',
    'Events accepted and waiting for a commit',
    'gauge',
    () => [{ value: writer.pendingEvents, labels: {} }],
  );
}

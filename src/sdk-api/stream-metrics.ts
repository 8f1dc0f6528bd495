// The SDK streams on /metrics: how many are open, and how many were dropped for not reading.
import type { Registry } from 'prom-client';
import { registerScraped } from '../http/metrics.ts';
import type { StreamHub } from './stream-hub.ts';

export function registerStreamMetrics(registry: Registry, hub: StreamHub): void {
  registerScraped(registry, 'flagstaff_sdk_streams_open', 'Open SDK streams (SSE)', 'gauge', () => [
    { value: hub.size, labels: {} },
  ]);
  registerScraped(
    registry,
    'flagstaff_sdk_streams_dropped_slow_total',
    `SDK streams dropped because their client stopped reading (SSE_MAX_BUFFERED_BYTES unsent)`,
    'counter',
    () => [{ value: hub.droppedSlow, labels: {} }],
  );
}

import type { Attributes, Evaluation } from './core/types.js';
import type { ClientConfig, SdkEvent } from './client-types.js';
import type { EventQueue } from './event-queue.js';
import { createLru } from './lru.js';
import { randomId } from './random-id.js';

/**
 * Turns evaluations that exposed a unit into exposure events: one per (unit, experiment,
 * variation) while remembered in a bounded LRU (`dedupeSize`), so a server evaluating the same
 * users all day neither floods the queue nor grows without bound. Calls `onExposure` first.
 * Never throws: logging must not turn a good evaluation into an error.
 *
 * @example
 * const expose = createExposureLogger(config, queue);
 * const e = evaluate(ruleset, 'checkout', { attributes });
 * expose(e, attributes);
 */
export function createExposureLogger(
  config: ClientConfig,
  queue: EventQueue,
): (evaluation: Evaluation, attributes: Attributes) => void {
  const seen = createLru(config.dedupeSize);
  return (evaluation, attributes) => {
    const { exposure, key } = evaluation;
    // The hot path: most evaluations repeat an exposure already logged, so check before building.
    if (!exposure || !seen.add(`${exposure.unit}|${exposure.experiment}|${exposure.variation}`)) return;
    try {
      config.onExposure?.(exposure, evaluation);
    } catch (error) {
      config.logger.error('flagstaff: onExposure threw', error);
    }
    try {
      const event: SdkEvent = {
        type: 'exposure',
        id: randomId(),
        ts: Date.now(),
        unit: exposure.unit,
        experiment: exposure.experiment,
        variation: exposure.variation,
        flag: exposure.flag || key,
      };
      if (config.exposureAttributes) {
        event.attributes = {};
        for (const name of config.exposureAttributes) {
          if (attributes[name] !== undefined) event.attributes[name] = attributes[name];
        }
      }
      if (!config.disableEvents) queue.push(event);
    } catch (error) {
      config.logger.error('flagstaff: exposure logging failed', error);
    }
  };
}

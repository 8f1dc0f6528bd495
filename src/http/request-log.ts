import type { Context } from 'hono';
import type { Logger } from '../logger.ts';
import type { AppEnv } from './app-env.ts';

/** One JSON line per request, with its id, so a user's report can be traced in the logs. */
export function logRequest(logger: Logger, c: Context<AppEnv>, status: number, start: number): void {
  if (!logger.isLevelEnabled('info')) return;
  logger.info(
    {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round((performance.now() - start) * 10) / 10,
    },
    'request',
  );
}

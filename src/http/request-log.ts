import type { Logger } from '../logger.ts';

export interface AnsweredRequest {
  id: string;
  method: string;
  path: string;
  /** The route template (`/api/v1/keys/:id`), never the raw path: metric labels stay bounded. */
  route: string;
  status: number;
}

/** One JSON line per request, with its id, so a user's report can be traced in the logs. */
export function logRequest(logger: Logger, request: AnsweredRequest, start: number): void {
  if (!logger.isLevelEnabled('info')) return;
  logger.info(
    {
      requestId: request.id,
      method: request.method,
      path: request.path,
      status: request.status,
      ms: Math.round((performance.now() - start) * 10) / 10,
    },
    'request',
  );
}

// Typed application errors: services throw them, the single error handler turns them into
// `{ error: { code, message, details?, requestId } }` with the matching status.
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'malformed_json'
  | 'unauthorized'
  | 'forbidden'
  | 'csrf_failed'
  | 'not_found'
  | 'conflict'
  | 'precondition_required'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

const statusOf: Record<ErrorCode, ContentfulStatusCode> = {
  bad_request: 400,
  validation_failed: 400,
  malformed_json: 400,
  unauthorized: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  conflict: 409,
  precondition_required: 428,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export class AppError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = statusOf[code];
  }
}

/** Bad input as one 400 naming every field: `body.rules.2.value: …; body.key: …`, issues in details. */
export function validationFailed(issues: { path: string; message: string }[]): AppError {
  return new AppError('validation_failed', issues.map((i) => `${i.path}: ${i.message}`).join('; '), {
    issues,
  });
}

export const notFound = (what: string, id: string) => new AppError('not_found', `${what} '${id}' not found`);
export const conflict = (message: string, details?: unknown) => new AppError('conflict', message, details);

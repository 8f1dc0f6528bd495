// The one place errors become responses: `{ error: { code, message, details?, requestId } }`.
// Bad input is a 4xx naming the field; only real faults are 5xx, and only those are logged as errors.
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { AppError, validationFailed, type ErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { AppEnv } from './app-env.ts';

export function errorBody(c: Context<AppEnv>, code: string, message: string, details?: unknown) {
  return {
    error: { code, message, ...(details === undefined ? {} : { details }), requestId: c.get('requestId') },
  };
}

const httpCodes: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

const storageMessages = {
  busy: 'Database busy: retry shortly',
  full: 'Storage full: retry later',
} as const;

/** SQLite faults that pass (a lock held elsewhere, a full disk): 'busy', 'full', or undefined. */
export function storageFault(error: unknown): keyof typeof storageMessages | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'string') return undefined;
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return 'busy';
  if (/^SQLITE_FULL/.test(code) || code === 'SQLITE_IOERR_WRITE') return 'full';
  return undefined;
}

export function errorHandler(logger: Logger): ErrorHandler<AppEnv> {
  return (error, c) => {
    if (error instanceof AppError) {
      for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value);
      return c.json(errorBody(c, error.code, error.message, error.details), error.status);
    }
    if (error instanceof HTTPException && error.status < 500) {
      // Hono's JSON validator reports unparsable bodies this way.
      const malformed = /malformed json/i.test(error.message);
      const code = malformed ? 'malformed_json' : (httpCodes[error.status] ?? 'bad_request');
      const message = malformed
        ? 'body: Malformed JSON in request body'
        : error.status === 415
          ? 'body: Content-Type must be application/json'
          : error.message;
      return c.json(errorBody(c, code, message), error.status as ContentfulStatusCode);
    }
    const storage = storageFault(error);
    if (storage) {
      // A locked or full database is temporary: the caller retries, nothing was written.
      logger.error({ err: error, requestId: c.get('requestId'), path: c.req.path }, 'storage unavailable');
      c.header('Retry-After', storage === 'busy' ? '1' : '5');
      return c.json(errorBody(c, 'unavailable', storageMessages[storage]), 503);
    }
    logger.error({ err: error, requestId: c.get('requestId'), path: c.req.path }, 'unhandled error');
    return c.json(errorBody(c, 'internal', 'Internal server error'), 500);
  };
}

/** A zod failure as a message naming each field, e.g. `body.kind: Invalid option: ...`. */
export function validationError(target: string, error: ZodError): AppError {
  const issues = error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = [target, ...issue.path.map(String)].join('.');
    return { path: keys.length === 1 ? `${path}.${keys[0]}` : path, message: issue.message };
  });
  return validationFailed(issues);
}

const targetNames: Record<string, string> = {
  json: 'body',
  param: 'params',
  query: 'query',
  header: 'headers',
};

/** The `defaultHook` of every OpenAPIHono router: a failed validation becomes a 400. */
export function validationHook(result: { success: boolean; target: string; error?: ZodError }) {
  if (!result.success && result.error)
    throw validationError(targetNames[result.target] ?? result.target, result.error);
}

import { z } from '@hono/zod-openapi';

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z
        .string()
        .openapi({ example: 'body.kind: Invalid option: expected one of "client"|"server"|"admin"' }),
      details: z.unknown().optional(),
      requestId: z.string(),
    }),
  })
  .openapi('Error');

export const errorContent = { content: { 'application/json': { schema: ErrorBody } } };

/** The error answers every route can give, so that the OpenAPI document lists them. */
export const errorResponses = {
  400: { ...errorContent, description: 'Bad input; the message names the field' },
  401: { ...errorContent, description: 'Missing or invalid credentials' },
  403: { ...errorContent, description: 'Credentials lack the needed role or key kind, or CSRF check failed' },
  // Conflicts, size and rate limits, faults: every error a route gives has this shape.
  default: { ...errorContent, description: 'Any other error (409, 413, 415, 429, 503, 500…)' },
} as const;

/** For routes whose path names an item: it may not exist. */
export const notFoundResponse = {
  404: { ...errorContent, description: 'No such item (the message names it)' },
} as const;

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

const errorContent = { content: { 'application/json': { schema: ErrorBody } } };

/** The error answers every route can give, so that the OpenAPI document lists them. */
export const errorResponses = {
  400: { ...errorContent, description: 'Bad input; the message names the field' },
  401: { ...errorContent, description: 'Missing or invalid credentials' },
  403: { ...errorContent, description: 'Credentials lack the needed role or key kind, or CSRF check failed' },
} as const;

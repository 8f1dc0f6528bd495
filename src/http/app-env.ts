import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Principal } from '../auth/access.ts';
import type { AppError } from '../errors.ts';

/** What middleware hands to route handlers through the Hono context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    principal?: Principal;
    /** Set when credentials were sent but are not valid: protected routes answer 401 with it. */
    credentialsError?: AppError;
  };
}

export type AppRouter = OpenAPIHono<AppEnv>;

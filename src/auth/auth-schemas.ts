import { z } from '@hono/zod-openapi';
import { Name, Slug, NullableTimestamp, Timestamp } from '../http/schemas.ts';
import { roles } from './access.ts';

export const KeyKind = z.enum(['client', 'server', 'admin']);
export const Role = z.enum(roles);

export const ApiKey = z
  .object({
    id: z.string().openapi({
      description: 'Names the key in listings and the audit log (`name (id)`); random, no part of the secret',
    }),
    kind: KeyKind,
    environment: z.string().nullable(),
    name: z.string(),
    createdAt: Timestamp,
    createdBy: z.string(),
    lastUsedAt: NullableTimestamp,
    revokedAt: NullableTimestamp,
  })
  .openapi('ApiKey');

export const CreateApiKey = z
  .strictObject({
    kind: KeyKind,
    environment: Slug.optional().openapi({ description: 'Required for client and server keys' }),
    name: Name,
  })
  .openapi('CreateApiKey');

export const CreatedApiKey = ApiKey.extend({
  key: z.string().openapi({ description: 'The secret. Shown once: store it now.' }),
}).openapi('CreatedApiKey');

export const User = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: Role,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    disabledAt: NullableTimestamp,
  })
  .openapi('User');

const Password = z.string().min(12, 'must be at least 12 characters').max(200);

export const CreateUser = z
  .strictObject({ email: z.email().max(320), password: Password, name: Name.optional(), role: Role })
  .openapi('CreateUser');

export const UpdateUser = z
  .strictObject({
    name: Name.optional(),
    role: Role.optional(),
    password: Password.optional(),
    disabled: z.boolean().optional(),
  })
  .openapi('UpdateUser');

export const Login = z
  .strictObject({ email: z.string().min(1).max(320), password: z.string().min(1).max(200) })
  .openapi('Login');

export const LoginResult = z
  .object({
    user: User,
    csrfToken: z.string().openapi({ description: 'Send it as X-CSRF-Token on every mutation' }),
    expiresAt: Timestamp,
  })
  .openapi('LoginResult');

export const Me = z
  .object({
    type: z.enum(['user', 'key']),
    user: User.optional(),
    key: ApiKey.omit({ environment: true }).optional(),
    csrfToken: z.string().optional(),
  })
  .openapi('Me');

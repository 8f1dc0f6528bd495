// The only reader of process.env: every setting is parsed here, with defaults that work with no
// configuration at all, so a new user's `npm start` needs nothing but a writable ./data folder.
import { isIP } from 'node:net';
import { z } from 'zod';
import { KEY_SHAPE, KEY_SHAPE_MESSAGE } from './auth/key-shape.ts';
import { JSON_LIMIT_DEFAULTS } from './json-limits.ts';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = z.coerce.number().int().min(0).max(65535);

/** `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`. */
function isAddressOrRange(entry: string): boolean {
  const [address = '', bits, extra] = entry.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

export const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .default('file:./data/flagstaff.db')
    .refine((url) => /^(file:|postgres(ql)?:\/\/)/.test(url) || url === ':memory:', {
      message: 'must start with file: (SQLite) or postgres:// (PostgreSQL), or be :memory:',
    }),
  FLAGSTAFF_ADMIN_EMAIL: z.email().default('admin@flagstaff.local'),
  FLAGSTAFF_ADMIN_PASSWORD: z
    .string()
    .min(12, 'must be at least 12 characters (leave it unset to have one generated)')
    .optional(),
  /** An admin API key chosen by the operator; requests refuse tokens of another shape unread. */
  FLAGSTAFF_ADMIN_KEY: z.string().regex(KEY_SHAPE, KEY_SHAPE_MESSAGE).optional(),
  /**
   * Where the first admin's generated password is written (owner-only), never to the logs; by
   * default `admin-password.txt` beside the SQLite database.
   */
  FLAGSTAFF_GENERATED_PASSWORD_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  /** Largest request body accepted by the management API, in bytes. */
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /**
   * Longest string attribute (characters) the server evaluates (`/sdk/v1/evaluate`, the
   * playground): a longer one is a 400 naming it, and a `$regex` never matches a longer input.
   */
  MAX_ATTRIBUTE_LENGTH: z.coerce.number().int().positive().default(4096),
  /** Mark the session cookie `Secure`; set it when the service is reached over HTTPS. */
  COOKIE_SECURE: z.stringbool().default(false),
  /** Seconds a dashboard session stays valid after sign-in (a fixed expiry, not an idle timeout). */
  SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(7 * 24 * 3600),
  /**
   * Failed sign-ins per (account, address) before each further attempt waits 1, 2, 4… seconds (at
   * most 15 minutes); an address gets 4× as many across accounts, an account 10× across addresses.
   */
  LOGIN_MAX_ATTEMPTS: z.coerce.number().int().positive().default(5),
  /** Reverse proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For is believed. */
  TRUSTED_PROXIES: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .refine((entries) => entries.every(isAddressOrRange), {
      message: 'must be IP addresses or CIDR ranges, comma-separated (e.g. 10.0.0.0/8,127.0.0.1)',
    })
    .default([]),
  /** Serve /metrics to anyone (it is otherwise for admin credentials and METRICS_TOKEN). */
  METRICS_PUBLIC: z.stringbool().default(false),
  /** A bearer token a metrics scraper sends to read /metrics (`Authorization: Bearer <token>`). */
  METRICS_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9_\-.~]{32,200}$/, 'must be 32 to 200 URL-safe characters (high entropy)')
    .optional(),
  /** Seconds between heartbeats on SDK streams (keeps proxies from closing idle connections). */
  SSE_HEARTBEAT_SECONDS: z.coerce.number().positive().default(25),
  /** Unsent bytes an SDK stream may hold before it is dropped (its client stopped reading). */
  SSE_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(4 * 1_048_576),
  /** Largest segment definition accepted (id lists can be long), in bytes. */
  MAX_SEGMENT_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(32 * 1_048_576),
  /**
   * Deepest nesting (objects and arrays) of a JSON value people store or send: flag values,
   * conditions, event properties. Request bodies may nest BODY_DEPTH_MARGIN (8) levels more.
   */
  MAX_JSON_DEPTH: z.coerce.number().int().min(1).max(200).default(JSON_LIMIT_DEFAULTS.maxDepth),
  /** Largest flag value (default, rule or variation value) or condition, in bytes of JSON. */
  MAX_JSON_VALUE_BYTES: z.coerce.number().int().positive().default(JSON_LIMIT_DEFAULTS.maxValueBytes),
  /** Largest `properties` (or `attributes`) of one event, in bytes of JSON; larger events are rejected. */
  EVENTS_MAX_PROPERTIES_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(JSON_LIMIT_DEFAULTS.maxEventPropertiesBytes),
  /** Most events accepted in one `POST /sdk/v1/events` batch. */
  EVENTS_MAX_BATCH: z.coerce.number().int().positive().default(1000),
  /** Largest event batch body accepted, in bytes. */
  EVENTS_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(5 * 1_048_576),
  /** How far in the future (hours, by the server's clock) an event's `ts` may lie before it is rejected. */
  EVENTS_MAX_SKEW_HOURS: z.coerce.number().nonnegative().default(24),
  /** How old (days) an event's `ts` may be when it arrives; older events are rejected. */
  EVENTS_MAX_AGE_DAYS: z.coerce.number().positive().default(30),
  /** Events per second each SDK key may send (a token bucket holding one second's worth); 0 = no limit. */
  EVENTS_RATE_LIMIT_PER_SECOND: z.coerce.number().int().nonnegative().default(50_000),
  /** Events waiting for a commit beyond which new batches get 503 + Retry-After (backpressure). */
  EVENTS_QUEUE_LIMIT: z.coerce.number().int().positive().default(20_000),
  /** Run the event writer's commits on a worker thread (beside the event loop) rather than on it. */
  EVENTS_WRITER_THREAD: z.stringbool().default(true),
  /** Raw events older than this many days (by `ts`) are deleted in the background; 0 = keep forever. */
  EVENTS_RETENTION_DAYS: z.coerce.number().nonnegative().default(400),
  /** Seconds in-flight requests get to finish after SIGTERM/SIGINT before the process exits. */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().positive().default(10),
  /** Minutes between background refreshes of running experiments' results; 0 = only on demand. */
  ANALYSIS_REFRESH_MINUTES: z.coerce.number().nonnegative().default(15),
  /** A refresh asked for within this many seconds of the newest snapshot returns that snapshot. */
  ANALYSIS_REFRESH_MIN_AGE_SECONDS: z.coerce.number().nonnegative().default(30),
});

export type Env = z.infer<typeof envSchema>;

/** Parses a set of variables; throws an Error whose message names every bad variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  // An empty variable means "not set", as it does in most deployment tools.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const result = envSchema.safeParse(cleaned);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
}

/** Reads process.env, or prints what is wrong and exits with code 1. */
export function loadEnv(): Env {
  try {
    return parseEnv(process.env);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}

import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; one line per event, with the request id where there is one. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'flagstaff' }, timestamp: pino.stdTimeFunctions.isoTime });
}

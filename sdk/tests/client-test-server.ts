// A small in-process stand-in for the Flagstaff service's SDK API, speaking real HTTP on
// 127.0.0.1 so the client's fetch, SSE and retry code run unmocked.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  /** `?…`, or '' without a query string. */
  query: string;
  headers: IncomingMessage['headers'];
  body?: string;
  /** When the request arrived (epoch ms). */
  at: number;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface TestServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Events received by POST /sdk/v1/events and answered 2xx. */
  events: Record<string, unknown>[];
  /** Responses to give to the next POST /sdk/v1/events, in order (then 202, recording the events). */
  eventResponses: ScriptedResponse[];
  /** Open SSE connections right now. */
  streams: Set<ServerResponse>;
  streamConnections: number;
  /** Replaces the ruleset and pushes it to open streams. */
  publish(payload: unknown): void;
  /** Sends raw text to every open stream (to test the parser on the wire). */
  writeRaw(text: string): void;
  close(): Promise<void>;
  /** Starts listening again on the same port. */
  restart(): Promise<void>;
  sdkKey: string;
}

export async function startTestServer(
  initial: unknown,
  options: {
    sdkKey?: string;
    port?: number;
    streamStatus?: number;
    /** Every stream is answered 200 and ended at once, after this text when it is one. */
    streamHangUp?: boolean | string;
    /** A stream resumed at the current revision starts with `event: current`, as the service's does. */
    streamCurrent?: boolean;
    /** Requests to record and never answer (a server or proxy that hangs); sockets close with the server. */
    hang?: (request: RecordedRequest) => boolean;
  } = {},
): Promise<TestServer> {
  const sdkKey = options.sdkKey ?? 'sdk-test-key';
  let body = JSON.stringify(initial);
  let version = 1;
  const etag = () => `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"`;
  const sockets = new Set<Socket>();
  let server: Server;

  const state: TestServer = {
    url: '',
    port: options.port ?? 0,
    requests: [],
    events: [],
    eventResponses: [],
    streams: new Set(),
    streamConnections: 0,
    sdkKey,
    publish(payload) {
      body = JSON.stringify(payload);
      version++;
      for (const res of state.streams) res.write(`event: ruleset\nid: ${version}\ndata: ${body}\n\n`);
    },
    writeRaw(text) {
      for (const res of state.streams) res.write(text);
    },
    async close() {
      for (const res of state.streams) res.destroy();
      state.streams.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async restart() {
      await listen();
    },
  };

  const authorized = (req: IncomingMessage, url: URL) =>
    req.headers.authorization === `Bearer ${sdkKey}` || url.searchParams.get('key') === sdkKey;

  const handle = (req: IncomingMessage, res: ServerResponse, text: string) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    state.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.search,
      headers: req.headers,
      body: text,
      at: Date.now(),
    });
    if (options.hang?.(state.requests.at(-1)!)) return;
    if (!authorized(req, url)) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":{"code":"UNAUTHORIZED"}}');
      return;
    }
    if (req.method === 'GET' && url.pathname === '/sdk/v1/ruleset') {
      const tag = etag();
      if (req.headers['if-none-match'] === tag) return void res.writeHead(304, { ETag: tag }).end();
      return void res.writeHead(200, { 'Content-Type': 'application/json', ETag: tag }).end(body);
    }
    if (req.method === 'GET' && url.pathname === '/sdk/v1/stream') {
      if (options.streamStatus) return void res.writeHead(options.streamStatus).end();
      state.streamConnections++;
      if (options.streamHangUp) {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        return void res.end(typeof options.streamHangUp === 'string' ? options.streamHangUp : undefined);
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      res.write(': hello\n\n');
      if (req.headers['last-event-id'] !== String(version)) {
        res.write(`event: ruleset\nid: ${version}\ndata: ${body}\n\n`);
      } else if (options.streamCurrent) {
        res.write(`id: ${version}\nevent: current\ndata: {"revision":${version}}\n\n`);
      }
      state.streams.add(res);
      res.on('close', () => state.streams.delete(res));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/sdk/v1/events') {
      const scripted = state.eventResponses.shift();
      if (scripted) {
        return void res.writeHead(scripted.status, scripted.headers).end(scripted.body ?? '');
      }
      const events = (JSON.parse(text) as { events: Record<string, unknown>[] }).events;
      const seen = new Set(state.events.map((e) => e.id));
      const fresh = events.filter((e) => !seen.has(e.id));
      state.events.push(...fresh);
      res.writeHead(202, { 'Content-Type': 'application/json' });
      return void res.end(
        JSON.stringify({ accepted: fresh.length, duplicates: events.length - fresh.length, rejected: [] }),
      );
    }
    res.writeHead(404).end();
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((req, res) => {
        let text = '';
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => (text += chunk));
        req.on('end', () => handle(req, res, text));
      });
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      server.once('error', reject);
      server.listen(state.port, '127.0.0.1', () => {
        state.port = (server.address() as AddressInfo).port;
        state.url = `http://127.0.0.1:${state.port}`;
        resolve();
      });
    });

  await listen();
  return state;
}

/** Polls `check` until it returns truthy (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

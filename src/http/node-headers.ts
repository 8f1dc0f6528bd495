// Headers read from and written to Node's own request and response objects when the app runs on
// @hono/node-server, falling back to Hono's API elsewhere (tests calling app.request()). Hono's
// `c.req.header()` makes the adapter build a WHATWG Headers object for the request and
// `c.header()` builds one for the response; both validate every entry through WebIDL, which cost
// more than everything else the server does to answer an SDK's 304.
import type { Context } from 'hono';
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import type { IncomingMessage, ServerResponse } from 'node:http';

type NodeBindings = { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined;

/** A request header; `name` in lower case (Node lower-cases what it parses). */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as NodeBindings)?.incoming;
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Adds a header to whatever response this request ends with. On Node it goes on the
 * ServerResponse, which merges it into the status line the adapter writes (a header of the same
 * name set by the route's own response wins).
 */
export function responseHeader(c: Context, name: string, value: string): void {
  const outgoing = (c.env as NodeBindings)?.outgoing;
  if (outgoing) outgoing.setHeader(name, value);
  else c.header(name, value);
}

/**
 * A response whose headers stay a plain object on Node, where the adapter writes them as they
 * are; elsewhere Hono's c.body(), which also carries headers set earlier through c.header().
 */
export function plainResponse(
  c: Context,
  body: Uint8Array<ArrayBuffer> | null,
  status: StatusCode,
  headers: Record<string, string>,
): Response {
  if ((c.env as NodeBindings)?.outgoing) return new Response(body, { status, headers });
  return body === null
    ? c.body(null, status, headers)
    : c.body(body, status as ContentfulStatusCode, headers);
}

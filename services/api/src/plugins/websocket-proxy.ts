import type { AddressInfo } from 'node:net';
import httpProxy from '@fastify/http-proxy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config.js';
import { ApiError } from '../errors.js';
import { createUpstreamPicker, probe } from './websocket-upstreams.js';

const WEBSOCKET_PATH = '/xmpp-websocket';

type GuardConfig = Pick<ApiConfig, 'wsMaxFrameBytes' | 'wsMaxPerAddress' | 'wsMaxConnections' | 'allowedOrigins'>;

/** The configured origins, or the API's own (localhost and 127.0.0.1 on the port it listens on). */
function allowedOrigins(config: Pick<ApiConfig, 'allowedOrigins'>, port: number): ReadonlySet<string> {
  const listed = config.allowedOrigins
    .split(',')
    .map((o) => o.trim().replace(/\/$/, '').toLowerCase())
    .filter(Boolean);
  return new Set(listed.length > 0 ? listed : [`http://localhost:${port}`, `http://127.0.0.1:${port}`]);
}

/**
 * Guards of the WebSocket upgrade, before anything is proxied: the page's Origin (a
 * browser always sends it on a WebSocket, RFC 6455 §4.1; a page of another site
 * must not ride the user's network position, §10.2) and open connections per client
 * address. A client without an Origin is not a browser and is let through: it must
 * still log in with SCRAM.
 */
function createWebsocketGuard({ config, port }: { config: GuardConfig; port: () => number }) {
  const perAddress = new Map<string, number>();
  let total = 0;
  let origins: ReadonlySet<string> | undefined;
  return {
    open: () => total,
    check(request: FastifyRequest): void {
      const origin = request.headers.origin;
      origins ??= allowedOrigins(config, port());
      if (origin !== undefined && !origins.has(origin.toLowerCase())) {
        throw new ApiError(
          'TICKDESK_API_ORIGIN_FORBIDDEN',
          `origin ${origin.slice(0, 200)} may not open ${WEBSOCKET_PATH}`,
        );
      }
      const address = request.ip;
      const mine = perAddress.get(address) ?? 0;
      if (mine >= config.wsMaxPerAddress) {
        throw new ApiError(
          'TICKDESK_API_TOO_MANY_CONNECTIONS',
          `${mine} WebSockets open from this address (limit ${config.wsMaxPerAddress})`,
        );
      }
      if (total >= config.wsMaxConnections)
        throw new ApiError(
          'TICKDESK_API_TOO_MANY_CONNECTIONS',
          `${total} WebSockets open (limit ${config.wsMaxConnections})`,
        );
      perAddress.set(address, mine + 1);
      total += 1;
      // Counted until the client's TCP connection ends, whatever happens upstream.
      request.raw.socket.once('close', () => {
        total -= 1;
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left <= 0) perAddress.delete(address);
        else perAddress.set(address, left);
      });
    },
  };
}

/**
 * Only the client's address (X-Forwarded-For, as Prosody's mod_http reads it), never a
 * client-supplied one. The Origin, checked here, is not passed on: Prosody refuses
 * every page origin it is not told of (mod_tickdesk_ws_origin), so a page cannot skip
 * this proxy by opening Prosody's port directly.
 */
function upstreamHeaders(headers: Record<string, string>, request: FastifyRequest): Record<string, string> {
  return { ...headers, 'x-forwarded-for': request.ip };
}

const isUpgrade = (request: FastifyRequest) => request.headers.upgrade?.toLowerCase() === 'websocket';

/**
 * /xmpp-websocket proxied to the XMPP server (RFC 7395), so a browser needs one
 * origin and one port. Frames are capped (ws's default is 100 MiB, buffered in
 * memory before anything checks them); the client's address goes upstream in
 * X-Forwarded-For, which Prosody honours from trusted_proxies (mod_http), so its
 * login limits see the browser and not the API.
 */
export async function registerWebsocketProxy(
  app: FastifyInstance,
  { upstream, config }: { upstream: string | readonly string[]; config: GuardConfig },
): Promise<void> {
  const guard = createWebsocketGuard({ config, port: () => (app.server.address() as AddressInfo | null)?.port ?? 0 });
  const upstreams = typeof upstream === 'string' ? [upstream] : [...upstream];
  // One node: proxied as before (a dead node shows as the upstream's close). Several: each
  // upgrade goes to the next node that accepts a connection (a cluster's nodes serve the same users).
  const picker = createUpstreamPicker(upstreams, upstreams.length > 1 ? probe : () => Promise.resolve(true));
  const chosen = new WeakMap<object, string>();
  await app.register(httpProxy, {
    upstream: '',
    replyOptions: { getUpstream: (request) => chosen.get(request.raw) ?? upstreams[0]! },
    prefix: WEBSOCKET_PATH,
    rewritePrefix: WEBSOCKET_PATH,
    websocket: true,
    httpMethods: ['GET'],
    config: { openapi: false },
    // The plugin types its preHandler as a callback hook: done() once the upstream is chosen.
    preHandler: (request, _reply, done) => {
      if (!isUpgrade(request)) return done();
      try {
        guard.check(request);
      } catch (err) {
        return done(err as Error);
      }
      picker.pick().then((upstream) => {
        chosen.set(request.raw, upstream);
        done();
      }, done);
    },
    wsServerOptions: { maxPayload: config.wsMaxFrameBytes },
    // rewriteRequestHeaders is read by the plugin (index.js) but missing from its types.
    wsClientOptions: { rewriteRequestHeaders: upstreamHeaders } as object,
  });
}

import { ServerResponse, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import WebSocket, { WebSocketServer } from 'ws';
import type { ApiConfig } from '../config.js';
import { ApiError } from '../errors.js';
import { createWebsocketGuard, WEBSOCKET_PATH, type GuardConfig } from './websocket-guard.js';
import { relayWebsocket } from './websocket-relay.js';
import { createUpstreamPicker, probeXmpp, PROBE_TIMEOUT_MS, websocketUrl } from './websocket-upstreams.js';

type ProxyConfig = GuardConfig & Pick<ApiConfig, 'wsPingIntervalMs' | 'wsMaxBufferedBytes'>;

/**
 * Only the client's address (X-Forwarded-For, as Prosody's mod_http reads it), never a
 * client-supplied one. The Origin, checked here, is not passed on: Prosody refuses
 * every page origin it is not told of (mod_tickdesk_ws_origin), so a page cannot skip
 * this proxy by opening Prosody's port directly.
 */
const upstreamHeaders = (request: FastifyRequest): Record<string, string> => ({ 'x-forwarded-for': request.ip });

const isUpgrade = (request: FastifyRequest) => request.headers.upgrade?.toLowerCase() === 'websocket';

/** How long the API's own clients get to finish their closing handshake when the API stops. */
const SHUTDOWN_CLOSE_MS = 1_000;

/**
 * /xmpp-websocket relayed to the XMPP server (RFC 7395), so a browser needs one origin and
 * one port. The upgrade goes through fastify's routing, so the guards answer with the
 * API's errors (403, 429, 503) before anything is upgraded. Frames are capped (ws's default
 * is 100 MiB, buffered in memory before anything checks them); the client's address goes
 * upstream in X-Forwarded-For, which Prosody honours from trusted_proxies (mod_http), so
 * its login limits see the browser and not the API. What happens to each connection:
 * websocket-relay.ts.
 */
export async function registerWebsocketProxy(
  app: FastifyInstance,
  { upstream, config, domain }: { upstream: string | readonly string[]; config: ProxyConfig; domain: string },
): Promise<void> {
  const guard = createWebsocketGuard({ config, port: () => (app.server.address() as AddressInfo | null)?.port ?? 0 });
  const upstreams = typeof upstream === 'string' ? [upstream] : [...upstream];
  const picker = createUpstreamPicker(upstreams, (url) => probeXmpp(url, domain));
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.wsMaxFrameBytes });
  const upgrades = new WeakMap<IncomingMessage, { socket: Duplex; head: Buffer }>();
  const chosen = new WeakMap<IncomingMessage, string>();
  const log = app.log.child({ component: 'websocket-proxy' });

  // As @fastify/http-proxy does: an upgrade is routed like any request, its response bound
  // to the raw socket, so a refusal is an ordinary HTTP answer and ends the connection.
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrades.set(req, { socket, head });
    const res = new ServerResponse(req);
    res.assignSocket(socket as never);
    res.on('finish', () => socket.destroy());
    app.routing(req, res);
  });

  app.addHook('preClose', async () => {
    const open = [...wss.clients];
    for (const c of open) c.close(1001);
    await Promise.race([
      Promise.all(open.map((c) => new Promise((r) => (c.readyState === WebSocket.CLOSED ? r(0) : c.once('close', r))))),
      new Promise((r) => setTimeout(r, SHUTDOWN_CLOSE_MS).unref()),
    ]);
    for (const c of wss.clients) c.terminate();
  });

  app.route({
    method: 'GET',
    url: WEBSOCKET_PATH,
    schema: { hide: true },
    preHandler: async (request) => {
      if (!isUpgrade(request) || !upgrades.has(request.raw)) return;
      guard.check(request);
      chosen.set(request.raw, await picker.pick());
    },
    handler: (request, reply) => {
      const upgrade = upgrades.get(request.raw);
      const base = chosen.get(request.raw);
      if (!upgrade || !base || !isUpgrade(request))
        throw new ApiError('TICKDESK_API_BAD_REQUEST', `${WEBSOCKET_PATH} takes WebSocket upgrades only`);
      reply.hijack();
      wss.handleUpgrade(request.raw, upgrade.socket, upgrade.head, (client) =>
        relayWebsocket({
          client,
          upstream: base,
          picker,
          failover: upstreams.length > 1,
          pingIntervalMs: config.wsPingIntervalMs,
          maxBufferedBytes: config.wsMaxBufferedBytes,
          answerTimeoutMs: PROBE_TIMEOUT_MS,
          log,
          connect: (url) =>
            new WebSocket(websocketUrl(url), client.protocol ? [client.protocol] : [], {
              headers: upstreamHeaders(request),
            }),
        }),
      );
    },
  });
}

import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config.js';
import { ApiError } from '../errors.js';

export const WEBSOCKET_PATH = '/xmpp-websocket';

export type GuardConfig = Pick<
  ApiConfig,
  'wsMaxFrameBytes' | 'wsMaxPerAddress' | 'wsMaxConnections' | 'allowedOrigins'
>;

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
export function createWebsocketGuard({ config, port }: { config: GuardConfig; port: () => number }) {
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

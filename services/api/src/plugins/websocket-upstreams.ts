import net from 'node:net';
import { unavailable } from '../errors.js';

/** How long a node's HTTP port may take to accept before the next node is tried. */
const PROBE_TIMEOUT_MS = 1_000;

/** Does the node at `url` (http://host:port) accept a TCP connection? */
export function probe(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * The XMPP nodes' WebSocket endpoints, taken in turn so that dashboard sessions spread
 * over a cluster; a node that refuses the connection passes its turn to the next one,
 * and with none left the upgrade is answered 503 (TICKDESK_API_UNAVAILABLE).
 */
export function createUpstreamPicker(upstreams: readonly string[], isLive: (url: string) => Promise<boolean> = probe) {
  if (upstreams.length === 0) throw new RangeError('at least one XMPP WebSocket upstream');
  let turn = 0;
  return {
    async pick(): Promise<string> {
      const start = turn;
      turn = (turn + 1) % upstreams.length;
      for (let k = 0; k < upstreams.length; k++) {
        const url = upstreams[(start + k) % upstreams.length]!;
        if (upstreams.length === 1 || (await isLive(url))) return url;
      }
      throw unavailable(`no XMPP node accepts WebSocket connections (${upstreams.join(', ')})`);
    },
  };
}

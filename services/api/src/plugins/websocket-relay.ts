import WebSocket from 'ws';

/** After the client is gone, the node gets this long to answer our close frame before its TCP connection is cut. */
export const UPSTREAM_CLOSE_GRACE_MS = 1_000;

export interface RelayOptions {
  /** The browser's side, accepted by the API's WebSocket server. */
  client: WebSocket;
  /** The node's side, just opened (its URL, subprotocol and headers are the caller's). */
  upstream: WebSocket;
  /** A client that has not answered our ping by the next one is cut off (0: never pinged). */
  pingIntervalMs: number;
}

/** A close code ws may send: the reserved ones (RFC 6455 §7.4.1) are lifted to 4xxx as @fastify/http-proxy did. */
function sendable(code: number): number {
  if (code === 1004 || code === 1005 || code === 1006) return 3000 + code;
  const ok = (code >= 1000 && code <= 1014) || (code >= 3000 && code <= 4999);
  return ok ? code : 1011;
}

/**
 * One /xmpp-websocket connection relayed between a browser and an XMPP node (RFC 7395).
 * The client going away in any way (close frame, TCP end or reset, no pong to our ping)
 * closes the node's side at once, even while it is still connecting: the server logs the
 * user out then, instead of keeping the login (and routing the user's messages to it) until its
 * own ping times out, which never happens while this proxy answers its pings.
 */
export function relayWebsocket({ client, upstream, pingIntervalMs }: RelayOptions): void {
  let clientGone = false;
  const early: Array<{ data: Buffer; binary: boolean }> = [];
  let alive = true;
  let lastTick = Date.now();

  // A pong read after a stall of this process would be judged missing: timers run before
  // the socket is read. A tick that comes late pings again instead of judging.
  const pinger =
    pingIntervalMs > 0
      ? setInterval(() => {
          const late = Date.now() - lastTick > pingIntervalMs * 1.5;
          lastTick = Date.now();
          if (!alive && !late) return void client.terminate();
          alive = false;
          client.ping();
        }, pingIntervalMs)
      : undefined;
  pinger?.unref();

  function closeClient(code: number, reason: Buffer): void {
    if (client.readyState === WebSocket.OPEN) client.close(code, reason.length <= 123 ? reason : undefined);
  }

  function closeUpstream(): void {
    if (clientGone) return;
    clientGone = true;
    clearInterval(pinger);
    upstream.on('error', () => undefined);
    if (upstream.readyState === WebSocket.CONNECTING) return void upstream.terminate();
    if (upstream.readyState === WebSocket.OPEN) upstream.close(1000);
    // Our close frame is answered by the node's; ws ends TCP only then (or after 30 s).
    setTimeout(() => upstream.terminate(), UPSTREAM_CLOSE_GRACE_MS).unref();
  }

  upstream.on('open', () => {
    for (const f of early.splice(0)) upstream.send(f.data, { binary: f.binary });
  });
  upstream.on('message', (data: Buffer, binary: boolean) => client.send(data, { binary }));
  upstream.on('close', (code: number, reason: Buffer) => {
    if (!clientGone) closeClient(sendable(code), reason);
  });
  upstream.on('error', () => {
    if (!clientGone) closeClient(1011, Buffer.from('XMPP server connection failed'));
  });
  upstream.on('unexpected-response', (_req, res) => {
    res.resume();
    upstream.terminate();
  });

  client.on('message', (data: Buffer, binary: boolean) => {
    alive = true;
    if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
    else if (upstream.readyState === WebSocket.CONNECTING) early.push({ data, binary });
  });
  client.on('pong', () => (alive = true));
  client.on('close', closeUpstream);
  client.on('error', () => {
    closeUpstream();
    client.terminate();
  });
}

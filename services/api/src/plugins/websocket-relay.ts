import type { FastifyBaseLogger } from 'fastify';
import WebSocket from 'ws';
import type { UpstreamPicker } from './websocket-upstreams.js';

/** After the client is gone, the node gets this long to answer our close frame before its TCP connection is cut. */
const UPSTREAM_CLOSE_GRACE_MS = 1_000;

export interface RelayOptions {
  /** The browser's side, accepted by the API's WebSocket server. */
  client: WebSocket;
  /** The node picked for this connection (an HTTP base). */
  upstream: string;
  picker: UpstreamPicker;
  /** Opens the node's side (its URL, subprotocol and headers are the caller's). */
  connect(base: string): WebSocket;
  /** A client that has not answered our ping by the next one is cut off (0: never pinged). */
  pingIntervalMs: number;
  /** What this process may hold for either side that does not read: past it the client is cut off. */
  maxBufferedBytes: number;
  /** With several nodes: how long the node may take to answer the client's first frames before the next is tried. */
  answerTimeoutMs: number;
  /** Several nodes: a node that fails before the client heard its answer is replaced by the next live one. */
  failover: boolean;
  log: FastifyBaseLogger;
}

type Frame = { data: Buffer; binary: boolean };

/** A close code ws may send: the reserved ones (RFC 6455 §7.4.1) are lifted to 4xxx as @fastify/http-proxy did. */
function sendable(code: number): number {
  if (code === 1004 || code === 1005 || code === 1006) return 3000 + code;
  const ok = (code >= 1000 && code <= 1014) || (code >= 3000 && code <= 4999);
  return ok ? code : 1011;
}

/** The node's stream header (RFC 7395 §3.4): it proves the node speaks XMPP, not yet that the stream goes on. */
const isOpenFrame = (f: Frame): boolean => !f.binary && /^\s*<open[\s/>]/.test(f.data.toString('utf8'));

/**
 * One /xmpp-websocket connection relayed between a browser and an XMPP node (RFC 7395).
 *
 * - The client going away in any way (close frame, TCP end or reset, no pong to our ping)
 *   closes the node's side at once, even while it is still connecting: the server logs the
 *   user out then, instead of keeping the login (and routing the user's messages to it) until its
 *   own ping times out, which never happens while this proxy answers its pings.
 * - A side that does not read what the other sends (a browser that stopped reading its
 *   stream, a node that stopped reading the browser's) costs this process memory: past
 *   `maxBufferedBytes` held for it, the client is cut off, and the node's side with it.
 * - With several nodes, until the node has sent more than its stream header (its features,
 *   or a stream error) its frames are held and the client's are kept; a node that fails
 *   or stays silent meanwhile is marked down and the client's frames are replayed to the
 *   next live node, so the client never waits out its own login timeout on a dead node.
 */
export function relayWebsocket(opts: RelayOptions): void {
  const { client, picker, log } = opts;
  const tried = new Set<string>();
  let base = opts.upstream;
  let upstream: WebSocket;
  let answered = !opts.failover;
  let clientGone = false;
  const fromClient: Frame[] = [];
  const held: Frame[] = [];
  let answerTimer: NodeJS.Timeout | undefined;
  let alive = true;
  let lastTick = Date.now();

  // A pong read after a stall of this process would be judged missing: timers run before
  // the socket is read. A tick that comes late pings again instead of judging.
  const pinger =
    opts.pingIntervalMs > 0
      ? setInterval(() => {
          const late = Date.now() - lastTick > opts.pingIntervalMs * 1.5;
          lastTick = Date.now();
          if (!alive && !late) return void client.terminate();
          alive = false;
          client.ping();
        }, opts.pingIntervalMs)
      : undefined;
  pinger?.unref();

  /** Sends to `to`, and cuts the client off when `to` does not read what it is sent. */
  function relay(to: WebSocket, data: Buffer, binary: boolean): void {
    to.send(data, { binary });
    if (to.bufferedAmount <= opts.maxBufferedBytes || clientGone) return;
    log.warn(
      { node: base, buffered: to.bufferedAmount, side: to === client ? 'client' : 'node' },
      'a /xmpp-websocket side does not read its frames: cut off',
    );
    client.terminate();
  }

  function attach(url: string): void {
    base = url;
    tried.add(url);
    const up = opts.connect(url);
    upstream = up;
    up.on('open', () => {
      for (const f of fromClient) relay(up, f.data, f.binary);
      // Kept for a replay only until the node answered.
      if (answered) fromClient.length = 0;
      else if (fromClient.length > 0) armAnswerTimer();
    });
    up.on('message', (data: Buffer, binary: boolean) => {
      if (up !== upstream) return;
      if (answered) return void relay(client, data, binary);
      held.push({ data, binary });
      if (!isOpenFrame({ data, binary })) {
        answered = true;
        clearTimeout(answerTimer);
        fromClient.length = 0;
        for (const f of held.splice(0)) relay(client, f.data, f.binary);
      }
    });
    up.on('close', (code: number, reason: Buffer) => {
      if (up !== upstream || clientGone) return;
      if (!answered) return void nodeFailed(up, `closed with ${code}`);
      closeClient(sendable(code), reason);
    });
    up.on('error', (err: Error) => {
      if (up !== upstream || clientGone) return;
      if (!answered) return void nodeFailed(up, err.message);
      closeClient(1011, Buffer.from('XMPP server connection failed'));
    });
    up.on('unexpected-response', (_req, res) => {
      res.resume();
      up.terminate();
    });
  }

  function armAnswerTimer(): void {
    if (answerTimer) return;
    const up = upstream;
    answerTimer = setTimeout(() => {
      if (up === upstream && !answered) nodeFailed(up, `no answer within ${opts.answerTimeoutMs} ms`);
    }, opts.answerTimeoutMs);
  }

  function nodeFailed(up: WebSocket, why: string): void {
    clearTimeout(answerTimer);
    answerTimer = undefined;
    held.length = 0;
    up.removeAllListeners('close');
    up.on('error', () => undefined);
    up.terminate();
    if (!opts.failover) return closeClient(1011, Buffer.from('XMPP server connection failed'));
    picker.markDown(base);
    log.warn({ node: base, reason: why }, 'XMPP node failed before answering a dashboard stream; trying the next');
    picker.pick(tried).then(
      (next) => {
        if (!clientGone) attach(next);
      },
      () => closeClient(1013, Buffer.from('no XMPP node answers')),
    );
  }

  function closeClient(code: number, reason: Buffer): void {
    if (client.readyState === WebSocket.OPEN) client.close(code, reason.length <= 123 ? reason : undefined);
  }

  function closeUpstream(): void {
    if (clientGone) return;
    clientGone = true;
    clearInterval(pinger);
    clearTimeout(answerTimer);
    const up = upstream;
    up.on('error', () => undefined);
    if (up.readyState === WebSocket.CONNECTING) return void up.terminate();
    if (up.readyState === WebSocket.OPEN) up.close(1000);
    // Our close frame is answered by the node's; ws ends TCP only then (or after 30 s).
    setTimeout(() => up.terminate(), UPSTREAM_CLOSE_GRACE_MS).unref();
  }

  client.on('message', (data: Buffer, binary: boolean) => {
    alive = true;
    if (!answered) {
      fromClient.push({ data, binary });
      if (upstream.readyState === WebSocket.OPEN) armAnswerTimer();
    }
    if (upstream.readyState === WebSocket.OPEN) relay(upstream, data, binary);
    else if (answered && upstream.readyState === WebSocket.CONNECTING) fromClient.push({ data, binary });
  });
  client.on('pong', () => (alive = true));
  client.on('close', closeUpstream);
  client.on('error', () => {
    closeUpstream();
    client.terminate();
  });
  attach(base);
}

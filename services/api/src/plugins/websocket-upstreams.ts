import WebSocket from 'ws';
import { unavailable } from '../errors.js';

/** How long a node may take to answer an RFC 7395 <open/> with its stream features. */
export const PROBE_TIMEOUT_MS = 2_000;
/** A node out of the rotation is probed again at most this often. */
const RETRY_DOWN_MS = 1_000;

const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';

/** Does this frame carry the stream's features (RFC 7395 §3.3.2: each frame one element)? */
const isFeaturesFrame = (text: string): boolean => /^\s*<(?:stream:)?features[\s/>]/.test(text);

/** The WebSocket endpoint of an XMPP node's HTTP base (http://host:port). */
export const websocketUrl = (base: string): string =>
  `${base.replace(/^http/, 'ws').replace(/\/$/, '')}/xmpp-websocket`;

/**
 * Does the node at `base` speak XMPP over WebSocket? An RFC 7395 §3.4 <open/> for `domain`
 * must be answered by stream features within `timeoutMs`; a node that accepts TCP while it
 * restarts, or is stuck, does not. The probe closes its stream (§3.6) and logs nobody in.
 */
export function probeXmpp(base: string, domain: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(websocketUrl(base), 'xmpp', { handshakeTimeout: timeoutMs });
    const timer = setTimeout(() => done(false), timeoutMs);
    function done(ok: boolean): void {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      if (ok) {
        ws.send(`<close xmlns='${NS_FRAMING}'/>`, () => ws.close(1000));
        setTimeout(() => ws.terminate(), timeoutMs).unref();
      } else ws.terminate();
      resolve(ok);
    }
    ws.on('open', () => ws.send(`<open xmlns='${NS_FRAMING}' to='${domain}' version='1.0'/>`));
    ws.on('message', (data: Buffer) => {
      if (isFeaturesFrame(data.toString('utf8'))) done(true);
    });
    ws.on('error', () => done(false));
    ws.on('close', () => done(false));
    ws.on('unexpected-response', () => done(false));
  });
}

export interface UpstreamPicker {
  /** The next node in turn that answers, skipping `tried`; rejects 503 when none does. */
  pick(tried?: ReadonlySet<string>): Promise<string>;
  /** `url` failed a client's stream: out of the rotation until a probe finds it answering again. */
  markDown(url: string): void;
  /** Nodes out of the rotation now. */
  down(): string[];
}

/**
 * The XMPP nodes' WebSocket endpoints, taken in turn so that dashboard logins spread over
 * a cluster. Each candidate is probed (`isLive`) before it is handed out; a node that fails a
 * probe, or fails a client's stream before its features (`markDown`), stays out of the
 * rotation, probed again at most every RETRY_DOWN_MS, until it answers. With none left the
 * upgrade is answered 503 (TICKDESK_API_UNAVAILABLE). A single node is never probed or
 * skipped: there is no other to send the client to, and its own close says why.
 */
export function createUpstreamPicker(
  upstreams: readonly string[],
  isLive: (url: string) => Promise<boolean>,
  { now = Date.now, retryDownMs = RETRY_DOWN_MS }: { now?: () => number; retryDownMs?: number } = {},
): UpstreamPicker {
  if (upstreams.length === 0) throw new RangeError('at least one XMPP WebSocket upstream');
  let turn = 0;
  /** Node → when it was last found failing. */
  const downAt = new Map<string, number>();
  return {
    async pick(tried = new Set()) {
      if (upstreams.length === 1) return upstreams[0]!;
      const start = turn;
      turn = (turn + 1) % upstreams.length;
      for (let k = 0; k < upstreams.length; k++) {
        const url = upstreams[(start + k) % upstreams.length]!;
        if (tried.has(url)) continue;
        const since = downAt.get(url);
        if (since !== undefined && now() - since < retryDownMs) continue;
        if (await isLive(url)) {
          downAt.delete(url);
          return url;
        }
        downAt.set(url, now());
      }
      throw unavailable(`no XMPP node answers over WebSocket (${upstreams.join(', ')})`);
    },
    markDown(url) {
      if (upstreams.length > 1) downAt.set(url, now());
    },
    down: () => [...downAt.keys()],
  };
}

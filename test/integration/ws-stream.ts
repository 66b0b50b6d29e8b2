import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { frameText, scramResponse } from './ws-login.js';

const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

/** A logged-in stream over RFC 7395 as the dashboard opens it, that answers nothing: frames are only collected. */
export interface WsStream {
  ws: WebSocket;
  /** Every frame received since the login. */
  frames: string[];
  /**
   * The browser's machine is gone: from now on nothing is sent, not even a pong (RFC 6455
   * §5.5.3) or a TCP FIN, and nothing received is read.
   */
  vanish(): void;
}

/**
 * Logs in over WebSocket (SCRAM-SHA-1, RFC 7395 §3.5 stream restart), binds `resource`
 * (RFC 6120 §7) and sends initial presence (RFC 6121 §4.2). Sends no receipts.
 */
export function wsStream(
  url: string,
  opts: { domain: string; user: string; password: string; resource: string; timeoutMs?: number },
): Promise<WsStream> {
  const ws = new WebSocket(url, 'xmpp', { autoPong: false });
  // ws answers pings itself unless told not to; until the vanish, this client does as a browser.
  ws.on('ping', (data) => ws.pong(data));
  const open = `<open xmlns="${NS_FRAMING}" to="${opts.domain}" version="1.0"/>`;
  const first = `n=${opts.user},r=${randomBytes(12).toString('base64')}`;
  const frames: string[] = [];
  let stage: 'sasl' | 'restart' | 'bind' | 'online' = 'sasl';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`not online within ${opts.timeoutMs ?? 10_000} ms (${stage}): ${frames.join('')}`));
    }, opts.timeoutMs ?? 10_000);
    ws.on('error', reject);
    ws.on('open', () => ws.send(open));
    ws.on('message', (data) => {
      const frame = frameText(data);
      if (stage === 'online') return void frames.push(frame);
      if (/^<(stream:)?features/.test(frame)) {
        if (stage === 'sasl')
          ws.send(
            `<auth xmlns="${NS_SASL}" mechanism="SCRAM-SHA-1">${Buffer.from(`n,,${first}`).toString('base64')}</auth>`,
          );
        else if (stage === 'restart') {
          stage = 'bind';
          ws.send(
            `<iq xmlns="jabber:client" type="set" id="bind-1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>${opts.resource}</resource></bind></iq>`,
          );
        }
      } else if (frame.startsWith('<challenge')) {
        ws.send(scramResponse(opts.password, first, frame).response);
      } else if (frame.startsWith('<success')) {
        stage = 'restart';
        ws.send(open);
      } else if (stage === 'bind' && /^<iq[^>]*id=['"]bind-1['"]/.test(frame)) {
        stage = 'online';
        clearTimeout(timer);
        ws.send('<presence xmlns="jabber:client"/>');
        resolve({
          ws,
          frames,
          vanish() {
            ws.removeAllListeners('ping');
            ws.removeAllListeners('message');
            // Sends nothing further, reads nothing: the kernel keeps the connection open.
            (ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
          },
        });
      } else if (/^<(failure|stream:error|error|close)/.test(frame)) {
        clearTimeout(timer);
        reject(new Error(`login refused: ${frame}`));
      }
    });
  });
}

import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { WebSocket, type RawData } from 'ws';

/**
 * How a login over the XMPP WebSocket ended: `success`, a SASL failure condition (RFC 6120 §6.5:
 * `not-authorized`, `temporary-auth-failure`…), `stream-error:<condition>`, `http-<status>` when the
 * upgrade was refused, `bad-server-signature`, `closed` or `timeout`.
 */
type WsLoginResult = string;

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const hmac = (key: Buffer, data: string) => createHmac('sha1', key).update(data).digest();

/** A WebSocket message's text: with ws's default binaryType ('nodebuffer') every message arrives as one Buffer. */
export const frameText = (data: RawData): string => (data as Buffer).toString('utf8');

/** The client's SCRAM-SHA-1 final message (RFC 5802 §3) to a server's `<challenge/>` frame, and the server signature to expect. */
export function scramResponse(
  password: string,
  clientFirstBare: string,
  challengeFrame: string,
): { response: string; serverSignature: string } {
  const challenge = Buffer.from(/>([^<]*)</.exec(challengeFrame)?.[1] ?? '', 'base64').toString();
  const v = new Map(challenge.split(',').map((kv) => [kv[0], kv.slice(2)] as const));
  const salted = pbkdf2Sync(password, Buffer.from(v.get('s') ?? '', 'base64'), Number(v.get('i')), 20, 'sha1');
  const withoutProof = `c=biws,r=${v.get('r')}`;
  const auth = `${clientFirstBare},${challenge},${withoutProof}`;
  const clientKey = hmac(salted, 'Client Key');
  const signature = hmac(createHash('sha1').update(clientKey).digest(), auth);
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64');
  return {
    response: `<response xmlns="${NS_SASL}">${Buffer.from(`${withoutProof},p=${proof}`).toString('base64')}</response>`,
    serverSignature: hmac(hmac(salted, 'Server Key'), auth).toString('base64'),
  };
}

/**
 * One SASL SCRAM-SHA-1 login over RFC 7395 framing, as a browser's client does it, from
 * `localAddress` (any 127.x address is this machine), optionally with an Origin header.
 */
export function wsLogin(
  url: string,
  opts: { domain: string; user: string; password: string; localAddress?: string; origin?: string },
): Promise<WsLoginResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'xmpp', {
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      ...(opts.origin ? { headers: { origin: opts.origin } } : {}),
    });
    const timer = setTimeout(() => finish('timeout'), 10_000);
    const finish = (result: WsLoginResult) => {
      clearTimeout(timer);
      ws.terminate();
      resolve(result);
    };
    const cnonce = randomBytes(12).toString('base64');
    const first = `n=${opts.user},r=${cnonce}`;
    let sent = false;
    let serverSignature = '';
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      finish(`http-${res.statusCode ?? 0}`);
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('open', () =>
      ws.send(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="${opts.domain}" version="1.0"/>`),
    );
    ws.on('message', (data) => {
      const frame = frameText(data);
      if (frame.includes('<stream:features') || frame.includes('<features')) {
        if (sent) return;
        sent = true;
        ws.send(
          `<auth xmlns="${NS_SASL}" mechanism="SCRAM-SHA-1">${Buffer.from(`n,,${first}`).toString('base64')}</auth>`,
        );
      } else if (frame.startsWith('<challenge')) {
        const answer = scramResponse(opts.password, first, frame);
        serverSignature = answer.serverSignature;
        ws.send(answer.response);
      } else if (frame.startsWith('<success')) {
        const final = Buffer.from(/>([^<]*)</.exec(frame)?.[1] ?? '', 'base64').toString();
        finish(final === `v=${serverSignature}` ? 'success' : 'bad-server-signature');
      } else if (frame.startsWith('<failure')) {
        finish(/<failure[^>]*><([a-z-]+)/.exec(frame)?.[1] ?? 'failure');
      } else if (/^<(stream:)?error/.test(frame)) {
        // A stream error (RFC 6120 §4.9), e.g. ejabberd's mod_fail2ban refusing a locked address.
        finish(
          `stream-error:${/<([a-z-]+) xmlns=["']urn:ietf:params:xml:ns:xmpp-streams/.exec(frame)?.[1] ?? 'unknown'}`,
        );
      } else if (frame.startsWith('<close')) {
        finish('closed');
      }
    });
  });
}

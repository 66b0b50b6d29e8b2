import type { Element } from '@tickdesk/xmpp/browser';

/**
 * What the dashboard logs in with. The password is used for the first login only;
 * after it the session hands back SCRAM keys derived from it (RFC 5802 ClientKey and
 * ServerKey) for reconnecting, so the password itself is not kept.
 */
export type SessionSecret = { password: string } | { scram: unknown };

export interface OpenSessionOptions {
  /** `ws(s)://<host>/xmpp-websocket`. */
  service: string;
  domain: string;
  /** Bare JID. */
  jid: string;
  resource: string;
  secret: SessionSecret;
}

/** One authenticated, bound XMPP stream. The connection store owns it; nothing else sees it. */
export interface XmppSession {
  /** The bound full JID. */
  readonly jid: string;
  /** What to reconnect with (derived keys, never the password). */
  readonly secret: SessionSecret;
  send(stanza: Element): Promise<void>;
  /** An iq get/set; resolves with the result, rejects on an error reply or a timeout. */
  request(iq: Element, timeoutMs?: number): Promise<Element>;
  onStanza(handler: (stanza: Element) => void): void;
  /** Called once when the stream ends without close() (network, server, stream error). */
  onClose(handler: (reason: CloseReason) => void): void;
  close(): Promise<void>;
}

export interface CloseReason {
  /** RFC 6120 §4.9.3 stream error condition, when the server sent one (`conflict`, `system-shutdown`…). */
  condition?: string;
  message: string;
}

export type OpenSession = (options: OpenSessionOptions) => Promise<XmppSession>;

/** Why a session could not be opened: the login form says it in words. */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  constructor(
    /** auth: credentials refused; unreachable: no WebSocket or no answer; protocol: anything else. */
    readonly kind: 'auth' | 'unreachable' | 'protocol',
    message: string,
  ) {
    super(message);
  }
}

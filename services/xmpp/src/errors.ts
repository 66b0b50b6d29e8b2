import type { Element } from '@xmpp/xml';
import { NS } from './namespaces.js';

/** Stable error codes of the XMPP layer; never reused. */
export type XmppErrorCode =
  | 'TICKDESK_XMPP_AUTH_FAILED'
  | 'TICKDESK_XMPP_UNREACHABLE'
  | 'TICKDESK_XMPP_TLS_FAILED'
  | 'TICKDESK_XMPP_STANZA_ERROR'
  | 'TICKDESK_XMPP_TIMEOUT'
  | 'TICKDESK_XMPP_NOT_CONNECTED';

export class XmppError extends Error {
  override readonly name = 'XmppError';
  constructor(
    readonly code: XmppErrorCode,
    message: string,
    /** RFC 6120 §8.3.3 defined condition, when the server gave one. */
    readonly condition?: string,
    /** Application-specific condition, e.g. XEP-0060's `invalid-jid`. */
    readonly appCondition?: string,
    /** RFC 6120 §8.3.2 error type: `wait` means the request may succeed if retried later. */
    readonly errorType?: string,
  ) {
    super(message);
  }

  /** From an `<error/>` child of an error stanza (RFC 6120 §8.3). */
  static fromStanza(stanza: Element, what: string): XmppError {
    const err = stanza.getChild('error');
    const defined = err?.children.find(
      (c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS.stanzas && c.name !== 'text',
    );
    const app = err?.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns !== NS.stanzas);
    const text = err?.getChildText('text', NS.stanzas);
    const condition = defined?.name ?? 'undefined-condition';
    return new XmppError(
      'TICKDESK_XMPP_STANZA_ERROR',
      `${what}: ${condition}${app ? ` (${app.name})` : ''}${text ? `: ${text}` : ''}`,
      condition,
      app?.name,
      err?.attrs.type as string | undefined,
    );
  }
}

/** Normalise whatever an xmpp.js call threw into an XmppError that keeps the condition. */
export function toXmppError(err: unknown, what: string): XmppError {
  if (err instanceof XmppError) return err;
  const e = err as { name?: string; condition?: string; element?: Element; message?: string; application?: Element };
  if (e?.name === 'StanzaError' && e.element?.name === 'error' && e.element.parent)
    return XmppError.fromStanza(e.element.parent, what);
  if (e?.name === 'StanzaError') {
    return new XmppError('TICKDESK_XMPP_STANZA_ERROR', `${what}: ${e.condition}`, e.condition, e.application?.name);
  }
  if (e?.name === 'TimeoutError') return new XmppError('TICKDESK_XMPP_TIMEOUT', `${what}: timed out`);
  return new XmppError('TICKDESK_XMPP_STANZA_ERROR', `${what}: ${e?.message ?? String(err)}`);
}

import { xml, type Element } from '@tickdesk/xmpp/browser';
import type {
  CloseReason,
  OpenSession,
  OpenSessionOptions,
  SessionSecret,
  XmppSession,
} from '../lib/xmpp/xmpp-session.js';

/** A session that records what the page sends and lets a test deliver stanzas or drop the stream. */
class FakeSession implements XmppSession {
  sent: Element[] = [];
  requests: Element[] = [];
  closed = false;
  private stanzaHandlers: Array<(s: Element) => void> = [];
  private closeHandlers: Array<(r: CloseReason) => void> = [];
  constructor(
    readonly jid: string,
    readonly secret: SessionSecret,
    private readonly reply: (iq: Element) => Element = (iq) =>
      xml('iq', { type: 'result', id: String(iq.attrs.id ?? '') }),
  ) {}
  async send(stanza: Element): Promise<void> {
    if (this.closed) throw new Error('closed');
    this.sent.push(stanza);
  }
  async request(iq: Element): Promise<Element> {
    if (this.closed) throw new Error('closed');
    this.requests.push(iq);
    return this.reply(iq);
  }
  onStanza(h: (s: Element) => void): void {
    this.stanzaHandlers.push(h);
  }
  onClose(h: (r: CloseReason) => void): void {
    this.closeHandlers.push(h);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  receive(stanza: Element): void {
    this.stanzaHandlers.forEach((h) => h(stanza));
  }
  drop(reason: CloseReason = { message: 'network down' }): void {
    this.closed = true;
    this.closeHandlers.forEach((h) => h(reason));
  }
  /** Sent message stanzas with a child of this namespace. */
  messages(ns: string): Element[] {
    return this.sent.filter(
      (s) => s.name === 'message' && s.children.some((c) => typeof c !== 'string' && c.attrs.xmlns === ns),
    );
  }
}

/** An OpenSession whose outcomes a test scripts: each call takes the next outcome (default: a new session). */
export function fakeOpen(domain = 'desk.localhost') {
  const calls: OpenSessionOptions[] = [];
  const sessions: FakeSession[] = [];
  const outcomes: Array<Error | undefined> = [];
  const open: OpenSession = async (opts) => {
    calls.push(opts);
    const outcome = outcomes.shift();
    if (outcome) throw outcome;
    const s = new FakeSession(`${opts.jid}/${opts.resource}`, { scram: { derivedFrom: opts.jid } });
    sessions.push(s);
    return s;
  };
  return { open, calls, sessions, outcomes, last: () => sessions[sessions.length - 1]!, domain };
}

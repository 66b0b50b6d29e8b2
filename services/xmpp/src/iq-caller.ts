import xml, { type Element } from '@xmpp/xml';
import xid from '@xmpp/id';
import type { Client } from '@xmpp/client-core';
import { NS } from './namespaces.js';

export interface IQCaller {
  /** Send an iq get/set and resolve with the result stanza; an error reply rejects with an error that keeps the stanza. */
  request(stanza: Element, timeoutMs?: number): Promise<Element>;
  get(child: Element, to?: string, timeoutMs?: number): Promise<Element | undefined>;
  set(child: Element, to?: string, timeoutMs?: number): Promise<Element | undefined>;
}

export class IqErrorReply extends Error {
  override readonly name = 'StanzaError';
  constructor(
    readonly element: Element,
    readonly condition: string,
  ) {
    super(condition);
  }
}
export class IqTimeout extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * RFC 6120 §8.2.3 request/response. Unlike xmpp.js' caller, a reply that arrives
 * before the request's write has completed is never an unhandled rejection, and a
 * reply only counts when it comes from the entity the request was addressed to.
 */
export function createIqCaller(entity: Client): IQCaller {
  const pending = new Map<
    string,
    { from: string | undefined; resolve: (el: Element) => void; reject: (err: Error) => void }
  >();

  entity.on('stanza', (stanza: Element) => {
    if (stanza.name !== 'iq' || (stanza.attrs.type !== 'result' && stanza.attrs.type !== 'error')) return;
    const p = pending.get(stanza.attrs.id as string);
    if (!p) return;
    const from = stanza.attrs.from as string | undefined;
    // §8.1.2.1: a reply to a request without 'to' comes from the server or our own account.
    const own = [entity.options.domain, ...(entity.jid ? [entity.jid.bare().toString(), entity.jid.toString()] : [])];
    if (
      p.from
        ? from !== p.from && !(from === undefined && own.includes(p.from))
        : from !== undefined && !own.includes(from)
    )
      return;
    pending.delete(stanza.attrs.id as string);
    if (stanza.attrs.type === 'result') p.resolve(stanza);
    else {
      const err = stanza.getChild('error');
      const cond = err?.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS.stanzas)?.name;
      p.reject(new IqErrorReply(err ?? stanza, cond ?? 'undefined-condition'));
    }
  });
  entity.on('disconnect', () => {
    for (const [id, p] of pending) {
      pending.delete(id);
      p.reject(new Error('connection lost before the reply'));
    }
  });

  async function request(stanza: Element, timeoutMs = 30_000): Promise<Element> {
    const id = (stanza.attrs.id as string | undefined) ?? (stanza.attrs.id = xid());
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<Element>((resolve, reject) => {
      pending.set(id, { from: stanza.attrs.to as string | undefined, resolve, reject });
      timer = setTimeout(() => {
        pending.delete(id);
        reject(new IqTimeout(`no reply to iq ${id} in ${timeoutMs} ms`));
      }, timeoutMs);
    });
    reply.catch(() => {}); // observed below; never "unhandled" while the write completes
    try {
      await entity.send(stanza);
      return await reply;
    } catch (err) {
      pending.delete(id);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
  const child = (type: 'get' | 'set') => async (el: Element, to?: string, timeoutMs?: number) => {
    const res = await request(xml('iq', to ? { type, to } : { type }, el), timeoutMs);
    return res.getChild(el.name, el.attrs.xmlns as string);
  };
  return { request, get: child('get'), set: child('set') };
}

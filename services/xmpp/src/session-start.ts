import type { Logger } from 'pino';
import type { Client } from '@xmpp/client-core';
import { XmppError } from './errors.js';
import type { NodeRing } from './node-ring.js';

type Jid = { toString(): string };

const isUnreachable = (err: unknown): boolean =>
  ['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET'].includes((err as { code?: string }).code ?? '');

/** Start on the ring's first node; a node that refuses the connection passes the start to the next one. */
export async function startOnSomeNode({
  entity,
  ring,
  domain,
  log,
}: {
  entity: Client;
  ring: NodeRing;
  domain: string;
  log: Logger;
}): Promise<Jid> {
  ring.rewind();
  for (let tried = 1; ; tried++) {
    try {
      return await startEntity(entity, ring.current(), domain);
    } catch (err) {
      if (tried >= ring.size || !isUnreachable(err)) throw err;
      log.warn({ service: ring.current(), err }, 'XMPP node unreachable, trying the next');
      await entity.stop().catch(() => {});
      ring.next();
    }
  }
}

/**
 * `entity.start()` of xmpp.js 0.14 waits for 'online' with a promise it only returns
 * after the stream opened; if the connection fails before that, that promise rejects
 * with nobody listening (an unhandled rejection). The same steps, with it handled.
 */
async function startEntity(entity: Client, service: string, domain: string): Promise<Jid> {
  if (entity.status !== 'offline') throw new Error('Connection is not offline');
  await entity.connect(service);
  const online = new Promise<Jid>((resolve, reject) => {
    const onOnline = (jid: Jid) => {
      entity.off('error', onError);
      resolve(jid);
    };
    const onError = (err: Error) => {
      entity.off('online', onOnline);
      reject(err);
    };
    entity.once('online', onOnline);
    entity.once('error', onError);
  });
  online.catch(() => undefined);
  await entity.open({ domain });
  return online;
}

/** Why a start failed, as a stable code and a sentence an operator can act on. */
export function describeStartError(err: unknown, { who, service }: { who: string; service: string }): XmppError {
  const e = err as { name?: string; condition?: string; code?: string; message?: string };
  if (e.name === 'SASLError' && e.condition === 'invalid-mechanism') {
    return new XmppError('TICKDESK_XMPP_AUTH_FAILED', `XMPP login as ${who} impossible: ${e.message}`, e.condition);
  }
  if (e.name === 'SASLError') {
    return new XmppError(
      'TICKDESK_XMPP_AUTH_FAILED',
      `XMPP login as ${who} refused (${e.condition}): check the password in the credentials file`,
      e.condition,
    );
  }
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ETIMEDOUT') {
    return new XmppError(
      'TICKDESK_XMPP_UNREACHABLE',
      `XMPP server at ${service} unreachable (${e.code}): is it running?`,
    );
  }
  if (typeof e.code === 'string' && /TLS|SSL|CERT|VERIFY|SIGNATURE|SELF_SIGNED/.test(e.code)) {
    return new XmppError(
      'TICKDESK_XMPP_TLS_FAILED',
      `TLS to ${service} failed (${e.code}): the client must trust the desk CA`,
    );
  }
  if (err instanceof XmppError) return err;
  return new XmppError('TICKDESK_XMPP_UNREACHABLE', `XMPP start as ${who} failed: ${e.message ?? String(err)}`);
}

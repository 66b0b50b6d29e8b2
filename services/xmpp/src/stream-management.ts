// Typed as Node's, built from @xmpp/events' (the 'events' package in a browser bundle).
import type { EventEmitter as TypedEmitter } from 'node:events';
import { EventEmitter } from '@xmpp/events';
import xml, { type Element } from '@xmpp/xml';
import type { Client } from '@xmpp/client-core';
import type { StreamFeatures } from '@xmpp/stream-features';
import { NS } from './namespaces.js';

// XEP-0198: Stream Management (urn:xmpp:sm:3), acknowledgements only (no resumption).
export const NS_SM = NS.sm;
const isStanzaName = (name: string) => name === 'iq' || name === 'message' || name === 'presence';

export interface StreamManagementOptions {
  /** Ask the server for an ack this long after the last unacknowledged send (ms). */
  requestAckDelayMs?: number;
  /** Keep at most this many unacknowledged stanzas; older ones are reported as failed. */
  maxUnacked?: number;
  /**
   * Enable it when the server offers it (default). A session that only reads pubsub
   * notifications it can read again from the node may leave it off: the server then
   * keeps no per-stanza queue for it (docs/benchmarks.md, fan-out).
   */
  enable?: boolean;
}

export interface StreamManagement extends TypedEmitter<{
  ack: [stanza: Element];
  fail: [stanza: Element];
  enabled: [];
}> {
  readonly enabled: boolean;
  /** Stanzas handled from the server since <enabled/> (§4 'h'). */
  readonly inbound: number;
  /** Sent stanzas not yet acknowledged by the server. */
  readonly unacked: number;
  /** Send <r/> now. */
  requestAck(): void;
}

/**
 * Counting happens on the connection's own `stanza`/`nonza` events, which fire once
 * per element in stream order, so 'h' is exact whatever the middleware does with a
 * stanza (xmpp.js' IQ caller swallows the results it resolves).
 */
export function streamManagement({
  entity,
  streamFeatures,
  requestAckDelayMs = 100,
  maxUnacked = 10_000,
  enable = true,
}: StreamManagementOptions & { entity: Client; streamFeatures: StreamFeatures<Client> }): StreamManagement {
  const sm = new EventEmitter() as StreamManagement & { enabled: boolean; inbound: number };
  let enabled = false;
  let enableSent = false;
  let inbound = 0;
  let acked = 0; // outbound stanzas the server has acknowledged, since <enable/>
  let queue: Element[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  const failAll = () => {
    // Forget the handle too: scheduleRequest arms only when none is set, so a stale one
    // would stop every later <r/> (§4) and let the queue grow to maxUnacked.
    clearTimeout(timer);
    timer = undefined;
    const q = queue;
    queue = [];
    enabled = enableSent = false;
    acked = 0;
    for (const s of q) sm.emit('fail', s);
  };
  const scheduleRequest = () => {
    if (!timer && enabled)
      timer = setTimeout(() => {
        timer = undefined;
        sm.requestAck();
      }, requestAckDelayMs);
  };

  entity.on('stanza', () => {
    if (enabled || enableSent) inbound += 1;
  });
  entity.on('nonza', (el: Element) => {
    if (el.attrs.xmlns !== NS_SM) return;
    if (el.name === 'r') {
      entity.send(xml('a', { xmlns: NS_SM, h: String(inbound) })).catch(() => {});
    } else if (el.name === 'a') {
      const h = Number(el.attrs.h);
      if (!Number.isSafeInteger(h) || h < acked || h - acked > queue.length) return;
      const done = queue.splice(0, h - acked);
      acked = h;
      for (const s of done) sm.emit('ack', s);
    } else if (el.name === 'enabled') {
      // §4: the count of handled stanzas starts at <enabled/>.
      enabled = true;
      inbound = 0;
      sm.emit('enabled');
      if (queue.length) scheduleRequest();
    } else if (el.name === 'failed') {
      enableSent = false;
    }
  });
  // A stanza counts from the moment it is handed to the connection: writes keep call
  // order, so one handed over after <enable/> is one the server counts (§4). xmpp.js
  // emits 'send' only once the socket write has completed, and resource binding emits
  // 'online' before <enable/> goes out: a stanza an 'online' handler sends would then
  // look as if sent after <enable/>, and every later ack would be credited one stanza
  // early, for as long as the session lasts.
  const rawSend = entity.send.bind(entity);
  entity.send = (el: Element, ...rest: unknown[]) => {
    if (enableSent && isStanzaName(el.name)) track(el);
    return rawSend(el, ...rest);
  };
  function track(el: Element): void {
    queue.push(el);
    if (queue.length > maxUnacked) {
      acked += 1; // the server will count it; we stop waiting for it
      sm.emit('fail', queue.shift()!);
    }
    scheduleRequest();
  }
  entity.on('disconnect', failAll);

  // Enable after resource binding (§3: a client MUST bind first).
  if (enable)
    streamFeatures.use('sm', NS_SM, async (_ctx, next) => {
      await next();
      enableSent = true;
      inbound = 0;
      acked = 0;
      await entity.send(xml('enable', { xmlns: NS_SM }));
    });

  return Object.defineProperties<StreamManagement>(
    Object.assign(sm, {
      requestAck() {
        if (enabled) entity.send(xml('r', { xmlns: NS_SM })).catch(() => {});
      },
    }),
    {
      enabled: { get: () => enabled },
      inbound: { get: () => inbound },
      unacked: { get: () => queue.length },
    },
  );
}

import { xml, type Element } from '@tickdesk/xmpp';
import type { AuditRecord } from '../store/index.js';

/** The audit feed's payload namespace (docs/protocol.md §6.3). */
export const NS_AUDIT = 'urn:tickdesk:audit:0';
/** The pubsub node every audit record is published to (docs/protocol.md, "Nodes"). */
export const AUDIT_NODE = 'audit';

/**
 * One chain record as `<record xmlns='urn:tickdesk:audit:0'/>`: each field of the REST
 * export an attribute of the same name, `detail` the element's text. A reader rebuilds the
 * canonical array (audit-record.ts) from it and checks the hash as the offline verifier does.
 */
export function auditPayload(r: AuditRecord): Element {
  const attrs: Record<string, string> = {
    xmlns: NS_AUDIT,
    seq: String(r.seq),
    time: r.time,
    alertId: r.alertId,
    trader: r.trader,
    symbol: r.symbol,
    event: r.event,
    stanzaHash: r.stanzaHash,
    prevHash: r.prevHash,
    hash: r.hash,
  };
  if (r.keyId !== undefined) attrs.keyId = r.keyId;
  return r.detail ? xml('record', attrs, r.detail) : xml('record', attrs);
}

/** The record a payload carries, or undefined when it is not one (another namespace, a missing field). */
export function decodeAuditPayload(el: Element | undefined): AuditRecord | undefined {
  if (!el || el.name !== 'record' || el.attrs.xmlns !== NS_AUDIT) return undefined;
  const a = el.attrs as Record<string, string | undefined>;
  const seq = Number(a.seq);
  const fields = ['time', 'alertId', 'trader', 'symbol', 'event', 'stanzaHash', 'prevHash', 'hash'] as const;
  if (!Number.isSafeInteger(seq) || seq < 1 || fields.some((f) => typeof a[f] !== 'string')) return undefined;
  const detail = el.getText();
  return {
    seq,
    time: a.time!,
    alertId: a.alertId!,
    trader: a.trader!,
    symbol: a.symbol!,
    event: a.event as AuditRecord['event'],
    ...(detail ? { detail } : {}),
    stanzaHash: a.stanzaHash!,
    prevHash: a.prevHash!,
    hash: a.hash!,
    ...(a.keyId !== undefined ? { keyId: a.keyId } : {}),
  };
}

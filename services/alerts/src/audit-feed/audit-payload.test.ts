import { describe, expect, it } from 'vitest';
import { xml } from '@tickdesk/xmpp';
import type { AuditRecord } from '../store/index.js';
import { auditPayload, decodeAuditPayload, NS_AUDIT } from './audit-payload.js';

const rec: AuditRecord = {
  seq: 42,
  time: '2026-11-21T10:00:00.123Z',
  alertId: 'a1',
  trader: 'alice',
  symbol: 'BTCUSDT',
  event: 'escalated',
  detail: 'to=bob, reason="away" <&>',
  stanzaHash: '',
  prevHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
  keyId: '0123456789abcdef',
};

describe('the audit feed payload (docs/protocol.md §13.2)', () => {
  it('carries every field of the record, detail as text, and reads back as the same record', () => {
    const el = auditPayload(rec);
    expect(el.toString()).toContain(`<record xmlns="${NS_AUDIT}" seq="42"`);
    expect(el.getText()).toBe(rec.detail);
    expect(decodeAuditPayload(el)).toEqual(rec);
    const { detail: _, keyId: __, ...bare } = rec;
    expect(decodeAuditPayload(auditPayload(bare))).toEqual(bare);
  });

  it('reads nothing from another namespace, a missing field or a bad seq', () => {
    expect(decodeAuditPayload(xml('record', { xmlns: 'urn:other', seq: '1' }))).toBeUndefined();
    const { hash: _, ...noHash } = auditPayload(rec).attrs as Record<string, string>;
    expect(decodeAuditPayload(xml('record', noHash))).toBeUndefined();
    expect(decodeAuditPayload(xml('record', { ...auditPayload(rec).attrs, seq: '0' }))).toBeUndefined();
  });
});

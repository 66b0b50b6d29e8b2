import { describe, expect, it } from 'vitest';
import { bareJid, jidDomain, jidLocal, parseJid } from './jid.js';

describe('JID parts (RFC 7622)', () => {
  it('splits local, domain and resource, a resource holding @ and / included', () => {
    expect(bareJid('alice@desk.localhost/tab@1/x')).toBe('alice@desk.localhost');
    expect(jidLocal('alice@desk.localhost/tab@1/x')).toBe('alice');
    expect(jidDomain('pubsub.desk.localhost/a@b')).toBe('pubsub.desk.localhost');
    expect(jidLocal('pubsub.desk.localhost/a@b')).toBe('');
    expect(parseJid('alice@desk.localhost/r')?.resource).toBe('r');
  });

  it('gives empty parts for text with no domain', () => {
    expect(bareJid('')).toBe('');
    expect(jidLocal('alice@')).toBe('');
    expect(jidDomain('/r')).toBe('');
  });
});

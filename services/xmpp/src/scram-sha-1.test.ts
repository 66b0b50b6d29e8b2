import { describe, expect, it } from 'vitest';
import { ScramSha1 } from './scram-sha-1.js';

// RFC 5802 §5 example exchange.
describe('SCRAM-SHA-1', () => {
  it('produces the RFC 5802 client messages', async () => {
    const m = new ScramSha1({ cnonce: 'fyko+d2lbbFgONRv9qkxdawL' });
    const cred = { username: 'user', password: 'pencil' };
    expect(await m.response(cred)).toBe('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    m.challenge('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    expect(await m.response(cred)).toBe('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
  });

  it('accepts the RFC 5802 server signature and refuses any other', async () => {
    const m = new ScramSha1({ cnonce: 'fyko+d2lbbFgONRv9qkxdawL' });
    const cred = { username: 'user', password: 'pencil' };
    await m.response(cred);
    m.challenge('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    await m.response(cred);
    expect(() => m.verifyServerFinal('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')).not.toThrow();
    expect(() => m.verifyServerFinal('v=AAAApqV8S7suAoZWja4dJRkFsKQ=')).toThrow(/server signature/);
    expect(() => m.verifyServerFinal('')).toThrow(/server signature/);
    expect(() => m.verifyServerFinal('e=other-error')).toThrow(/other-error/);
  });

  it('refuses a server nonce that does not extend the client nonce', () => {
    const m = new ScramSha1({ cnonce: 'abc' });
    expect(() => m.challenge('r=xyz123,s=QSXCR+Q6sek8bf92,i=4096')).toThrow(/nonce/);
  });
});

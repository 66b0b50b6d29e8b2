import { describe, expect, it } from 'vitest';
import { ScramSha1, type ScramKeys } from '@tickdesk/xmpp/browser';

// The dashboard logs in with the services' SCRAM module: the RFC 5802 §5 exchange, here
// in the ui project's DOM environment, on its WebCrypto.
describe('SCRAM-SHA-1 in the dashboard', () => {
  it('has WebCrypto', () => {
    expect(typeof globalThis.crypto?.subtle?.deriveBits).toBe('function');
  });

  it('produces the RFC 5802 client-final, verifies the server signature, and reconnects with the keys alone', async () => {
    let keys: ScramKeys | undefined;
    const run = async (cred: { username: string; password?: string; keys?: ScramKeys }) => {
      const m = new ScramSha1({ cnonce: 'fyko+d2lbbFgONRv9qkxdawL', onKeys: (k) => (keys = k) });
      expect(await m.response(cred)).toBe('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
      m.challenge('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
      expect(await m.response(cred)).toBe(
        'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
      );
      expect(() => m.verifyServerFinal('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')).not.toThrow();
      expect(() => m.verifyServerFinal('v=AAAApqV8S7suAoZWja4dJRkFsKQ=')).toThrow(/server signature/);
    };
    await run({ username: 'user', password: 'pencil' });
    expect(keys).toMatchObject({ salt: 'QSXCR+Q6sek8bf92', iterations: 4096 });
    await run({ username: 'user', keys: keys! });
  });
});

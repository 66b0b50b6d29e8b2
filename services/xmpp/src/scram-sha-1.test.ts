import { describe, expect, it } from 'vitest';
import { ScramSha1, SCRAM_MAX_ITERATIONS, type ScramKeys } from './scram-sha-1.js';

// RFC 5802 §5 example exchange.
const CNONCE = 'fyko+d2lbbFgONRv9qkxdawL';
const SERVER_FIRST = 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096';
const CLIENT_FINAL = 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=';
const SERVER_FINAL = 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=';

async function exchange(
  cred: { username: string; password?: string; keys?: ScramKeys },
  onKeys?: (k: ScramKeys) => void,
) {
  const m = new ScramSha1({ cnonce: CNONCE, ...(onKeys ? { onKeys } : {}) });
  const first = await m.response(cred);
  m.challenge(SERVER_FIRST);
  return { m, first, final: await m.response(cred) };
}

describe('SCRAM-SHA-1 on WebCrypto', () => {
  it('produces the RFC 5802 client messages', async () => {
    const { first, final } = await exchange({ username: 'user', password: 'pencil' });
    expect(first).toBe('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    expect(final).toBe(CLIENT_FINAL);
  });

  it('accepts the RFC 5802 server signature and refuses any other', async () => {
    const { m } = await exchange({ username: 'user', password: 'pencil' });
    expect(() => m.verifyServerFinal(SERVER_FINAL)).not.toThrow();
    expect(() => m.verifyServerFinal('v=AAAApqV8S7suAoZWja4dJRkFsKQ=')).toThrow(/server signature/);
    expect(() => m.verifyServerFinal('')).toThrow(/server signature/);
    expect(() => m.verifyServerFinal('e=other-error')).toThrow(/other-error/);
  });

  it('reports the derived keys, and logs in with them alone while the salt is unchanged', async () => {
    let keys: ScramKeys | undefined;
    await exchange({ username: 'user', password: 'pencil' }, (k) => (keys = k));
    expect(keys).toMatchObject({ salt: 'QSXCR+Q6sek8bf92', iterations: 4096 });
    const { m, final } = await exchange({ username: 'user', keys: keys! });
    expect(final).toBe(CLIENT_FINAL);
    expect(() => m.verifyServerFinal(SERVER_FINAL)).not.toThrow();
  });

  it('asks for the password when the stored keys are for another salt', async () => {
    const keys: ScramKeys = { salt: 'AAAAAAAAAAAAAAAA', iterations: 4096, clientKey: 'AA==', serverKey: 'AA==' };
    await expect(exchange({ username: 'user', keys })).rejects.toMatchObject({ condition: 'credentials-expired' });
    expect((await exchange({ username: 'user', password: 'pencil', keys })).final).toBe(CLIENT_FINAL);
  });

  it('refuses a server nonce that does not extend the client nonce', () => {
    const m = new ScramSha1({ cnonce: 'abc' });
    expect(() => m.challenge('r=xyz123,s=QSXCR+Q6sek8bf92,i=4096')).toThrow(/nonce/);
  });

  it('refuses an iteration count above the limit', () => {
    const m = new ScramSha1({ cnonce: 'abc' });
    expect(() => m.challenge(`r=abc1,s=QSXCR+Q6sek8bf92,i=${SCRAM_MAX_ITERATIONS + 1}`)).toThrow(/iteration/);
    expect(() =>
      new ScramSha1({ cnonce: 'abc' }).challenge(`r=abc1,s=QSXCR+Q6sek8bf92,i=${SCRAM_MAX_ITERATIONS}`),
    ).not.toThrow();
  });
});

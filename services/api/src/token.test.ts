import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTokenSigner, bearerToken } from './token.js';
import { createRoleCache } from './roles.js';
import type { Redis } from 'ioredis';

const secret = 'unit-secret-unit-secret-unit-secret';

describe('tokens', () => {
  it('sign and verify a caller; the expiry is ttl seconds on', () => {
    const now = 1_700_000_000_000;
    const signer = createTokenSigner({ secret, ttlS: 900, now: () => now });
    const { token, expiresAt } = signer.sign('alice', 'trader');
    expect(expiresAt).toBe(now + 900_000);
    expect(signer.verify(token)).toEqual({ user: 'alice', role: 'trader', expiresAt });
    expect(token.split('.')).toHaveLength(3);
    expect(signer.sign('alice', 'trader').token).not.toBe(token); // jti
  });

  it('expires at exp', () => {
    let now = 1_700_000_000_000;
    const signer = createTokenSigner({ secret, ttlS: 60, now: () => now });
    const { token } = signer.sign('bob', 'trader');
    now += 59_999;
    expect(signer.verify(token).user).toBe('bob');
    now += 1;
    expect(() => signer.verify(token)).toThrow(
      expect.objectContaining({ code: 'TICKDESK_API_TOKEN_EXPIRED' }) as Error,
    );
  });

  it('a verified token is remembered by its exact text only: an edited copy is still checked and refused', () => {
    const signer = createTokenSigner({ secret, ttlS: 60 });
    const { token } = signer.sign('alice', 'trader');
    expect(signer.verify(token).user).toBe('alice');
    const edited = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(() => signer.verify(edited)).toThrow(expect.objectContaining({ code: 'TICKDESK_API_BAD_TOKEN' }) as Error);
    expect(signer.verify(token).user).toBe('alice');
  });

  it('refuses another key, edited claims, other headers and junk', () => {
    const signer = createTokenSigner({ secret, ttlS: 60 });
    const other = createTokenSigner({ secret: `${secret}x`, ttlS: 60 });
    const { token } = signer.sign('alice', 'analyst');
    const [h, , s] = token.split('.');
    const claims = (c: object) => Buffer.from(JSON.stringify(c)).toString('base64url');
    const bad = [
      other.sign('alice', 'admin').token,
      `${h}.${claims({ iss: 'tickdesk-api', sub: 'alice', role: 'admin', iat: 1, exp: 9e9 })}.${s}`,
      `${Buffer.from('{"alg":"HS512","typ":"JWT"}').toString('base64url')}.${token.split('.')[1]}.${s}`,
      `${token}.`,
      token.slice(0, -2),
      'a.b.c',
      '...',
      '',
    ];
    for (const t of bad)
      expect(() => signer.verify(t), t).toThrow(expect.objectContaining({ code: 'TICKDESK_API_BAD_TOKEN' }) as Error);
  });

  it('refuses well-signed tokens with unexpected claims', () => {
    const forge = (claims: object) => {
      const signer = createTokenSigner({ secret, ttlS: 60 });
      const { token } = signer.sign('alice', 'trader');
      const [h] = token.split('.');
      const body = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      const sig = createHmac('sha256', secret).update(body).digest('base64url');
      return () => signer.verify(`${body}.${sig}`);
    };
    expect(forge({ iss: 'tickdesk-api', sub: 'alice', role: 'service', exp: 9e9 })).toThrow(/unexpected claims/);
    expect(forge({ iss: 'tickdesk-api', sub: 'Alice Smith', role: 'trader', exp: 9e9 })).toThrow(/unexpected claims/);
    expect(forge({ iss: 'other', sub: 'alice', role: 'trader', exp: 9e9 })).toThrow(/unexpected claims/);
    expect(forge({ iss: 'tickdesk-api', sub: 'alice', role: 'trader', exp: '9e9' })).toThrow(/unexpected claims/);
    expect(forge({ iss: 'tickdesk-api', sub: 'alice', role: 'trader', exp: 9e9 })()).toMatchObject({ user: 'alice' });
  });

  it('bearerToken reads the Authorization header', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('')).toBeUndefined();
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(() => bearerToken('Basic abc')).toThrow(/Bearer <token>/);
    expect(() => bearerToken('Bearer a b')).toThrow();
  });
});

describe('role cache', () => {
  it('re-reads td:users after ttl and ignores roles that may not use the API', async () => {
    const roles: Record<string, string> = { alice: 'trader', feed: 'service' };
    let reads = 0;
    const redis = { hget: async (_key: string, user: string) => (reads++, roles[user] ?? null) } as unknown as Redis;
    let now = 0;
    const role = createRoleCache({ redis, ttlMs: 1_000, now: () => now });
    expect(await role('alice')).toBe('trader');
    roles.alice = 'analyst';
    now = 999;
    expect(await role('alice')).toBe('trader');
    now = 1_000;
    expect(await role('alice')).toBe('analyst');
    expect(await role('feed')).toBeUndefined();
    expect(await role('nobody')).toBeUndefined();
    expect(reads).toBe(4);
  });
});

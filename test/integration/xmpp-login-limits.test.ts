import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { buildApp, resolveApiConfig, type ApiApp } from '@tickdesk/api';
import { addUser, type XmppClient } from '@tickdesk/xmpp';
import { connect, desk } from './helpers.js';
import { deskApiDeps } from './api-deps.js';
import { wsLogin } from './ws-login.js';

/** The desk's limits (infra DEFAULT_AUTH_LIMIT): 10 failures per address, 20 per account (Prosody only), locked 300 s. */
const IP_MAX = 10;
const ACCOUNT_MAX = 20;

/**
 * Failed XMPP logins are limited per client address and per account by Prosody
 * (mod_tickdesk_auth_limit), per address by ejabberd (mod_fail2ban), and the address is
 * the browser's even through the API's WebSocket proxy. Throwaway accounts and addresses: the lockouts outlive this file.
 */
describe('XMPP login limits', () => {
  let admin: XmppClient;
  let redis: Redis;
  let app: ApiApp;
  let proxied: string;
  const password = 'right-password-1';
  const user = (name: string) => ({ domain: desk().domain, user: name, password });

  beforeAll(async () => {
    admin = await connect('admin', 'login-limits');
    for (const name of ['limit-a', 'limit-b', 'limit-c'])
      await addUser(admin, desk().domain, `${name}@${desk().domain}`, password);
    redis = new Redis(desk().redisUrl);
    app = await buildApp({
      deps: deskApiDeps(redis),
      config: resolveApiConfig({}),
      verifyPassword: async () => false,
      xmppWebsocket: desk().xmppHttp,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    proxied = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/xmpp-websocket`;
  });
  afterAll(async () => {
    await app?.close();
    redis?.disconnect();
    await admin?.stop();
  });

  if (desk().xmppServer === 'prosody') {
    it("locks the browser's address, seen through the proxy, after too many wrong passwords: even a right one is refused", async () => {
      const browser = '127.0.0.7';
      expect(await wsLogin(proxied, { ...user('limit-b'), localAddress: browser })).toBe('success');
      for (let i = 0; i < IP_MAX; i++) {
        expect(await wsLogin(proxied, { ...user('limit-a'), password: `wrong-${i}`, localAddress: browser })).toBe(
          'not-authorized',
        );
      }
      expect(await wsLogin(proxied, { ...user('limit-b'), localAddress: browser })).toBe('temporary-auth-failure');
      // Another browser, and the desk's own processes on loopback, are not affected.
      expect(await wsLogin(proxied, { ...user('limit-b'), localAddress: '127.0.0.8' })).toBe('success');
      expect(await wsLogin(proxied, user('limit-b'))).toBe('success');
    });

    it('locks an account after too many wrong passwords from any address, and only that account', async () => {
      for (let i = 0; i < ACCOUNT_MAX; i++) {
        // Loopback is not locked as an address, so only the account's count grows.
        expect(await wsLogin(proxied, { ...user('limit-c'), password: `wrong-${i}` })).toBe('not-authorized');
      }
      expect(await wsLogin(proxied, user('limit-c'))).toBe('temporary-auth-failure');
      expect(await wsLogin(proxied, { ...user('limit-c'), localAddress: '127.0.0.9' })).toBe('temporary-auth-failure');
      expect(await wsLogin(proxied, user('limit-b'))).toBe('success');
    });
  } else {
    // ejabberd: mod_fail2ban counts failures per address only (no account lock); a locked
    // address is refused with a stream error before any SASL exchange.
    it("locks the browser's address, seen through the proxy, after too many wrong passwords: even a right one is refused", async () => {
      const browser = '127.0.0.7';
      expect(await wsLogin(proxied, { ...user('limit-b'), localAddress: browser })).toBe('success');
      const results: string[] = [];
      for (let i = 0; i < IP_MAX; i++)
        results.push(await wsLogin(proxied, { ...user('limit-a'), password: `wrong-${i}`, localAddress: browser }));
      // The IP_MAXth failure itself ends the connection and locks the address.
      expect(results).toEqual([...Array<string>(IP_MAX - 1).fill('not-authorized'), 'stream-error:policy-violation']);
      expect(await wsLogin(proxied, { ...user('limit-b'), localAddress: browser })).toBe(
        'stream-error:policy-violation',
      );
      expect(await wsLogin(proxied, { ...user('limit-b'), localAddress: '127.0.0.8' })).toBe('success');
      expect(await wsLogin(proxied, user('limit-b'))).toBe('success');
    });

    it("never locks loopback (the desk's own processes and the API's password check)", async () => {
      for (let i = 0; i < IP_MAX + 2; i++) {
        expect(await wsLogin(proxied, { ...user('limit-c'), password: `wrong-${i}` })).toBe('not-authorized');
      }
      expect(await wsLogin(proxied, user('limit-c'))).toBe('success');
    });
  }

  it("the XMPP server's own WebSocket refuses a page of a foreign origin with 403; the proxy admits the dashboard's", async () => {
    const direct = `${desk().xmppHttp.replace(/^http/, 'ws')}/xmpp-websocket`;
    expect(await wsLogin(direct, { ...user('limit-b'), origin: 'https://evil.example' })).toBe('http-403');
    expect(await wsLogin(direct, user('limit-b'))).toBe('success');
    const port = (app.server.address() as AddressInfo).port;
    expect(await wsLogin(proxied, { ...user('limit-b'), origin: 'https://evil.example' })).toBe('http-403');
    expect(await wsLogin(proxied, { ...user('limit-b'), origin: `http://localhost:${port}` })).toBe('success');
  });
});

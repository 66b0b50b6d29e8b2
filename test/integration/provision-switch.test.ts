import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { loginFor } from '@tickdesk/infra';
import { provisionDesk, saveCredentials, type DeskInfra } from '@tickdesk/desk';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { createRoleStore, directoryKeys, DEFAULT_PREFIX } from '@tickdesk/store';
import { createXmppClient } from '@tickdesk/xmpp';
import { credentials, desk, log } from './helpers.js';

/** A session as `user` with `password`; the XMPP condition when the server refuses it. */
async function login(user: string, password: string): Promise<string> {
  const d = desk();
  const client = createXmppClient({
    service: d.service,
    domain: d.domain,
    username: user,
    password,
    ca: d.ca,
    log,
    resource: 'switch',
    reconnect: false,
  });
  try {
    await client.start();
    return 'ok';
  } catch (err) {
    return (err as { condition?: string }).condition ?? String(err);
  } finally {
    await client.stop().catch(() => undefined);
  }
}

/** What `up` does at start on the shared desk's servers, with credentials `c`: provision the desk. */
async function provisionAgain(c: ReturnType<typeof credentials>): Promise<void> {
  const d = desk();
  const infra = {
    service: d.service,
    domain: d.domain,
    ca: d.ca,
    pubsubHost: d.pubsubHost,
    credentialsPath: d.credentialsPath,
    credentials: c,
    redis: { port: Number(new URL(d.redisUrl).port), login: loginFor(c.redis, 'desk') },
  } as unknown as DeskInfra;
  await provisionDesk({ infra, instruments: DEFAULT_INSTRUMENTS, log });
}

/**
 * A runtime folder started before on the other XMPP server (TICKDESK_XMPP_SERVER changed):
 * the credentials file and Redis know accounts that `tickdesk users add` made there, the
 * XMPP server it starts now has never heard of them. `up` provisions the desk again.
 */
describe('provisioning a runtime folder that another XMPP server ran before', () => {
  const zed = `zed${randomBytes(3).toString('hex')}`;
  const yan = `yan${randomBytes(3).toString('hex')}`;
  const redis = new Redis(desk().redisUrl);
  const roles = createRoleStore({ redis });

  afterAll(async () => {
    const c = credentials();
    delete c.accounts[zed];
    delete c.accounts[yan];
    saveCredentials(desk().credentialsPath, c);
    await redis.hdel(directoryKeys(DEFAULT_PREFIX).users, zed, yan);
    redis.disconnect();
  });

  it('makes the accounts added with `users add` again, with their current role, and leaves a disabled one disabled', async () => {
    const c = credentials();
    c.accounts[zed] = { user: zed, role: 'trader', password: randomBytes(12).toString('base64url') };
    c.accounts[yan] = { user: yan, role: 'analyst', password: randomBytes(12).toString('base64url') };
    saveCredentials(desk().credentialsPath, c);
    await roles.set(zed, 'trader');
    await roles.set(yan, 'disabled');
    expect(await login(zed, c.accounts[zed].password)).toBe('not-authorized');

    await provisionAgain(c);

    expect(await login(zed, c.accounts[zed].password)).toBe('ok');
    expect(await roles.get(zed)).toBe('trader');
    expect(await login(yan, c.accounts[yan].password)).toBe('not-authorized');
    expect(await roles.get(yan)).toBe('disabled');
  });

  it("keeps a demo account's role as Redis has it: carol disabled by an admin stays disabled after a restart", async () => {
    const c = credentials();
    await roles.set('carol', 'disabled');
    try {
      await provisionAgain(c);
      expect(await roles.get('carol')).toBe('disabled');
    } finally {
      await roles.set('carol', 'compliance');
    }
  });
});

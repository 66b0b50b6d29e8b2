import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { createAccountDirectory, createSessionOpener } from '@tickdesk/accounts';
import { createAlertStore, createAuditChain, createRuleStore } from '@tickdesk/alerts';
import { buildApp, DESK_ROUTES, resolveApiConfig, type ApiApp } from '@tickdesk/api';
import { createXmppClient, xml, type XmppClient } from '@tickdesk/xmpp';
import { connect, credentials, desk, log } from './helpers.js';

/** The subscription state of each contact in `client`'s roster. */
async function roster(client: XmppClient): Promise<Map<string, string>> {
  const res = await client.iq.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
  const items = res.getChild('query', 'jabber:iq:roster')?.getChildren('item') ?? [];
  return new Map(items.map((i) => [String(i.attrs.jid), String(i.attrs.subscription)]));
}

/** POST /v1/users goes the CLI's way: account, role, entitlements and a trader's presence links. */
describe('a trader created over REST', () => {
  let admin: XmppClient;
  let redis: Redis;
  let app: ApiApp;
  const open: XmppClient[] = [];

  beforeAll(async () => {
    admin = await connect('admin', 'provision-rest');
    redis = new Redis(desk().redisUrl);
    const d = desk();
    const accounts = createAccountDirectory({
      admin,
      redis,
      domain: d.domain,
      pubsubHost: d.pubsubHost,
      instruments: DEFAULT_INSTRUMENTS,
      log,
      sessions: createSessionOpener({
        service: d.service,
        domain: d.domain,
        ca: d.ca,
        log,
        passwordOf: (u) => credentials().accounts[u]?.password,
      }),
    });
    app = await buildApp({
      deps: {
        redis,
        log,
        domain: d.domain,
        instruments: DEFAULT_INSTRUMENTS,
        accounts,
        rules: createRuleStore({ redis }),
        alerts: createAlertStore({ redis }),
        audit: createAuditChain({ redis }),
      },
      config: resolveApiConfig({}),
      verifyPassword: async (user, password) => user === 'admin' && password === credentials().accounts.admin!.password,
      routes: DESK_ROUTES,
    });
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.stop().catch(() => undefined)));
    await app?.close();
    redis?.disconnect();
    await admin?.stop();
  });

  it('has a mutual presence subscription with the alert engine and with the desk traders', async () => {
    const d = desk();
    const login = await app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { jid: `admin@${d.domain}`, password: credentials().accounts.admin!.password },
    });
    expect(login.statusCode, login.body).toBe(200);
    const token = login.json<{ token: string }>().token;
    const res = await app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: { authorization: `Bearer ${token}` },
      payload: { user: 'rita', role: 'trader' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const { password } = res.json<{ password: string }>();

    const rita = createXmppClient({
      service: d.service,
      domain: d.domain,
      username: 'rita',
      password,
      ca: d.ca,
      log,
      reconnect: false,
    });
    await rita.start();
    open.push(rita);
    const mine = await roster(rita);
    expect(mine.get(`alerts@${d.domain}`)).toBe('both');
    expect(mine.get(`alice@${d.domain}`)).toBe('both');
    const alerts = await connect('alerts', 'provision-rest');
    open.push(alerts);
    expect((await roster(alerts)).get(`rita@${d.domain}`)).toBe('both');
    expect(await redis.hget('td:users', 'rita')).toBe('trader');
  });
});

import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { fakeDesk, json, settle } from '../../test/fakes.js';
import { ConnectError } from '../xmpp/xmpp-session.js';

describe('session', () => {
  it('logs in over REST and XMPP with the bare JID; the role comes with the token', async () => {
    const t = fakeDesk();
    expect(await t.login('Alice@desk.localhost ', 'secret')).toBe(true);
    expect(get(t.desk.session.user)).toEqual({
      jid: 'alice@desk.localhost',
      user: 'alice',
      domain: 'desk.localhost',
      role: 'trader',
    });
    expect(get(t.desk.session.prompt).open).toBe(false);
    expect(t.http.calls[0]).toMatchObject({
      method: 'POST',
      path: '/auth/token',
      body: { jid: 'alice@desk.localhost', password: 'secret' },
    });
    // GET /health (the desk's parts) is public and goes without the token.
    expect(
      t.http.calls
        .slice(1)
        .filter((c) => c.path !== '/health')
        .every((c) => c.headers.authorization === 'Bearer tok-1'),
    ).toBe(true);
    expect(t.xmpp.calls[0]).toMatchObject({
      jid: 'alice@desk.localhost',
      domain: 'desk.localhost',
      service: 'ws://desk.test/xmpp-websocket',
    });
  });

  it('says wrong credentials, and server unreachable, in words', async () => {
    const t = fakeDesk();
    expect(await t.login('alice@desk.localhost', 'nope')).toBe(false);
    expect(get(t.desk.session.prompt).error).toBe('Wrong JID or password.');
    expect(t.xmpp.calls).toHaveLength(0);

    const down = fakeDesk({
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await down.login();
    expect(get(down.desk.session.prompt).error).toMatch(/^Server unreachable/);

    const noXmpp = fakeDesk();
    noXmpp.xmpp.outcomes.push(new ConnectError('unreachable', 'the XMPP server is unreachable'));
    await noXmpp.login();
    const prompt = get(noXmpp.desk.session.prompt);
    expect(prompt.open).toBe(true);
    expect(prompt.error).toMatch(/^Server unreachable/);
    expect(get(noXmpp.desk.session.user)).toBeUndefined();
  });

  it('a 401 opens the login over the page, keeps its state, and the request continues after the login', async () => {
    let rulesCalls = 0;
    const t = fakeDesk({
      routes: {
        'GET /rules': ({ headers }) => {
          rulesCalls++;
          return headers.authorization === 'Bearer tok-1' && rulesCalls > 1
            ? json(401, { code: 'TICKDESK_API_TOKEN_EXPIRED', message: 'The token has expired' })
            : json(200, { rules: [] });
        },
      },
    });
    await t.login();
    t.desk.rules.draft.update((d) => ({ ...d, threshold: '65000' }));
    await t.desk.chart.select('EURUSD');
    await settle();
    const reload = t.desk.rules.load();
    await settle();
    const prompt = get(t.desk.session.prompt);
    expect(prompt.open).toBe(true);
    expect(prompt.reason).toMatch(/expired/);
    expect(get(t.desk.session.user)?.jid).toBe('alice@desk.localhost');
    expect(get(t.desk.rules.draft).threshold).toBe('65000');
    expect(get(t.desk.chart.view).symbol).toBe('EURUSD');

    t.http.routes['POST /auth/token'] = () =>
      json(200, { token: 'tok-2', expiresAt: '2030-01-01T00:00:00Z', user: 'alice', role: 'trader' });
    await t.login();
    await reload;
    expect(get(t.desk.session.prompt).open).toBe(false);
    expect(t.http.calls.filter((c) => c.path === '/rules').at(-1)!.headers.authorization).toBe('Bearer tok-2');
    // Same trader, XMPP still up: no second XMPP login, page state as it was.
    expect(t.xmpp.calls).toHaveLength(1);
    expect(get(t.desk.rules.draft).threshold).toBe('65000');
    expect(get(t.desk.chart.view).symbol).toBe('EURUSD');
  });

  it('a lost session asks for the login again and reconnects with the new password', async () => {
    const t = fakeDesk();
    await t.login();
    t.xmpp.last().drop();
    t.xmpp.outcomes.push(new ConnectError('auth', 'wrong JID or password'));
    await t.timers.fire();
    expect(get(t.desk.connection.state)).toBe('offline');
    expect(get(t.desk.session.prompt).open).toBe(true);
    await t.login();
    expect(get(t.desk.connection.state)).toBe('connected');
    expect(t.xmpp.calls.at(-1)!.secret).toEqual({ password: 'secret' });
  });
});

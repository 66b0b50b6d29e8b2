import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { fakeOpen, fakeTimers, settle } from '../../test/fakes.js';
import { ConnectError } from '../xmpp/xmpp-session.js';
import { createConnectionStore } from './connection.js';

function setup(random = () => 1 - Number.EPSILON, now?: () => number) {
  const xmpp = fakeOpen();
  const clock = fakeTimers();
  let resource = 'tab1';
  const connection = createConnectionStore({
    open: xmpp.open,
    service: 'ws://desk.test/xmpp-websocket',
    timers: clock.timers,
    random,
    ...(now ? { now } : {}),
    resource: { current: () => resource, renew: () => (resource = 'tab2') },
    backoff: { initialMs: 1_000, maxMs: 8_000 },
  });
  return { xmpp, clock, connection };
}

describe('connection store', () => {
  it('logs in once with the password, then reconnects with derived keys only', async () => {
    const { xmpp, clock, connection } = setup();
    await connection.connect('alice@desk.localhost', 'hunter2-pw');
    expect(get(connection.state)).toBe('connected');
    expect(xmpp.calls[0]!.secret).toEqual({ password: 'hunter2-pw' });
    xmpp.last().drop();
    await clock.fire();
    expect(get(connection.state)).toBe('connected');
    expect(xmpp.calls[1]!.secret).toEqual({ scram: { derivedFrom: 'alice@desk.localhost' } });
    expect(JSON.stringify(xmpp.calls[1])).not.toContain('hunter2-pw');
  });

  it('sends roster get and initial presence on every session', async () => {
    const { xmpp, clock, connection } = setup();
    await connection.setOwnPresence('busy', 'in a meeting');
    await connection.connect('alice@desk.localhost', 'secret');
    xmpp.last().drop();
    await clock.fire();
    const s = xmpp.last();
    expect(s.requests[0]!.getChild('query', 'jabber:iq:roster')).toBeDefined();
    const presence = s.sent.find((p) => p.name === 'presence')!;
    expect(presence.getChildText('show')).toBe('dnd');
    expect(presence.getChildText('status')).toBe('in a meeting');
  });

  it('backs off exponentially with full jitter up to the cap, and resets after a success', async () => {
    const { xmpp, clock, connection } = setup();
    await connection.connect('alice@desk.localhost', 'secret');
    xmpp.last().drop();
    expect(get(connection.state)).toBe('reconnecting');
    for (let i = 0; i < 5; i++) {
      xmpp.outcomes.push(new ConnectError('unreachable', 'down'));
      await clock.fire();
    }
    // random ≈ 1: the full cap each time: 1 s, 2 s, 4 s, 8 s, then held at 8 s.
    expect(clock.delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    await clock.fire();
    expect(get(connection.state)).toBe('connected');
    xmpp.last().drop();
    expect(clock.delays.at(-1)).toBe(1_000);
  });

  it('jitter spreads the delay over [0, cap)', async () => {
    const { xmpp, clock, connection } = setup(() => 0.25);
    await connection.connect('alice@desk.localhost', 'secret');
    xmpp.last().drop();
    xmpp.outcomes.push(new ConnectError('unreachable', 'down'));
    await clock.fire();
    expect(clock.delays).toEqual([250, 500]);
  });

  it('a refused reconnect is a lost session: offline, no more retries', async () => {
    const { xmpp, clock, connection } = setup();
    const lost: string[] = [];
    connection.on('session-lost', (e) => lost.push(e.reason));
    await connection.connect('alice@desk.localhost', 'secret');
    xmpp.last().drop();
    xmpp.outcomes.push(new ConnectError('auth', 'wrong JID or password'));
    await clock.fire();
    expect(get(connection.state)).toBe('offline');
    expect(lost).toEqual(['wrong JID or password']);
    expect(clock.pending).toBe(0);
  });

  it('takes a new resource when another session took ours (stream error conflict)', async () => {
    const { xmpp, clock, connection } = setup();
    await connection.connect('alice@desk.localhost', 'secret');
    xmpp.last().drop({ condition: 'conflict', message: 'replaced by new connection' });
    await clock.fire();
    expect(xmpp.calls.map((c) => c.resource)).toEqual(['tab1', 'tab2']);
  });

  it("a session replaced again soon after taking a new resource stops: no carousel at a server's session cap", async () => {
    // ejabberd's max_user_sessions (10): the 11th session of an account replaces the
    // oldest with <conflict/>, whose reconnect then replaces the next oldest, and so on.
    let t = 0;
    const { xmpp, clock, connection } = setup(undefined, () => t);
    const lost: string[] = [];
    connection.on('session-lost', (e) => lost.push(e.reason));
    await connection.connect('alice@desk.localhost', 'secret');
    xmpp.last().drop({ condition: 'conflict', message: 'Replaced by new connection' });
    await clock.fire();
    expect(get(connection.state)).toBe('connected');
    t += 30_000;
    xmpp.last().drop({ condition: 'conflict', message: 'Replaced by new connection' });
    await clock.fire();
    await settle();
    expect(xmpp.calls).toHaveLength(2);
    expect(get(connection.state)).toBe('offline');
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/replaced/i);
  });

  it('a conflict long after the last one takes a new resource again', async () => {
    let t = 0;
    const { xmpp, clock, connection } = setup(undefined, () => t);
    await connection.connect('alice@desk.localhost', 'secret');
    xmpp.last().drop({ condition: 'conflict', message: 'Replaced by new connection' });
    await clock.fire();
    t += 10 * 60_000;
    xmpp.last().drop({ condition: 'conflict', message: 'Replaced by new connection' });
    await clock.fire();
    expect(xmpp.calls).toHaveLength(3);
    expect(get(connection.state)).toBe('connected');
  });

  it('logout stops reconnecting and closes the stream', async () => {
    const { xmpp, clock, connection } = setup();
    await connection.connect('alice@desk.localhost', 'secret');
    const s = xmpp.last();
    await connection.disconnect();
    expect(s.closed).toBe(true);
    expect(get(connection.state)).toBe('offline');
    await clock.fire();
    await settle();
    expect(xmpp.calls).toHaveLength(1);
  });

  it('a failed first login says why and stays offline', async () => {
    const { xmpp, connection } = setup();
    xmpp.outcomes.push(new ConnectError('unreachable', 'the XMPP server is unreachable'));
    await expect(connection.connect('alice@desk.localhost', 'secret')).rejects.toMatchObject({ kind: 'unreachable' });
    expect(get(connection.state)).toBe('offline');
  });
});

import { describe, expect, it } from 'vitest';
import type { AlertState } from '@tickdesk/schemas';
import { OUTBOX_STATES, type StoredAlert } from './alert-record.js';
import { createAlertStore } from './alert-store.js';
import { alertKeys } from './redis-layout.js';
import { usePrivateRedis } from './redis.test-util.js';

const redis = usePrivateRedis();
const T0 = Date.parse('2026-11-21T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const TRADERS = ['alice', 'bob', 'carol'];
const SYMBOLS = ['BTCUSDT', 'EURUSD'];

function alert(n: number, over: Partial<StoredAlert> = {}): StoredAlert {
  const owner = over.owner ?? TRADERS[n % 3]!;
  const firedAt = iso(T0 + n * 1000);
  return {
    id: `a${String(n).padStart(4, '0')}`,
    ruleId: `r${n % 4}`,
    owner,
    recipient: owner,
    symbol: SYMBOLS[n % 2]!,
    condition: 'crossing-up',
    threshold: '65000',
    price: '65000.5',
    previousPrice: '64999.9',
    tickSeq: 1000 + n,
    eventTime: '2026-11-21T09:59:59.999123Z',
    firedAt,
    priority: n % 5 === 0 ? 'critical' : 'normal',
    body: `BTCUSDT crossed up through 65000: 65000.5 [alert a${n}]`,
    state: 'pending',
    attempts: 0,
    nextActionAt: T0 + n * 1000,
    lifecycle: [{ event: 'fired', at: firedAt }],
    ...(n % 2 ? { backup: 'dana' } : {}),
    ...over,
  };
}

describe('alert store', () => {
  it('creates idempotently and reads back exactly what was stored', async () => {
    const store = createAlertStore({ redis: redis.client });
    const a = alert(1, { message: 'take profit', windowSeconds: 60 });
    expect(await store.create(a)).toBe(true);
    expect(await store.get(a.id)).toEqual(a);
    expect(await store.create({ ...a, price: '1', state: 'sent' })).toBe(false);
    expect(await store.get(a.id)).toEqual(a);
    expect(await store.get('a9999')).toBeUndefined();
    await expect(store.create(alert(2, { id: 'a|b' }))).rejects.toMatchObject({
      code: 'TICKDESK_ALERTS_STORE_BAD_INPUT',
    });
    await expect(store.create(alert(2, { state: 'lost' as AlertState }))).rejects.toMatchObject({
      code: 'TICKDESK_ALERTS_STORE_BAD_INPUT',
    });
    await expect(store.create(alert(2, { firedAt: 'now' }))).rejects.toMatchObject({
      code: 'TICKDESK_ALERTS_STORE_BAD_INPUT',
    });
    // A second store with its own prefix shares nothing.
    expect(await createAlertStore({ redis: redis.client, prefix: 'other:' }).get(a.id)).toBeUndefined();
  });

  it('transitions atomically, appending to the lifecycle, with an optional state guard', async () => {
    const store = createAlertStore({ redis: redis.client });
    const a = alert(1);
    await store.create(a);
    const at = iso(T0 + 5_000);
    const sent = await store.transition(
      a.id,
      { state: 'sent', attempts: 1, nextActionAt: T0 + 15_000 },
      { event: 'sent', at, detail: 'to=bob' },
    );
    const expected = {
      ...a,
      state: 'sent',
      attempts: 1,
      nextActionAt: T0 + 15_000,
      lifecycle: [...a.lifecycle, { event: 'sent', at, detail: 'to=bob' }],
    };
    expect(sent).toEqual(expected);
    expect(await store.get(a.id)).toEqual(expected);
    const escalated = await store.transition(
      a.id,
      { state: 'escalated', recipient: 'dana' },
      { event: 'escalated', at },
    );
    expect(escalated).toMatchObject({ state: 'escalated', recipient: 'dana', attempts: 1, nextActionAt: T0 + 15_000 });
    expect(
      await store.transition(
        a.id,
        { state: 'delivered' },
        { event: 'delivered', at },
        { ifState: ['pending', 'held'] },
      ),
    ).toBe('state-conflict');
    expect((await store.get(a.id))!.lifecycle).toHaveLength(3);
    expect(
      await store.transition(
        a.id,
        { state: 'delivered' },
        { event: 'delivered', at },
        { ifState: ['sent', 'escalated'] },
      ),
    ).toMatchObject({ state: 'delivered' });
    expect(await store.transition('a9999', { state: 'sent' }, { event: 'sent', at })).toBeUndefined();
    await expect(store.transition(a.id, { attempts: -1 }, { event: 'sent', at })).rejects.toMatchObject({
      code: 'TICKDESK_ALERTS_STORE_BAD_INPUT',
    });
    await expect(store.transition(a.id, {}, { event: 'sent', at: 'later' })).rejects.toMatchObject({
      code: 'TICKDESK_ALERTS_STORE_BAD_INPUT',
    });
  });

  it('loses no lifecycle step when processes transition one alert at once', async () => {
    const a = createAlertStore({ redis: redis.connect() });
    const b = createAlertStore({ redis: redis.connect() });
    await a.create(alert(1));
    const at = iso(T0);
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (i % 2 ? a : b).transition(
          'a0001',
          { attempts: i, nextActionAt: T0 + i },
          { event: 'resent', at, detail: `attempt=${i}` },
        ),
      ),
    );
    const final = (await a.get('a0001'))!;
    expect(final.lifecycle).toHaveLength(101);
    expect(new Set(final.lifecycle.map((s) => s.detail))).toEqual(
      new Set([undefined, ...Array.from({ length: 100 }, (_, i) => `attempt=${i}`)]),
    );
    // The outbox agrees with the alert, whichever write came last.
    expect(Number(await redis.client.zscore(alertKeys().outbox, 'a0001'))).toBe(final.nextActionAt);
  });

  it('returns due outbox alerts soonest first; an alert leaves the outbox once delivered', async () => {
    const store = createAlertStore({ redis: redis.client });
    for (let n = 1; n <= 6; n++) await store.create(alert(n, { nextActionAt: T0 + (10 - n) * 1000 }));
    await store.create(alert(7, { state: 'acknowledged', nextActionAt: T0 }));
    const ids = async (limit = 100) => (await store.due(T0 + 6_000, limit)).map((a) => a.id);
    expect(await ids()).toEqual(['a0006', 'a0005', 'a0004']);
    expect(await ids(2)).toEqual(['a0006', 'a0005']);
    await store.transition('a0005', { state: 'delivered' }, { event: 'delivered', at: iso(T0) });
    await store.transition('a0004', { nextActionAt: T0 + 60_000 }, { event: 'sent', at: iso(T0) });
    expect(await ids()).toEqual(['a0006']);
    // Later steps of a delivered alert are still recorded, without bringing it back.
    const displayed = await store.transition(
      'a0005',
      { state: 'displayed', nextActionAt: T0 },
      { event: 'displayed', at: iso(T0) },
    );
    expect(displayed!.lifecycle.map((s) => s.event)).toEqual(['fired', 'delivered', 'displayed']);
    expect(await ids()).toEqual(['a0006']);
  });

  it('iterates every outstanding alert once', async () => {
    const store = createAlertStore({ redis: redis.client });
    const finals: AlertState[] = ['delivered', 'displayed', 'acknowledged', 'expired', 'failed'];
    const expected = new Set<string>();
    for (let n = 1; n <= 450; n++) {
      const state: AlertState = n % 3 === 0 ? finals[n % finals.length]! : OUTBOX_STATES[n % OUTBOX_STATES.length]!;
      await store.create(alert(n, { state }));
      if (n % 3 !== 0) expected.add(alert(n).id);
    }
    await store.transition('a0001', { state: 'failed' }, { event: 'failed', at: iso(T0) });
    expected.delete('a0001');
    const seen: string[] = [];
    for await (const a of store.outstanding()) seen.push(a.id);
    expect(seen.length).toBe(expected.size);
    expect(new Set(seen)).toEqual(expected);
  });

  it('finds alerts held for a trader, oldest first', async () => {
    const store = createAlertStore({ redis: redis.client });
    await store.create(alert(3, { owner: 'bob', state: 'held' }));
    await store.create(alert(1, { owner: 'bob', state: 'held' }));
    await store.create(alert(2, { owner: 'bobby', state: 'held' }));
    await store.create(alert(4, { owner: 'bob' }));
    expect((await store.heldFor('bob')).map((a) => a.id)).toEqual(['a0001', 'a0003']);
    await store.transition('a0004', { state: 'held' }, { event: 'held', at: iso(T0), detail: 'dnd' });
    await store.transition('a0001', { state: 'pending', nextActionAt: T0 }, { event: 'released', at: iso(T0) });
    expect((await store.heldFor('bob')).map((a) => a.id)).toEqual(['a0003', 'a0004']);
    await store.transition('a0003', { recipient: 'dana' }, { event: 'escalated', at: iso(T0) });
    expect((await store.heldFor('bob')).map((a) => a.id)).toEqual(['a0004']);
    expect((await store.heldFor('dana')).map((a) => a.id)).toEqual(['a0003']);
    expect(await store.heldFor('nobody')).toEqual([]);
  });

  it('lists history newest first by trader, symbol, state and time, in pages', async () => {
    const store = createAlertStore({ redis: redis.client });
    const all: StoredAlert[] = [];
    for (let n = 1; n <= 60; n++) {
      const a = alert(n, { state: (['pending', 'sent', 'delivered', 'acknowledged'] as const)[n % 4] });
      await store.create(a);
      all.push(a);
    }
    // Two alerts fired in the same millisecond page apart without loss.
    await store.create(alert(61, { firedAt: all[29]!.firedAt, owner: 'alice' }));
    all.push({ ...alert(61, { firedAt: all[29]!.firedAt, owner: 'alice' }) });
    await store.transition('a0002', { state: 'expired' }, { event: 'expired', at: iso(T0) });
    all[1] = (await store.get('a0002'))!;
    const newestFirst = [...all].sort((x, y) =>
      x.firedAt === y.firedAt ? (x.id < y.id ? 1 : -1) : x.firedAt < y.firedAt ? 1 : -1,
    );
    const pageAll = async (q: Omit<Parameters<typeof store.list>[0], 'after'>) => {
      const out: StoredAlert[] = [];
      let after: string | undefined;
      do {
        const page = await store.list({ ...q, ...(after ? { after } : {}) });
        expect(page.alerts.length).toBeLessThanOrEqual(q.limit);
        out.push(...page.alerts);
        after = page.next;
      } while (after);
      return out;
    };
    const from = iso(T0 + 20_000);
    const to = iso(T0 + 45_000);
    const cases: [Parameters<typeof store.list>[0], (a: StoredAlert) => boolean][] = [
      [{ limit: 7 }, () => true],
      [{ limit: 5, trader: 'alice' }, (a) => a.owner === 'alice'],
      [{ limit: 4, symbol: 'EURUSD' }, (a) => a.symbol === 'EURUSD'],
      [{ limit: 3, state: 'delivered' }, (a) => a.state === 'delivered'],
      [{ limit: 3, state: 'expired' }, (a) => a.state === 'expired'],
      [{ limit: 6, fromTime: from, toTime: to }, (a) => a.firedAt >= from && a.firedAt < to],
      [
        { limit: 2, trader: 'bob', symbol: 'BTCUSDT', state: 'sent', fromTime: from },
        (a) => a.owner === 'bob' && a.symbol === 'BTCUSDT' && a.state === 'sent' && a.firedAt >= from,
      ],
      [{ limit: 10, trader: 'nobody' }, () => false],
      [{ limit: 61 }, () => true],
    ];
    for (const [q, keep] of cases) expect(await pageAll(q)).toEqual(newestFirst.filter(keep));
    const exact = await store.list({ limit: 61 });
    expect(exact.next).toBeUndefined();
    await expect(store.list({ limit: 5, after: 'bm9wZQ' })).rejects.toMatchObject({
      code: 'TICKDESK_ALERTS_STORE_BAD_CURSOR',
    });
    await expect(store.list({ limit: 0 })).rejects.toMatchObject({ code: 'TICKDESK_ALERTS_STORE_BAD_INPUT' });
  });
});

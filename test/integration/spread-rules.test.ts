import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAlertsConfig } from '@tickdesk/alerts';
import { buildApp, DESK_ROUTES, resolveApiConfig, type ApiApp } from '@tickdesk/api';
import type { Rule } from '@tickdesk/schemas';
import { credentials, desk, waitFor } from './helpers.js';
import { deskApiDeps, deskPasswordVerifier } from './api-deps.js';
import { startLocalEngine, type LocalEngine } from './local-engine.js';
import { publishPrices, trader, type Trader } from './trader.js';

/**
 * Rules across instruments end to end: rules written over REST, ticks published to the
 * instruments' pubsub nodes, alerts received by a trader's XMPP client. Where each rule
 * fires is computed here independently, in BigInt.
 */

/** A decimal string as n × 10^-18 (the test's own exact arithmetic). */
const units = (d: string): bigint => {
  const [i, f = ''] = d.split('.');
  return BigInt(i! + f.padEnd(18, '0'));
};
const sign = (x: bigint): number => (x > 0n ? 1 : x < 0n ? -1 : 0);

describe('rules across instruments', () => {
  let engine: LocalEngine;
  let app: ApiApp;
  let alice: Trader;
  let auth: Record<string, string>;

  beforeAll(async () => {
    engine = await startLocalEngine(resolveAlertsConfig({ pollMs: 50 }), 'spread-test');
    app = await buildApp({
      deps: deskApiDeps(engine.redis, { auditKey: credentials().audit }),
      config: resolveApiConfig({ loginRateMax: 1_000, writeRateMax: 1_000 }),
      verifyPassword: deskPasswordVerifier(),
      routes: DESK_ROUTES,
    });
    alice = await trader('alice');
    await waitFor(() => engine.service.engine.presence.get('alice').show === 'online', 10_000, 'alice online');
    const res = await app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { jid: `alice@${desk().domain}`, password: credentials().accounts.alice!.password },
    });
    expect(res.statusCode, res.body).toBe(200);
    auth = { authorization: `Bearer ${res.json<{ token: string }>().token}` };
  });
  afterAll(async () => {
    for await (const rule of engine.service.engine.rules.all()) await engine.service.engine.rules.remove(rule.id);
    await alice?.stop();
    await app?.close();
    await engine?.stop();
  });

  async function create(body: Record<string, unknown>): Promise<Rule> {
    const before = engine.service.engine.stats().rules;
    const res = await app.inject({ method: 'POST', url: '/v1/rules', headers: auth, payload: body });
    expect(res.statusCode, res.body).toBe(201);
    const rule = res.json<Rule>();
    await waitFor(() => engine.service.engine.stats().rules > before, 5_000, 'the rule in the engine');
    return rule;
  }

  /** Publish each tick in its own batch, one after another, as a feed of two venues would. */
  async function play(ticks: ReadonlyArray<[symbol: string, price: string]>): Promise<void> {
    for (const [symbol, price] of ticks) {
      await publishPrices(engine.feed, symbol, [price]);
      await new Promise((r) => setTimeout(r, 60));
    }
  }

  const alertsOf = (rule: Rule) => alice.alerts.filter((a) => a.payload.rule === rule.id);

  it('a spread BTCUSDT − 15 × ETHUSDT crossing 0 fires exactly on the tick where the exact spread changes side', async () => {
    const rule = await create({
      symbol: 'BTCUSDT',
      condition: 'crossing',
      threshold: '0',
      series: {
        kind: 'spread',
        legs: [
          { symbol: 'BTCUSDT', coefficient: '1' },
          { symbol: 'ETHUSDT', coefficient: '-15' },
        ],
      },
      frequency: 'once',
      priority: 'normal',
    });
    // 64999.99999999999 − 15 × 4333.333333333333 = −0.000000000005: still below 0, where doubles say 0 (a crossing).
    const ticks: Array<[string, string]> = [
      ['BTCUSDT', '64000'],
      ['ETHUSDT', '4300'],
      ['BTCUSDT', '64400.5'],
      ['ETHUSDT', '4333.333333333333'],
      ['BTCUSDT', '64999.99999999999'],
      ['ETHUSDT', '4333.3333333333'],
      ['BTCUSDT', '65100'],
    ];
    // The independent prediction: the first tick after which both legs are known and the
    // spread's sign differs from its sign before (crossing: from below to ≥ 0 or above to ≤ 0).
    const last = new Map<string, string>();
    let prev: bigint | undefined;
    let expected: { index: number; value: bigint } | undefined;
    ticks.forEach(([s, p], i) => {
      last.set(s, p);
      if (!last.has('BTCUSDT') || !last.has('ETHUSDT')) return;
      const v = units(last.get('BTCUSDT')!) - 15n * units(last.get('ETHUSDT')!);
      const crossed = prev !== undefined && ((prev < 0n && v >= 0n) || (prev > 0n && v <= 0n));
      if (crossed && !expected) expected = { index: i, value: v };
      prev = v;
    });
    expect(expected!.index).toBe(5); // ETH's tick 4333.3333333333: 64999.99999999999 − 64999.9999999995 > 0
    expect(64999.99999999999 - 15 * 4333.333333333333).toBe(0); // what a float evaluation would have fired on
    await play(ticks);
    await waitFor(() => alertsOf(rule).length > 0, 10_000, 'the spread alert');
    await new Promise((r) => setTimeout(r, 500));
    const [alert, ...more] = alertsOf(rule);
    expect(more).toEqual([]);
    expect(sign(units(alert!.payload.value!))).toBe(sign(expected!.value));
    expect(units(alert!.payload.value!)).toBe(expected!.value);
    expect(alert!.payload).toMatchObject({
      symbol: 'BTCUSDT',
      price: '64999.99999999999',
      series: 'BTCUSDT − 15 × ETHUSDT',
      legs: [
        { symbol: 'BTCUSDT', price: '64999.99999999999' },
        { symbol: 'ETHUSDT', price: '4333.3333333333' },
      ],
    });
    expect(alert!.body).toContain(
      'BTCUSDT − 15 × ETHUSDT crossed 0: 0.00000000049 (BTCUSDT 64999.99999999999, ETHUSDT 4333.3333333333)',
    );
  });

  it('a ratio AAPL / MSFT greater-than 0.5 compares AAPL − 0.5 × MSFT, never a division: equal does not fire, just above does', async () => {
    const rule = await create({
      symbol: 'AAPL',
      condition: 'greater-than',
      threshold: '0.5',
      series: { kind: 'ratio', numerator: 'AAPL', denominator: 'MSFT' },
      frequency: 'once',
      priority: 'normal',
    });
    const ticks: Array<[string, string]> = [
      ['AAPL', '150.1'],
      ['MSFT', '300.2'],
      ['AAPL', '150'],
      ['MSFT', '300'],
      ['AAPL', '150.0000000001'],
    ];
    const last = new Map<string, string>();
    let expected: number | undefined;
    ticks.forEach(([s, p], i) => {
      last.set(s, p);
      if (!last.has('AAPL') || !last.has('MSFT') || expected !== undefined) return;
      // 2 × AAPL − MSFT > 0 ⇔ AAPL / MSFT > 0.5
      if (2n * units(last.get('AAPL')!) - units(last.get('MSFT')!) > 0n) expected = i;
    });
    expect(expected).toBe(4);
    await play(ticks);
    await waitFor(() => alertsOf(rule).length > 0, 10_000, 'the ratio alert');
    await new Promise((r) => setTimeout(r, 500));
    expect(alertsOf(rule).map((a) => a.payload.legs)).toEqual([
      [
        { symbol: 'AAPL', price: '150.0000000001' },
        { symbol: 'MSFT', price: '300' },
      ],
    ]);
    expect(alertsOf(rule)[0]!.body).toContain('AAPL / MSFT is above 0.5: AAPL 150.0000000001, MSFT 300');
  });

  it('an AND across two instruments fires on the tick that makes both hold, named by its instrument', async () => {
    const rule = await create({
      symbol: 'EURUSD',
      condition: 'greater-than',
      threshold: '1.1',
      and: [{ symbol: 'USDJPY', condition: 'crossing-up', threshold: '150' }],
      frequency: 'once',
      priority: 'normal',
    });
    await play([
      ['EURUSD', '1.05'],
      ['USDJPY', '149'],
      ['USDJPY', '151'], // crosses, but EURUSD is not above 1.1
      ['EURUSD', '1.2'], // above, but USDJPY crossed earlier: no crossing on this tick
      ['USDJPY', '149.5'],
    ]);
    await new Promise((r) => setTimeout(r, 500));
    expect(alertsOf(rule)).toEqual([]);
    await play([['USDJPY', '150']]); // crosses up with EURUSD at 1.2: both hold
    await waitFor(() => alertsOf(rule).length > 0, 10_000, 'the AND alert');
    const stored = await engine.service.engine.alerts.get(alertsOf(rule)[0]!.id);
    expect(stored).toMatchObject({
      symbol: 'EURUSD',
      price: '1.2',
      series: 'and USDJPY crossing-up 150',
      legs: [
        { symbol: 'EURUSD', price: '1.2' },
        { symbol: 'USDJPY', price: '150' },
      ],
    });
    expect(alertsOf(rule)[0]!.body).toContain('EURUSD is above 1.1 and USDJPY crossing-up 150: EURUSD 1.2, USDJPY 150');
  });

  it.each([
    [
      'an unknown instrument in a leg',
      {
        legs: [
          ['BTCUSDT', '1'],
          ['NOPE', '-1'],
        ],
      },
      'series.legs[1].symbol',
    ],
    [
      'a zero coefficient',
      {
        legs: [
          ['BTCUSDT', '1'],
          ['ETHUSDT', '0'],
        ],
      },
      'series.legs[1].coefficient',
    ],
    [
      'a coefficient that is not a decimal',
      {
        legs: [
          ['BTCUSDT', '1'],
          ['ETHUSDT', '1/3'],
        ],
      },
      'series.legs[1].coefficient',
    ],
    [
      'a leg repeated',
      {
        legs: [
          ['BTCUSDT', '1'],
          ['ETHUSDT', '-1'],
          ['ETHUSDT', '1'],
        ],
      },
      'series.legs[2].symbol',
    ],
    ['a ratio with the same leg twice', { ratio: ['BTCUSDT', 'BTCUSDT'] }, 'series.denominator'],
    ['a ratio with an unknown denominator', { ratio: ['BTCUSDT', 'NOPE'] }, 'series.denominator'],
    ['more than five conditions', { and: 5 }, 'and'],
  ])('422 naming the field: %s', async (_, bad, field) => {
    const body: Record<string, unknown> = {
      symbol: 'BTCUSDT',
      condition: 'greater-than',
      threshold: '1',
      frequency: 'once',
      priority: 'normal',
    };
    const b = bad as { legs?: string[][]; ratio?: string[]; and?: number };
    if (b.legs)
      body.series = { kind: 'spread', legs: b.legs.map(([symbol, coefficient]) => ({ symbol, coefficient })) };
    if (b.ratio) body.series = { kind: 'ratio', numerator: b.ratio[0], denominator: b.ratio[1] };
    if (b.and)
      body.and = Array.from({ length: b.and }, () => ({ symbol: 'ETHUSDT', condition: 'less-than', threshold: '1' }));
    const res = await app.inject({ method: 'POST', url: '/v1/rules', headers: auth, payload: body });
    expect(res.statusCode, res.body).toBe(422);
    const error = res.json<{ code: string; message: string }>();
    expect(error.code).toBe('TICKDESK_API_INVALID_RULE');
    expect(error.message).toContain(`"${field}"`);
  });
});

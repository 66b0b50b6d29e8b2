import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuleStore } from '@tickdesk/alerts';
import { waitFor } from './helpers.js';
import { publishPrices } from './trader.js';
import { createEnginePool, leaseHolders, openEngineDesk, type EngineDesk } from './engine-pool.js';

/*
 * Two engine processes share the instruments by leases. A spread whose legs are held by
 * different engines fires once, on the tick of the leg the other engine holds, from the
 * engine that holds the rule's own instrument (its alert fenced by that instrument's lease).
 */
const SYMBOLS = ['EURUSD', 'ETHUSDT', 'MSFT', 'SOLUSDT', 'AAPL', 'USDJPY'];
let shared: EngineDesk;
let redis: Redis;
const created: string[] = [];
const engines = createEnginePool({ leaseMs: 2_000 });

beforeAll(async () => {
  shared = await openEngineDesk('spread-engines-test');
  redis = shared.redis;
});
afterAll(async () => {
  await engines.killAll();
  await shared?.close(created);
});

describe('a spread across two engines', () => {
  it("fires once, on the other engine's instrument's tick, from the engine holding the rule's own", async () => {
    const [a, b] = [engines.start(), engines.start()];
    await Promise.all([a.running, b.running]);
    const pids = [a.child.pid, b.child.pid];
    let held = new Map<string, number>();
    for (const deadline = Date.now() + 20_000; ;) {
      held = await leaseHolders(redis, SYMBOLS);
      if (new Set(held.values()).size === 2 && [...held.values()].every((p) => pids.includes(p))) break;
      if (Date.now() > deadline) throw new Error(`instruments not shared out: ${JSON.stringify([...held])}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const home = SYMBOLS.find((s) => held.get(s) === pids[0])!;
    const leg = SYMBOLS.find((s) => held.get(s) === pids[1])!;
    const rule = await createRuleStore({ redis, maxRulesPerOwner: 1_000 }).create('alice', {
      symbol: home,
      condition: 'crossing-up',
      threshold: '0',
      series: {
        kind: 'spread',
        legs: [
          { symbol: home, coefficient: '1' },
          { symbol: leg, coefficient: '-2' },
        ],
      },
      frequency: 'once',
      priority: 'normal',
    });
    created.push(rule.id);
    await new Promise((r) => setTimeout(r, 1_500)); // the engines' rule sync
    // home − 2 × leg: 100 − 2 × 60 = −20, then 100 − 2 × 49.5 = 1 (crosses, on the leg's tick).
    for (const [s, p] of [
      [home, '100'],
      [leg, '60'],
      [leg, '49.5'],
      [leg, '40'],
    ] as const) {
      await publishPrices(shared.feed, s, [p]);
      await new Promise((r) => setTimeout(r, 150));
    }
    const mine = () => shared.alice.alerts.filter((x) => x.payload.rule === rule.id);
    await waitFor(() => mine().length > 0, 10_000, 'the spread alert');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.payload).toMatchObject({
      symbol: home,
      value: '1',
      legs: [
        { symbol: home, price: '100' },
        { symbol: leg, price: '49.5' },
      ],
    });
  });
});

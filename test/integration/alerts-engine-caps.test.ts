import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAlertStore, createRuleStore } from '@tickdesk/alerts';
import { alertKeys } from '@tickdesk/store';
import type { XmppClient } from '@tickdesk/xmpp';
import { waitFor } from './helpers.js';
import { publishPrices, type Trader } from './trader.js';
import type { EngineProcess } from '../support/engine-process.js';
import { createEnginePool, leaseHolders, openEngineDesk, type EngineDesk } from './engine-pool.js';

/*
 * The per-trader alert cap (60 a minute by default) is the trader's, whatever engine holds
 * each of the trader's instruments: two engine processes (TICKDESK_ALERT_ENGINES=2), each
 * holding one of two instruments alice has rules on, fire 2 × 40 alerts within a second.
 */
const LEASE_MS = 2_000;
const SYMBOLS = ['EURUSD', 'ETHUSDT', 'MSFT', 'SOLUSDT'];
const PER_SYMBOL = 40;
const PER_OWNER = 60; // the default, TICKDESK_ALERTS_PER_OWNER_MAX
const BASE = 5_000;
let shared: EngineDesk;
let redis: Redis;
let alice: Trader;
let feed: XmppClient;
const created: string[] = [];

const engines = createEnginePool({ leaseMs: LEASE_MS });
const startEngine = engines.start;
const holders = () => leaseHolders(redis, SYMBOLS);

/** One instrument held by each engine, once both hold some. */
async function oneEach(a: EngineProcess, b: EngineProcess): Promise<[string, string]> {
  await Promise.all([a.running, b.running]);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const h = [...(await holders())];
    const x = h.find(([, p]) => p === a.child.pid)?.[0];
    const y = h.find(([, p]) => p === b.child.pid)?.[0];
    if (x && y) return [x, y];
    if (Date.now() > deadline) throw new Error(`instruments not shared out: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  shared = await openEngineDesk('engine-caps-test');
  ({ redis, alice, feed } = shared);
});

afterEach(() => engines.killAll());

afterAll(() => shared?.close(created));

describe('the per-trader alert cap with several engines', () => {
  it("counts a trader's alerts from every engine: 60 a minute reach alice, the rest are suppressed", async () => {
    // Alerts earlier files sent alice in the last minute count against her cap too: start from none.
    await redis.del(alertKeys().rateOwner('alice'));
    const a = startEngine();
    const b = startEngine();
    const pair = await oneEach(a, b);
    const rules = createRuleStore({ redis, maxRulesPerOwner: 1_000 });
    const ids = new Set<string>();
    for (const symbol of pair) {
      for (let k = 0; k < PER_SYMBOL; k++) {
        const rule = await rules.create('alice', {
          symbol,
          condition: 'crossing-up',
          threshold: `${BASE + k}.5`,
          frequency: 'every-time',
          priority: 'normal',
        });
        ids.add(rule.id);
        created.push(rule.id);
      }
    }
    await new Promise((r) => setTimeout(r, 1_000)); // both engines have the new rules (rule changes channel)
    await Promise.all(pair.map((s) => publishPrices(feed, s, [`${BASE - 1}`])));
    await new Promise((r) => setTimeout(r, 300));
    // One batch per instrument through every threshold: 40 firings on each engine at once.
    await Promise.all(
      pair.map((s) =>
        publishPrices(
          feed,
          s,
          Array.from({ length: PER_SYMBOL + 1 }, (_, k) => `${BASE + k}`),
        ),
      ),
    );

    const received = () => new Set(alice.alerts.filter((x) => ids.has(x.payload.rule)).map((x) => x.id));
    await waitFor(() => received().size >= PER_OWNER, 20_000, `${PER_OWNER} alerts`).catch((err: Error) => {
      throw new Error(`${err.message}; got ${received().size}\n${a.output().slice(-1500)}\n${b.output().slice(-1500)}`);
    });
    await new Promise((r) => setTimeout(r, 3_000)); // any over the cap would have arrived by now
    const got = received().size;
    const store = createAlertStore({ redis });
    const stored = (await store.list({ trader: 'alice', limit: 500 })).alerts.filter((x) => ids.has(x.ruleId));
    const suppressed = stored.filter((x) => x.state === 'suppressed');
    // The figure the report quotes.
    console.log(
      `alice received ${got} alerts of ${2 * PER_SYMBOL} firings from two engines; ${suppressed.length} stored as suppressed`,
    );
    expect(got).toBe(PER_OWNER);
    expect(stored.filter((x) => x.state !== 'suppressed')).toHaveLength(PER_OWNER);
    // The first suppressed firing of each engine that met the cap is stored in full; the rest counted and summarised.
    expect(suppressed.length).toBeGreaterThanOrEqual(1);
    expect(suppressed.length).toBeLessThanOrEqual(2);
    for (const x of suppressed) expect(x.lifecycle[0]!.detail).toMatch(/^cap=owner limit=60\/60s /);
  }, 120_000);
});

import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createAlertStore, createRuleStore } from '@tickdesk/alerts';
import type { XmppClient } from '@tickdesk/xmpp';
import { connect, desk, waitFor } from './helpers.js';
import { publishPrices, trader, type Trader } from './trader.js';
import { portOf, startEngineProcess } from '../support/engine-process.js';

const BURST = 1_000;
let engine: ChildProcess | undefined;
let alice: Trader | undefined;
let feed: XmppClient | undefined;
let redis: Redis | undefined;
/** The burst's rules, removed afterwards: the next files share this Redis and alice's 500-rule cap. */
const burstRules: string[] = [];

function startEngine() {
  const d = desk();
  return startEngineProcess({
    home: d.home,
    domain: d.domain,
    xmppPort: portOf(d.service),
    redisPort: portOf(d.redisUrl),
    env: { TICKDESK_ALERTS_RECEIPT_TIMEOUT_MS: '3000', TICKDESK_ALERTS_POLL_MS: '100' },
  });
}

afterAll(async () => {
  engine?.kill('SIGKILL');
  if (redis) {
    const rules = createRuleStore({ redis });
    for (const id of burstRules) await rules.remove(id);
  }
  await alice?.stop();
  await feed?.stop();
  redis?.disconnect();
});

describe('alert engine restart safety', () => {
  it(`SIGKILL in the middle of a burst of ${BURST} alerts: all delivered, none shown twice`, async () => {
    redis = new Redis(desk().redisUrl);
    // One trader holds the whole burst: above the default per-trader cap, on purpose.
    const rules = createRuleStore({ redis, maxRulesPerOwner: BURST });
    const alerts = createAlertStore({ redis });
    for (let i = 1; i <= BURST; i++) {
      const rule = await rules.create('alice', {
        symbol: 'USDJPY',
        condition: 'crossing-up',
        threshold: `170.${String(i).padStart(4, '0')}`,
        frequency: 'once',
        priority: 'normal',
      });
      burstRules.push(rule.id);
    }
    alice = await trader('alice', { resource: 'restart-test' });
    feed = await connect('feed', 'restart-test');
    let run = startEngine();
    engine = run.child;
    await run.running;
    await publishPrices(feed, 'USDJPY', ['169.9', '170']);
    await publishPrices(feed, 'USDJPY', ['171']); // one tick crosses all of them
    await waitFor(() => alice!.shown().length >= 100, 30_000, 'the burst to start').catch((err: Error) => {
      throw new Error(`${err.message}; got ${alice!.shown().length}\n${run.output().slice(-3000)}`);
    });
    engine.kill('SIGKILL');
    await new Promise((r) => engine!.once('exit', r));
    const before = alice.shown().length;
    expect(before).toBeLessThan(BURST);

    run = startEngine();
    engine = run.child;
    await run.running;
    await waitFor(() => alice!.shown().length >= BURST, 120_000, `all ${BURST} alerts`).catch((err: Error) => {
      throw new Error(`${err.message}; got ${alice!.shown().length}\n${run.output().slice(-3000)}`);
    });
    const ids = alice.shown();
    expect(ids).toHaveLength(BURST);
    const states = async () => {
      const counts: Record<string, number> = {};
      for (const a of await Promise.all(ids.map((id) => alerts.get(id))))
        counts[a?.state ?? 'missing'] = (counts[a?.state ?? 'missing'] ?? 0) + 1;
      return counts;
    };
    await expect.poll(states, { timeout: 60_000, interval: 500 }).toEqual({ delivered: BURST });
    // Some were sent twice (same id) around the kill; the client shows each once.
    expect(alice.alerts.length).toBeGreaterThanOrEqual(BURST);
  }, 240_000);
});

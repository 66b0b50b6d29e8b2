import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAlertStore, createAuditChain, createRuleStore } from '@tickdesk/alerts';
import type { XmppClient } from '@tickdesk/xmpp';
import { credentials, waitFor } from './helpers.js';
import { publishPrices, trader, type Trader } from './trader.js';
import type { EngineProcess } from '../support/engine-process.js';
import { createEnginePool, leaseHolders, openEngineDesk, type EngineDesk } from './engine-pool.js';

/*
 * Two engine processes (TICKDESK_ALERT_ENGINES=2) share the instruments by leases; one is
 * killed (SIGKILL) or stalled (SIGSTOP) while ticks flow and alerts fire. Every alert of the
 * test's rules must reach alice once by id, from one engine, with the audit chain intact.
 */
const LEASE_MS = 2_000;
const SYMBOLS = ['EURUSD', 'ETHUSDT', 'MSFT', 'SOLUSDT'];
const STEPS = 60;
let shared: EngineDesk;
let redis: Redis;
let alice: Trader;
let feed: XmppClient;
const created: string[] = [];

const engines = createEnginePool({ leaseMs: LEASE_MS, env: { TICKDESK_ALERTS_RECEIPT_TIMEOUT_MS: '3000' } });
const startEngine = engines.start;
const holders = () => leaseHolders(redis, SYMBOLS);

/** `perSymbol` once rules per instrument, crossing up at base + k + 0.5: price base + k + 1 fires the k-th. */
async function rulesFrom(base: number, perSymbol: number): Promise<Set<string>> {
  const rules = createRuleStore({ redis, maxRulesPerOwner: 1_000 });
  const ids = new Set<string>();
  for (const symbol of SYMBOLS) {
    for (let k = 0; k < perSymbol; k++) {
      const rule = await rules.create('alice', {
        symbol,
        condition: 'crossing-up',
        threshold: `${base + k}.5`,
        frequency: 'once',
        priority: 'normal',
      });
      ids.add(rule.id);
      created.push(rule.id);
    }
  }
  return ids;
}

/** One tick per instrument every 100 ms, from base to base + STEPS; `at(k)` runs before step k. */
async function stream(base: number, at: (k: number) => Promise<void> | void): Promise<void> {
  for (let k = 0; k <= STEPS; k++) {
    await at(k);
    await Promise.all(SYMBOLS.map((s) => publishPrices(feed, s, [`${base + k}`])));
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function bothRunning(a: EngineProcess, b: EngineProcess): Promise<void> {
  await Promise.all([a.running, b.running]);
  const pids = new Set([a.child.pid, b.child.pid]);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const h = await holders();
    const owners = new Set(h.values());
    if (owners.size === 2 && [...owners].every((p) => pids.has(p))) return;
    if (Date.now() > deadline) throw new Error(`instruments not shared out: ${JSON.stringify([...h])}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  shared = await openEngineDesk('engines-test');
  ({ redis, alice, feed } = shared);
});

/** Every engine a test started is gone before the next test starts its own. */
afterEach(() => engines.killAll());

afterAll(() => shared?.close(created));

const mine = (ids: Set<string>) => alice.alerts.filter((a) => ids.has(a.payload.rule));

describe('several alert engines sharing instruments by leases', () => {
  it('a chat command to the bare JID alerts@ is answered, and carried out, by one engine', async () => {
    const a = startEngine();
    const b = startEngine();
    await bothRunning(a, b);
    const before = alice.replies.length;
    await alice.say('help');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(alice.replies.length - before).toBe(1);
  }, 60_000);

  it('SIGKILL of an engine while alerts fire: the other takes its instruments within the lease time, every alert reaches alice once', async () => {
    const ids = await rulesFrom(7_000, STEPS);
    const a = startEngine();
    const b = startEngine();
    await bothRunning(a, b);
    await Promise.all(SYMBOLS.map((s) => publishPrices(feed, s, ['6999'])));
    const victimPid = (await holders()).get('EURUSD')!;
    const [victim, survivor] = victimPid === a.child.pid ? [a, b] : [b, a];
    const taken = [...(await holders())].filter(([, p]) => p === victimPid).map(([s]) => s);
    let takeover: Promise<number> | undefined;
    await stream(7_000, (k) => {
      if (k !== 12) return;
      victim.child.kill('SIGKILL');
      const killedAt = performance.now();
      // Taken over: every instrument's lease held by the survivor (watched while the ticks go on).
      takeover = (async () => {
        while (![...(await holders()).values()].every((p) => p === survivor.child.pid))
          await new Promise((r) => setTimeout(r, 25));
        return performance.now() - killedAt;
      })();
    });
    const takeoverMs = await takeover!;
    await waitFor(() => new Set(mine(ids).map((x) => x.id)).size >= ids.size, 60_000, `${ids.size} alerts`).catch(
      (err: Error) => {
        throw new Error(
          `${err.message}; got ${new Set(mine(ids).map((x) => x.id)).size}\n${survivor.output().slice(-3000)}`,
        );
      },
    );
    const got = mine(ids);
    const byRule = new Map<string, Set<string>>();
    for (const x of got) byRule.set(x.payload.rule, (byRule.get(x.payload.rule) ?? new Set()).add(x.id));
    expect(byRule.size).toBe(ids.size);
    expect([...byRule.values()].every((s) => s.size === 1)).toBe(true);
    // Receipts reach the outbox whichever engine they were addressed to: a receipt sent to the
    // killed engine's resource is recorded by the new holder, or the alert is resent (same id) and confirmed then.
    const store = createAlertStore({ redis });
    const states = async () => {
      const counts: Record<string, number> = {};
      for (const x of await Promise.all([...new Set(got.map((g) => g.id))].map((id) => store.get(id))))
        counts[x?.state ?? 'missing'] = (counts[x?.state ?? 'missing'] ?? 0) + 1;
      return counts;
    };
    await expect.poll(states, { timeout: 30_000, interval: 500 }).toEqual({ delivered: ids.size });
    // The figure the docs quote.
    console.log(
      `takeover of ${taken.join(',')} ${Math.round(takeoverMs)} ms after SIGKILL (lease ${LEASE_MS} ms); ${mine(ids).length} stanzas for ${ids.size} alerts, all delivered`,
    );
    // Within the lease time (its expiry is at most the TTL after the kill) and a margin for a busy machine; the goal is 5 s.
    expect(takeoverMs).toBeLessThan(LEASE_MS + 1_500);
    expect(await createAuditChain({ redis, key: credentials().audit }).verify()).toMatchObject({ ok: true });
  }, 180_000);

  it("a dead engine's alert still waiting for a receipt is resent, same id, by the instrument's new holder", async () => {
    const bob = await trader('bob', { receipts: false, resource: 'engines-test' });
    try {
      const rule = await createRuleStore({ redis }).create('bob', {
        symbol: 'EURUSD',
        condition: 'crossing-up',
        threshold: '9000.5',
        frequency: 'once',
        priority: 'normal',
      });
      created.push(rule.id);
      const a = startEngine();
      const b = startEngine();
      await bothRunning(a, b);
      const victimPid = (await holders()).get('EURUSD')!;
      const [victim, survivor] = victimPid === a.child.pid ? [a, b] : [b, a];
      await publishPrices(feed, 'EURUSD', ['9000']);
      await publishPrices(feed, 'EURUSD', ['9001']);
      await waitFor(() => bob.alerts.some((x) => x.payload.rule === rule.id), 10_000, 'the alert');
      const first = bob.alerts.find((x) => x.payload.rule === rule.id)!;
      victim.child.kill('SIGKILL');
      await waitFor(() => bob.alerts.filter((x) => x.id === first.id).length >= 2, 20_000, 'the resend').catch(
        (err: Error) => {
          throw new Error(`${err.message}\n${survivor.output().slice(-3000)}`);
        },
      );
      const resent = bob.alerts.filter((x) => x.id === first.id)[1]!;
      expect(resent.from).not.toBe(first.from);
      expect(resent.from.split('/')[0]).toBe(first.from.split('/')[0]);
      const events = (
        await createAuditChain({ redis, key: credentials().audit }).range({ alertId: first.id, limit: 50 })
      ).map((r) => r.event);
      expect(events.slice(0, 2)).toEqual(['fired', 'sent']);
      expect(events).toContain('resent');
    } finally {
      await bob.stop();
    }
  }, 60_000);

  it('an engine stalled (SIGSTOP) past its lease and resumed sends nothing its successor sent: one engine per alert, one sent record', async () => {
    const ids = await rulesFrom(8_000, STEPS);
    // Receipts to the stalled engine wait unread in its socket: no resend is due before it wakes.
    const a = startEngine({ TICKDESK_ALERTS_RECEIPT_TIMEOUT_MS: '10000' });
    const b = startEngine({ TICKDESK_ALERTS_RECEIPT_TIMEOUT_MS: '10000' });
    await bothRunning(a, b);
    await Promise.all(SYMBOLS.map((s) => publishPrices(feed, s, ['7999'])));
    const stalledPid = (await holders()).get('EURUSD')!;
    const [stalled, other] = stalledPid === a.child.pid ? [a, b] : [b, a];
    let resumedAt = 0;
    await stream(8_000, async (k) => {
      if (k === 10) stalled.child.kill('SIGSTOP');
      if (k === 10 + Math.ceil((LEASE_MS * 1.75) / 100)) {
        // Its leases have moved by now (checked below); it wakes up with work in its sockets.
        expect([...(await holders()).values()].every((p) => p === other.child.pid)).toBe(true);
        resumedAt = stalled.output().length;
        stalled.child.kill('SIGCONT');
      }
    });
    await waitFor(() => new Set(mine(ids).map((x) => x.id)).size >= ids.size, 60_000, `${ids.size} alerts`).catch(
      (err: Error) => {
        throw new Error(
          `${err.message}; got ${new Set(mine(ids).map((x) => x.id)).size}\n${stalled.output().slice(-3000)}`,
        );
      },
    );
    await new Promise((r) => setTimeout(r, 2_000)); // late sends of the resumed engine would arrive by now
    const got = mine(ids);
    const senders = new Map<string, Set<string>>();
    for (const x of got) senders.set(x.id, (senders.get(x.id) ?? new Set()).add(x.from));
    expect(senders.size).toBe(ids.size);
    expect([...senders.entries()].filter(([, f]) => f.size > 1)).toEqual([]);
    const audit = createAuditChain({ redis, key: credentials().audit });
    for (const id of senders.keys()) {
      const sent = (await audit.range({ alertId: id, limit: 50 })).filter((r) => r.event === 'sent');
      expect(sent, id).toHaveLength(1);
    }
    // Markers to the bare JID (the dashboard's way for alerts from history) reach both engines: recorded once.
    const marked = got.filter((x, i) => got.findIndex((y) => y.id === x.id) === i).slice(0, 20);
    for (const x of marked) await alice.mark(x, 'displayed');
    const displayed = async () => {
      const counts = await Promise.all(
        marked.map(
          async (x) => (await audit.range({ alertId: x.id, limit: 50 })).filter((r) => r.event === 'displayed').length,
        ),
      );
      return counts.every((n) => n >= 1) ? counts : undefined;
    };
    await expect.poll(displayed, { timeout: 15_000, interval: 300 }).toBeDefined();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(new Set(await displayed())).toEqual(new Set([1]));
    expect(await audit.verify()).toMatchObject({ ok: true });
    // Woken, it finds its leases gone before acting (or its writes fenced out) and says so.
    const after = stalled.output().slice(resumedAt);
    expect(after).toContain('instrument lease lost');
  }, 180_000);
});

import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTickRows, encodeTickRows, ticksNode } from '@tickdesk/schemas';
import type { Element, Pubsub } from '@tickdesk/xmpp';
import { createFeed } from './feed.js';
import { A, idle, instruments, tickPusher } from './feed.test-util.js';
import { createFeedMetrics } from './metrics.js';
import { createPublisherLeases, type PublisherLeases } from './publisher-leases.js';

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await sleep(10);
  }
}

/**
 * The lease scripts' Redis (services/store/src/lease-scripts.ts) in memory: a holder key
 * with an expiry and a fencing counter. `down` makes every call fail, as while the
 * sentinels promote a replica.
 */
function fakeRedis() {
  const keys = new Map<string, { value: string; until: number }>();
  const state = { down: false, counter: 0 };
  const read = (k: string) => {
    const e = keys.get(k);
    if (e && e.until <= Date.now()) keys.delete(k);
    return keys.get(k)?.value;
  };
  const reachable = () => {
    if (state.down) throw new Error('connect ECONNREFUSED');
  };
  const redis = {
    eval: async (script: string, _n: number, holder: string, _token: string, ...args: string[]) => {
      await sleep(1);
      reachable();
      const cur = read(holder);
      const [owner, second, third] = args;
      if (script.includes('INCR')) {
        if (cur && cur.slice(cur.indexOf(' ') + 1) !== owner) return [0, Number(cur.split(' ')[0]), 1];
        const t = ++state.counter;
        keys.set(holder, { value: `${t} ${owner}`, until: Date.now() + Number(second) });
        return [1, t, Number(second)];
      }
      if (cur !== `${second} ${owner}`) return 0;
      if (script.includes('PEXPIRE')) keys.get(holder)!.until = Date.now() + Number(third);
      else keys.delete(holder);
      return 1;
    },
    get: async (k: string) => (reachable(), read(k) ?? null),
    pttl: async (k: string) => (reachable(), read(k) ? keys.get(k)!.until - Date.now() : -2),
  } as unknown as Redis;
  /** Another feed takes the lease (the next token). */
  const takenBy = (owner: string) => {
    const holder = [...keys.keys()].find((k) => k.includes(`feed:${A}`))!;
    keys.set(holder, { value: `${++state.counter} ${owner}`, until: Date.now() + 60_000 });
    return state.counter;
  };
  return { redis, state, takenBy };
}

/** A pubsub node store: what the feed publishes, and what its recent items say to a takeover. */
function fakeNodes() {
  const items: Array<{ seqs: number[]; lease?: number; payload: Element }> = [];
  const pubsub = {
    publish: (node: string, payload: Element) => {
      const res = decodeTickRows(payload);
      if (node === ticksNode(A) && res.ok)
        items.push({ seqs: res.value.rows.map((r) => r.seq), lease: res.value.lease, payload });
      return Promise.resolve(undefined);
    },
    items: (node: string) =>
      Promise.resolve(
        node === ticksNode(A) ? items.slice(-20).map((i, k) => ({ id: String(k), payload: i.payload })) : [],
      ),
  } as unknown as Pubsub;
  return { pubsub, items, seqs: () => items.flatMap((i) => i.seqs) };
}

const running: PublisherLeases[] = [];
afterEach(async () => {
  for (const l of running.splice(0)) await l.stop();
});

async function setup(holdLimit?: number) {
  const r = fakeRedis();
  const nodes = fakeNodes();
  const leases = createPublisherLeases({
    redis: r.redis,
    pubsub: nodes.pubsub,
    symbols: [A],
    owner: 'a',
    log,
    ttlMs: 300,
    pollMs: 50,
    holdLimit,
  });
  running.push(leases);
  const metrics = createFeedMetrics();
  const feed = createFeed({
    source: idle,
    pubsub: nodes.pubsub,
    instruments,
    log,
    metrics,
    config: { batchMs: 5, maxBatch: 50, bars: false, adaptiveBatch: false },
    gate: leases.gate,
  });
  await leases.start();
  const push = tickPusher(feed);
  /** Redis stops answering; resolves once the lease's deadline has passed. */
  const lapse = async () => {
    r.state.down = true;
    await until(() => leases.held().length === 0);
  };
  /** `n` ticks of A, one every 20 ms. */
  const trickle = async (n: number) => {
    for (let i = 0; i < n; i++) {
      push(A, 1);
      await sleep(20);
    }
  };
  const unleased = async () => (await metrics.unleased.get()).values[0]?.value ?? 0;
  return { ...r, ...nodes, leases, push, trickle, lapse, unleased };
}

/** Three ticks published, then the lease lapses and 20 more are held. */
async function heldTwenty() {
  const s = await setup();
  await s.trickle(3);
  await until(() => s.seqs().length === 3);
  await s.lapse();
  await s.trickle(20);
  return s;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

describe('a feed whose lease renewals fail for a while (Redis failing over)', () => {
  it('holds the ticks meanwhile and publishes them first, in order, once, under the new token', async () => {
    const s = await setup();
    await s.trickle(5);
    await until(() => s.seqs().length === 5);
    s.state.down = true;
    await s.trickle(30); // 600 ms: the lease's deadline (240 ms after the last renewal) passes
    expect(s.leases.held()).toEqual([]);
    s.state.down = false;
    await until(() => s.leases.held().length === 1);
    await s.trickle(5);
    await until(() => s.seqs().includes(40));
    expect(s.seqs()).toEqual(range(1, 40));
    expect(await s.unleased()).toBe(0);
    const tokens = [...new Set(s.items.map((i) => i.lease))];
    expect(tokens).toEqual([1, 2]);
  });

  it('drops the held ticks when another feed took the lease meanwhile', async () => {
    const s = await heldTwenty();
    s.takenBy('b');
    s.state.down = false;
    await until(async () => (await s.unleased()) > 0);
    await sleep(100);
    expect(s.leases.held()).toEqual([]);
    expect(s.seqs()).toEqual([1, 2, 3]);
    expect(await s.unleased()).toBe(20);
  });

  it('drops the held ticks when another publisher published on the node meanwhile', async () => {
    const s = await heldTwenty();
    const row = { seq: 1_000, price: '1', size: '1', side: 'buy' as const, eventMicros: 1, ingestMicros: 1 };
    await s.pubsub.publish(ticksNode(A), encodeTickRows(A, [row], 0, 9));
    s.state.down = false;
    await until(() => s.leases.held().length === 1);
    await s.trickle(2);
    await until(() => s.seqs().length === 6);
    // The other publisher's item, then this feed's next ticks above it: nothing held came after.
    expect(s.seqs()).toEqual([1, 2, 3, 1_000, 1_001, 1_002]);
    expect(await s.unleased()).toBe(20);
  });

  it('holds at most the limit per instrument: the oldest go, counted', async () => {
    const s = await setup(10);
    await s.trickle(2);
    await until(() => s.seqs().length === 2);
    await s.lapse();
    s.push(A, 25);
    s.state.down = false;
    await until(() => s.seqs().length === 12);
    await sleep(50);
    expect(s.seqs()).toEqual([1, 2, ...range(18, 27)]);
    expect(await s.unleased()).toBe(15);
  });
});

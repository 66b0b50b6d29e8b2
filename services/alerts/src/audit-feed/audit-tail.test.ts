import type { Redis } from 'ioredis';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Pubsub } from '@tickdesk/xmpp';
import { createAuditChain } from '../store/audit-chain.js';
import { auditKeys } from '../store/redis-layout.js';
import { until, usePrivateRedis } from '../store/redis.test-util.js';
import { createAuditTail } from './audit-tail.js';

const redis = usePrivateRedis();
const keys = auditKeys('td:');
const log = pino({ level: 'silent' });

/** A pubsub service that records the item ids published, or refuses while `down`. */
function fakePubsub() {
  const ids: string[] = [];
  const state = { down: false };
  const pubsub = {
    publish: (_node: string, _payload: unknown, id?: string) => {
      if (state.down) return Promise.reject(new Error('XMPP away'));
      ids.push(id!);
      return Promise.resolve(id);
    },
  } as unknown as Pubsub;
  return { pubsub, ids, state };
}

/**
 * `client`, noting in order each GET of `key` ('get') and each XREAD BLOCK on its duplicates
 * ('wait': the tail's reader waits once a round).
 */
function noted(client: Redis, key: string) {
  const calls: ('get' | 'wait')[] = [];
  const wrap = (c: Redis, note: (name: string | symbol, args: unknown[]) => 'get' | 'wait' | undefined): Redis =>
    new Proxy(c, {
      get(target, name) {
        const v: unknown = Reflect.get(target, name);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          const n = note(name, args);
          if (n) calls.push(n);
          const r: unknown = v.apply(target, args);
          return name === 'duplicate'
            ? wrap(r as Redis, (m, a) => (m === 'xread' && a.includes('BLOCK') ? 'wait' : undefined))
            : r;
        };
      },
    });
  return { client: wrap(client, (name, args) => (name === 'get' && args[0] === key ? 'get' : undefined)), calls };
}

const append = (chain: ReturnType<typeof createAuditChain>, n: number) =>
  Promise.all(
    Array.from({ length: n }, (_, i) =>
      chain.append({ alertId: `a${i}`, trader: 'alice', symbol: 'BTCUSDT', event: 'sent', stanzaHash: '' }),
    ),
  );
const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

describe('the audit tail', () => {
  it('starts at the head, publishes in seq order, and across a failure and a restart skips nothing', async () => {
    const chain = createAuditChain({ redis: redis.client });
    await append(chain, 3); // before the first start: left in the chain
    const { pubsub, ids, state } = fakePubsub();
    const opts = { redis: redis.client, pubsub, keys, log, leads: () => true, blockMs: 50, retryMs: 20, batch: 4 };
    let tail = createAuditTail(opts);
    await tail.start();
    await append(chain, 6);
    await until(() => ids.length === 6);
    expect(ids).toEqual(seqs(4, 9));
    state.down = true; // the XMPP server away: nothing published, the cursor stays
    await append(chain, 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(await tail.published()).toBe(9);
    await tail.stop(); // a crash or stop while it cannot publish
    await append(chain, 2);
    state.down = false;
    tail = createAuditTail(opts);
    await tail.start();
    await until(() => ids.length === 10);
    expect(ids).toEqual(seqs(4, 13));
    expect(await tail.published()).toBe(13);
    await tail.stop();
  });

  it('once a record wakes it, waits gapMs: the records appended meanwhile are published with it', async () => {
    const chain = createAuditChain({ redis: redis.client });
    const { pubsub, ids } = fakePubsub();
    const at: number[] = [];
    const timed = {
      publish: (...a: Parameters<Pubsub['publish']>) => (at.push(performance.now()), pubsub.publish(...a)),
    };
    const tail = createAuditTail({
      redis: redis.client,
      pubsub: timed as Pubsub,
      keys,
      log,
      leads: () => true,
      gapMs: 300,
    });
    await tail.start();
    const first = performance.now();
    for (let i = 0; i < 4; i++) await append(chain, 1);
    await new Promise((r) => setTimeout(r, 150));
    expect(ids).toHaveLength(0); // within the gap: not yet
    await until(() => ids.length === 4);
    expect(ids).toEqual(seqs(1, 4));
    expect(Math.min(...at) - first).toBeGreaterThanOrEqual(250);
    await tail.stop();
  });

  it('reads the cursor from Redis once a round', async () => {
    const chain = createAuditChain({ redis: redis.client });
    const { pubsub, ids } = fakePubsub();
    const { client, calls } = noted(redis.client, keys.feedCursor);
    const tail = createAuditTail({ redis: client, pubsub, keys, log, leads: () => true, blockMs: 40, gapMs: 10 });
    await tail.start();
    await append(chain, 3);
    await until(() => ids.length === 3);
    await append(chain, 2);
    await until(() => ids.length === 5);
    await new Promise((r) => setTimeout(r, 150)); // rounds with nothing to publish too
    const rounds = calls
      .slice(0, calls.lastIndexOf('wait') + 1)
      .join(' ')
      .split('wait')
      .slice(0, -1);
    await tail.stop();
    expect(ids).toEqual(seqs(1, 5));
    expect(rounds.length).toBeGreaterThanOrEqual(3);
    // The GETs of the cursor before each round's wait: the one woken reads, the round reuses.
    expect(rounds.map((r) => r.trim())).toEqual(rounds.map(() => 'get'));
  });

  it('two engines publishing at once (a change of lead) skip nothing and move the cursor forward only', async () => {
    const chain = createAuditChain({ redis: redis.client });
    const { pubsub, ids } = fakePubsub();
    const opts = { redis: redis.client, pubsub, keys, log, leads: () => true, blockMs: 30, gapMs: 5, batch: 3 };
    const tails = [createAuditTail(opts), createAuditTail(opts)];
    for (const t of tails) await t.start();
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      await append(chain, 3);
      seen.push(await tails[0]!.published());
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(async () => (await tails[1]!.published()) === 24);
    for (const t of tails) await t.stop();
    expect([...new Set(ids)].sort((a, b) => Number(a) - Number(b))).toEqual(seqs(1, 24));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('publishes nothing while another engine leads', async () => {
    const chain = createAuditChain({ redis: redis.client });
    const { pubsub, ids } = fakePubsub();
    const lead = { now: false };
    const tail = createAuditTail({ redis: redis.client, pubsub, keys, log, leads: () => lead.now, blockMs: 30 });
    await tail.start();
    await append(chain, 3);
    await new Promise((r) => setTimeout(r, 120));
    expect(ids).toEqual([]);
    lead.now = true;
    await until(() => ids.length === 3);
    expect(ids).toEqual(seqs(1, 3));
    await tail.stop();
  });
});

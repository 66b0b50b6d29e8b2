import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  completeRedisCredentials,
  freePort,
  loginFor,
  redisClientOptions,
  redisServiceUsers,
  startRedisSentinelSet,
  type RedisSentinelSet,
} from '@tickdesk/infra';
import { createFeed, createFeedMetrics, createPublisherLeases } from '@tickdesk/feed-core';
import { DEFAULT_INSTRUMENTS, decodeTickRows, ticksNode } from '@tickdesk/schemas';
import type { Element, Pubsub } from '@tickdesk/xmpp';
import { until } from './sentinel-desk.js';

// The feed's leases on a real Sentinel-replicated Redis (as run-feed.ts makes them, user
// `feed`, TTL 3 s) while a kill -9 of the primary keeps it from renewing them: the ticks its
// source delivers meanwhile are held and published once it takes the leases again. The
// nodes are an in-memory stand-in for Prosody's (what was published, in order, and the
// recent items a takeover reads): the XMPP server is not part of this fail-over.
const home = mkdtempSync(join(tmpdir(), 'td-sentinel-feed-'));
const { redis: creds } = completeRedisCredentials(undefined);
const instruments = DEFAULT_INSTRUMENTS.slice(0, 2);
const symbols = instruments.map((i) => i.symbol);
const TICK_EVERY_MS = 10;
let set: RedisSentinelSet;
let redis: Redis | undefined;

beforeAll(async () => {
  const free: number[] = [];
  for (let i = 0; i < 5; i++) free.push(await freePort());
  const [primary, replica, ...sentinels] = free as [number, number, ...number[]];
  const ports = { primary, replica, sentinels };
  set = await startRedisSentinelSet({ home, ports, users: redisServiceUsers(creds), credentials: creds });
});
afterAll(async () => {
  redis?.disconnect();
  await set?.stop();
  rmSync(home, { recursive: true, force: true });
});

function nodes() {
  const items = new Map<string, Array<{ seqs: number[]; lease?: number; payload: Element }>>(
    symbols.map((s) => [ticksNode(s), []]),
  );
  const pubsub = {
    publish: (node: string, payload: Element) => {
      const res = decodeTickRows(payload);
      if (res.ok) items.get(node)?.push({ seqs: res.value.rows.map((r) => r.seq), lease: res.value.lease, payload });
      return Promise.resolve(undefined);
    },
    items: (node: string) =>
      Promise.resolve((items.get(node) ?? []).slice(-20).map((i, k) => ({ id: String(k), payload: i.payload }))),
  } as unknown as Pubsub;
  const seqs = (symbol: string) => items.get(ticksNode(symbol))!.flatMap((i) => i.seqs);
  return { pubsub, items, seqs };
}

describe("a feed's leases through a Redis fail-over", () => {
  it('publishes every tick its source delivered during the fail-over, each once and in order', async () => {
    redis = new Redis(redisClientOptions(set.target, loginFor(creds, 'feed'), creds.sentinelPassword));
    redis.on('error', () => undefined);
    const log = pino({ level: process.env.TICKDESK_TEST_LOG ?? 'silent' });
    const node = nodes();
    const leases = createPublisherLeases({ redis, pubsub: node.pubsub, symbols, owner: 'feed-test', log });
    const metrics = createFeedMetrics();
    const feed = createFeed({
      source: { name: 'test', state: () => 'running', run: () => Promise.resolve() },
      pubsub: node.pubsub,
      instruments,
      log,
      metrics,
      config: { bars: false },
      gate: leases.gate,
    });
    await leases.start();
    expect(leases.held()).toEqual(symbols);

    // One tick of each instrument every 10 ms; `lapsed`: ticks pushed while the feed held no lease.
    let seq = 0;
    let lapsed = 0;
    const pusher = setInterval(() => {
      seq += 1;
      if (leases.held().length < symbols.length) lapsed += 1;
      for (const symbol of symbols)
        feed.sink.push({ symbol, seq, price: '100.5', size: '1', eventTimeMicros: Date.now() * 1000 });
    }, TICK_EVERY_MS);
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      const [primary, replica] = [set.parts[0]!, set.parts[1]!];
      const killedAt = Date.now();
      process.kill(primary.process.pid, 'SIGKILL');
      await until('the leases to run out', 10_000, () => leases.held().length === 0);
      const lapsedAfterMs = Date.now() - killedAt;
      await until('the replica to be promoted', 20_000, async () => (await set.primaryPort()) === replica.port);
      const promotedMs = Date.now() - killedAt;
      await until('the leases to be taken again', 20_000, () => leases.held().length === symbols.length);
      const retakenMs = Date.now() - killedAt;
      await new Promise((r) => setTimeout(r, 1_000));
      clearInterval(pusher);
      await feed.flush();
      const lost = symbols.map((s) => seq - new Set(node.seqs(s)).size);
      const tokens = symbols.map((s) => [...new Set(node.items.get(ticksNode(s))!.map((i) => i.lease))]);
      console.log(
        JSON.stringify({
          ticksPerInstrument: seq,
          pushedWithoutLease: lapsed,
          lost,
          unleased: (await metrics.unleased.get()).values[0]?.value ?? 0,
          lapsedAfterMs,
          promotedMs,
          retakenMs,
          tokens,
        }),
      );
      expect(lapsed).toBeGreaterThan(50);
      for (const [k, s] of symbols.entries()) {
        // Every seq the source gave, exactly once and in order; the held ones under the new token.
        expect(node.seqs(s)).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
        expect(tokens[k]!.length).toBe(2);
        expect(tokens[k]![1]).toBeGreaterThan(tokens[k]![0]!);
      }
      expect((await metrics.unleased.get()).values[0]?.value ?? 0).toBe(0);
    } finally {
      clearInterval(pusher);
      await leases.stop();
    }
  }, 90_000);
});

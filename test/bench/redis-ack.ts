// What waiting for the replica costs the alert engine's writes: a private Sentinel set
// (primary, replica, three sentinels on free loopback ports), audit appends one at a
// time (latency) and 5,000 at once (batched throughput), and alert transitions, each
// with WAIT 1 and without, alternating. Prints one JSON line per run; the figures are
// quoted in docs/operations.md ("Redis with automatic fail-over"). Run:
//   node --conditions=tickdesk-source --import tsx test/bench/redis-ack.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  completeRedisCredentials,
  freePort,
  loginFor,
  redisClientOptions,
  redisServiceUsers,
  startRedisSentinelSet,
} from '@tickdesk/infra';
import { createAlertStore, createAuditChain } from '@tickdesk/alerts';

const SEQUENTIAL = 2_000;
const CONCURRENT = 5_000;
const home = mkdtempSync(join(tmpdir(), 'tickdesk-bench-ack-'));
const { redis: creds } = completeRedisCredentials(undefined);
const ports = {
  primary: await freePort(),
  replica: await freePort(),
  sentinels: [await freePort(), await freePort(), await freePort()],
};
const set = await startRedisSentinelSet({ home, ports, users: redisServiceUsers(creds), credentials: creds });
const redis = new Redis(redisClientOptions(set.target, loginFor(creds, 'alerts'), creds.sentinelPassword));
await redis.ping();
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!.toFixed(3);
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
try {
  for (const replicas of [0, 1, 0, 1]) {
    const ack = { replicas, timeoutMs: 1000 };
    const audit = createAuditChain({ redis, ack });
    const alerts = createAlertStore({ redis, ack });
    const entry = (id: string) => ({
      alertId: id,
      trader: 'alice',
      symbol: 'BTCUSDT',
      event: 'fired' as const,
      stanzaHash: '',
    });
    const append: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t = process.hrtime.bigint();
      await audit.append(entry(`s${replicas}-${Date.now()}-${i}`));
      append.push(ms(t));
    }
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) => audit.append(entry(`c${replicas}-${Date.now()}-${i}`))),
    );
    const perSecond = Math.round(CONCURRENT / (ms(t0) / 1000));
    const transition: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      const t = process.hrtime.bigint();
      await alerts.transition('bench-none', {}, { event: 'fired', at: '2026-12-06T07:00:00.000Z' });
      transition.push(ms(t));
    }
    process.stdout.write(
      JSON.stringify({
        replicas,
        appendP50Ms: pct(append, 0.5),
        appendP99Ms: pct(append, 0.99),
        batchedAppendsPerSecond: perSecond,
        transitionP50Ms: pct(transition, 0.5),
        transitionP99Ms: pct(transition, 0.99),
      }) + '\n',
    );
  }
} finally {
  redis.disconnect();
  await set.stop();
  rmSync(home, { recursive: true, force: true });
}

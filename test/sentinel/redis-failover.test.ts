import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  completeRedisCredentials,
  freePort,
  loginFor,
  redisClientOptions,
  redisServiceUsers,
  sentinelCommand,
  startRedisSentinelSet,
  type RedisSentinelSet,
} from '@tickdesk/infra';
import { auditKeys, createAlertStore, createAuditChain, type AuditRecord, type StoredAlert } from '@tickdesk/alerts';

// A kill -9 of the Redis primary while the alert engine's stores append audit records and
// create alerts with replica acknowledgement (WAIT 1): every write acknowledged before the
// kill is on the promoted replica, the client is on the new primary within a bound, the
// chain verifies, and no entry is in the chain twice.
const home = mkdtempSync(join(tmpdir(), 'td-sentinel-'));
const { redis: creds } = completeRedisCredentials(undefined);
const KEY = { key: 'k'.repeat(43), keyedFrom: 1 };
/** Sentinel's default down-after (5 s) + election + promotion + the client's reconnection. */
const RECONNECT_BOUND_MS = 15_000;
let set: RedisSentinelSet;
let ports: { primary: number; replica: number; sentinels: number[] };
const clients: Redis[] = [];

const client = (user: string): Redis => {
  const c = new Redis({
    ...redisClientOptions(set.target, loginFor(creds, user), creds.sentinelPassword),
    maxRetriesPerRequest: null,
  });
  c.on('error', () => undefined);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  ports = {
    primary: await freePort(),
    replica: await freePort(),
    sentinels: [await freePort(), await freePort(), await freePort()],
  };
  set = await startRedisSentinelSet({ home, ports, users: redisServiceUsers(creds), credentials: creds });
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await set?.stop();
  rmSync(home, { recursive: true, force: true });
});

const alert = (n: number): StoredAlert => {
  const firedAt = new Date(Date.UTC(2026, 11, 6, 7) + n).toISOString();
  return {
    id: `a${String(n).padStart(6, '0')}`,
    ruleId: 'r1',
    owner: 'alice',
    recipient: 'alice',
    symbol: 'BTCUSDT',
    condition: 'crossing-up',
    threshold: '65000',
    price: '65000.5',
    tickSeq: n,
    eventTime: '2026-12-06T07:00:00.000000Z',
    firedAt,
    priority: 'normal',
    body: `BTCUSDT crossed up through 65000 [alert ${n}]`,
    state: 'pending',
    attempts: 0,
    nextActionAt: 0,
    lifecycle: [{ event: 'fired', at: firedAt }],
  };
};

/** The alert engine's writers: each creates an alert, then appends its `fired` record; a write counts once both are acknowledged. */
function startWriters(redis: Redis, ack: { replicas: number; timeoutMs: number; attempts: number }, count = 4) {
  const audit = createAuditChain({ redis, key: KEY, ack });
  const alerts = createAlertStore({ redis, ack });
  /** `startedAt`: when the acknowledged attempt began; `at`: when its acknowledgement came. */
  const acked: Array<{ n: number; record: AuditRecord; startedAt: number; at: number }> = [];
  const failures: string[] = [];
  let running = true;
  const writer = async () => {
    while (running) {
      const n = nextAlert++;
      for (;;) {
        const startedAt = Date.now();
        try {
          await alerts.create(alert(n));
          const record = await audit.append({
            alertId: alert(n).id,
            trader: 'alice',
            symbol: 'BTCUSDT',
            event: 'fired',
            stanzaHash: '',
            detail: `n=${n}`,
          });
          acked.push({ n, record, startedAt, at: Date.now() });
          break;
        } catch (err) {
          // Not acknowledged: reported, not counted; tried again, as the engine's write retry does.
          failures.push((err as Error).message);
          reported.add(n);
          if (!running) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  };
  const all = Array.from({ length: count }, () => writer());
  return {
    audit,
    alerts,
    acked,
    failures,
    stop: async () => {
      running = false;
      await Promise.all(all);
    },
  };
}
let nextAlert = 0;
/** Writes reported as not acknowledged (in any test of the file): written again, so their record may be in the chain twice. */
const reported = new Set<number>();

/** Every acknowledged record in the chain with its hash, every acknowledged alert stored, each entry once, the chain intact. */
async function checkKept(redis: Redis, w: ReturnType<typeof startWriters>) {
  const log = await redis.xrange(auditKeys().log, '-', '+');
  const stored = new Map(log.map(([id, f]) => [Number(id.split('-')[0]), f[f.indexOf('h') + 1]]));
  const missing = w.acked.filter((a) => stored.get(a.record.seq) !== a.record.hash).map((a) => a.record.seq);
  const absentAlerts = (
    await Promise.all(w.acked.map(async (a) => ((await w.alerts.get(alert(a.n).id)) ? undefined : a.n)))
  ).filter((x) => x !== undefined);
  // Each entry once, but for a write reported as not acknowledged and made again (WAIT does not undo).
  const seen = new Set<string>();
  const twice = log
    .map(([, f]) => (JSON.parse(f[f.indexOf('r') + 1]!) as string[])[6]!)
    .filter((d) => seen.has(d) || !seen.add(d));
  const duplicates = twice.filter((d) => !reported.has(Number(d.slice(2)))).length;
  return {
    missing,
    absentAlerts,
    duplicates,
    reportedTwice: twice.length - duplicates,
    records: log.length,
    verdict: await w.audit.verify(),
  };
}

const ACK = { replicas: 1, timeoutMs: 500, attempts: 4 };

describe('Redis Sentinel fail-over under acknowledged writes', () => {
  it('keeps every acknowledged audit record and alert through a kill -9 of the primary', async () => {
    const redis = client('alerts');
    const [oldPrimary, replica] = [set.parts[0]!, set.parts[1]!];
    expect(await set.primaryPort()).toBe(oldPrimary.port);
    const w = startWriters(redis, ACK);
    await until(() => w.acked.length >= 200, 20_000);

    const killedAt = Date.now();
    process.kill(oldPrimary.process.pid, 'SIGKILL');
    const ackedBeforeKill = w.acked.filter((a) => a.at <= killedAt).length;

    // The sentinels promote the replica; the client writes to it.
    await until(async () => (await set.primaryPort()) === replica.port, RECONNECT_BOUND_MS);
    const promotedMs = Date.now() - killedAt;
    await until(async () => {
      await redis.set('td:alerts:probe', String(Date.now()));
      return redis.stream.remotePort === replica.port;
    }, RECONNECT_BOUND_MS);
    const reconnectMs = Date.now() - killedAt;
    expect(reconnectMs).toBeLessThan(RECONNECT_BOUND_MS);

    // Nothing is acknowledged while the new primary has no replica.
    const ackedAtPromotion = w.acked.length;
    await new Promise((r) => setTimeout(r, 1_500));
    const ackedWithoutReplica = w.acked.length - ackedAtPromotion;

    // The old primary comes back (as `tickdesk up` restarts it), as a replica of the new one.
    await oldPrimary.start();
    const rejoinedAt = Date.now();
    const countAfterRejoin = w.acked.length;
    await until(() => w.acked.length >= countAfterRejoin + 100, 30_000);
    const resumedMs = w.acked.find((a) => a.at >= rejoinedAt)!.at - rejoinedAt;
    await w.stop();

    const kept = await checkKept(redis, w);
    console.log(
      JSON.stringify({
        kept: { ...kept, missing: kept.missing.length },
        ackedBeforeKill,
        acked: w.acked.length,
        chainRecords: kept.records,
        promotedMs,
        reconnectMs,
        ackedWithoutReplica,
        resumedAfterRejoinMs: resumedMs,
        notAcknowledgedReports: w.failures.length,
      }),
    );
    expect(ackedBeforeKill).toBeGreaterThanOrEqual(200);
    expect(kept).toMatchObject({
      missing: [],
      absentAlerts: [],
      duplicates: 0,
      verdict: { ok: true, records: kept.records },
    });
    expect(ackedWithoutReplica).toBe(0);
  }, 120_000);

  it('loses no acknowledged write when the primary is killed while its replica lags', async () => {
    const redis = client('alerts');
    // After the first test the roles are swapped: parts[1] is the primary.
    const [replica, primary] = [set.parts[0]!, set.parts[1]!];
    await until(async () => (await set.primaryPort()) === primary.port, 10_000);
    const w = startWriters(redis, ACK);
    await until(() => w.acked.length >= 100, 20_000);

    // The replica stops reading (a stalled disk, a paused VM) while writes go on, then the primary dies.
    process.kill(replica.process.pid, 'SIGSTOP');
    const pausedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1_000));
    const killedAt = Date.now();
    process.kill(primary.process.pid, 'SIGKILL');
    process.kill(replica.process.pid, 'SIGCONT');
    // Writes begun once the replica had stopped: an acknowledgement the replica sent just before
    // its stop can reach the client a moment after `pausedAt`, for a write begun before it.
    const ackedWhilePaused = w.acked.filter((a) => a.startedAt > pausedAt && a.at <= killedAt).length;

    await until(async () => (await set.primaryPort()) === replica.port, RECONNECT_BOUND_MS);
    const promotedMs = Date.now() - killedAt;
    await primary.start();
    const countAfterRejoin = w.acked.length;
    await until(() => w.acked.length >= countAfterRejoin + 100, 40_000).catch((err: Error) => {
      throw new Error(
        `${err.message}: ${w.acked.length - countAfterRejoin} acknowledged since the rejoin; reports ${JSON.stringify(w.failures.slice(-3))}`,
      );
    });
    await w.stop();

    const kept = await checkKept(redis, w);
    console.log(
      JSON.stringify({
        kept: { ...kept, missing: kept.missing.length },
        acked: w.acked.length,
        ackedWhilePaused,
        chainRecords: kept.records,
        promotedMs,
        notAcknowledgedReports: w.failures.length,
        firstReport: w.failures[0],
      }),
    );
    expect(kept).toMatchObject({
      missing: [],
      absentAlerts: [],
      duplicates: 0,
      verdict: { ok: true, records: kept.records },
    });
    expect(ackedWhilePaused).toBe(0);
  }, 120_000);

  it('started again after a fail-over, keeps the promoted primary and brings the old one back as its replica', async () => {
    // Whichever is primary now, fail over to the other one (SENTINEL FAILOVER: no agreement needed).
    const before = (await set.primaryPort())!;
    const other = set.parts.find((p) => p.name.startsWith('redis') && p.port !== before)!;
    await sentinelCommand(ports.sentinels[0]!, creds.sentinelPassword!, ['SENTINEL', 'FAILOVER', 'tickdesk']);
    await until(async () => (await set.primaryPort()) === other.port, 30_000);
    await until(async () => (await role(before)) === 'slave', 30_000); // the sentinels recorded both roles
    for (const c of clients.splice(0)) c.disconnect();
    await set.stop();

    set = await startRedisSentinelSet({ home, ports, users: redisServiceUsers(creds), credentials: creds });
    expect(await set.primaryPort()).toBe(other.port);
    expect(await role(other.port)).toBe('master');
    expect(await role(before)).toBe('slave');
    const redis = client('alerts');
    await redis.set('td:alerts:probe', 'after restart');
    expect(redis.stream.remotePort).toBe(other.port);
  }, 120_000);
});

/** A server's role (INFO replication) as the sentinels' user sees it. */
async function role(port: number): Promise<string | undefined> {
  const c = new Redis({
    host: '127.0.0.1',
    port,
    username: 'sentinel',
    password: creds.users.sentinel!,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return /^role:(\w+)/m.exec(await c.info('replication'))?.[1];
  } catch {
    return undefined;
  } finally {
    c.disconnect();
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

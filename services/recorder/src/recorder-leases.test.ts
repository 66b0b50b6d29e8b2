import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createRecorderLeases, type RecorderLeaseOptions } from './recorder-leases.js';
import { usePrivateRedis, until } from './redis.test-util.js';

const log = pino({ level: 'silent' });
const SYMBOLS = ['AAA', 'BBB', 'CCC'];
const TTL_MS = 400;
const redis = usePrivateRedis({ flush: false });
const started: Array<ReturnType<typeof createRecorderLeases>> = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((l) => l.stop()));
  await redis.client.flushall();
});

function recorder(owner: string, opts: Partial<RecorderLeaseOptions> = {}) {
  const gained: Array<[string, number]> = [];
  const lost: string[] = [];
  const l = createRecorderLeases({
    redis: redis.connect(),
    symbols: SYMBOLS,
    owner,
    log,
    ttlMs: TTL_MS,
    standby: false,
    onGained: async (s, t) => void gained.push([s, t]),
    onLost: (s) => void lost.push(s),
    ...opts,
  });
  started.push(l);
  return Object.assign(l, { gained, lost });
}

describe('recorder leases', () => {
  it('the primary takes every instrument at start; the standby takes none while it renews, and all of them within the TTL once it stops renewing', async () => {
    const aRedis = redis.connect();
    const a = recorder('a', { redis: aRedis });
    await a.start();
    expect(a.held()).toEqual(SYMBOLS);
    const b = recorder('b', { standby: true });
    await b.start();
    await new Promise((r) => setTimeout(r, TTL_MS * 3));
    expect(b.held()).toEqual([]);
    expect(b.gained).toEqual([]);

    // a's process is gone: its connection closes, nothing renews or hands its leases back.
    const tokens = new Map(SYMBOLS.map((s) => [s, a.token(s)!]));
    aRedis.disconnect();
    const wentAt = performance.now();
    await until(() => b.held().length === SYMBOLS.length, 5_000);
    // Its leases run out in Redis within the TTL of its last renewal; the standby's next try follows.
    expect(performance.now() - wentAt).toBeLessThan(TTL_MS + 300);
    for (const [s, t] of b.gained) expect(t, s).toBeGreaterThan(tokens.get(s)!);
  });

  it('a recorder that cannot record (its XMPP session is down) lets every instrument go, and the other takes them at once', async () => {
    let up = true;
    const a = recorder('a', { healthy: () => up });
    await a.start();
    const b = recorder('b', { standby: true });
    await b.start();
    await new Promise((r) => setTimeout(r, TTL_MS * 2));
    expect(b.held()).toEqual([]);
    up = false;
    await until(() => a.held().length === 0 && b.held().length === SYMBOLS.length, 3_000);
    expect(a.lost.sort()).toEqual(SYMBOLS);
    // Back up, it takes nothing back: whoever holds an instrument keeps it.
    up = true;
    await new Promise((r) => setTimeout(r, TTL_MS * 2));
    expect(a.held()).toEqual([]);
  });
});

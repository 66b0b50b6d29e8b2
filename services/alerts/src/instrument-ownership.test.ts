import { beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createInstrumentOwnership, type InstrumentOwnership } from './instrument-ownership.js';
import { usePrivateRedis, until } from './store/redis.test-util.js';

const redis = usePrivateRedis({ flush: false });
const log = pino({ level: 'silent' });
const SYMBOLS = ['AAA', 'BBB', 'CCC', 'DDD', 'EEE', 'FFF'];
const TTL = 600;
let running: InstrumentOwnership[] = [];
beforeEach(async () => {
  await Promise.all(running.map((o) => o.stop()));
  running = [];
  await redis.client.flushall();
});

function engine(owner: string, engines = 2) {
  const conn = redis.connect();
  const gained: Array<[string, number]> = [];
  const lost: string[] = [];
  const o = createInstrumentOwnership({
    redis: conn,
    symbols: SYMBOLS,
    engines,
    ttlMs: TTL,
    owner,
    log,
    onGained: (s, t) => void gained.push([s, t]),
    onLost: (s) => void lost.push(s),
  });
  running.push(o);
  return { o, gained, lost, conn };
}
const held = (o: InstrumentOwnership) => SYMBOLS.filter((s) => o.owns(s));

describe('instruments shared out by leases', () => {
  it('two engines each own half the instruments, none twice, each with its fencing token', async () => {
    const a = engine('a');
    const b = engine('b');
    await Promise.all([a.o.start(), b.o.start()]);
    await until(() => held(a.o).length === 3 && held(b.o).length === 3, 3_000);
    expect(new Set([...held(a.o), ...held(b.o)]).size).toBe(6);
    for (const s of held(a.o)) expect(a.o.token(s)).toBeGreaterThan(0);
    expect(b.o.token(held(a.o)[0]!)).toBeUndefined();
    expect(a.o.status().slot).not.toBe(b.o.status().slot);
    await until(() => [a.o.leads(), b.o.leads()].filter(Boolean).length === 1, 3_000); // one answers the bare JID
  });

  it('a cut-off engine (no release, no renewal) stops at its lease deadline and has its instruments taken over within the lease time and a period, with larger tokens', async () => {
    const a = engine('a');
    const b = engine('b');
    await Promise.all([a.o.start(), b.o.start()]);
    await until(() => held(a.o).length === 3 && held(b.o).length === 3, 3_000);
    const theirs = held(a.o);
    const before = new Map(theirs.map((s) => [s, a.o.token(s)!]));
    const lostBefore = a.lost.length;
    const gainedBefore = b.gained.length;
    const killed = performance.now();
    a.conn.disconnect();
    await until(() => held(a.o).length === 0, TTL);
    expect(a.o.status()).toMatchObject({ instruments: [], renewFailing: true }); // /health: degraded
    expect(a.lost.slice(lostBefore).sort()).toEqual([...theirs].sort());
    await until(() => held(b.o).length === 6, 3_000);
    const ms = performance.now() - killed;
    expect(ms).toBeLessThan(TTL + TTL / 3 + 400);
    for (const s of theirs) expect(b.o.token(s)!).toBeGreaterThan(before.get(s)!);
    expect(
      b.gained
        .slice(gainedBefore)
        .map(([s]) => s)
        .sort(),
    ).toEqual([...theirs].sort());
  });

  it('an engine that joins later gets its share: the other lets those instruments go', async () => {
    const a = engine('a');
    await a.o.start();
    await until(() => held(a.o).length === 6, 3_000);
    const b = engine('b');
    await b.o.start();
    await until(() => held(a.o).length === 3 && held(b.o).length === 3, 3_000);
    expect(a.lost.length).toBe(3);
  });

  it('one engine owns everything without leases or tokens', async () => {
    const a = engine('a', 1);
    await a.o.start();
    expect(held(a.o)).toEqual(SYMBOLS);
    expect(a.o.token('AAA')).toBeUndefined();
    expect(a.o.leads()).toBe(true);
    expect(await redis.client.keys('*')).toEqual([]);
  });
});

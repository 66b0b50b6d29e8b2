import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedKey, startRecorderService, ticksKey, type RecorderService } from '@tickdesk/recorder';
import { createPubsub, type XmppClient } from '@tickdesk/xmpp';
import { encodeTickBatch, formatMicros, nowMicros, parseTimestamp, ticksNode, type Tick } from '@tickdesk/schemas';
import { naiveCandles } from '../../services/recorder/src/naive.test-util.js';
import { connect, desk, dropConnection, log, waitFor } from './helpers.js';

/*
 * Two recorders as `tickdesk up` runs them with TICKDESK_RECORDER_STANDBY=1 (a primary and
 * a standby, each instrument recorded by the holder of its lease) against real Prosody and
 * Redis, while ticks flow. Each recorder reaches Redis through a TCP relay of the test's,
 * which can hold its traffic (a process paused, or a network that stalls) or cut it (a
 * process gone: no last write, no lease handed back).
 */
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const TTL_MS = 1_000;
/** The standby's takeover goal after the holder is gone: the lease's TTL, plus its own poll and warm-up. */
const TAKEOVER_GOAL_MS = TTL_MS + 700;
const DB = 7;

interface Relay {
  port: number;
  /** Hold what the recorder sends from the first chunk containing `marker` on (it reaches Redis on resume). */
  holdFrom(marker: string): void;
  resume(): void;
  /** Cut every connection and refuse new ones. */
  cut(): void;
}

async function relay(target: { host: string; port: number }): Promise<Relay> {
  let holding = false;
  let marker: string | undefined;
  let dead = false;
  const pending: Array<() => void> = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (dead) return void client.destroy();
    const upstream = net.connect(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      if (marker !== undefined && chunk.includes(marker)) holding = true;
      if (holding) pending.push(() => upstream.write(chunk));
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    holdFrom: (m: string) => void (marker = m),
    resume() {
      holding = false;
      marker = undefined;
      for (const send of pending.splice(0)) send();
    },
    cut() {
      dead = true;
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

const redisTarget = () => {
  const u = new URL(desk().redisUrl);
  return {
    host: u.hostname,
    port: Number(u.port),
    username: decodeURIComponent(u.username) || undefined,
    password: decodeURIComponent(u.password) || undefined,
  };
};

let admin: Redis;
let feed: XmppClient;
const opened: Array<{ service?: RecorderService; client: XmppClient; redis: Redis; relay: Relay }> = [];
const published = new Map<string, Tick[]>(SYMBOLS.map((s) => [s, []]));
let seq = Date.now() * 1000;
let publishing = false;
let publisher: Promise<void> = Promise.resolve();

async function startRecorder(role: 'primary' | 'standby', name: string) {
  const t = redisTarget();
  const r = await relay(t);
  const redis = new Redis({
    host: '127.0.0.1',
    port: r.port,
    db: DB,
    ...(t.username ? { username: t.username } : {}),
    ...(t.password ? { password: t.password } : {}),
    maxRetriesPerRequest: 1,
  });
  redis.on('error', () => undefined);
  const client = await connect('recorder', `standby-test-${name}`);
  const entry: (typeof opened)[number] = { client, redis, relay: r };
  opened.push(entry);
  entry.service = await startRecorderService({
    client,
    redis,
    log,
    service: desk().pubsubHost,
    symbols: SYMBOLS,
    owner: name,
    config: { flushIntervalMs: 50, lease: role, leaseTtlMs: TTL_MS },
  });
  return entry as Required<typeof entry>;
}

/** Ticks on every symbol, a batch of 3 per symbol every 50 ms, seq strictly increasing per symbol. */
function startPublishing(): void {
  publishing = true;
  const pubsub = createPubsub(feed, desk().pubsubHost);
  publisher = (async () => {
    while (publishing) {
      for (const symbol of SYMBOLS) {
        const ticks: Tick[] = Array.from({ length: 3 }, (_, k) => {
          const at = formatMicros(nowMicros() + k);
          return {
            symbol,
            seq: ++seq,
            price: `${100 + Math.floor(Math.random() * 5000) / 100}`,
            size: `0.${1 + Math.floor(Math.random() * 9)}`,
            side: 'buy',
            eventTime: at,
            ingestTime: at,
          };
        });
        await pubsub.publish(ticksNode(symbol), encodeTickBatch({ symbol, ticks, conflated: 0 }));
        published.get(symbol)!.push(...ticks);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
}

async function stopPublishing(): Promise<void> {
  publishing = false;
  await publisher;
}

/** Every published tick stored exactly once, and the 1s and 1m candles equal those computed from the ticks. */
async function expectExact(service: RecorderService): Promise<void> {
  for (const symbol of SYMBOLS) {
    const want = published.get(symbol)!;
    const deadline = Date.now() + 10_000;
    while ((await admin.zcard(ticksKey(symbol))) < want.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const seqs = (await admin.zrange(ticksKey(symbol), 0, -1)).map((m) => Number(m.split('|')[0]));
    expect(seqs.length, `${symbol}: ticks stored`).toBe(want.length);
    expect(
      [...seqs].sort((a, b) => a - b),
      `${symbol}: every seq exactly once`,
    ).toEqual(want.map((t) => t.seq));
    for (const interval of ['1s', '1m'] as const) {
      await waitFor(() => service.recorder.stats().pendingCandles === 0, 5_000, 'candles written');
      const bars = await service.recorder.store.candles(symbol, interval, 0, nowMicros() + 3_600_000_000, 10_000);
      const got = bars.map(({ start, open, high, low, close, volume, trades }) => ({
        start: parseTimestamp(start)!,
        open,
        high,
        low,
        close,
        volume,
        trades,
      }));
      expect(got, `${symbol} ${interval} candles`).toEqual(naiveCandles(want, interval));
    }
  }
}

beforeAll(async () => {
  const t = redisTarget();
  admin = new Redis({
    host: t.host,
    port: t.port,
    db: DB,
    ...(t.username ? { username: t.username } : {}),
    ...(t.password ? { password: t.password } : {}),
  });
  feed = await connect('feed', 'recorder-standby-test');
});

afterAll(async () => {
  publishing = false;
  await publisher.catch(() => undefined);
  for (const o of opened) {
    o.relay.resume();
    await o.service?.stop().catch(() => undefined);
    o.redis.disconnect();
    o.relay.cut();
    await o.client.stop().catch(() => undefined);
  }
  await admin?.flushdb();
  admin?.disconnect();
  await feed?.stop();
});

async function freshStart(): Promise<void> {
  await stopPublishing();
  await admin.flushdb();
  for (const s of SYMBOLS) {
    published.set(s, []);
    await createPubsub(feed, desk().pubsubHost).purge(ticksNode(s));
  }
}

describe('standby recorder', () => {
  it('the active recorder gone without a word while ticks flow: the standby takes every instrument within the lease, every seq stored once, candles exact', async () => {
    await freshStart();
    const primary = await startRecorder('primary', 'rec-a');
    expect(primary.service.held()).toEqual(SYMBOLS);
    const standby = await startRecorder('standby', 'rec-b');
    startPublishing();
    await new Promise((r) => setTimeout(r, 2_500));
    // Both ran side by side past the standby's first try: it holds nothing.
    expect(standby.service.held()).toEqual([]);
    expect(await admin.zcard(ticksKey(SYMBOLS[0]!))).toBeGreaterThan(0);

    // Gone: no last flush, no lease handed back, its XMPP session dropped.
    primary.relay.cut();
    dropConnection(primary.client);
    const killedAt = performance.now();
    await waitFor(() => standby.service.held().length === SYMBOLS.length, 10_000, 'the standby on every instrument');
    const takeoverMs = performance.now() - killedAt;
    await new Promise((r) => setTimeout(r, 2_000));
    await stopPublishing();

    console.info(
      `standby recorder took ${SYMBOLS.length} instruments over ${Math.round(takeoverMs)} ms after the holder went (lease ${TTL_MS} ms)`,
    );
    expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_GOAL_MS);
    await expectExact(standby.service);
    await standby.service.stop();
    await primary.service.stop().catch(() => undefined);
  }, 60_000);

  it('a holder paused past its lease cannot write when it wakes: its write is refused, counted, and it stops recording; history and candles stay exact', async () => {
    await freshStart();
    const a = await startRecorder('primary', 'rec-c');
    const b = await startRecorder('standby', 'rec-d');
    startPublishing();
    await new Promise((r) => setTimeout(r, 1_500));

    // Paused: from its next instrument write on (the script names td:recorded:{<SYMBOL>}),
    // what it sends (that write, its lease renewals) waits in the relay.
    a.relay.holdFrom(recordedKey(SYMBOLS[0]!).split('{')[0]!);
    await waitFor(
      () => a.service.held().length < SYMBOLS.length,
      10_000,
      'the paused holder to reach its lease deadline',
    );
    await waitFor(() => b.service.held().length === SYMBOLS.length, 10_000, 'the standby to take over');
    await new Promise((r) => setTimeout(r, 1_000)); // the standby writes with its newer token meanwhile
    a.relay.resume();
    const fenced = async () =>
      (await a.service.recorder.registry.getSingleMetric('tickdesk_recorder_fenced_writes_total')!.get()).values.reduce(
        (n, v) => n + v.value,
        0,
      );
    const deadline = Date.now() + 5_000;
    while ((await fenced()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await fenced(), 'the stale write refused and counted').toBeGreaterThanOrEqual(1);
    expect(a.service.held()).toEqual([]);
    await new Promise((r) => setTimeout(r, 1_000));
    await stopPublishing();

    await expectExact(b.service);
    expect(a.service.recorder.stats().symbols, 'the stale holder records nothing').toBe(0);
    await b.service.stop();
    await a.service.stop();
  }, 60_000);
});

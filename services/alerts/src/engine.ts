import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { TickRow } from '@tickdesk/schemas';
import type { XmppClient } from '@tickdesk/xmpp';
import type { AlertsMetrics } from './alerts-metrics.js';
import { AlertsError } from './errors.js';
import { withIngest, type StampedFiring } from './firing-ingest.js';
import type { FiringWriter } from './firing-writer.js';
import type { InstrumentOwnership } from './instrument-ownership.js';
import type { Watermark } from './instrument-takeover.js';
import type { RuleSync } from './rule-sync.js';
import type { StoredAlert } from './store/index.js';
import { newestSeqs, readRecentBatches, type RowBatch } from './tick-readback.js';
import { createWatermarkWriter } from './watermark-writer.js';
import { createWriteRetry } from './write-retry.js';
import type { RuleIndex } from './rules/index.js';

export interface AlertEngineDeps {
  /** For the nodes' recent items (tick-readback.ts) and the session's state. */
  client: XmppClient;
  redis: Redis;
  log: Logger;
  metrics: AlertsMetrics;
  /** The pubsub service JID. */
  service: string;
  symbols: ReadonlySet<string>;
  index: RuleIndex;
  sync: Pick<RuleSync, 'reloadSymbol'>;
  firings: Pick<FiringWriter, 'persist'>;
  /** Send an alert just put in the outbox (delivery.ts). */
  dispatch: (alert: StoredAlert, recorded: Promise<void>) => Promise<void>;
  ownership: Pick<InstrumentOwnership, 'owns' | 'token' | 'drop' | 'status'>;
  /** Keeps a live batch of an instrument being taken over (instrument-takeover.ts); false when none is. */
  heldByTakeover: (batch: RowBatch) => boolean;
  /** Hash symbol → the last evaluated tick (Watermark JSON). */
  watermarkKey: string;
  /** The least time between two watermark writes (watermark-writer.ts); 0: back to back. */
  watermarkEveryMs?: number;
}

export type EngineState = 'starting' | 'running' | 'degraded' | 'stopped';

/**
 * Batches waiting behind one whose firings Redis refuses are held in memory up to this
 * many; later ones are dropped and read back from the nodes' recent items once Redis
 * answers again, as a restarted engine does.
 */
export const MAX_HELD_BATCHES = 10_000;
export { alertId } from './firing-writer.js';

const isFenced = (err: unknown): boolean => err instanceof AlertsError && err.code === 'TICKDESK_ALERTS_FENCED';

/**
 * The evaluation: every tick of every instrument this engine holds against the active
 * rules, in arrival order, each firing written to the outbox before it is sent, then the
 * watermark (the last evaluated tick, in Redis, so ticks missed while down are read back
 * from the nodes' recent items). Built and started by alert-service.ts.
 */
export function createAlertEngine({
  client,
  redis,
  log,
  metrics,
  service,
  symbols,
  index,
  sync,
  firings,
  dispatch,
  ownership,
  heldByTakeover,
  watermarkKey,
  watermarkEveryMs = 0,
}: AlertEngineDeps) {
  const watermark = new Map<string, number>();
  let queue: Promise<void> = Promise.resolve();
  let state: EngineState = 'stopped';
  // Degraded only while Redis refuses this engine's writes: `state` itself never turns
  // degraded, so the engine reports running again as soon as the writes succeed.
  let stopping = false;
  let held = 0;
  let missedWhileHeld = false;
  /** Live batches that arrived while the nodes' items were read back after a reconnect. */
  let liveWhileReading: RowBatch[] | undefined;

  /** Batches are evaluated one after another, in arrival order, so firings keep tick order. */
  function enqueue(batch: RowBatch, replay = false): void {
    if (!replay) {
      if (heldByTakeover(batch)) return;
      // Another engine's instrument, unless a rule here reads it as a leg (cross-evaluator.ts).
      if (!ownership.owns(batch.symbol) && !index.reads?.(batch.symbol)) return;
    }
    if (!replay && liveWhileReading) {
      // Behind the read-back: evaluate() skips what the nodes' items already held.
      if (liveWhileReading.length < MAX_HELD_BATCHES) liveWhileReading.push(batch);
      else missedWhileHeld = true;
      return;
    }
    // Once one is dropped, every live batch is until the replay, so ticks stay in order.
    if (!replay && (missedWhileHeld || held >= MAX_HELD_BATCHES)) {
      missedWhileHeld = true;
      return;
    }
    held += 1;
    const arrived = performance.now();
    queue = queue
      .then(async () => {
        await evaluate(batch);
        metrics.evaluation.observe((performance.now() - arrived) / 1000);
      })
      .catch((err: Error) => {
        log.error({ symbol: batch.symbol, err }, 'batch evaluation failed');
      })
      .finally(() => {
        held -= 1;
      });
  }

  // The index has already moved past a batch's ticks: its firings and watermark are
  // written until Redis takes them, never dropped because Redis was away.
  const writes = createWriteRetry({
    log,
    stopping: () => stopping,
    fatal: isFenced,
    onRecovered: () => {
      if (missedWhileHeld) replayMissed().catch((err: Error) => log.warn({ err }, 'dropped ticks not read back'));
    },
  });

  const watermarks = createWatermarkWriter({
    redis,
    key: watermarkKey,
    log,
    keep: (symbol) => ownership.owns(symbol),
    stopping: () => stopping,
    everyMs: watermarkEveryMs,
  });

  async function evaluate(batch: RowBatch): Promise<void> {
    const mine = ownership.owns(batch.symbol);
    if (!mine && !index.reads?.(batch.symbol)) return;
    const token = ownership.token(batch.symbol);
    const after = watermark.get(batch.symbol) ?? -1;
    // Rows carry their times as numbers already; copy only when some were evaluated before.
    const ticks: readonly TickRow[] = batch.rows[0]!.seq > after ? batch.rows : batch.rows.filter((t) => t.seq > after);
    if (ticks.length === 0) return;
    metrics.ticks.inc(ticks.length);
    const fired = withIngest(
      index.evaluate(batch.symbol, ticks, (s) => ownership.owns(s)),
      ticks,
    );
    const last = ticks[ticks.length - 1]!;
    try {
      await write(batch, fired, last, token, mine);
    } catch (err) {
      if (!isFenced(err)) throw err;
      // Split brain: this engine's lease ran out (it stalled) and another holds the
      // instrument with a newer token, which the outbox script saw. Stop acting for it.
      log.warn(
        { symbol: batch.symbol, token, err },
        'firing refused by the fencing token: instrument dropped, its new holder evaluates it',
      );
      if (mine) await ownership.drop(batch.symbol);
      return;
    }
    watermark.set(batch.symbol, last.seq);
  }

  /** An alert in the outbox: sent at once, off the evaluation queue, once `recorded` (its fired record) is in. */
  const send = (alert: StoredAlert, recorded: Promise<void>): void =>
    void dispatch(alert, recorded).catch((err: Error) =>
      log.warn({ alert: alert.id, err }, 'dispatch failed; the outbox retries'),
    );

  async function write(
    batch: RowBatch,
    fired: StampedFiring[],
    last: TickRow,
    token: number | undefined,
    mine = true,
  ): Promise<void> {
    await writes.run(async () => {
      // Persisted concurrently (Redis keeps one connection's order, the audit chain its call
      // order), each sent as soon as it is in the outbox.
      await Promise.all(
        fired.map(async (f) => {
          // A rule across instruments fires on its legs' ticks too: fenced by its own instrument's lease.
          await firings.persist(f, f.symbol === batch.symbol ? token : ownership.token(f.symbol), send);
        }),
      );
      // Only now the watermark: a crash before it is written re-evaluates these ticks, and the
      // deterministic alert ids make the outbox ignore what it already has. Written off the
      // queue (watermark-writer.ts): the next batch does not wait for a Redis round trip.
      // Another engine's instrument (read as a leg) keeps its holder's watermark.
      if (!mine) return;
      if (token !== undefined && !ownership.owns(batch.symbol))
        throw new AlertsError('TICKDESK_ALERTS_FENCED', `${batch.symbol}: lease lost before the watermark`);
      watermarks.set(batch.symbol, JSON.stringify({ seq: last.seq, price: last.price, eventMicros: last.eventMicros }));
    });
  }

  function seed(symbol: string, json: string): void {
    const w = JSON.parse(json) as Watermark;
    watermark.set(symbol, w.seq);
    index.seedPrice(symbol, w.price, w.eventMicros);
  }

  /** Read every instrument's batches back and queue them; `seen`: those with a watermark (and held). */
  async function replay(which: (symbol: string) => boolean): Promise<number> {
    const batches = await readRecentBatches(client, service, [...symbols].filter(which));
    for (const b of batches) enqueue(b, true);
    return batches.length;
  }

  /**
   * Instruments with no watermark yet (none in Redis, no tick evaluated here) start after the
   * newest tick their node holds now, an empty node from its first: the read-back after a lost
   * session then evaluates what was published since, and never the history from before this
   * engine held them (left out of it, a tick crossing a rule while the session was down never
   * fired). Queued, so a live batch that came first is evaluated first and its watermark kept.
   */
  async function startFromNewest(list: readonly string[]): Promise<void> {
    const newest = await newestSeqs(
      client,
      service,
      list.filter((s) => !watermark.has(s)),
    );
    queue = queue.then(() => {
      for (const [symbol, seq] of newest) if (!watermark.has(symbol)) watermark.set(symbol, seq);
    });
  }

  /**
   * A new session after a lost one (its XMPP node died, the network dropped): nothing
   * published in between was delivered to it (XEP-0060 §12.2: notifications go to
   * available resources), so the nodes' recent items are read back, as after a restart,
   * while live batches wait behind them. The subscriber's 'online' handler, registered
   * first, has sent the presence that starts live notifications before this read goes out.
   */
  async function readBackAfterReconnect(): Promise<void> {
    if (liveWhileReading || stopping || state === 'stopped') return;
    liveWhileReading = [];
    const started = performance.now();
    let read = 0;
    try {
      read = await replay((s) => watermark.has(s) && ownership.owns(s));
    } finally {
      const live = liveWhileReading;
      liveWhileReading = undefined;
      for (const b of live) enqueue(b);
      log.info(
        { batches: read, live: live.length, ms: Math.round(performance.now() - started) },
        'ticks published while the XMPP session was down read back from the nodes',
      );
    }
  }

  /** After batches were dropped (MAX_HELD_BATCHES): the nodes' recent items, then live ones again. */
  async function replayMissed(): Promise<void> {
    const batches = await replay((s) => ownership.owns(s));
    missedWhileHeld = false;
    log.warn({ batches }, 'ticks dropped while Redis was away read back from the nodes');
  }

  return {
    enqueue,
    /** Seeds every instrument from the watermark the last run left (before the rules are placed). */
    async start(): Promise<void> {
      state = 'starting';
      stopping = false;
      const saved = await redis.hgetall(watermarkKey);
      for (const [symbol, json] of Object.entries(saved)) if (symbols.has(symbol)) seed(symbol, json);
    },
    /** Ticks published while the engine was down (one engine: all; several take theirs over): the nodes keep their recent items (max_items). */
    async catchUp(): Promise<void> {
      await replay((s) => watermark.has(s));
      await startFromNewest([...symbols]);
      await queue;
    },
    /**
     * An instrument taken over: seeded from the watermark its last holder left, its rules placed
     * again; true when there was one (its missed ticks are to be read back), else it starts after
     * its node's newest tick.
     */
    async resumeSymbol(symbol: string): Promise<boolean> {
      const json = await redis.hget(watermarkKey, symbol);
      if (json) seed(symbol, json);
      await sync.reloadSymbol(symbol);
      if (watermark.has(symbol)) return state !== 'stopped';
      await startFromNewest([symbol]);
      return false;
    },
    onReconnected: (): void =>
      void readBackAfterReconnect().catch((err: Error) =>
        log.warn({ err }, 'ticks missed while reconnecting not read back'),
      ),
    running(): void {
      state = 'running';
    },
    /** No write is retried from now on (stop under way). */
    halt(): void {
      stopping = true;
    },
    /** The batches queued so far evaluated, then stopped. */
    async stop(): Promise<void> {
      stopping = true;
      await queue;
      await watermarks.settled();
      state = 'stopped';
    },
    // Degraded too while a lease renewal fails (Redis unreachable): the instruments stop at their deadline.
    state: (): EngineState =>
      state === 'running' &&
      (client.state() !== 'running' || writes.failing() || watermarks.failing() || ownership.status().renewFailing)
        ? 'degraded'
        : state,
  };
}
export type AlertEngine = ReturnType<typeof createAlertEngine>;

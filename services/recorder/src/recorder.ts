import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TickBatch } from '@tickdesk/schemas';
import { ALL_INTERVALS, createCandleAggregator } from './candle-aggregator.js';
import { finalField, parseFinalField } from './redis-layout.js';
import { resolveRecorderConfig, type RecorderConfig } from './config.js';
import { createRecorderHealth, type RecorderState } from './recorder-health.js';
import { createRecorderMetrics, type DropReason } from './recorder-metrics.js';
import { createRecorderStore, type RecorderStore } from './recorder-store.js';
import { createSymbolIntake } from './symbol-intake.js';
import { createWriteBuffer, type WriteSet } from './write-buffer.js';

export interface RecorderStats {
  state: RecorderState;
  symbols: number;
  batches: number;
  ticks: number;
  /** Ticks the publishers reported conflating away before they reached us. */
  conflated: number;
  dropped: Record<DropReason, number>;
  pendingTicks: number;
  pendingCandles: number;
  flushes: number;
  flushErrors: number;
}

export interface Recorder {
  /** Take one decoded batch (one instrument, seq order). Cheap and synchronous; writes are coalesced. */
  ingest(batch: TickBatch): void;
  /** Write everything ingested so far; rejects when Redis fails (the data stays queued, within bounds). */
  flush(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  state(): RecorderState;
  stats(): RecorderStats;
  /** Stop recording `symbol` (its lease went): its state and unwritten changes are dropped; a later batch warms it up afresh. */
  forget(symbol: string): void;
  /** Queries for the REST API. */
  readonly store: RecorderStore;
  readonly registry: Registry;
}

/** With a standby recorder: the instruments' leases (recorder-leases.ts). */
export interface RecorderFence {
  /** The lease token of `symbol` while this recorder holds it; its changes are written only then, fenced by it. */
  token(symbol: string): number | undefined;
  /** A write or warm-up of `symbol` was refused: a recorder with a larger token (`fence`) holds it. The symbol is forgotten already. */
  onRefused(symbol: string, fence: number): void;
  /** How many instruments this recorder holds now (for the metrics). */
  held(): number;
}

/** Records ticks, last prices and 1s/1m/1h candles in Redis, flushing coalesced writes every `flushIntervalMs`. */
export function createRecorder({
  redis,
  log: parentLog,
  config: partial,
  registry,
  fence,
}: {
  redis: Redis;
  log: Logger;
  config?: Partial<RecorderConfig>;
  registry?: Registry;
  fence?: RecorderFence;
}): Recorder {
  const config = resolveRecorderConfig(partial);
  const log = parentLog.child({ component: 'recorder' });
  const health = createRecorderHealth({ log, retryMs: 1_000 });
  const metrics = createRecorderMetrics(registry, () => (fence ? fence.held() : intake.symbols()));
  const store = createRecorderStore({ redis, limits: config });
  const buffer = createWriteBuffer({ maxTicks: config.maxPendingTicks, maxCandles: config.maxPendingCandles });
  const dropped: Record<DropReason, number> = {
    buffer_full: 0,
    duplicate: 0,
    malformed: 0,
    late_candle: 0,
    candle_buffer_full: 0,
    stale_publisher: 0,
  };
  const drop = (reason: DropReason, n: number): void => {
    if (n === 0) return;
    dropped[reason] += n;
    metrics.dropped.inc({ reason }, n);
  };
  const intake = createSymbolIntake({
    aggregator: createCandleAggregator({ openBuckets: config.openBuckets }),
    buffer,
    store,
    openBuckets: config.openBuckets,
    maxWaitingTicks: config.flushMaxTicks,
    onDrop: drop,
    onOverlap: (symbol, coldFrom, storedSeq) =>
      log.warn({ symbol, coldFrom, storedSeq }, 'ticks aggregated during a Redis outage overlap stored ones'),
    ...(fence
      ? {
          tokens: (names: readonly string[]) => tokensOf(names),
          onRefused: (symbol: string, by: number) => refused(symbol, by, 'warm-up'),
        }
      : {}),
  });
  function tokensOf(names: Iterable<string>): Map<string, number> {
    const tokens = new Map<string, number>();
    for (const s of names) {
      const t = fence!.token(s);
      if (t !== undefined) tokens.set(s, t);
    }
    return tokens;
  }
  /** A larger token holds `symbol`: this recorder stops recording it (logged once per refusal: the symbol is forgotten with it). */
  function refused(symbol: string, by: number, what: string): void {
    metrics.fenced.inc();
    log.warn(
      { symbol, token: fence!.token(symbol), fence: by },
      `${what} refused: another recorder holds the instrument with a newer lease; stopped recording it`,
    );
    forget(symbol);
    fence!.onRefused(symbol, by);
  }
  function forget(symbol: string): void {
    intake.forget(symbol);
    for (const i of ALL_INTERVALS) published.delete(finalField(i, symbol));
  }
  const counts = { batches: 0, ticks: 0, conflated: 0, flushes: 0, flushErrors: 0 };
  /** Final marks as last written: each write carries those that rose since. */
  const published = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let busy = 0;
  let soon = false;

  async function runFlush(): Promise<void> {
    const slow = () => health.degrade(new Error(`flush slower than ${config.flushTimeoutMs} ms`));
    const watchdog = setTimeout(slow, config.flushTimeoutMs);
    const end = metrics.flushDuration.startTimer();
    let set: WriteSet | undefined;
    try {
      await intake.warmUp();
      set = buffer.take();
      if (set) {
        // Every pending candle is in this set, so once it is written the buckets closed
        // so far are final in Redis: their marks go with it.
        set.final = new Map(
          [...intake.closed()].filter(([field, through]) => through > (published.get(field) ?? -Infinity)),
        );
        const symbols = new Set([
          ...set.ticks.keys(),
          ...set.last.keys(),
          ...[...set.candles.values()].map((c) => c.symbol),
          ...[...set.final.keys()].map((f) => parseFinalField(f).symbol),
        ]);
        const tokens = fence ? tokensOf(symbols) : undefined;
        const { refused: lost } = await store.write(set, tokens);
        for (const [field, through] of set.final) {
          const symbol = parseFinalField(field).symbol;
          // Not written: refused, or its lease went (the symbol is forgotten, and read afresh if it comes back).
          if (!lost.has(symbol) && (!tokens || tokens.has(symbol))) published.set(field, through);
        }
        for (const [symbol, by] of lost) refused(symbol, by, 'write');
        counts.flushes++;
        end();
      } else if (health.state() !== 'running') await store.ping();
      health.recover();
    } catch (err) {
      counts.flushErrors++;
      metrics.flushErrors.inc();
      if (set) {
        const lost = buffer.requeue(set);
        drop('buffer_full', lost.ticks);
        drop('candle_buffer_full', lost.candles);
      }
      health.degrade(err);
      throw err;
    } finally {
      clearTimeout(watchdog);
      metrics.pendingTicks.set(buffer.pendingTicks());
    }
  }

  function flush(): Promise<void> {
    busy++;
    const run = chain.then(runFlush).finally(() => void busy--);
    chain = run.catch(() => undefined);
    return run;
  }

  function onTimer(): void {
    soon = false;
    if (busy > 0 || !health.mayRetry()) return;
    const pending = buffer.pendingTicks() > 0 || buffer.pendingCandles() > 0 || intake.warming() > 0;
    if (pending || health.state() === 'degraded') flush().catch(() => undefined);
  }

  const onClose = (): void => {
    if (health.state() === 'running') health.degrade(new Error('Redis connection closed'));
  };

  return {
    ingest(batch) {
      counts.batches++;
      counts.ticks += batch.ticks.length;
      counts.conflated += batch.conflated;
      metrics.batches.inc();
      metrics.ticks.inc(batch.ticks.length);
      intake.ingest(batch);
      if (!soon && timer && buffer.pendingTicks() >= config.flushMaxTicks) {
        soon = true;
        setImmediate(onTimer);
      }
    },
    flush,
    forget,
    async start() {
      if (timer) return;
      health.set('starting');
      redis.on('close', onClose);
      redis.on('ready', health.retryNow);
      timer = setInterval(onTimer, config.flushIntervalMs);
      timer.unref();
      const first = flush().catch(() => undefined);
      await Promise.race([first, new Promise((r) => setTimeout(r, config.flushTimeoutMs).unref())]);
      log.info({ state: health.state(), flushIntervalMs: config.flushIntervalMs }, 'recorder started');
    },
    async stop() {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      redis.off('close', onClose);
      redis.off('ready', health.retryNow);
      const last = flush().catch((err: unknown) =>
        log.warn({ err, pendingTicks: buffer.pendingTicks() }, 'recorder stopped with unwritten ticks'),
      );
      await Promise.race([last, new Promise((r) => setTimeout(r, config.flushTimeoutMs).unref())]);
      health.set('stopped');
      log.info('recorder stopped');
    },
    state: health.state,
    stats: () => ({
      state: health.state(),
      symbols: intake.symbols(),
      ...counts,
      dropped: { ...dropped },
      pendingTicks: buffer.pendingTicks() + intake.waitingTicks(),
      pendingCandles: buffer.pendingCandles(),
    }),
    store,
    registry: metrics.registry,
  };
}

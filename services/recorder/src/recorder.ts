import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TickBatch } from '@tickdesk/schemas';
import { createCandleAggregator } from './candle-aggregator.js';
import { resolveRecorderConfig, type RecorderConfig } from './config.js';
import { createRecorderMetrics, type DropReason } from './recorder-metrics.js';
import { createRecorderStore, type RecorderStore } from './recorder-store.js';
import { createSymbolIntake } from './symbol-intake.js';
import { createWriteBuffer, type WriteSet } from './write-buffer.js';

export type RecorderState = 'starting' | 'running' | 'degraded' | 'stopped';

export interface RecorderStats {
  state: RecorderState;
  symbols: number;
  batches: number;
  ticks: number;
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
  /** Write everything ingested so far; rejects when Redis fails (the data stays queued). */
  flush(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  state(): RecorderState;
  stats(): RecorderStats;
  /** Queries for the REST API. */
  readonly store: RecorderStore;
  readonly registry: Registry;
}

const RETRY_MS = 1_000;

export function createRecorder({ redis, log: parentLog, config: partial, registry }: {
  redis: Redis;
  log: Logger;
  config?: Partial<RecorderConfig>;
  registry?: Registry;
}): Recorder {
  const config = resolveRecorderConfig(partial);
  const log = parentLog.child({ component: 'recorder' });
  const metrics = createRecorderMetrics(registry);
  const store = createRecorderStore({ redis, limits: config });
  const buffer = createWriteBuffer({ maxTicks: config.maxPendingTicks, maxCandles: config.maxPendingCandles });
  const dropped: Record<DropReason, number> = { buffer_full: 0, duplicate: 0, malformed: 0, late_candle: 0, candle_buffer_full: 0 };
  const intake = createSymbolIntake({
    aggregator: createCandleAggregator({ openBuckets: config.openBuckets }),
    buffer,
    store,
    openBuckets: config.openBuckets,
    maxWaitingTicks: config.maxPendingTicks,
    onDrop(reason, n) {
      dropped[reason] += n;
      metrics.dropped.inc({ reason }, n);
    },
  });
  const counts = { batches: 0, ticks: 0, conflated: 0, flushes: 0, flushErrors: 0 };
  let current: RecorderState = 'stopped';
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let busy = 0;
  let soon = false;
  let retryAt = 0;

  function degrade(err: unknown): void {
    retryAt = Date.now() + RETRY_MS;
    if (current === 'degraded' || current === 'stopped') return log.debug({ err }, 'recorder still degraded');
    current = 'degraded';
    log.warn({ err }, 'recorder degraded: Redis writes failing, buffering within bounds');
  }

  function recover(): void {
    if (current !== 'degraded' && current !== 'starting') return;
    if (current === 'degraded') log.info('recorder recovered: Redis writes succeed again');
    current = 'running';
  }

  async function runFlush(): Promise<void> {
    const watchdog = setTimeout(() => degrade(new Error(`flush slower than ${config.flushTimeoutMs} ms`)), config.flushTimeoutMs);
    let set: WriteSet | undefined;
    const end = metrics.flushDuration.startTimer();
    try {
      await intake.warmUp();
      set = buffer.take();
      if (set) await store.write(set);
      else if (current !== 'running') await store.ping();
      if (set) (counts.flushes++, end());
      recover();
    } catch (err) {
      counts.flushErrors++;
      metrics.flushErrors.inc();
      if (set) {
        const lost = buffer.requeue(set);
        intakeDrop('buffer_full', lost.ticks);
        intakeDrop('candle_buffer_full', lost.candles);
      }
      degrade(err);
      throw err;
    } finally {
      clearTimeout(watchdog);
      metrics.pendingTicks.set(buffer.pendingTicks());
    }
  }

  function intakeDrop(reason: DropReason, n: number): void {
    if (n === 0) return;
    dropped[reason] += n;
    metrics.dropped.inc({ reason }, n);
  }

  function flush(): Promise<void> {
    busy++;
    const run = chain.then(runFlush).finally(() => void busy--);
    chain = run.catch(() => undefined);
    return run;
  }

  function onTimer(): void {
    soon = false;
    if (busy > 0 || (current === 'degraded' && Date.now() < retryAt)) return;
    const work = buffer.pendingTicks() > 0 || buffer.pendingCandles() > 0 || intake.warming() > 0 || current === 'degraded';
    if (work) flush().catch(() => undefined);
  }

  const onClose = (): void => {
    if (current === 'running') degrade(new Error('Redis connection closed'));
  };
  const onReady = (): void => {
    retryAt = 0;
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
    async start() {
      if (timer) return;
      current = 'starting';
      redis.on('close', onClose);
      redis.on('ready', onReady);
      timer = setInterval(onTimer, config.flushIntervalMs);
      timer.unref();
      await flush().catch(() => undefined);
      log.info({ state: current, flushIntervalMs: config.flushIntervalMs }, 'recorder started');
    },
    async stop() {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      redis.off('close', onClose);
      redis.off('ready', onReady);
      const last = flush().catch((err: unknown) => log.warn({ err, pendingTicks: buffer.pendingTicks() }, 'recorder stopped with unwritten ticks'));
      await Promise.race([last, new Promise((r) => setTimeout(r, config.flushTimeoutMs).unref())]);
      current = 'stopped';
      log.info('recorder stopped');
    },
    state: () => current,
    stats: () => ({
      state: current,
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

import { setTimeout as delay } from 'node:timers/promises';
import WebSocket from 'ws';
import { createSourceLifecycle, type FeedSource, type TickSink } from '@tickdesk/feed-core';
import { createBackoff } from './backoff.js';
import { BinanceFeedError } from './errors.js';
import { createSequenceTracker } from './sequence-tracker.js';
import { runSession } from './session.js';
import { combinedStreamUrl, type BinanceStream } from './stream-url.js';
import { parseTradeMessage } from './trade-message.js';

/** The logging the adapter needs; a pino logger fits. */
export interface FeedLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface BinanceFeedOptions {
  /** Base endpoint, e.g. BINANCE_SPOT_URL, with or without `/stream`; the stream list is added. */
  url: string;
  /** Venue symbols, any case: ['BTCUSDT', 'ETHUSDT']. */
  symbols: readonly string[];
  /** 'trade' (default) or 'aggTrade'. */
  stream?: BinanceStream;
  WebSocketImpl?: typeof WebSocket;
  reconnect: {
    initialMs: number;
    maxMs: number;
    /** A connection open this long resets the backoff (default 30 s). */
    stableMs?: number;
  };
  /** Reconnect when nothing, not even a ping, arrived for this long (default 60 s). */
  idleTimeoutMs?: number;
  log?: FeedLog;
  /** Random source for the jitter, in [0, 1). */
  random?: () => number;
}

export interface BinanceStats {
  messages: number;
  ticks: number;
  malformed: number;
  gaps: number;
  duplicates: number;
  reconnects: number;
}

export interface BinanceFeed extends FeedSource {
  stats(): BinanceStats;
}

const RAW_MAX = 200;
const silent: FeedLog = { info: () => {}, warn: () => {} };

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => {});
}

export function createBinanceFeed(opts: BinanceFeedOptions): BinanceFeed {
  const { symbols, WebSocketImpl = WebSocket, reconnect, idleTimeoutMs = 60_000, log = silent } = opts;
  const url = combinedStreamUrl(opts.url, symbols, opts.stream);
  const { initialMs, maxMs, stableMs = 30_000 } = reconnect;
  if (!(initialMs > 0 && maxMs >= initialMs)) {
    throw new BinanceFeedError(
      'TICKDESK_BINANCE_CONFIG',
      `reconnect needs 0 < initialMs ≤ maxMs, got ${initialMs}, ${maxMs}`,
    );
  }
  const stats: BinanceStats = { messages: 0, ticks: 0, malformed: 0, gaps: 0, duplicates: 0, reconnects: 0 };
  const sequence = createSequenceTracker();
  const lifecycle = createSourceLifecycle(
    () => new BinanceFeedError('TICKDESK_BINANCE_BUSY', 'the Binance feed is already running'),
  );

  function onMessage(sink: TickSink, text: string): void {
    stats.messages += 1;
    const message = parseTradeMessage(text);
    if (!message.ok) {
      stats.malformed += 1;
      sink.report({ kind: 'malformed', reason: message.reason, raw: text.slice(0, RAW_MAX) });
      return;
    }
    const { tick } = message;
    const verdict = sequence.check(tick.symbol, tick.seq);
    if (verdict.kind === 'duplicate') {
      stats.duplicates += 1;
      return;
    }
    if (verdict.kind === 'gap') {
      stats.gaps += 1;
      sink.report({ kind: 'gap', symbol: tick.symbol, from: verdict.from, to: verdict.to });
    }
    stats.ticks += 1;
    // A live source keeps pushing; under backpressure the core conflates.
    sink.push(tick);
  }

  async function connectLoop(sink: TickSink, signal: AbortSignal): Promise<void> {
    const backoff = createBackoff({ initialMs, maxMs, random: opts.random });
    while (!signal.aborted) {
      const end = await runSession({
        WebSocketImpl,
        url,
        signal,
        idleTimeoutMs,
        onOpen: () => {
          lifecycle.set('running');
          log.info({ url }, 'binance stream connected');
        },
        onMessage: (text) => onMessage(sink, text),
      });
      if (end.fatal !== undefined) throw end.fatal;
      if (signal.aborted) return;
      if (end.openMs >= stableMs) backoff.reset();
      const { attempt, delayMs } = backoff.next();
      lifecycle.set('degraded');
      stats.reconnects += 1;
      sink.report({ kind: 'reconnect', attempt, delayMs });
      log.warn({ attempt, delayMs, code: end.code, err: end.error }, 'binance stream lost; reconnecting');
      await sleep(delayMs, signal);
    }
  }

  return {
    name: 'binance',
    state: lifecycle.state,
    stats: () => ({ ...stats }),
    run: (sink, signal) => lifecycle.run('starting', () => connectLoop(sink, signal)),
  };
}

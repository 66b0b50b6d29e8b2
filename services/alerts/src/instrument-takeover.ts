import type { Logger } from 'pino';
import type { RowBatch } from './tick-readback.js';

/** The last evaluated tick of an instrument, as the engine keeps it in `td:alerts:watermark`. */
export interface Watermark {
  seq: number;
  price: string;
  eventMicros: number;
}

export interface TakeoverDeps {
  log: Logger;
  /** Shut writes with an older lease token out (the outbox fence); false when a newer one is there. */
  raiseFence: (symbol: string, token: number) => Promise<boolean>;
  /** Stop holding the instrument (another engine has a newer token). */
  drop: (symbol: string) => Promise<void>;
  /** Seed the instrument from the watermark its last holder left, and place its rules again; true when there was one. */
  resume: (symbol: string) => Promise<boolean>;
  /** The node's recent items (tick-readback.ts). */
  readBack: (symbol: string) => Promise<RowBatch[]>;
  /** Queue a batch for evaluation (`replay`: read back, not live). */
  enqueue: (batch: RowBatch, replay: boolean) => void;
}

/**
 * An instrument this engine has just been granted (at start, or taking over from an
 * engine that died or stalled): the fence shuts the previous holder's late writes out,
 * the watermark it left seeds the price, and the ticks since are read back from the node,
 * as after a restart, while live batches of the instrument wait behind them.
 */
export function createInstrumentTakeover({ log, raiseFence, drop, resume, readBack, enqueue }: TakeoverDeps) {
  /** Live batches of instruments being taken over, waiting behind the read-back of their missed ticks. */
  const waiting = new Map<string, RowBatch[]>();

  return {
    /** Keeps a live batch of an instrument being taken over (at most `max` per instrument); false when none is. */
    hold(batch: RowBatch, max: number): boolean {
      const w = waiting.get(batch.symbol);
      if (!w) return false;
      if (w.length < max) w.push(batch);
      return true;
    },
    /** The lease went while taking over: the held batches go with it. */
    cancel(symbol: string): void {
      waiting.delete(symbol);
    },
    async takeOver(symbol: string, token: number): Promise<void> {
      waiting.set(symbol, []);
      const started = performance.now();
      let read = 0;
      try {
        if (!(await raiseFence(symbol, token))) {
          log.warn({ symbol, token }, 'a newer lease token is in the outbox already: instrument dropped');
          await drop(symbol);
          return;
        }
        if (await resume(symbol)) {
          const batches = await readBack(symbol);
          read = batches.length;
          for (const b of batches) enqueue(b, true);
        }
      } finally {
        const live = waiting.get(symbol);
        waiting.delete(symbol);
        for (const b of live ?? []) enqueue(b, false);
        log.info(
          { symbol, token, batches: read, live: live?.length ?? 0, ms: Math.round(performance.now() - started) },
          'instrument taken over: missed ticks read back from the node',
        );
      }
    },
  };
}

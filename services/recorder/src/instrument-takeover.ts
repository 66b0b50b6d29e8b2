import type { Logger } from 'pino';
import { decodeTickBatch, ticksNode, type TickBatch } from '@tickdesk/schemas';
import type { Pubsub } from '@tickdesk/xmpp';

/** The node's recent items of `symbol` (XEP-0060 §6.5, up to the node's max_items), decoded, oldest seq first. */
export function readBackFrom(pubsub: Pubsub) {
  return async (symbol: string): Promise<TickBatch[]> => {
    const items = await pubsub.items(ticksNode(symbol));
    const batches = items.flatMap((it) => {
      const res = it.payload ? decodeTickBatch(it.payload) : undefined;
      return res?.ok && res.value.ticks.length > 0 ? [res.value] : [];
    });
    return batches.sort((a, b) => a.ticks[0]!.seq - b.ticks[0]!.seq);
  };
}

export interface TakeoverDeps {
  symbol: string;
  token: number;
  /** Live batches of instruments being taken over, waiting behind their read-back (the caller fills them). */
  takeovers: Map<string, TickBatch[]>;
  readBack: (symbol: string) => Promise<TickBatch[]>;
  /** Record a batch (the caller drops it if the lease went meanwhile). */
  ingest: (batch: TickBatch) => void;
  log: Logger;
}

/**
 * An instrument this recorder has just been granted (at start, or from a recorder that
 * died or stalled), recorded as a restarted recorder does: the recorder's warm-up raises
 * the instrument's fence to the new token and seeds from what Redis holds (last seq, open
 * candles), the node's recent items are read back, then the live batches held meanwhile;
 * ticks already stored are skipped by seq, so history and candles have no hole and count
 * nothing twice.
 */
export async function takeOver({ symbol, token, takeovers, readBack, ingest, log }: TakeoverDeps): Promise<void> {
  takeovers.set(symbol, []);
  const started = performance.now();
  let read = 0;
  try {
    const batches = await readBack(symbol);
    read = batches.length;
    for (const b of batches) ingest(b);
  } finally {
    const live = takeovers.get(symbol);
    takeovers.delete(symbol);
    for (const b of live ?? []) ingest(b);
    log.info(
      { symbol, token, batches: read, live: live?.length ?? 0, ms: Math.round(performance.now() - started) },
      'instrument taken over: recent items read back from the node',
    );
  }
}

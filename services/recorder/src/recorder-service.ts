import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { decodeTickBatch, ticksNode, type TickBatch } from '@tickdesk/schemas';
import { createItemSubscriber, createPubsub, type XmppClient } from '@tickdesk/xmpp';
import type { RecorderConfig } from './config.js';
import { createRecorder, type Recorder } from './recorder.js';

/** Live batches held while the nodes' items are read back after a reconnect; past this many, they are recorded as they come. */
export const MAX_HELD_LIVE_BATCHES = 10_000;

export interface RecorderServiceDeps {
  /** A connected client of the recorder's account (entitled to the ticks/ nodes). */
  client: XmppClient;
  redis: Redis;
  log: Logger;
  /** The pubsub service JID; notifications from anyone else are ignored. */
  service: string;
  symbols: readonly string[];
  config?: Partial<RecorderConfig>;
}

/** The recorder wired to XMPP: subscribe to every ticks/<SYMBOL> node and record each batch. */
export async function startRecorderService({ client, redis, log, service, symbols, config }: RecorderServiceDeps): Promise<{ recorder: Recorder; stop(): Promise<void> }> {
  const recorder = createRecorder({ redis, log, ...(config ? { config } : {}) });
  await recorder.start();
  const pubsub = createPubsub(client, service);
  // Live batches are held from the start until the first read-back is done (below): recorded
  // first, their seqs would make every older tick read back a duplicate.
  let held: TickBatch[] | undefined = [];
  const sub = createItemSubscriber({
    client,
    service,
    nodes: symbols.map(ticksNode),
    decode: decodeTickBatch,
    onItem: (batch) => (held && held.length < MAX_HELD_LIVE_BATCHES ? held.push(batch) : recorder.ingest(batch)),
    log: log.child({ component: 'recorder-subscriber' }),
  });

  /**
   * A new session after a lost one (its XMPP node died, the network dropped) was sent
   * nothing published in between (XEP-0060 §12.2: notifications go to available
   * resources), so the nodes' recent items (§6.5, up to max_items) are recorded first,
   * then the live batches that came meanwhile; ticks already recorded are skipped by seq.
   * The subscriber's 'online' handler, registered first, has sent the presence that
   * starts live notifications before this read goes out.
   */
  async function readBack(first = false): Promise<void> {
    if (held && !first) return;
    held ??= [];
    try {
      const items = await Promise.all(symbols.map((s) => pubsub.items(ticksNode(s)).catch(() => [])));
      const batches = items.flat().flatMap((it) => {
        const res = it.payload ? decodeTickBatch(it.payload) : undefined;
        return res?.ok && res.value.ticks.length > 0 ? [res.value] : [];
      });
      batches.sort((a, b) => a.ticks[0]!.seq - b.ticks[0]!.seq);
      for (const b of batches) recorder.ingest(b);
      log.info({ batches: batches.length, live: held.length }, 'ticks published while the XMPP session was down read back from the nodes');
    } finally {
      const live = held;
      held = undefined;
      for (const b of live) recorder.ingest(b);
    }
  }
  const onOnline = () => void readBack().catch((err: Error) => log.warn({ err: err.message }, 'ticks missed while reconnecting not read back'));

  await sub.start();
  client.on('online', onOnline);
  // A recorder started again (killed, restarted by `up`) was sent nothing published while
  // it was away either: the same read-back, once, before it counts as started.
  await readBack(true).catch((err: Error) => log.warn({ err: err.message }, 'ticks published before the start not read back'));
  return {
    recorder,
    async stop() {
      client.off('online', onOnline);
      await sub.stop();
      await recorder.stop();
    },
  };
}

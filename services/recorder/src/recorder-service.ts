import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { decodeTickBatch, ticksNode } from '@tickdesk/schemas';
import { createItemSubscriber, type XmppClient } from '@tickdesk/xmpp';
import type { RecorderConfig } from './config.js';
import { createRecorder, type Recorder } from './recorder.js';

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
  const sub = createItemSubscriber({
    client,
    service,
    nodes: symbols.map(ticksNode),
    decode: decodeTickBatch,
    onItem: (batch) => recorder.ingest(batch),
    log: log.child({ component: 'recorder-subscriber' }),
  });
  await sub.start();
  return {
    recorder,
    async stop() {
      await sub.stop();
      await recorder.stop();
    },
  };
}

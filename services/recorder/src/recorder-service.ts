import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { decodeTickBatch, ticksNode, type TickBatch } from '@tickdesk/schemas';
import { createItemSubscriber, createPubsub, type XmppClient } from '@tickdesk/xmpp';
import { resolveRecorderConfig, type RecorderConfig } from './config.js';
import { createRecorderLeases, type RecorderLeases } from './recorder-leases.js';
import { createRecorder, type Recorder } from './recorder.js';
import { readBackFrom, takeOver } from './instrument-takeover.js';

/** Live batches held while the nodes' items are read back after a reconnect; past this many, they are recorded as they come. */
const MAX_HELD_LIVE_BATCHES = 10_000;

export interface RecorderService {
  recorder: Recorder;
  /** The instruments this process records now (all of them without leases). */
  held(): string[];
  stop(): Promise<void>;
}

export interface RecorderServiceDeps {
  /** A connected client of the recorder's account (entitled to the ticks/ nodes). */
  client: XmppClient;
  redis: Redis;
  log: Logger;
  /** The pubsub service JID; notifications from anyone else are ignored. */
  service: string;
  symbols: readonly string[];
  config?: Partial<RecorderConfig>;
  /** Leases on (config.lease primary or standby): this process's lease owner id, unique per process. */
  owner?: string;
}

/**
 * The recorder wired to XMPP: subscribe to every ticks/<SYMBOL> node and record each batch.
 * With config.lease primary or standby (a standby recorder runs), only the instruments
 * whose lease this process holds (recorder-leases.ts), each taken over as after a restart.
 */
export async function startRecorderService({
  client,
  redis,
  log,
  service,
  symbols,
  config,
  owner,
}: RecorderServiceDeps): Promise<RecorderService> {
  const resolved = resolveRecorderConfig(config);
  const pubsub = createPubsub(client, service);
  const takeovers = new Map<string, TickBatch[]>();
  let leases: RecorderLeases | undefined;
  const recorder = createRecorder({
    redis,
    log,
    config: resolved,
    ...(resolved.lease !== 'off'
      ? {
          fence: {
            token: (s: string) => leases?.token(s),
            onRefused: (s: string) => void leases?.drop(s),
            held: () => leases?.held().length ?? 0,
          },
        }
      : {}),
  });
  const mine = (symbol: string): boolean => !leases || leases.token(symbol) !== undefined;
  const readBackOf = readBackFrom(pubsub);
  if (resolved.lease !== 'off') {
    leases = createRecorderLeases({
      redis,
      symbols,
      log,
      owner: owner ?? `recorder-${process.pid}`,
      ttlMs: resolved.leaseTtlMs,
      standby: resolved.lease === 'standby',
      healthy: () => client.state() === 'running',
      onGained: async (symbol, token) => {
        recorder.forget(symbol);
        await takeOver({
          symbol,
          token,
          takeovers,
          readBack: readBackOf,
          ingest: (b) => (leases!.token(symbol) === token ? recorder.ingest(b) : undefined),
          log,
        });
      },
      onLost: (symbol) => {
        takeovers.delete(symbol);
        recorder.forget(symbol);
      },
    });
  }
  await recorder.start();
  // Live batches are held from the start until the first read-back is done (below): recorded
  // first, their seqs would make every older tick read back a duplicate. With leases each
  // instrument is read back when it is taken (takeOver).
  let held: TickBatch[] | undefined = leases ? undefined : [];
  const accept = (batch: TickBatch): void => {
    const waiting = takeovers.get(batch.symbol);
    if (waiting) return void (waiting.length < MAX_HELD_LIVE_BATCHES ? waiting.push(batch) : recorder.ingest(batch));
    if (mine(batch.symbol)) recorder.ingest(batch);
  };
  const sub = createItemSubscriber({
    client,
    service,
    nodes: symbols.map(ticksNode),
    decode: decodeTickBatch,
    onItem: (batch) => (held && held.length < MAX_HELD_LIVE_BATCHES ? held.push(batch) : accept(batch)),
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
      const batches = (await Promise.all(symbols.filter(mine).map((s) => readBackOf(s).catch(() => [])))).flat();
      batches.sort((a, b) => a.ticks[0]!.seq - b.ticks[0]!.seq);
      for (const b of batches) if (mine(b.symbol)) recorder.ingest(b);
      log.info(
        { batches: batches.length, live: held.length },
        'ticks published while the XMPP session was down read back from the nodes',
      );
    } finally {
      const live = held;
      held = undefined;
      for (const b of live) accept(b);
    }
  }
  const onOnline = () =>
    void readBack().catch((err: Error) => log.warn({ err }, 'ticks missed while reconnecting not read back'));

  await sub.start();
  client.on('online', onOnline);
  // A recorder started again (killed, restarted by `up`) was sent nothing published while
  // it was away either: the same read-back, once, before it counts as started.
  if (leases) await leases.start();
  else await readBack(true).catch((err: Error) => log.warn({ err }, 'ticks published before the start not read back'));
  return {
    recorder,
    held: () => (leases ? leases.held() : [...symbols]),
    async stop() {
      client.off('online', onOnline);
      await sub.stop();
      await recorder.stop();
      // After the last write: the standby takes over at once rather than at the expiry.
      await leases?.stop();
    },
  };
}

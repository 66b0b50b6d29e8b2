import type { Logger } from 'pino';

interface Part {
  start(): Promise<unknown> | void;
  stop(): Promise<void> | void;
}

/** The alert service's parts as its lifecycle drives them (alert-wiring.ts builds the real ones). */
export interface ServiceParts {
  log: Logger;
  /** Chat and ad-hoc commands (chat-service.ts, adhoc-service.ts). */
  commands: Part;
  /** Roles and their change channel (trader-roles.ts). */
  roles: Part & { traders: ReadonlySet<string> };
  /** start() resolves once every trader's presence is the server's (presence-tracker.ts). */
  presence: { start(traders: readonly string[]): Promise<void>; stop(): void };
  /** Evaluation (engine.ts): start() seeds the watermarks, halt() ends write retries, stop() drains the queue. */
  engine: Part & { catchUp(): Promise<void>; running(): void; halt(): void };
  /** Rules from Redis and their change channel (rule-sync.ts). */
  sync: Part;
  /** Delivery (delivery.ts); resume() picks up what a previous run left in the outbox. */
  delivery: Part & { resume(): Promise<number> };
  /** Subscriber to the ticks/ nodes, and the read-back after an XMPP reconnect. */
  subscriber: Part;
  /** Instrument leases (instrument-ownership.ts); several engines only: `sole` false. */
  ownership: Part & { sole: boolean };
  timers: Part & { beat(): Promise<void>; clear(): Promise<void> };
  /** Rule retirements under way (retirement.ts), and suppressed firings summarised at the end. */
  retirement: { stop(): Promise<void> };
  firings: { flushSuppressed(all: boolean): Promise<void> };
  anchor?: Part;
  /** The live compliance feed (audit-feed/): the audit node and the tail that publishes to it. */
  auditFeed?: Part;
  /** The rules in the index (for the log line). */
  rules(): number;
}

/**
 * Starts the parts in order, each once what it needs runs: roles before presence (its
 * traders), watermarks before rules (the seeded prices place them), delivery before the
 * subscriber (a firing is sent at once), the subscriber before the leases (a taken
 * instrument's live batches wait behind its read-back), and the outbox resumed only once
 * presence is ready (held alerts go by the server's presence, not last run's snapshot).
 */
export async function startParts(p: ServiceParts): Promise<void> {
  await p.commands.start();
  await p.roles.start();
  const presenceReady = p.presence.start([...p.roles.traders]);
  presenceReady.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  await p.engine.start();
  await p.sync.start();
  await p.delivery.start();
  await p.subscriber.start();
  await p.ownership.start();
  if (p.ownership.sole) await p.engine.catchUp();
  await p.timers.start();
  await presenceReady;
  const resumed = await p.delivery.resume();
  await p.anchor?.start();
  await p.auditFeed?.start();
  p.engine.running();
  void p.timers.beat();
  p.log.info({ rules: p.rules(), resumed }, 'alert engine running');
}

/**
 * Stops in the order that loses nothing: no new command or batch comes in, the leases go at
 * once (the other engines take the instruments without waiting for the expiry), the queued
 * batches are evaluated, then delivery's steps under way end, and the audit anchor writes
 * the chain's last head.
 */
export async function stopParts(p: ServiceParts): Promise<void> {
  await p.commands.stop();
  p.engine.halt();
  await p.timers.stop();
  await p.ownership.stop();
  await p.roles.stop();
  await p.timers.clear();
  await p.subscriber.stop();
  await p.engine.stop();
  await p.sync.stop();
  await p.retirement.stop();
  await p.firings.flushSuppressed(true).catch((err: Error) => p.log.warn({ err }, 'suppressed firings not summarised'));
  await p.delivery.stop();
  await p.anchor?.stop();
  // Last: the records of the stop itself (retirements, a final delivery step) are published too.
  await p.auditFeed?.stop();
  p.presence.stop();
}

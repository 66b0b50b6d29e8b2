import type { Logger } from 'pino';
import type { Client } from '@xmpp/client-core';
import { createBackoff } from './backoff.js';
import type { NodeRing } from './node-ring.js';

/**
 * Reconnect delays: full jitter under a cap that doubles from 250 ms to 2 s. A restarted
 * Prosody (supervised by `tickdesk up`, back in about a second) is reached within 2 s of
 * coming back, inside /health's 10 s; on one machine a 2 s cap costs nothing.
 */
export const DEFAULT_RECONNECT = { initialMs: 250, maxMs: 2_000 } as const;

/**
 * STARTTLS, SCRAM and binding take tens of milliseconds on a desk; 10 s leaves room for a
 * loaded or starting server and still comes back well inside an operator's patience.
 */
export const DEFAULT_NEGOTIATION_TIMEOUT_MS = 10_000;

export interface ReconnectDeps {
  entity: Client;
  ring: NodeRing;
  domain: string;
  log: Logger;
  delays: { initialMs: number; maxMs: number };
  negotiationTimeoutMs: number;
  /** True from the client's stop() until its next start(): nothing is tried then. */
  stopping: () => boolean;
  onAttempt: (info: { attempt: number; delayMs: number }) => void;
}

export interface Reconnect {
  /** The session was lost: try the next node after the backoff, and again until one gets online. */
  lost(): void;
  /** Cancels the waiting attempt and the negotiation watch. */
  stop(): void;
}

/** Brings a lost session back on the next node of the ring, with the backoff and a negotiation timeout. */
export function createReconnect({
  entity,
  ring,
  domain,
  log,
  delays,
  negotiationTimeoutMs,
  stopping,
  onAttempt,
}: ReconnectDeps): Reconnect {
  const backoff = createBackoff(delays);
  let timer: NodeJS.Timeout | undefined;
  let negotiation: NodeJS.Timeout | undefined;
  let downSince: number | undefined;

  entity.on('online', () => {
    // How long a lost session took to come back, and where: the figure an operator looks for after a node died.
    if (downSince !== undefined)
      log.info({ service: ring.current(), downMs: Date.now() - downSince, attempts: backoff.attempt }, 'reconnected');
    downSince = undefined;
    clearTimeout(negotiation);
    backoff.reset();
  });

  function schedule() {
    clearTimeout(timer);
    const info = backoff.next();
    onAttempt(info);
    log.info(info, 'reconnecting');
    // Detached on purpose: attempt() catches its own failures and schedules the next one.
    timer = setTimeout(() => void attempt(), info.delayMs);
  }

  async function attempt(): Promise<void> {
    if (stopping() || entity.status !== 'disconnect') return;
    const service = ring.next();
    try {
      if (ring.size > 1) log.info({ service }, 'reconnecting to the next node');
      await entity.connect(service);
      await entity.open({ domain });
      watchNegotiation(service);
    } catch (err) {
      log.warn({ err }, 'reconnect failed');
      if (entity.status === 'disconnect' || entity.status === 'offline') schedule();
    }
  }

  /**
   * The rest of the negotiation runs in stream-feature handlers whose failures are only
   * logged ('xmpp connection error'): a node that accepts the stream but refuses or never
   * answers SASL or binding (ejabberd while it starts) would hold the session short of
   * online with nothing left to reconnect it. Dropping it brings the usual reconnect.
   */
  function watchNegotiation(service: string) {
    clearTimeout(negotiation);
    negotiation = setTimeout(() => {
      if (stopping() || entity.status === 'online' || entity.status === 'disconnect') return;
      log.warn(
        { service, status: entity.status, timeoutMs: negotiationTimeoutMs },
        'session not online in time after reconnecting: dropping the connection',
      );
      entity.disconnect().catch(() => {});
    }, negotiationTimeoutMs);
  }

  return {
    lost() {
      downSince ??= Date.now();
      schedule();
    },
    stop() {
      clearTimeout(timer);
      clearTimeout(negotiation);
    },
  };
}

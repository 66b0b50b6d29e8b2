import type { Logger } from 'pino';
import { formatMillis, type AlertState, type AuditEvent } from '@tickdesk/schemas';
import type { Element } from '@tickdesk/xmpp';
import { stanzaHash } from './alert-message.js';
import type { AlertsMetrics } from './alerts-metrics.js';
import type { AlertStore, AuditChain, Fence, StoredAlert } from './store/index.js';

/** Which instruments this engine acts for (instrument-ownership.ts); one engine: all, unfenced. */
export interface DeliveryOwnership {
  owns(symbol: string): boolean;
  token(symbol: string): number | undefined;
}
export const SOLE: DeliveryOwnership = { owns: () => true, token: () => undefined };
/** Steps that record what a recipient or the server did: any engine that gets them records them, unfenced. */
const CONFIRMATIONS = new Set<AuditEvent>(['delivered', 'displayed', 'acknowledged', 'server-acked']);

/** How far an alert has come; a late event is recorded but never moves it back. */
export const RANK: Record<AlertState, number> = {
  pending: 0,
  held: 0,
  sent: 1,
  'server-acked': 2,
  escalated: 2,
  delivered: 3,
  displayed: 4,
  acknowledged: 5,
  expired: 6,
  failed: 6,
  suppressed: 6,
  retired: 6,
  grouping: 0,
  grouped: 6,
};
export const NEVER = 8_640_000_000_000_000; // the largest Date: not due until something happens

export interface AlertStepsDeps {
  alerts: AlertStore;
  audit: AuditChain;
  metrics: AlertsMetrics;
  ownership: DeliveryOwnership;
  log: Logger;
  now: () => number;
}

/**
 * One alert's steps, in order: each is appended to the audit chain, then applied to the
 * alert, fenced by the instrument's lease token when several engines share the instruments
 * (a confirmation from the recipient or the server is recorded by any engine, unfenced).
 */
export function createAlertSteps({ alerts, audit, metrics, ownership, log, now }: AlertStepsDeps) {
  // Steps of one alert run one after another, so its lifecycle is recorded in order.
  const chains = new Map<string, Promise<unknown>>();

  function serial<T>(id: string, job: () => Promise<T>): Promise<T> {
    const prev = chains.get(id) ?? Promise.resolve();
    const next = prev.then(job, job);
    const tail = next.catch(() => undefined);
    chains.set(id, tail);
    void tail.then(() => {
      if (chains.get(id) === tail) chains.delete(id);
    });
    return next;
  }

  /** Run `job` on the alert as it is in the store now, after the alert's earlier steps. */
  function withFresh(id: string, job: (alert: StoredAlert) => Promise<unknown>): Promise<void> {
    return serial(id, async () => {
      const alert = await alerts.get(id);
      if (alert) await job(alert);
    });
  }

  /** The fence an owner's step on `alert` carries; 'not-owned' when this engine no longer acts for its instrument. */
  function fenceOf(alert: StoredAlert): Fence | undefined | 'not-owned' {
    if (!ownership.owns(alert.symbol)) return 'not-owned';
    const token = ownership.token(alert.symbol);
    return token === undefined ? undefined : { symbol: alert.symbol, token };
  }

  async function record(
    alert: StoredAlert,
    event: AuditEvent,
    patch: Parameters<AlertStore['transition']>[1],
    detail?: string,
    stanza?: Element,
    /**
     * Run once the step's record is in, beside its transition, when no lease fences the step
     * (one engine: nothing can refuse it then). Not run otherwise: the caller acts on the result.
     */
    alongside?: () => void,
  ): Promise<StoredAlert | undefined> {
    const at = formatMillis(now());
    const fence = CONFIRMATIONS.has(event) ? undefined : fenceOf(alert);
    if (fence === 'not-owned') {
      log.info(
        { alert: alert.id, symbol: alert.symbol, event },
        'step left to the engine that holds the instrument now',
      );
      return undefined;
    }
    await audit.append({
      alertId: alert.id,
      trader: alert.owner,
      symbol: alert.symbol,
      event,
      stanzaHash: stanza ? stanzaHash(stanza) : '',
      ...(detail ? { detail } : {}),
    });
    metrics.steps.inc({ event });
    if (event === 'delivered') metrics.delivery.observe(Math.max(0, now() - Date.parse(alert.firedAt)) / 1000);
    const step = { event, at, ...(detail ? { detail } : {}) };
    if (!fence) {
      const moved = alerts.transition(alert.id, patch, step);
      alongside?.();
      return moved;
    }
    const moved = await alerts.transition(alert.id, patch, step, { fence });
    if (moved === 'fenced' || moved === 'state-conflict') {
      // A newer holder of the instrument wrote since this engine's lease ran out: it acts now.
      log.warn(
        { alert: alert.id, symbol: alert.symbol, event, token: fence.token },
        'step refused: another engine holds the instrument with a newer lease',
      );
      return undefined;
    }
    return moved;
  }

  return {
    serial,
    withFresh,
    record,
    /** Every step under way ended (stop). */
    idle: (): Promise<unknown> => Promise.all([...chains.values()]),
  };
}
export type AlertSteps = ReturnType<typeof createAlertSteps>;

import type { Logger } from 'pino';
import { silenceActive, silenceEnd, type Silence } from '@tickdesk/schemas/rest';
import { NEVER, type AlertSteps, type DeliveryOwnership } from '../alert-steps.js';
import { addresseeOf } from '../desk-user.js';
import type { Retirement } from '../outbox-retirement.js';
import type { AlertStore, StoredAlert } from '../store/index.js';
import { SILENCE_KEPT_AFTER_END_MS, type SilenceStore } from './silence-store.js';

/** The silence that holds `alert` (its last `held` step's `silence=<id>`), if a silence holds it. */
export function silenceOfHold(alert: Pick<StoredAlert, 'state' | 'lifecycle'>): string | undefined {
  if (alert.state !== 'held') return undefined;
  for (let i = alert.lifecycle.length - 1; i >= 0; i--) {
    const step = alert.lifecycle[i];
    if (step?.event === 'held') return /^silence=(\S+)/.exec(step.detail ?? '')?.[1];
  }
  return undefined;
}

const covers = (s: Silence, alert: StoredAlert) =>
  s.ruleId !== undefined ? s.ruleId === alert.ruleId : s.symbol === alert.symbol;

export interface SilenceHoldDeps {
  silences: Pick<SilenceStore, 'activeFor' | 'get' | 'endedBetween'>;
  alerts: Pick<AlertStore, 'heldFor'>;
  steps: AlertSteps;
  ownership: DeliveryOwnership;
  log: Logger;
  now: () => number;
  /** How often the ends of silences are looked for (TICKDESK_ALERTS_POLL_MS). */
  pollMs: number;
  retirement: (alert: StoredAlert) => Promise<Retirement | undefined>;
  retire: (alert: StoredAlert, why: Retirement) => Promise<void>;
}

/**
 * Silences (docs/alerts-protocol.md "Silences"): an alert routed while a silence of its
 * addressee covers its rule or instrument is held, due again at the silence's end, so a
 * restarted engine (or another one) picks it up from the outbox. At the end it is released
 * and routed as a new one, or retired, as the silence says; a silence ended early is found
 * among the store's ends within `pollMs`.
 */
export function createSilenceHold({
  silences,
  alerts,
  steps,
  ownership,
  log: parentLog,
  now,
  pollMs,
  retirement,
  retire,
}: SilenceHoldDeps) {
  const log = parentLog.child({ component: 'silences' });
  const { record, withFresh } = steps;
  let timer: NodeJS.Timeout | undefined;
  let route: (alert: StoredAlert) => Promise<void> = () => Promise.resolve();
  // Ends are looked for a little before the last look too: an end written with another clock, or while a look ran.
  const OVERLAP_MS = 10_000;
  let lookedUpTo = now();
  let looking = false;
  const seen = new Map<string, number>();

  /** The covering silence that lasts longest, or undefined. */
  async function cover(alert: StoredAlert): Promise<Silence | undefined> {
    const active = (await silences.activeFor(addresseeOf(alert), now())).filter((s) => covers(s, alert));
    return active.sort((a, b) => silenceEnd(b) - silenceEnd(a))[0];
  }

  /** Route's first question: is the alert held by a silence? Then it is recorded held. */
  async function hold(alert: StoredAlert, found = cover(alert)): Promise<boolean> {
    const s = await found;
    if (!s) return false;
    await record(alert, 'held', { state: 'held', nextActionAt: silenceEnd(s) }, `silence=${s.id} reason=${s.reason}`);
    return true;
  }

  /** A held alert whose silence may have ended: held on (by it or another), released, or retired. */
  async function due(alert: StoredAlert): Promise<void> {
    const id = silenceOfHold(alert);
    if (!id) return;
    const why = await retirement(alert);
    if (why) return retire(alert, why);
    const silence = await silences.get(id);
    if (silence && silenceActive(silence, now()) && silenceEnd(silence) === alert.nextActionAt) return;
    if (await hold(alert)) return;
    if (silence?.onEnd === 'retire') {
      await record(alert, 'retired', { state: 'retired', nextActionAt: NEVER }, `silence-ended silence=${id}`);
      return;
    }
    const released = await record(
      alert,
      'released',
      { state: 'pending', nextActionAt: now() },
      `silence-ended silence=${id}`,
    );
    if (released) await route(released);
  }

  /** Silences ended early since the last look: their held alerts go now rather than at `until`. */
  async function look(): Promise<void> {
    if (looking) return;
    looking = true;
    try {
      await lookOnce();
    } finally {
      looking = false;
    }
  }
  async function lookOnce(): Promise<void> {
    const upTo = now();
    const ended = await silences.endedBetween(lookedUpTo - OVERLAP_MS, upTo);
    lookedUpTo = upTo;
    for (const [key, end] of seen) if (end <= upTo - 2 * OVERLAP_MS) seen.delete(key);
    for (const e of ended) {
      const key = `${e.owner}|${e.id}`;
      if (seen.get(key) === e.end) continue;
      seen.set(key, e.end);
      const held = (await alerts.heldFor(e.owner)).filter((a) => ownership.owns(a.symbol) && silenceOfHold(a) === e.id);
      await Promise.all(held.map((a) => withFresh(a.id, (fresh) => due(fresh))));
    }
  }

  return {
    hold,
    /** The silence that would hold `alert` now (begun before its fresh read, delivery.ts). */
    lookup: cover,
    due,
    /** `routeAgain` routes a released alert (alert-router.ts route). */
    start(routeAgain: (alert: StoredAlert) => Promise<void>): void {
      route = routeAgain;
      // The first look goes back as far as ended silences are kept: one ended early while no engine ran.
      lookedUpTo = now() - SILENCE_KEPT_AFTER_END_MS;
      timer = setInterval(
        () => void look().catch((err: Error) => log.warn({ err }, 'looking for ended silences failed')),
        pollMs,
      );
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}
export type SilenceHold = ReturnType<typeof createSilenceHold>;

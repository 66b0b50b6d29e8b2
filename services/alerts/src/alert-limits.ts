import type { AlertCaps } from './store/index.js';

export type LimitVerdict = { ok: true } | { ok: false; cap: 'rule' | 'owner'; limit: number; windowMs: number };
export type Capped = Extract<LimitVerdict, { ok: false }>;

export interface AlertLimitsDeps {
  /** Alerts one rule may send within any `windowMs`. */
  perRule: number;
  /** Alerts one trader's rules together may send within any `windowMs`. */
  perOwner: number;
  windowMs: number;
  now?: () => number;
}

/**
 * Rate caps on alerts, per rule and per owner, as sliding windows of the alerts let through.
 * Counted in Redis by the outbox's create script (store/alert-create.ts), in the same script
 * that stores the alert: every engine shares one count per rule and per trader (a trader's
 * instruments spread over several engines get the trader's cap once, not once per engine;
 * a rule's count survives its instrument's takeover and an engine's restart), and a firing
 * evaluated again after a crash finds its alert stored and uses no budget twice. A firing
 * over either cap is refused and uses no budget: the engine records it as suppressed.
 */
export function createAlertLimits({ perRule, perOwner, windowMs, now = Date.now }: AlertLimitsDeps) {
  return {
    /** The caps a repeating rule's firing is written with. */
    caps: (): AlertCaps => ({ now: now(), windowMs, perRule, perOwner }),
    /** The verdict of a firing the create script refused as over `cap`. */
    refused: (cap: 'rule' | 'owner'): Capped => ({
      ok: false,
      cap,
      limit: cap === 'rule' ? perRule : perOwner,
      windowMs,
    }),
  };
}
export type AlertLimits = ReturnType<typeof createAlertLimits>;

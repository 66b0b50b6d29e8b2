export type LimitVerdict = { ok: true } | { ok: false; cap: 'rule' | 'owner'; limit: number; windowMs: number };

export interface AlertLimitsDeps {
  /** Alerts one rule may send within any `windowMs`. */
  perRule: number;
  /** Alerts one trader's rules together may send within any `windowMs`. */
  perOwner: number;
  windowMs: number;
  now?: () => number;
}

/**
 * Rate caps on alerts, per rule and per owner, as sliding windows (a log of the times
 * let through, at most `limit` long per key). A firing over either cap is refused and
 * uses no budget: the engine records it as suppressed instead of sending it. Kept in
 * the engine's memory: a restart starts every window afresh.
 */
export function createAlertLimits({ perRule, perOwner, windowMs, now = Date.now }: AlertLimitsDeps) {
  const logs = new Map<string, number[]>();

  /** The times still inside the window, oldest first. */
  function recent(key: string, t: number): number[] {
    const log = logs.get(key) ?? [];
    let drop = 0;
    while (drop < log.length && log[drop]! <= t - windowMs) drop++;
    if (drop > 0) log.splice(0, drop);
    return log;
  }

  return {
    take(ruleId: string, owner: string): LimitVerdict {
      const t = now();
      const byRule = recent(`r:${ruleId}`, t);
      if (byRule.length >= perRule) return { ok: false, cap: 'rule', limit: perRule, windowMs };
      const byOwner = recent(`o:${owner}`, t);
      if (byOwner.length >= perOwner) return { ok: false, cap: 'owner', limit: perOwner, windowMs };
      byRule.push(t);
      byOwner.push(t);
      logs.set(`r:${ruleId}`, byRule);
      logs.set(`o:${owner}`, byOwner);
      return { ok: true };
    },
    /** Drop keys with nothing in the window (deleted rules, quiet traders). */
    sweep(): void {
      const t = now();
      for (const key of [...logs.keys()]) if (recent(key, t).length === 0) logs.delete(key);
    },
    size: (): number => logs.size,
  };
}
export type AlertLimits = ReturnType<typeof createAlertLimits>;

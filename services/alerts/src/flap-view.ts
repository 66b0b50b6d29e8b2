import type { Redis } from 'ioredis';
import { formatMillis, type Rule, type RuleFlapState } from '@tickdesk/schemas';
import { firingsOf } from './flap-decision.js';
import { createFlapStore, type FlapFields } from './store/index.js';

/**
 * What a rule's flap state says to a trader (REST GET /v1/rules, the dashboard): why it is
 * held back now (paused at its firing limit; firings over a rate cap; a firing within its
 * minimum gap), its open group, and its firings counted against maxFirings. No I/O.
 */
export function flapView(rule: Rule, s: FlapFields, now: number): RuleFlapState {
  const out: RuleFlapState = {};
  // Paused at its limit: the count of the version it paused at (the pause made a new version).
  if (rule.maxFirings !== undefined)
    out.firings = rule.pausedReason === 'firing-limit' ? (s.n ?? 0) : firingsOf(rule, s);
  const streak = (kind: 'cap' | 'gap') => {
    const until = kind === 'cap' ? s.capUntil : s.gapUntil;
    const since = kind === 'cap' ? s.capSince : s.gapSince;
    return until !== undefined && since !== undefined && until > now
      ? { since: formatMillis(since), until: formatMillis(until) }
      : undefined;
  };
  const cap = streak('cap');
  const gap = streak('gap');
  if (rule.status === 'paused' && rule.pausedReason === 'firing-limit')
    out.limited = {
      reason: 'firing-limit',
      since: rule.pausedAt ?? rule.updatedAt,
      detail: `paused itself after ${rule.maxFirings ?? '?'} firings`,
    };
  else if (cap) out.limited = { reason: 'rate-cap', ...cap, ...(s.capDetail ? { detail: s.capDetail } : {}) };
  else if (gap) out.limited = { reason: 'min-gap', ...gap, detail: `minimum gap ${rule.minGapSeconds ?? '?'}s` };
  if (s.group !== undefined && s.groupUntil !== undefined && s.groupUntil > now)
    out.grouping = { alertId: s.group, until: formatMillis(s.groupUntil), firings: Math.max(1, s.groupN ?? 1) };
  return out;
}

/** Rules as read from the store, each with its flap state (one pipelined read for all). */
export function createRuleFlapReader({
  redis,
  prefix,
  now = Date.now,
}: {
  redis: Redis;
  prefix?: string;
  now?: () => number;
}) {
  const flap = createFlapStore({ redis, ...(prefix ? { prefix } : {}) });
  return async (rules: Rule[]): Promise<Rule[]> => {
    const states = await flap.readMany(rules.map((r) => r.id));
    const t = now();
    return rules.map((r) => ({ ...r, ...flapView(r, states.get(r.id) ?? {}, t) }));
  };
}
